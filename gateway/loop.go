package gateway

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// lastLinesOnFailure is how many lines of output a Failed status carries.
const lastLinesOnFailure = 20

// Run supervises the gateway until ctx ends, then stops a gateway it
// started (never an adopted one). It returns an error only when a
// gateway it started could not be stopped. A panic in it stops the gateway
// before the process dies (StopOnPanic).
func (s *Supervisor) Run(ctx context.Context) error {
	defer StopOnPanic()
	if s.cfg.LogFile != "" {
		f, err := openRotating(s.cfg.LogFile, 5<<20, 3)
		if err != nil {
			s.log.Warn("the gateway's output is not written to a file", "err", err)
		} else {
			s.file = f
			defer f.Close()
		}
	}
	err := s.superviseLoop(ctx)
	s.waitOutputs(2 * time.Second)
	s.update(func(st *Status) {
		st.State, st.Reason, st.PID, st.RetryAt, st.Started = Stopped, "the app stopped supervising the gateway", 0, time.Time{}, time.Time{}
		if err != nil {
			st.Reason = err.Error()
		}
	})
	return err
}

// superviseLoop starts the gateway again and again: at once after a
// restart request, after a back-off after a failure, and not at all after
// too many failures or a problem the user must fix, until Restart.
func (s *Supervisor) superviseLoop(ctx context.Context) error {
	for {
		err := s.startOnce(ctx)
		if ctx.Err() != nil {
			var stopErr stopError
			if errors.As(err, &stopErr) {
				return stopErr
			}
			return nil
		}
		var nu needsUser
		switch {
		case errors.Is(err, errRestartRequested):
			s.failures.Reset()
			continue
		case errors.Is(err, errAdoptedGone):
			continue
		case errors.As(err, &nu):
			s.update(func(st *Status) {
				st.State, st.Reason, st.PID, st.RetryAt = Failed, nu.Error(), 0, time.Time{}
			})
			if !s.waitForRestart(ctx) {
				return nil
			}
			s.failures.Reset()
			continue
		}
		now := s.cfg.Clock.Now()
		n := s.failures.Add(now)
		if n >= s.cfg.FailureLimit {
			lines := s.output.last(lastLinesOnFailure)
			s.update(func(st *Status) {
				st.State, st.PID, st.RetryAt, st.LastLines = Failed, 0, time.Time{}, lines
				st.Reason = fmt.Sprintf("the gateway failed %d times within %s (last: %v); see its last lines of output, fix the cause, then restart it", n, s.cfg.FailureWindow, err)
			})
			if !s.waitForRestart(ctx) {
				return nil
			}
			s.failures.Reset()
			continue
		}
		wait := s.cfg.Backoff.Delay(n, randFloat())
		s.update(func(st *Status) {
			st.State, st.PID, st.RetryAt = Restarting, 0, now.Add(wait)
			st.Reason = fmt.Sprintf("%v; starting again in %s", err, wait.Round(100*time.Millisecond))
		})
		if !s.backOff(ctx, wait) {
			return nil
		}
	}
}

// backOff waits out the back-off; a restart request cuts it short and
// clears the failures. It reports false when ctx ended.
func (s *Supervisor) backOff(ctx context.Context, d time.Duration) bool {
	ch, stop := s.cfg.Clock.After(d)
	defer stop()
	select {
	case <-ch:
		return true
	case <-s.restart:
		s.failures.Reset()
		return true
	case <-ctx.Done():
		return false
	}
}

// waitForRestart holds Failed until the user asks for a restart.
func (s *Supervisor) waitForRestart(ctx context.Context) bool {
	select {
	case <-s.restart:
		s.update(func(st *Status) { st.LastLines = nil })
		return true
	case <-ctx.Done():
		return false
	}
}

