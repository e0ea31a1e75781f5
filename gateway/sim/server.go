package sim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Server is one simulated gateway. Its methods are safe from any goroutine.
type Server struct {
	o       Options
	clock   *clock
	reset   *dailyAt
	users   users
	handler http.Handler

	// mu guards the session model, the login flow, counters and faults.
	mu            sync.Mutex
	sess          *session
	logins        int                 // successful logins so far
	failed        map[string]int      // username -> failed logins in a row
	locked        map[string]bool     // username -> locked
	lastStep      map[string]int64    // username -> TOTP step of the last accepted code
	attempts      map[string]*attempt // login attempts waiting for their second factor
	tokens        map[string]*attempt // passed logins waiting for the Dispatcher post
	hits          map[string]int      // "METHOD /path" -> requests received
	limiter       *rateLimiter
	refusedLogins int // logins while the refuse-brokerage fault held

	// IB Key (ibkey.go): the newest pushes, their counts, the promotion.
	pushes                                                  []*push
	pushesSent, pushesApproved, pushesDenied, pushesExpired int
	promo                                                   bool
	promosShown, promosSkipped                              int

	// The lasting faults (see outages.go, brokeragefaults.go); times are
	// simulated.
	failStatus    int    // error fault: answer this status ...
	failWin       window // ... while this lasts
	flap          flapping
	hangEnd       chan struct{} // closed when the hang ends; nil: no hang
	hangTimer     *time.Timer
	hangUntil     time.Time
	refusing      window        // refuse-brokerage
	lateBy        time.Duration // brokerage-late: 0 means none
	validateFalse window

	closed       bool
	httpSrv      *http.Server
	listener     net.Listener
	url          string
	cert         *x509.Certificate
	closeOnce    sync.Once
	closeErr     error
	closeStarted chan struct{}
}

// New makes a simulator from o. It listens nowhere: use Handler, or Start.
func New(o Options) (*Server, error) {
	o = o.withFallbacks()
	if o.PageVersion != PageCurrent && o.PageVersion != Page2022 {
		return nil, fmt.Errorf("unknown login page version %q; use %q or %q", o.PageVersion, PageCurrent, Page2022)
	}
	reset, err := parseDailyAt(o.ResetAt, o.Location)
	if err != nil {
		return nil, err
	}
	us, err := newUsers(o.Accounts)
	if err != nil {
		return nil, err
	}
	s := &Server{
		o:            o,
		clock:        newClock(o.Now, o.Speed),
		reset:        reset,
		users:        us,
		failed:       map[string]int{},
		locked:       map[string]bool{},
		lastStep:     map[string]int64{},
		attempts:     map[string]*attempt{},
		tokens:       map[string]*attempt{},
		hits:         map[string]int{},
		limiter:      newRateLimiter(),
		closeStarted: make(chan struct{}),
	}
	if s.o.Exit == nil {
		s.o.Exit = func(int) { go s.Close() }
	}
	s.handler = s.routes()
	if o.RefuseBrokerage {
		s.refusing = window{on: true}
	}
	s.promo = o.IBKeyPromo
	if o.Authenticated {
		if u := us.find(firstLive(o.Accounts)); u != nil {
			s.mu.Lock()
			s.startSession(u, u.Paper, s.clock.now(), 0)
			s.mu.Unlock()
		}
	}
	return s, nil
}

// Start makes a simulator and serves it on addr ("127.0.0.1:0" picks a free
// port) over HTTPS with a fresh self-signed certificate (plain HTTP with
// o.PlainHTTP), in the background until ctx ends or Close.
func Start(ctx context.Context, addr string, o Options) (*Server, error) {
	s, err := New(o)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("the simulator cannot listen on %s (is another gateway running there?): %w", addr, err)
	}
	scheme := "http"
	s.httpSrv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.o.Logger.Handler(), slog.LevelDebug),
	}
	s.listener = ln
	if !s.o.PlainHTTP {
		cert, leaf, err := s.certificate()
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("the simulator could not make its certificate: %w", err)
		}
		s.cert = leaf
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
		s.listener = tls.NewListener(newTLSOnlyListener(ln), cfg)
		scheme = "https"
	}
	s.url = fmt.Sprintf("%s://%s", scheme, ln.Addr().String())
	go func() {
		if err := s.httpSrv.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.o.Logger.Error("the simulator stopped serving", "err", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.closeStarted:
		}
	}()
	s.o.Logger.Debug("simulator listening", "url", s.url)
	return s, nil
}

