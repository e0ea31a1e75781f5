package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// Session is the session keeper as the runner drives it; *session.Keeper
// implements it, tests use a fake.
type Session interface {
	Run(ctx context.Context) error
	Status() session.Status
	Subscribe() (<-chan struct{}, func())
	Login()
	Logout()
	SelectAccount(id string)
	// CheckNow is called when the gateway has (re)started or gone.
	CheckNow()
	// ResetLoginCap is RetryLogin (it no longer clears any count).
	ResetLoginCap()
	// RetryLogin acknowledges the in-a-row cap: one automated attempt.
	RetryLogin()
	// LoginInBrowser opens the login page in the user's browser and waits.
	LoginInBrowser()
	// CancelLogin stops waiting for a manual login.
	CancelLogin()
	// CredentialsChanged says the stored credentials changed.
	CredentialsChanged()
	// GatewayChanged passes the supervisor's view on.
	GatewayChanged(g session.GatewayFacts)
	// Reconfigure applies changed settings.
	Reconfigure(s session.Settings)
}

// Options are what a runner is made from.
type Options struct {
	Config config.Config
	Paths  config.Paths
	Logger *slog.Logger // slog.Default() when nil
	// Session replaces the session keeper New would build (tests).
	Session Session
	// Credentials replaces the store the settings name (the OS keyring, or
	// secretsFile): the demo holds its made-up credentials in memory.
	Credentials secrets.Store
	// Demo marks the status as the demo mode's.
	Demo bool
	// Gateway, when set, adjusts the supervisor's settings before it is
	// made (tests shorten waits and add environment variables).
	Gateway func(*gateway.Config)
	// Keeper, when set, adjusts the keeper's settings before it is made
	// (tests shorten waits and watch the logins).
	Keeper func(*session.KeeperOptions)
}

// Runner runs the gateway supervisor and the session keeper, and serves
// their state on a loopback endpoint and their status and commands on the
// user's control socket. The tray and the headless mode both
// use one. It never imports Fyne.
type Runner struct {
	opts       Options // as made: Reconfigure compares with opts.Config
	log        *slog.Logger
	supervisor *gateway.Supervisor
	session    Session
	statusAddr string
	// brokerageWait is the keeper's LoginWait as made (0: its default).
	brokerageWait time.Duration
	// background runs beside the supervisor and the keeper until Run's
	// context ends (the demo's fault injector, the watcher of observe.go).
	background []func(ctx context.Context)
	metrics    *metrics   // GET /metrics
	demoPhone  *demoPhone // the demo simulator's IB Key phone (nil: not a demo)

	listening   chan struct{} // closed once the status endpoint listens
	addr        atomic.Value  // string: the endpoint's bound address
	supervising atomic.Bool   // the supervisor's goroutine runs (for /livez)
	started     atomic.Bool   // Run was called
	done        chan struct{} // closed when Run returns

	mu   sync.Mutex // guards subs
	subs map[chan struct{}]struct{}
}

// New checks the settings and the gateway distribution and makes a
// runner; nothing runs until Run. Errors are sentences for the user.
func New(o Options) (*Runner, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	addr, err := CheckStatusAddr(o.Config.StatusAddr)
	if err != nil {
		return nil, err
	}
	gc := gateway.Config{
		Dir:          o.Config.GatewayDir,
		Port:         o.Config.Port,
		Profile:      o.Paths.Profile,
		ReadyTimeout: time.Duration(o.Config.ReadyTimeout),
		LocalTLS:     o.Config.LocalCA,
		Logger:       o.Logger,
	}
	if o.Paths.StateDir != "" {
		gc.LogFile = o.Paths.GatewayLog()
		gc.StateDir = o.Paths.StateDir
	}
	if o.Gateway != nil {
		o.Gateway(&gc)
	}
	sup, err := gateway.NewSupervisor(gc)
	if err != nil {
		return nil, err
	}
	m := newMetrics()
	n, err := newNotifier(o.Config, o.Logger)
	if err != nil {
		return nil, err
	}
	sess := o.Session
	var wait time.Duration
	if sess == nil {
		k, w, err := newKeeper(o, sup.URL(), sup.Restart, m.wrapTransport)
		if err != nil {
			return nil, err
		}
		sess, wait = k, w
	}
	r := &Runner{
		opts:          o,
		log:           o.Logger,
		supervisor:    sup,
		session:       sess,
		statusAddr:    addr,
		brokerageWait: wait,
		listening:     make(chan struct{}),
		done:          make(chan struct{}),
		subs:          map[chan struct{}]struct{}{},
	}
	r.observe(m, n) // metrics, hooks and webhooks (observe.go)
	return r, nil
}

