package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Config says which gateway to supervise and how patiently. Zero values
// take the defaults given on each field.
type Config struct {
	// Dir is the distribution folder (the unzipped clientportal.gw, or a
	// folder from `ibkr-tray sim dist`).
	Dir string
	// Port overrides listenPort (0 = as in conf.yaml). With another port the
	// gateway runs with root/conf.ibkr-tray.yaml, a copy of conf.yaml that
	// changes only listenPort.
	Port int
	// Profile names the app's profile: a profile other than the default
	// writes its copy of conf.yaml as root/conf.ibkr-tray-PROFILE.yaml
	// (OverlayName), so profiles sharing one folder keep theirs apart.
	Profile string
	// LocalTLS makes the gateway serve the local CA's certificate: the
	// keystore that `ibkr-tray tls setup` wrote and named, with its
	// password, in root/conf.ibkr-tray.yaml. The gateway then always runs
	// with that copy of conf.yaml (docs/headless.md, "Verified TLS").
	LocalTLS bool
	// ReadyTimeout is how long a start may take until GET / answers (60s).
	ReadyTimeout time.Duration
	// StateDir holds RecordFile, naming the gateway started, so that the
	// next start after the app was killed takes it back ("" = no record).
	StateDir string
	// LogFile receives the gateway's output, rotated at 5 MiB keeping 3
	// old files ("" = no file).
	LogFile string
	// Logger gets state changes, and the gateway's output through a
	// "gateway" sub-logger (slog.Default()).
	Logger *slog.Logger
	// Env is added to the gateway's environment (a copy of the app's,
	// without variables whose names suggest secrets).
	Env []string

	// Backoff is the wait between failed starts (1s doubling to 60s, 10% jitter).
	Backoff Backoff
	// FailureWindow and FailureLimit: this many failures within the window
	// and the supervisor gives up until the user asks for a restart (10m, 5).
	FailureWindow time.Duration
	FailureLimit  int
	// HealthInterval is how often a running gateway is asked GET / (5s);
	// HealthTimeout how long it may take to answer (3s); HangChecks how many
	// unanswered checks in a row make it hung, to be restarted (3).
	HealthInterval time.Duration
	HealthTimeout  time.Duration
	HangChecks     int
	// PollInterval is how often a starting gateway is asked GET / (25ms).
	PollInterval time.Duration
	// StopWait is how long the gateway may take to stop after SIGTERM
	// before it is killed (10s).
	StopWait time.Duration
	// OutputLines is how many recent lines of output are kept (500).
	OutputLines int
	// Clock times the back-off and counts failures (the real clock).
	Clock Clock
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ReadyTimeout, 60*time.Second)
	def(&c.FailureWindow, 10*time.Minute)
	def(&c.HealthInterval, 5*time.Second)
	def(&c.HealthTimeout, 3*time.Second)
	def(&c.PollInterval, 25*time.Millisecond)
	def(&c.StopWait, 10*time.Second)
	if c.Backoff == (Backoff{}) {
		c.Backoff = DefaultBackoff()
	}
	if c.FailureLimit <= 0 {
		c.FailureLimit = 5
	}
	if c.HangChecks <= 0 {
		c.HangChecks = 3
	}
	if c.OutputLines <= 0 {
		c.OutputLines = 500
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	return c
}

