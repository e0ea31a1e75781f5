package ui

import (
	"context"
	"errors"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// stoppedStatus is what the tray shows before (or instead of) a backend.
func stoppedStatus(reason string) runner.Status {
	var st runner.Status
	st.Gateway.State = gateway.Stopped
	st.Gateway.Reason = reason
	return st
}

// startBackend runs the runner (or the demo) off the UI goroutine and
// attaches it when it is up.
func (t *trayApp) startBackend() {
	if t.inShell() && !t.shell.apart(t) {
		return // its section says with whom it clashes
	}
	start, opts := t.o.Start, BackendOptions{Config: t.o.Config, Paths: t.o.Paths, Log: t.o.Log}
	if t.o.Demo {
		start = t.o.StartDemo
	}
	if start == nil {
		t.apply(stoppedStatus("This build has no gateway runner wired in."), nil)
		return
	}
	ctx, cancel := context.WithCancel(t.ctx)
	// This goroutine lives as long as the backend, so shutdown can wait for
	// every gateway started, even one still starting when the user quit.
	t.background.Go(func() {
		s, err := start(ctx, opts)
		if err != nil {
			cancel()
			t.o.Do(func() {
				t.o.Log.Error("the gateway could not be started", "err", err)
				var running *runner.AlreadyRunningError
				if t.inShell() && errors.As(err, &running) {
					// One of several: its section says so; the others run.
					t.o.Problem, t.o.ProblemLine = alreadyRunningText(running), lineOtherCopy
				}
				t.apply(stoppedStatus(capitalise(err.Error())), nil)
			})
			return
		}
		t.o.Do(func() {
			if ctx.Err() == nil && !t.quitting.Load() {
				t.attach(s, cancel)
			}
		})
		<-ctx.Done()
		<-s.Done
	})
}

// attach starts watching a running backend. UI goroutine.
func (t *trayApp) attach(s Started, cancel context.CancelFunc) {
	t.backend, t.backendCancel, t.backendDone = s.Backend, cancel, s.Done
	ctx, stop := context.WithCancel(t.ctx)
	t.stopWatch = stop
	t.background.Go(func() { t.watch(ctx, s.Backend) })
}

// stopBackend cancels the backend and returns a channel closed when it has
// stopped (and the gateway it started is gone). UI goroutine.
func (t *trayApp) stopBackend() <-chan struct{} {
	done := t.backendDone
	if t.stopWatch != nil {
		t.stopWatch()
	}
	if t.backendCancel != nil {
		t.backendCancel()
	}
	t.backend, t.backendCancel, t.backendDone, t.stopWatch = nil, nil, nil, nil
	if done == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return done
}

// restartBackend stops the backend and starts a new one with the current
// settings, waiting off the UI goroutine.
func (t *trayApp) restartBackend() {
	done := t.stopBackend()
	go func() {
		<-done
		t.o.Do(t.startBackend)
	}()
}

// watch turns the backend's wake-ups into UI updates and notifications. It
// never touches Fyne objects itself.
func (t *trayApp) watch(ctx context.Context, b Backend) {
	ch, unsub := b.Subscribe()
	defer unsub()
	co := NewCoalescer()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
			st, out := b.Status(), b.Output()
			t.queue(co.Observe(st, t.o.Now()))
			t.o.Do(func() {
				if ctx.Err() == nil && !t.quitting.Load() {
					t.apply(st, out)
				}
			})
		case <-tick.C:
			now := t.o.Now()
			if d := co.NextDeadline(); !d.IsZero() && !now.Before(d) {
				t.queue(co.Tick(now))
			}
			if t.popupCounting.Load() {
				t.o.Do(func() {
					if ctx.Err() == nil && !t.quitting.Load() {
						t.tickPopup()
					}
				})
			}
			if t.statusVisible.Load() { // the countdowns move
				out := b.Output()
				t.o.Do(func() {
					if ctx.Err() == nil && !t.quitting.Load() {
						t.output = out
						t.refreshStatus()
					}
				})
			}
		}
	}
}

// queue hands notifications to the sender without blocking.
func (t *trayApp) queue(ns []Notification) {
	on := t.notifyOn.Load()
	for _, n := range ns {
		if !on && !n.Withdraw { // one shown before they were turned off still goes
			continue
		}
		n.Title = t.named(n.Title)
		select {
		case t.notes <- n:
		default:
			t.o.Log.Warn("notification dropped: too many at once", "title", n.Title)
		}
	}
}

// sendLoop sends notifications one by one: a slow notification server
// must not hold up the tray.
func (t *trayApp) sendLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-t.notes:
			if err := t.o.Notifier.Notify(n); err != nil {
				t.o.Log.Warn("desktop notification failed", "title", n.Title, "err", err)
			}
		}
	}
}