// startOnce checks the distribution and the port, then takes back the
// gateway an earlier run of the app started, or adopts the gateway already
// there, or starts one, and watches it. It returns when that gateway is
// gone: the error says why.
func (s *Supervisor) startOnce(ctx context.Context) error {
	d, err := CheckDist(s.cfg.Dir)
	if err != nil {
		return needsUser{err}
	}
	s.dist = d
	port := s.port()
	p, err := s.reclaim(d, port)
	if err != nil {
		return err // ours, with old settings, and it could not be stopped
	}
	if p == nil {
		use, why := s.probePort(ctx, d.Scheme(), port)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch use {
		case portGateway:
			return s.watchAdopted(ctx, d, port)
		case portOther:
			return needsUser{fmt.Errorf("port %d is in use by another program, not a gateway (%v)%s; choose another port in the settings: the app then runs the gateway with a copy of conf.yaml that changes only the port (your conf.yaml stays as it is)", port, why, macHint(port))}
		}
		conf, err := s.runConf(d, port)
		if err != nil {
			return needsUser{err}
		}
		if p, err = s.spawn(d, conf, port); err != nil {
			return needsUser{err}
		}
	}
	s.update(func(st *Status) {
		if !st.Started.IsZero() || st.LastExit != "" {
			st.Restarts++
		}
		st.State, st.Reason, st.PID, st.Port, st.RetryAt = Starting, "", p.pid, port, time.Time{}
		st.URL, st.Started = gatewayURL(d.Scheme(), port), time.Time{}
	})
	url := probeURL(d.Scheme(), port)
	if err := s.waitReady(ctx, p, url); err != nil {
		if stopErr := s.stop(p); stopErr != nil {
			return stopErr
		}
		return err
	}
	started := p.started
	if started.IsZero() {
		started = s.cfg.Clock.Now()
	}
	s.update(func(st *Status) {
		st.State, st.Started, st.Version = Running, started, readVersion(d.Dir)
	})
	return s.watchRunning(ctx, p, url)
}

// probePort asks what listens on the port; "another program" is asked
// again a few times, as a gateway that is just exiting can answer oddly.
func (s *Supervisor) probePort(ctx context.Context, scheme string, port int) (portUse, error) {
	for i := 0; ; i++ {
		use, why := s.probe.probePort(ctx, scheme, port, s.cfg.HealthTimeout)
		if use != portOther || i == 2 {
			return use, why
		}
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return use, why
		}
	}
}

func macHint(port int) string {
	if port == 5000 {
		return " (on macOS, port 5000 is the AirPlay receiver)"
	}
	return ""
}

