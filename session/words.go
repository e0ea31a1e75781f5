package session

import (
	"fmt"
	"strconv"
	"time"
)

// Words writes a duration the way a person says it: "30 seconds",
// "1 minute", "5 minutes", "1 minute 30 seconds", "1 hour 5 minutes",
// "2 days 3 hours". Every duration a user reads (reasons, notifications,
// windows, the command line) goes through it, never time.Duration.String
// ("5m0s"). Precision falls with length: seconds under an hour, minutes
// under a day, hours beyond.
func Words(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d > 0 && d < time.Second/2 {
		return "less than a second"
	}
	if d = d.Round(time.Second); d < time.Hour {
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if m == 0 {
			return count(s, "second")
		}
		return join(count(m, "minute"), s, "second")
	}
	if d = d.Round(time.Minute); d < 24*time.Hour {
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		return join(count(h, "hour"), m, "minute")
	}
	d = d.Round(time.Hour)
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	return join(count(days, "day"), h, "hour")
}

// count is "1 minute", "5 minutes".
func count(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// join adds the smaller unit unless it is zero: "1 hour", "1 hour 5 minutes".
func join(big string, n int, unit string) string {
	if n == 0 {
		return big
	}
	return big + " " + count(n, unit)
}

// TimeLeft is the time to a deadline as a countdown reads it: "1:42 left",
// in whole seconds rounded up, so "0:00 left" only once it has passed. The
// tray's popup and `ibkr-tray status` count the IB Key wait with it.
func TimeLeft(until, now time.Time) string {
	secs := int((max(until.Sub(now), 0) + time.Second - 1) / time.Second)
	return fmt.Sprintf("%d:%02d left", secs/60, secs%60)
}
