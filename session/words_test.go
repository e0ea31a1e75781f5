package session

import (
	"testing"
	"time"
)

func TestWordsSaysDurationsAsPeopleDo(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 seconds"},
		{-3 * time.Second, "0 seconds"},
		{200 * time.Millisecond, "less than a second"},
		{time.Second, "1 second"},
		{1400 * time.Millisecond, "1 second"},
		{30 * time.Second, "30 seconds"},
		{59600 * time.Millisecond, "1 minute"},
		{time.Minute, "1 minute"},
		{90 * time.Second, "1 minute 30 seconds"},
		{5 * time.Minute, "5 minutes"},
		{59*time.Minute + 59*time.Second, "59 minutes 59 seconds"},
		{time.Hour, "1 hour"},
		{time.Hour + 5*time.Minute, "1 hour 5 minutes"},
		{time.Hour + 5*time.Minute + 40*time.Second, "1 hour 6 minutes"},
		{2*time.Hour - 10*time.Second, "2 hours"},
		{23*time.Hour + 59*time.Minute + 50*time.Second, "1 day"},
		{49 * time.Hour, "2 days 1 hour"},
		{62 * time.Hour, "2 days 14 hours"},
	} {
		if got := Words(tc.d); got != tc.want {
			t.Errorf("Words(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestTimeLeftSaysMinutesAndSecondsLeft(t *testing.T) {
	at := time.Date(2026, 12, 2, 14, 3, 0, 0, time.UTC)
	until := at.Add(102 * time.Second)
	for _, c := range []struct {
		at   time.Duration
		want string
	}{
		{0, "1:42 left"},
		{500 * time.Millisecond, "1:42 left"}, // rounded up: 0:00 only when over
		{42 * time.Second, "1:00 left"},
		{101 * time.Second, "0:01 left"},
		{102 * time.Second, "0:00 left"},
		{time.Hour, "0:00 left"},
	} {
		if got := TimeLeft(until, at.Add(c.at)); got != c.want {
			t.Errorf("at +%v: %q, want %q", c.at, got, c.want)
		}
	}
}