// Clock is the time source of the back-off waits and the failure count,
// so tests of minutes-long waits run in milliseconds.
type Clock interface {
	Now() time.Time
	// After is like time.After; stop releases the timer.
	After(d time.Duration) (ch <-chan time.Time, stop func())
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// Supervisor keeps one gateway running: it checks the distribution,
// adopts a gateway already serving the port, else starts one, restarts it
// with back-off when it dies or hangs, and stops it when Run ends. One
// goroutine (Run's) owns the process; others read Status snapshots and
// send commands.
type Supervisor struct {
	cfg     Config
	dist    Dist
	java    Java
	log     *slog.Logger // state changes
	outLog  *slog.Logger // the gateway's output
	probe   *prober
	output  *ring
	restart chan struct{} // Restart requests, capacity 1

	mu     sync.Mutex // guards status and subs
	status Status
	subs   map[chan struct{}]struct{}

	// Owned by Run's goroutine.
	failures Failures
	file     *rotatingFile
	outputs  sync.WaitGroup // readers of the gateway's output

	portSetting  atomic.Int64 // Config.Port, or SetPort's
	healthChecks atomic.Int64 // GET / checks of a running gateway done (for tests)
}

// NewSupervisor checks the distribution (and Java, unless it is the
// simulator) and returns a supervisor that has not started anything yet.
// Errors are sentences for the user.
func NewSupervisor(c Config) (*Supervisor, error) {
	c = c.withDefaults()
	if c.Port < 0 || c.Port > 65535 {
		return nil, fmt.Errorf("port %d is not a TCP port; choose one from 1024 to 65535", c.Port)
	}
	d, err := CheckDist(c.Dir)
	if err != nil {
		return nil, err
	}
	s := &Supervisor{
		cfg:     c,
		dist:    d,
		log:     c.Logger,
		outLog:  c.Logger.With(slog.String("logger", "gateway")),
		probe:   newProber(),
		output:  newRing(c.OutputLines),
		restart: make(chan struct{}, 1),
		subs:    map[chan struct{}]struct{}{},
		failures: Failures{
			Window: c.FailureWindow,
			Limit:  c.FailureLimit,
		},
	}
	if !d.Simulator {
		if s.java, err = FindJava(); err != nil {
			return nil, err
		}
		s.log.Info("found Java for the gateway", "java", s.java.Path, "version", s.java.Version)
	}
	s.portSetting.Store(int64(c.Port))
	port := s.port()
	s.status = Status{
		State:     Stopped,
		Since:     c.Clock.Now(),
		Dir:       d.Dir,
		Port:      port,
		URL:       gatewayURL(d.Scheme(), port),
		Simulator: d.Simulator,
	}
	return s, nil
}

// port is the port the gateway is run on: the port setting, else
// listenPort in conf.yaml as last read.
func (s *Supervisor) port() int {
	if p := s.portSetting.Load(); p != 0 {
		return int(p)
	}
	return s.dist.Port
}

// SetPort changes the port setting (0 = listenPort in conf.yaml) for the
// next start; Restart applies it now. Status.URL follows once the gateway
// runs there.
func (s *Supervisor) SetPort(port int) error {
	if port < 0 || port > 65535 {
		return fmt.Errorf("port %d is not a TCP port; choose one from 1024 to 65535", port)
	}
	s.portSetting.Store(int64(port))
	return nil
}

// gatewayURL is the address clients use: https://localhost:PORT.
func gatewayURL(scheme string, port int) string {
	return scheme + "://localhost:" + strconv.Itoa(port)
}

// Dist is the checked distribution.
func (s *Supervisor) Dist() Dist { return s.dist }

// Java is the Java runtime found for a real distribution (zero for the
// simulator).
func (s *Supervisor) Java() Java { return s.java }

// URL is where the gateway answers: https://localhost:PORT, for the port
// of the latest start (conf.yaml and the port setting are read again at
// each start).
func (s *Supervisor) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status.URL
}

// Status returns a snapshot of the supervisor.
func (s *Supervisor) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.LastLines = append([]string(nil), st.LastLines...)
	return st
}

// Subscribe returns a channel that is woken (capacity 1, never blocking
// the supervisor) after each change, and at once. Call the func to stop.
func (s *Supervisor) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	ch <- struct{}{}
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}
}

// Restart asks for the gateway to be stopped and started again, and
// clears Failed. It does not block. An adopted gateway is not ours to
// restart: the port is only checked again.
func (s *Supervisor) Restart() {
	select {
	case s.restart <- struct{}{}:
	default:
	}
}

// Output returns the recent lines of the gateway's output, oldest first.
func (s *Supervisor) Output() []string { return s.output.last(0) }

// update changes the status under the lock and wakes subscribers. A
// change of State also sets Since and is logged.
func (s *Supervisor) update(f func(st *Status)) {
	s.mu.Lock()
	old := s.status
	f(&s.status)
	st := s.status
	if st.State != old.State {
		s.status.Since = s.cfg.Clock.Now()
		st = s.status
	}
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
	if st.State != old.State || st.Reason != old.Reason {
		s.logState(st)
	}
}

func (s *Supervisor) logState(st Status) {
	attrs := []any{"state", st.State, "port", st.Port}
	if st.PID != 0 {
		attrs = append(attrs, "pid", st.PID)
	}
	if st.Reason != "" {
		attrs = append(attrs, "reason", st.Reason)
	}
	switch st.State {
	case Failed:
		s.log.Error("gateway failed", attrs...)
	case Unresponsive, Restarting:
		s.log.Warn("gateway "+st.State.String(), attrs...)
	default:
		s.log.Info("gateway "+st.State.String(), attrs...)
	}
}

// needsUser is a problem the supervisor cannot fix by retrying (a missing
// folder, no Java, a port taken by another program): it reports Failed at
// once and waits for Restart.
type needsUser struct{ err error }

func (e needsUser) Error() string { return e.err.Error() }
func (e needsUser) Unwrap() error { return e.err }

var (
	errRestartRequested = errors.New("restart requested")
	errAdoptedGone      = errors.New("the gateway that was already running has stopped")
)
