package sim

import (
	"fmt"
	"time"
)

// clock is simulated time: it starts at the real time and runs speed times
// faster. All session rules read it; only TOTP and the hang/error faults use
// real time.
type clock struct {
	real  func() time.Time
	start time.Time
	speed float64
}

func newClock(real func() time.Time, speed float64) *clock {
	return &clock{real: real, start: real(), speed: speed}
}

// now is the simulated time.
func (c *clock) now() time.Time {
	elapsed := c.real().Sub(c.start)
	return c.start.Add(time.Duration(float64(elapsed) * c.speed))
}

// dailyAt is a time of day, "HH:MM", in a location.
type dailyAt struct {
	hour, minute int
	loc          *time.Location
}

func parseDailyAt(s string, loc *time.Location) (*dailyAt, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return nil, fmt.Errorf("the reset time %q is not HH:MM (for example 01:00)", s)
	}
	return &dailyAt{hour: t.Hour(), minute: t.Minute(), loc: loc}, nil
}

// next is the first such time strictly after t.
func (d *dailyAt) next(t time.Time) time.Time {
	lt := t.In(d.loc)
	c := time.Date(lt.Year(), lt.Month(), lt.Day(), d.hour, d.minute, 0, 0, d.loc)
	if !c.After(t) {
		c = time.Date(lt.Year(), lt.Month(), lt.Day()+1, d.hour, d.minute, 0, 0, d.loc)
	}
	return c
}