// waitReady polls GET / until the gateway answers, its process exits, the
// ready timeout passes, or a restart is asked for.
func (s *Supervisor) waitReady(ctx context.Context, p *proc, url string) error {
	deadline := time.NewTimer(s.cfg.ReadyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(s.cfg.PollInterval)
	defer tick.Stop()
	for {
		if s.probe.gateway(ctx, url, s.cfg.HealthTimeout) == nil {
			return nil
		}
		select {
		case <-tick.C:
		case <-p.exited:
			s.noteExit(p)
			return fmt.Errorf("the gateway exited while starting (%s)", p.exitStatus())
		case <-deadline.C:
			s.update(func(st *Status) { st.LastExit = "not ready within " + s.cfg.ReadyTimeout.String() })
			return fmt.Errorf("the gateway did not answer GET / within %s of starting", s.cfg.ReadyTimeout)
		case <-s.restart:
			return errRestartRequested
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// watchRunning watches a gateway we started until it exits or hangs, a
// restart is asked for, or ctx ends; then it is stopped.
func (s *Supervisor) watchRunning(ctx context.Context, p *proc, url string) error {
	tick := time.NewTicker(s.cfg.HealthInterval)
	defer tick.Stop()
	missed := 0
	var why error
	for {
		select {
		case <-p.exited:
			s.noteExit(p)
			why = fmt.Errorf("the gateway exited (%s)", p.exitStatus())
		case <-ctx.Done():
			why = ctx.Err()
		case <-s.restart:
			why = errRestartRequested
		case <-tick.C:
			// Only GET / counts: a gateway whose API calls time out while /
			// answers is alive and IBKR is unreachable; restarting would not help.
			err := s.probe.gateway(ctx, url, s.cfg.HealthTimeout)
			s.healthChecks.Add(1)
			if ctx.Err() != nil {
				continue
			}
			if err == nil {
				if missed > 0 {
					missed = 0
					s.update(func(st *Status) { st.State, st.Reason = Running, "" })
				}
				if s.Status().Version == "" {
					if v := readVersion(s.dist.Dir); v != "" {
						s.update(func(st *Status) { st.Version = v })
					}
				}
				continue
			}
			missed++
			if missed < s.cfg.HangChecks {
				s.update(func(st *Status) {
					st.State = Unresponsive
					st.Reason = fmt.Sprintf("%v (%d of %d checks before it is restarted)", err, missed, s.cfg.HangChecks)
				})
				continue
			}
			s.update(func(st *Status) {
				st.LastExit = "hung: GET / unanswered " + strconv.Itoa(missed) + " times in a row"
			})
			why = fmt.Errorf("the gateway stopped answering GET / (%d checks in a row)", missed)
		}
		if err := s.stop(p); err != nil {
			return err
		}
		return why
	}
}

// watchAdopted watches a gateway this app did not start. It is never
// stopped or restarted from here; when it goes away the loop starts our own.
func (s *Supervisor) watchAdopted(ctx context.Context, d Dist, port int) error {
	s.update(func(st *Status) {
		st.State, st.PID, st.Port, st.RetryAt = Adopted, 0, port, time.Time{}
		st.URL = gatewayURL(d.Scheme(), port)
		st.Reason = "a gateway was already running on port " + strconv.Itoa(port) + "; it is watched, not started or stopped by this app"
		st.Started, st.Version = time.Time{}, readVersion(d.Dir)
	})
	tick := time.NewTicker(s.cfg.HealthInterval)
	defer tick.Stop()
	missed := 0
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.restart:
			return errRestartRequested
		case <-tick.C:
		}
		use, why := s.probe.probePort(ctx, d.Scheme(), port, s.cfg.HealthTimeout)
		switch {
		case ctx.Err() != nil:
			continue
		case use == portFree:
			return errAdoptedGone
		case use == portGateway:
			if missed > 0 {
				missed = 0
				s.update(func(st *Status) {
					st.State = Adopted
					st.Reason = "a gateway was already running on port " + strconv.Itoa(port) + "; it is watched, not started or stopped by this app"
				})
			}
		default:
			missed++
			s.update(func(st *Status) {
				st.State = Unresponsive
				st.Reason = fmt.Sprintf("the gateway that was already running on port %d (not started by this app) does not answer: %v; stop it, and this app will start its own", port, why)
			})
		}
	}
}

// runConf is the conf run.sh is given: conf.yaml itself, or the copy with
// another port and, with LocalTLS, the local CA's keystore.
func (s *Supervisor) runConf(d Dist, port int) (string, error) {
	if s.cfg.LocalTLS {
		ks, err := ReadProfileOverlayKeystore(d, s.cfg.Profile)
		if err == nil {
			_, err = os.Stat(filepath.Join(d.Dir, "root", ks.File))
		}
		if err != nil {
			return "", fmt.Errorf("the settings ask for the local certificate authority's certificate, but the gateway folder %s has no keystore from it (%v); run ibkr-tray tls setup, or turn localCA off in the settings", d.Dir, err)
		}
		conf, err := writeOverlay(d, s.cfg.Profile, port, &ks)
		if err != nil {
			return "", err
		}
		s.log.Info("running the gateway with a copy of conf.yaml that serves the local CA's certificate; conf.yaml is unchanged", "conf", conf, "port", port, "keystore", ks.File)
		return conf, nil
	}
	if port == d.Port {
		return d.Conf, nil
	}
	conf, err := writePortConf(d, s.cfg.Profile, port)
	if err != nil {
		return "", err
	}
	s.log.Info("running the gateway with a copy of conf.yaml for another port; conf.yaml is unchanged", "conf", conf, "port", port)
	return conf, nil
}