// CheckStatusAddr checks that the status endpoint's address is on
// loopback and not a gateway's usual port; "" gives the default.
func CheckStatusAddr(addr string) (string, error) {
	if addr == "" {
		addr = config.DefaultStatusAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("the status address %q is not host:port (for example %s)", addr, config.DefaultStatusAddr)
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return "", fmt.Errorf("the status address %s is not on loopback; the status endpoint answers without a password, so it only listens on 127.0.0.1, ::1 or localhost", addr)
		}
	}
	if port == "5000" || port == "5001" {
		return "", fmt.Errorf("the status address %s uses port %s, which gateways use; choose another, for example %s", addr, port, config.DefaultStatusAddr)
	}
	return addr, nil
}

// Supervisor is the gateway supervisor (for the tray's gateway window).
func (r *Runner) Supervisor() *gateway.Supervisor { return r.supervisor }

// Status returns a snapshot of the gateway and the session.
func (r *Runner) Status() Status {
	return Status{Gateway: r.supervisor.Status(), Session: r.session.Status(), Demo: r.opts.Demo, Profile: r.opts.Paths.Profile}
}

// Subscribe returns a channel woken (capacity 1, non-blocking) after each
// change of the gateway or the session, and at once. Call the func to stop.
func (r *Runner) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	ch <- struct{}{}
	r.mu.Lock()
	r.subs[ch] = struct{}{}
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		delete(r.subs, ch)
		r.mu.Unlock()
	}
}

func (r *Runner) notify() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ch := range r.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Output returns the recent lines of the gateway's output.
func (r *Runner) Output() []string { return r.supervisor.Output() }

// RestartGateway asks the supervisor to restart the gateway (and clears
// Failed). It does not block.
func (r *Runner) RestartGateway() { r.supervisor.Restart() }

// Login asks the keeper to log in. It does not block.
func (r *Runner) Login() { r.session.Login() }

// Logout asks the keeper to log out. It does not block.
func (r *Runner) Logout() { r.session.Logout() }

// SelectAccount asks the keeper to switch accounts. It does not block.
func (r *Runner) SelectAccount(id string) { r.session.SelectAccount(id) }

// ResetLoginCap is RetryLogin: one automated attempt past the in-a-row
// cap; no count is cleared. It does not block.
// New callers use RetryLogin.
func (r *Runner) ResetLoginCap() { r.session.RetryLogin() }

// RetryLogin acknowledges the in-a-row login cap and starts exactly one
// automated attempt. It does not block.
func (r *Runner) RetryLogin() { r.session.RetryLogin() }

// LoginInBrowser opens the gateway's login page in the user's browser and
// waits for their login. It does not block.
func (r *Runner) LoginInBrowser() { r.session.LoginInBrowser() }

// CancelLogin stops waiting for a manual login. It does not block.
func (r *Runner) CancelLogin() { r.session.CancelLogin() }

// CredentialsChanged tells the keeper the stored credentials changed. It
// does not block.
func (r *Runner) CredentialsChanged() { r.session.CredentialsChanged() }

// Listening is closed once Run's status endpoint listens; Addr is then
// its address.
func (r *Runner) Listening() <-chan struct{} { return r.listening }

// ControlSocket is the path of the control socket (commands and the
// detailed status, for this user only).
func (r *Runner) ControlSocket() string { return r.opts.Paths.ControlSocket }

// Addr is the status endpoint's address once it listens ("" before).
func (r *Runner) Addr() string {
	a, _ := r.addr.Load().(string)
	return a
}

// Start runs r in the background until ctx ends, and returns once its
// status endpoint listens, or Run's error when it could not start (the
// status address taken, say). Done then closes when it has stopped.
func (r *Runner) Start(ctx context.Context) error {
	early := make(chan error, 1)
	go func() {
		err := r.Run(ctx)
		select {
		case <-r.listening:
			if err != nil {
				r.log.Error("the gateway supervisor stopped", "err", err)
			}
		default:
		}
		early <- err
	}()
	select {
	case <-r.listening:
		return nil
	case err := <-early:
		return err
	}
}

// Done is closed when Run has returned (the gateway is stopped by then).
func (r *Runner) Done() <-chan struct{} { return r.done }

