package runner

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
)

// GET /metrics on the TCP address serves these in Prometheus' text format,
// from a registry of the runner's own (not the global default). The TCP
// door answers anyone on the machine, so no label carries a user name, an
// account ID or a reason in words: states and causes are fixed names, and
// request paths are reduced to templates (metrics_transport.go).
//
// The gauges are read from the status at each scrape. The counters are
// derived from the changes the watcher sees (watch.go); docs/headless.md
// says exactly how each is counted.

// metrics holds the registry and the counters the watcher feeds.
type metrics struct {
	reg *prometheus.Registry

	logins          *prometheus.CounterVec // kind, result
	recoveries      *prometheus.CounterVec // step
	recoverySeconds prometheus.Histogram
	gatewayRestarts prometheus.Counter
	requests        *prometheus.HistogramVec // endpoint

	// ssodh is set by the transport when a call to ssodh/init succeeded;
	// the watcher reads and clears it at each return to Authenticated.
	mu    sync.Mutex // guards ssodh
	ssodh bool
}

// The label values of the counters.
const (
	loginAutomated = "automated"
	loginManual    = "manual"
	resultSuccess  = "success"
	resultFailure  = "failure"

	stepReauthenticate = "reauthenticate"
	stepSSODH          = "ssodh"
	stepBrowser        = "browser"
)

// newMetrics makes the registry: the counters and the Go runtime and
// process collectors.
func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ibkr_tray_logins_total",
			Help: "Logins that ended, by kind (automated: the app's browser login; manual: the user's own browser) and result (success, failure).",
		}, []string{"kind", "result"}),
		recoveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ibkr_tray_recoveries_total",
			Help: "Sessions brought back after a loss, by the step that did it (reauthenticate, ssodh, browser).",
		}, []string{"step"}),
		recoverySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ibkr_tray_recovery_seconds",
			Help:    "Time from losing the authenticated session to having it again.",
			Buckets: []float64{1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600},
		}),
		gatewayRestarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ibkr_tray_gateway_restarts_total",
			Help: "Times the supervisor started the gateway again after it had run or exited.",
		}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ibkr_tray_request_duration_seconds",
			Help:    "Duration of the app's calls to the gateway's Web API, by endpoint (a path template, never an account ID).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"endpoint"}),
	}
	// Every combination exists from the start, so rate() and increase()
	// see the first one.
	for _, kind := range []string{loginAutomated, loginManual} {
		for _, result := range []string{resultSuccess, resultFailure} {
			m.logins.WithLabelValues(kind, result)
		}
	}
	for _, step := range []string{stepReauthenticate, stepSSODH, stepBrowser} {
		m.recoveries.WithLabelValues(step)
	}
	m.reg.MustRegister(
		m.logins, m.recoveries, m.recoverySeconds, m.gatewayRestarts, m.requests,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// watchState adds the gauges read from status at each scrape.
func (m *metrics) watchState(status func() Status, now func() time.Time) {
	m.reg.MustRegister(stateCollector{status: status, now: now})
}

// handler serves the registry.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// sawSSODH notes a successful ssodh/init call.
func (m *metrics) sawSSODH() {
	m.mu.Lock()
	m.ssodh = true
	m.mu.Unlock()
}

// takeSSODH reports whether ssodh/init succeeded since the last call.
func (m *metrics) takeSSODH() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	saw := m.ssodh
	m.ssodh = false
	return saw
}

// The state gauges' descriptions.
var (
	descSessionState = prometheus.NewDesc("ibkr_tray_session_state",
		"1 for the session keeper's current state, 0 for the others.", []string{"state"}, nil)
	descGatewayState = prometheus.NewDesc("ibkr_tray_gateway_state",
		"1 for the gateway supervisor's current state, 0 for the others.", []string{"state"}, nil)
	descSessionCause = prometheus.NewDesc("ibkr_tray_session_cause",
		"1 for the stable name of why the session is in its state (absent when there is none).", []string{"cause"}, nil)
	descAuthenticated = prometheus.NewDesc("ibkr_tray_authenticated",
		"1 when the session state is Authenticated.", nil, nil)
	descReady = prometheus.NewDesc("ibkr_tray_ready",
		"1 when a program may use the session now (authenticated, and checked recently; as /readyz).", nil, nil)
	descNeedsYou = prometheus.NewDesc("ibkr_tray_needs_you",
		"1 when nothing brings the session back without a person.", nil, nil)
	descLoginPaused = prometheus.NewDesc("ibkr_tray_login_paused",
		"1 when the failed-login cap stops automated logins, by the cap's cause.", []string{"cause"}, nil)
	descSSOExpires = prometheus.NewDesc("ibkr_tray_sso_expires_seconds",
		"Seconds until the SSO session ends, by the gateway's count (absent when unknown).", nil, nil)
)

// stateCollector reads the gauges from the runner's status at each
// scrape, so they are never stale.
type stateCollector struct {
	status func() Status
	now    func() time.Time
}

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSessionState, descGatewayState, descSessionCause, descAuthenticated, descReady, descNeedsYou, descLoginPaused, descSSOExpires} {
		ch <- d
	}
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	st, now := c.status(), c.now()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for s := session.GatewayDown; s <= session.WaitingForApproval; s++ {
		gauge(descSessionState, one(st.Session.State == s), s.String())
	}
	for s := gateway.Stopped; s <= gateway.Failed; s++ {
		gauge(descGatewayState, one(st.Gateway.State == s), s.String())
	}
	if st.Session.Cause != session.CauseNone {
		gauge(descSessionCause, 1, string(st.Session.Cause))
	}
	gauge(descAuthenticated, one(st.Session.State == session.Authenticated))
	gauge(descReady, one(st.Session.Ready(now)))
	gauge(descNeedsYou, one(st.Session.NeedsYou))
	for _, cause := range []session.Cause{session.CauseCapInRow, session.CauseCapPerDay, session.CauseCapUnreadable} {
		gauge(descLoginPaused, one(st.Session.Latches.CapTripped == cause), string(cause))
	}
	if !st.Session.SSOExpires.IsZero() {
		gauge(descSSOExpires, max(st.Session.SSOExpires.Sub(now).Seconds(), 0))
	}
}

func one(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
