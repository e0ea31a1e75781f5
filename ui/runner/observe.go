package runner

import (
	"time"

	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// observe registers the state gauges of m, and adds to r's background the
// watcher that feeds m's counters and n's hooks and webhooks, and n's
// outboxes.
func (r *Runner) observe(m *metrics, n *notifier) {
	r.metrics = m
	m.watchState(r.Status, time.Now)
	profile := r.opts.Paths.Profile
	if profile == "" {
		profile = config.DefaultProfile
	}
	w := &watcher{
		status: r.Status,
		subscribe: []func() (<-chan struct{}, func()){
			r.supervisor.Subscribe,
			r.session.Subscribe,
		},
		now:     time.Now,
		profile: profile,
		m:       m,
		send:    n.send,
	}
	r.background = append(r.background, w.run)
	r.background = append(r.background, n.runners()...)
}