// Run serves the status endpoint and runs the supervisor and the keeper
// until ctx ends; then it stops the gateway it started and returns. Call
// it once.
func (r *Runner) Run(ctx context.Context) error {
	if r.started.Swap(true) {
		return errors.New("the runner is already running")
	}
	defer close(r.done)
	l, err := net.Listen("tcp", r.statusAddr)
	if err != nil {
		return fmt.Errorf("the status endpoint cannot listen on %s (%v); is another copy of ibkr-tray running with another profile? Choose another address with --status-addr or statusAddr in the settings", r.statusAddr, err)
	}
	cl, err := listenControl(r.opts.Paths.ControlSocket)
	if err != nil {
		l.Close()
		return err
	}
	r.addr.Store(l.Addr().String())
	srv := &http.Server{Handler: r.publicHandler(), ReadHeaderTimeout: 5 * time.Second}
	ctl := &http.Server{Handler: r.controlHandler(), ReadHeaderTimeout: 5 * time.Second}
	close(r.listening)
	r.log.Info("status endpoint listening", "addr", "http://"+l.Addr().String(), "controlSocket", cl.Addr().String())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var supErr error
	// The supervisor is about to start the gateway: tell the keeper first,
	// so its first check does not call a starting gateway "not running".
	if r.followsSupervisor() {
		r.session.GatewayChanged(GatewayFacts(r.supervisor.Status()))
	}
	r.supervising.Store(true)
	// A panic in one of these stops the gateway before the process dies.
	wg.Go(func() {
		defer r.supervising.Store(false)
		supErr = r.supervisor.Run(ctx)
	})
	wg.Go(func() {
		defer gateway.StopOnPanic()
		if err := r.session.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			r.log.Error("the session keeper stopped", "err", err)
		}
	})
	for _, f := range r.background {
		wg.Go(func() {
			defer gateway.StopOnPanic()
			f(ctx)
		})
	}
	wg.Go(func() {
		defer gateway.StopOnPanic()
		r.relay(ctx)
	})
	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(l) }()
	go func() { serveErr <- ctl.Serve(cl) }()

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		r.log.Error("the status endpoint stopped", "err", err)
		cancel()
	}
	wg.Wait() // the gateway is stopped before the endpoint goes
	shut, done := context.WithTimeout(context.Background(), 2*time.Second)
	defer done()
	_ = srv.Shutdown(shut)
	_ = ctl.Shutdown(shut) // closing the listener removes the socket
	r.notify()
	return supErr
}

// relay wakes the runner's subscribers on every change of the supervisor
// or the keeper, and passes every change of the gateway on to the keeper
// (GatewayChanged), so the session's reason follows the supervisor's at
// once and never contradicts it. A gateway that has come up (or gone) is
// also checked at once rather than at the next tickle.
func (r *Runner) relay(ctx context.Context) {
	gw, unsubGW := r.supervisor.Subscribe()
	defer unsubGW()
	sess, unsubSess := r.session.Subscribe()
	defer unsubSess()
	wasUp := false
	var lastStart time.Time
	var lastFacts session.GatewayFacts
	sent := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-gw:
			st := r.supervisor.Status()
			if f := GatewayFacts(st); r.followsSupervisor() && (!sent || f != lastFacts) {
				r.session.GatewayChanged(f)
				lastFacts, sent = f, true
			}
			// A new gateway (or one that answers again): the session must be
			// checked now rather than at the next tickle.
			up := st.State.Up()
			if up && (!wasUp || !st.Started.Equal(lastStart)) {
				r.session.CheckNow()
			}
			// Gone (crashed, hung, stopped): the keeper finds the gateway
			// down on its check and says so, instead of a stale state.
			if !up && wasUp {
				r.session.CheckNow()
			}
			wasUp, lastStart = st.State.Up(), st.Started
		case <-sess:
		}
		r.notify()
	}
}

// followsSupervisor: the keeper talks to the supervised gateway. With a
// gatewayURL in the settings it talks to another one, whose state the
// supervisor does not know.
func (r *Runner) followsSupervisor() bool { return r.opts.Config.GatewayURL == "" }

// GatewayFacts is what the keeper needs of the supervisor's status. A
// supervisor not yet started (Stopped with no reason) is about to start
// the gateway: that is "starting", not "not running".
func GatewayFacts(st gateway.Status) session.GatewayFacts {
	f := session.GatewayFacts{Up: st.State.Up(), BaseURL: st.URL}
	switch st.State {
	case gateway.Starting, gateway.Restarting:
		f.Starting = true
	case gateway.Stopped:
		if st.Reason == "" {
			f.Starting = true
		} else {
			f.Problem = st.Reason
		}
	case gateway.Failed:
		f.Problem = st.Reason
		if f.Problem == "" {
			f.Problem = "the gateway failed; see the gateway window, then choose Restart"
		}
	}
	return f
}
