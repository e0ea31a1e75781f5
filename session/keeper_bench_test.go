package session

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
)

// The keeper's benchmarks run against the simulator with the keeper's
// default timings (4 s tickles, 500 ms status polls) and report medians and
// 95th percentiles over at least benchTrials faults each:
//
//	go test -run '^$' -bench BenchmarkKeeper -benchtime 20x ./session/
//
// ns/op means nothing here; read the named metrics.

const benchTrials = 20

// atDefaults undoes the test scaling of e2e keepers: every timing back to
// its default.
func atDefaults(o *KeeperOptions) {
	o.TickleInterval, o.ReauthWait, o.LoginWait, o.StatusPoll = 0, 0, 0, 0
	o.LoginRetryDelay, o.MaxBackoff, o.ManualLoginTimeout, o.ManualPollInterval = 0, 0, 0, 0
}

// nextState waits for the keeper's next change of state to one of want.
func (e *e2e) nextState(within time.Duration, want ...State) stateEvent {
	e.t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		select {
		case ev := <-e.events:
			if slices.Contains(want, ev.to) {
				return ev
			}
		case <-deadline.C:
			s := e.k.Status()
			e.t.Fatalf("no change to %v within %v; state %v (%s)", want, within, s.State, s.Reason)
		}
	}
}

func (e *e2e) drainEvents() {
	for {
		select {
		case <-e.events:
		default:
			return
		}
	}
}