// Handler is the whole gateway, /sim/* fault controls included.
func (s *Server) Handler() http.Handler { return s.handler }

// URL is the base URL, e.g. "https://127.0.0.1:5000"; "" before Start.
func (s *Server) URL() string { return s.url }

// Port is the port Start listens on; 0 before Start.
func (s *Server) Port() int {
	if s.listener == nil {
		return 0
	}
	return s.listener.Addr().(*net.TCPAddr).Port
}

// certificate is Options.Certificate, or a fresh self-signed one.
func (s *Server) certificate() (tls.Certificate, *x509.Certificate, error) {
	if c := s.o.Certificate; c != nil {
		leaf := c.Leaf
		if leaf == nil {
			var err error
			if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
				return tls.Certificate{}, nil, err
			}
		}
		return *c, leaf, nil
	}
	return newCertificate(s.o.Now(), s.o.ExpiredCert)
}

// Certificate is the certificate served (the keystore's, or the
// self-signed one Start made); nil for plain HTTP.
func (s *Server) Certificate() *x509.Certificate { return s.cert }

// Done is closed when Close starts (also by the crash fault).
func (s *Server) Done() <-chan struct{} { return s.closeStarted }

// Close stops serving at once, dropping open connections, and ends a hang.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closeStarted)
		s.mu.Lock()
		s.closed = true
		s.endHangLocked()
		s.mu.Unlock()
		if s.httpSrv != nil {
			s.closeErr = s.httpSrv.Close()
		}
	})
	return s.closeErr
}

// routes is the gateway's URL space.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleRoot)
	mux.HandleFunc("GET /demo", s.handleDemo)
	mux.HandleFunc("GET /demo/", s.handleDemo)
	mux.Handle("/sso/", s.upstream(s.loginRoutes()))
	for _, base := range []string{"/v1/api", "/v1/portal"} {
		mux.Handle(base+"/", s.upstream(http.StripPrefix(base, s.apiRoutes())))
	}
	mux.Handle("/sim/", s.simRoutes())
	return s.guard(mux)
}

// guard refuses non-loopback callers like the real ips.allow (404 "Access
// Denied"), counts hits and logs one line per request.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		if !fromLoopback(r.RemoteAddr) {
			rec.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rec.WriteHeader(http.StatusNotFound)
			io.WriteString(rec, "Access Denied")
			s.o.Logger.Debug("request", "method", r.Method, "path", r.URL.Path, "from", r.RemoteAddr, "status", rec.status)
			return
		}
		if r.URL.Path != "/sim/state" {
			s.mu.Lock()
			s.hits[r.Method+" "+r.URL.Path]++
			s.mu.Unlock()
		}
		next.ServeHTTP(rec, r)
		s.o.Logger.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "took", time.Since(start).Round(time.Microsecond))
	})
}

func fromLoopback(remoteAddr string) bool {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	return ap.Addr().Unmap().IsLoopback()
}

// upstream wraps what the real gateway forwards to IBKR (/sso, /v1/api):
// the hang, error and flap-503 faults apply there, not to "/".
func (s *Server) upstream(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		hang := s.hangEnd
		s.mu.Unlock()
		if hang != nil {
			select {
			case <-hang:
			case <-r.Context().Done():
				return // the client gave up, as it must with the real gateway
			}
		}
		s.mu.Lock()
		status := s.outageStatus(s.clock.now())
		s.mu.Unlock()
		if status != 0 {
			http.Error(w, http.StatusText(status), status)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/sso/Login?forwardTo=22&RL=1&ip2loc="+s.o.IP2Loc, http.StatusFound)
}

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Flush lets the crash fault push its answer out before exiting.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