// randomPhase waits a random part of a tickle interval, so faults land
// anywhere between two tickles.
func randomPhase(interval time.Duration) {
	<-time.After(rand.N(interval))
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*q+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// report adds a median and a p95 metric (unit key-median-s, key-p95-s) and
// logs a table row.
func report(b *testing.B, key, label string, ds []time.Duration) {
	med, p95 := quantile(ds, 0.5), quantile(ds, 0.95)
	b.ReportMetric(med.Seconds(), key+"-median-s")
	b.ReportMetric(p95.Seconds(), key+"-p95-s")
	b.Logf("| %-36s | %3d | %8.3f s | %8.3f s |", label, len(ds), med.Seconds(), p95.Seconds())
}

// trials runs trial once per b.Loop iteration, and more until there are
// at least benchTrials.
func trials(b *testing.B, trial func()) {
	n := 0
	for b.Loop() {
		trial()
		n++
	}
	for ; n < benchTrials; n++ {
		trial()
	}
}

// BenchmarkKeeperReauth measures, for a lost brokerage session, the
// detection latency (fault to the keeper's change of state) and the
// recovery by reauthenticate (fault to authenticated) with the
// simulator's reauth delay at 0, so the keeper's own overhead shows.
func BenchmarkKeeperReauth(b *testing.B) {
	e := startE2E(b, func(o *sim.Options) {
		o.Authenticated = true
		o.ReauthDelay = 0
	}, secrets.Memory(liveCreds), atDefaults)
	e.waitState(Authenticated, 20*time.Second)
	var detect, recover, afterDetect []time.Duration
	trials(b, func() {
		randomPhase(DefaultTickleInterval)
		e.drainEvents()
		fault := time.Now()
		e.sim.ExpireBrokerage()
		seen := e.nextState(15*time.Second, Reauthenticating, NotAuthenticated, LoggingIn)
		back := e.nextState(30*time.Second, Authenticated)
		detect = append(detect, seen.at.Sub(fault))
		recover = append(recover, back.at.Sub(fault))
		afterDetect = append(afterDetect, back.at.Sub(seen.at))
	})
	if n := len(e.logins()); n != 0 {
		b.Errorf("%d browser logins during reauth trials, want 0", n)
	}
	report(b, "detect", "detection (brokerage lost)", detect)
	report(b, "recover", "reauth: fault to authenticated", recover)
	report(b, "after-detect", "reauth: detected to authenticated", afterDetect)
}

// BenchmarkKeeperBrowserLogin measures recovery by a browser login with
// TOTP (the demo user, device picker included) after the SSO session
// ended: fault to authenticated, Chromium start included, with the
// simulator's auth delay at 0. The TOTP clock is the shared test clock, so
// back-to-back logins do not wait 30 s for a fresh code.
func BenchmarkKeeperBrowserLogin(b *testing.B) {
	e := startE2E(b, func(o *sim.Options) {
		o.Authenticated = true
		o.AuthDelay = 0
		o.ReauthDelay = 0
	}, secrets.Memory(liveCreds), atDefaults)
	e.waitState(Authenticated, 20*time.Second)
	var detect, recover, login []time.Duration
	trials(b, func() {
		randomPhase(DefaultTickleInterval)
		e.drainEvents()
		fault := time.Now()
		e.sim.ExpireSSO()
		seen := e.nextState(15*time.Second, LoggingIn)
		back := e.nextState(60*time.Second, Authenticated)
		detect = append(detect, seen.at.Sub(fault))
		recover = append(recover, back.at.Sub(fault))
		login = append(login, back.at.Sub(seen.at))
	})
	for _, l := range e.logins() {
		if l.err != nil {
			b.Errorf("a login failed: %v", l.err)
		}
	}
	report(b, "detect", "detection (SSO lost)", detect)
	report(b, "recover", "browser: fault to authenticated", recover)
	report(b, "after-detect", "browser: detected to authenticated", login)
}

// BenchmarkKeeperIdleTraffic counts the requests of an idle, authenticated
// keeper at the default interval, over benchTrials tickle intervals, and
// reports them per hour.
func BenchmarkKeeperIdleTraffic(b *testing.B) {
	e := startE2E(b, loggedIn, secrets.Memory(liveCreds), atDefaults)
	e.waitState(Authenticated, 20*time.Second)
	start := time.Now()
	before := e.sim.State().Hits
	// Each trial is one tickle interval of idling.
	trials(b, func() { <-time.After(DefaultTickleInterval) })
	took := time.Since(start)
	after := e.sim.State().Hits
	total := 0
	for k, n := range after {
		total += n - before[k]
	}
	tickles := after[hitTickle] - before[hitTickle]
	perHour := func(n int) float64 { return float64(n) * float64(time.Hour) / float64(took) }
	b.ReportMetric(perHour(tickles), "tickles/hour")
	b.ReportMetric(perHour(total), "requests/hour")
	b.Logf("idle for %v: %d tickles, %d requests in all: %.0f tickles/hour, %.0f requests/hour",
		took.Round(time.Second), tickles, total, perHour(tickles), perHour(total))
	if s := e.k.Status(); s.State != Authenticated {
		b.Errorf("state %v after idling, want Authenticated", s.State)
	}
}

// BenchmarkKeeperSSOExpiry measures recovery when the SSO session reaches
// its end (its lifetime shortened to 10 s): the keeper knows the end from
// the tickle's ssoExpires and checks right then, so detection is short;
// then a browser login with TOTP as above.
func BenchmarkKeeperSSOExpiry(b *testing.B) {
	const lifetime = 10 * time.Second
	e := startE2E(b, func(o *sim.Options) {
		o.Authenticated = true
		o.AuthDelay = 0
		o.ReauthDelay = 0
		o.SSOLifetime = lifetime
	}, secrets.Memory(liveCreds), atDefaults)
	e.waitState(Authenticated, 20*time.Second)
	var detect, recover []time.Duration
	trials(b, func() {
		e.drainEvents()
		st := e.sim.State()
		if st.Session == nil {
			b.Fatalf("no session at the start of a trial")
		}
		// The simulator's clock is the test clock: back to real time.
		end := st.Session.SSOExpires.Add(-time.Duration(e.clock.off.Load()))
		seen := e.nextState(lifetime+15*time.Second, LoggingIn)
		back := e.nextState(60*time.Second, Authenticated)
		detect = append(detect, seen.at.Sub(end))
		recover = append(recover, back.at.Sub(end))
	})
	report(b, "detect", "detection (SSO lifetime ended)", detect)
	report(b, "recover", "SSO end to authenticated", recover)
}
