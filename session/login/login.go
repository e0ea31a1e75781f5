// Package login logs in to the Client Portal Gateway the way a person
// does: in a real (headless) Chromium, through the login page the gateway
// serves, answering the second factor with a TOTP code or by waiting for
// the user to approve an IB Key notification on the phone.
package login

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// Attempt is one browser login.
type Attempt struct {
	// GatewayURL is the gateway, e.g. "https://localhost:5000"; the login
	// page is GatewayURL + "/".
	GatewayURL string
	// AllowRemote lets GatewayURL name a host other than this computer.
	// The browser then checks the gateway's certificate; for loopback it
	// cannot (the gateway's own certificate is self-signed and expired), so
	// it accepts the key the gateway presents, and no other.
	AllowRemote bool

	Username, Password string
	Paper              bool
	// TOTPSecret is "" when the user has no authenticator-app second factor.
	TOTPSecret string
	// UsedStep is the TOTP step already used (0 = none): a code of this
	// step or earlier is never sent, the next step is waited for instead.
	UsedStep int64

	// SecondFactor chooses the device that answers IBKR's second factor
	// (FactorAuto: the authenticator app when TOTPSecret is set, else IB
	// Key when the page offers it).
	SecondFactor SecondFactor
	// ApprovalWait bounds the wait for the user's tap on an IB Key
	// notification (0 = DefaultApprovalWait).
	ApprovalWait time.Duration
	// OnApproval is called once IBKR has sent the IB Key notification;
	// until is when the login stops waiting for the tap. It must not block.
	OnApproval func(until time.Time)

	// Selectors are tried in order; nil = DefaultSelectors().
	Selectors []SelectorSet
	// Browser is the Chromium or Chrome executable; "" = FindBrowser.
	Browser string
	// Visible shows the browser window (for diagnosing a login).
	Visible bool
	// DiagnosticsDir keeps a screenshot and the page's HTML (form fields
	// blanked) of failed logins, the last 10; "" = none.
	DiagnosticsDir string
	// Timeout bounds the whole login when ctx has no deadline (0 =
	// DefaultTimeout, plus ApprovalWait when IB Key may answer).
	Timeout time.Duration

	// Now is the clock (nil = time.Now); Sleep waits for a TOTP step
	// (nil = a timer). Tests give both to skip the waits.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger gets progress at DEBUG, never a secret (nil = slog.Default()).
	Logger *slog.Logger

	// formWait overrides defaultFormWait (tests).
	formWait time.Duration
}

// DefaultTimeout bounds a login: a browser start, up to one TOTP step of
// waiting, and the gateway's answers.
const DefaultTimeout = 2 * time.Minute

// defaultFormWait is how long a loaded page may take to show a form we
// know before we call it changed.
const defaultFormWait = 20 * time.Second

// Result is a login that succeeded.
type Result struct {
	// Step is the TOTP step of the code sent (0 if none was needed).
	Step int64
	// PageVersion is the selector set that matched.
	PageVersion string
	// Took is the time from the start of Run, browser start included.
	Took time.Duration
	// Factor is the second factor that answered ("" when none was asked).
	Factor SecondFactor
}

// Run logs in. It returns a *Error (KindOf tells why) when the login fails.
func Run(ctx context.Context, a Attempt) (Result, error) {
	a = a.withDefaults()
	start := time.Now()
	log := a.Logger.With("gateway", a.GatewayURL, "paper", a.Paper)

	pageURL, insecure, err := loginURL(a.GatewayURL, a.AllowRemote)
	if err != nil {
		return Result{}, err
	}
	// Refuse what can only fail before IBKR counts a failed login.
	if a.Username == "" || a.Password == "" {
		return Result{}, &Error{Kind: BadCredentials, Msg: "No username or password is stored for the automated login; store them with `ibkr-tray secrets set`."}
	}
	if _, err := ParseSecondFactor(string(a.SecondFactor)); err != nil {
		return Result{}, &Error{Kind: Unknown, Msg: "The " + err.Error() + "; choose one in the settings."}
	}
	if _, err := NormalizeSecret(a.TOTPSecret); err != nil {
		return Result{}, &Error{Kind: BadCode, Msg: "The stored " + err.Error() + "; store it again with `ibkr-tray secrets set`."}
	}
	exe, err := browserPath(a.Browser)
	if err != nil {
		return Result{}, err
	}
	sets := a.Selectors
	if len(sets) == 0 {
		sets = DefaultSelectors()
	}
	if err := ctx.Err(); err != nil {
		return Result{}, (&flow{}).asError(ctx, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.Timeout)
		defer cancel()
	}

	trustKey := ""
	if insecure {
		if trustKey, err = gatewayKey(ctx, pageURL); err != nil {
			return Result{}, err
		}
	}
	b, err := startBrowser(ctx, exe, trustKey, a.Visible, log)
	if err != nil {
		return Result{}, err
	}
	defer b.close()
	log.Debug("login: browser started", "browser", exe, "took", time.Since(start))

	// Steps run in the browser's context, stopped when ctx ends; the
	// browser itself outlives ctx so a failure can still be photographed.
	steps, stop := context.WithCancel(b.ctx)
	defer stop()
	defer context.AfterFunc(ctx, stop)()

	f := &flow{a: a, sets: sets, log: log}
	f.deadline, _ = ctx.Deadline()
	res, err := f.run(steps, pageURL)
	res.Took = time.Since(start)
	if err == nil {
		log.Debug("login: succeeded", "page", res.PageVersion, "took", res.Took)
		return res, nil
	}
	lerr := f.asError(ctx, err)
	if !errors.Is(ctx.Err(), context.Canceled) { // a cancel is the caller's choice, not a failure
		lerr.Diagnostics = saveDiagnostics(b.ctx, a, lerr.Kind, log)
	}
	return res, lerr
}

func (a Attempt) withDefaults() Attempt {
	if a.Now == nil {
		a.Now = time.Now
	}
	if a.Sleep == nil {
		a.Sleep = sleepCtx
	}
	if a.Logger == nil {
		a.Logger = slog.Default()
	}
	if f, err := ParseSecondFactor(string(a.SecondFactor)); err == nil {
		a.SecondFactor = f // "auto", "IBKey": the constants (Run refuses the rest)
	}
	if a.ApprovalWait <= 0 {
		a.ApprovalWait = DefaultApprovalWait
	}
	if a.Timeout <= 0 {
		a.Timeout = DefaultTimeout
		if a.mayUseIBKey() {
			a.Timeout += a.ApprovalWait
		}
	}
	if a.formWait <= 0 {
		a.formWait = defaultFormWait
	}
	return a
}

// loginURL checks the gateway address. insecure says the browser may
// skip the usual certificate check, for the gateway's own key: only on
// this computer.
func loginURL(gateway string, allowRemote bool) (page string, insecure bool, err error) {
	u, err := url.Parse(gateway)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", false, &Error{Kind: Unknown, Msg: fmt.Sprintf(
			"The gateway address %q is not an http(s) URL such as https://localhost:5000; fix it in the settings.", gateway)}
	}
	loop := isLoopback(u.Hostname())
	if !loop && !allowRemote {
		return "", false, &Error{Kind: Unknown, Msg: fmt.Sprintf(
			"The gateway address %s is not on this computer; the login browser accepts the gateway's own self-signed certificate only on this computer. Allow a remote gateway in the settings if you mean it.", gateway)}
	}
	u.Path = "/"
	u.RawQuery, u.Fragment = "", ""
	return u.String(), loop, nil
}

// isLoopback: "localhost" or a loopback address; names are not looked up.
func isLoopback(host string) bool {
	host = strings.TrimSuffix(host, ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

// flow walks the login page. It remembers what it has done so the error
// can say which step failed.
type flow struct {
	a    Attempt
	sets []SelectorSet
	log  *slog.Logger

	set      *SelectorSet
	step     int64 // TOTP step of the code sent
	codeSent bool
	last     probe // the page's last known state

	deadline  time.Time    // the whole login's, for the approval wait
	pushSeen  bool         // the IB Key notification was sent (OnApproval called)
	answered  SecondFactor // what answered the second factor
	promos    int          // clicks on the promotion's skip link
	lastPromo time.Time
}

func (f *flow) run(ctx context.Context, pageURL string) (Result, error) {
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		return Result{}, fmt.Errorf("open the login page: %w", err)
	}
	if err := f.findForm(ctx); err != nil {
		return Result{}, err
	}
	if f.last.State == stateSuccess {
		return Result{PageVersion: "none (already logged in)"}, nil
	}
	if err := f.fillForm(ctx); err != nil {
		return Result{}, err
	}
	if err := f.answer(ctx); err != nil {
		return Result{}, err
	}
	return Result{Step: f.step, PageVersion: f.set.Version, Factor: f.answered}, nil
}

// findForm waits until one selector set's username field shows.
func (f *flow) findForm(ctx context.Context) error {
	var loadedAt time.Time
	p, err := waitFor(ctx, fmt.Sprintf(findSetJS, jsArg(f.sets)), func(p probe) bool {
		if p.Set >= 0 || p.State == stateSuccess {
			return true
		}
		// A page that has loaded but shows no known form for formWait has
		// changed (the real page renders its form within a second or two).
		if p.Ready && loadedAt.IsZero() {
			loadedAt = time.Now()
		}
		return !loadedAt.IsZero() && time.Since(loadedAt) > f.a.formWait
	})
	f.last = p
	if err != nil {
		return err
	}
	if p.State == stateSuccess {
		return nil
	}
	if p.Set < 0 {
		return &Error{Kind: PageChanged}
	}
	f.set = &f.sets[p.Set]
	f.log.Debug("login: form shown", "page", f.set.Version)
	return nil
}

// fillForm sets the paper switch, types the credentials and submits.
func (f *flow) fillForm(ctx context.Context) error {
	s := f.set
	if err := f.setPaper(ctx); err != nil {
		return err
	}
	if err := f.typeInto(ctx, s.Username, f.a.Username); err != nil {
		return fmt.Errorf("type the username: %w", err)
	}
	if err := f.typeInto(ctx, s.Password, f.a.Password); err != nil {
		return fmt.Errorf("type the password: %w", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(s.Submit))); err != nil {
		return fmt.Errorf("press the login button: %w", err)
	}
	f.log.Debug("login: credentials submitted")
	return nil
}

// setPaper clicks the paper/live switch when it differs from a.Paper.
func (f *flow) setPaper(ctx context.Context) error {
	s := f.set
	on, err := chromedp.Run(ctx, chromedp.Evaluate[*bool](fmt.Sprintf(paperJS, jsArg(s.PaperSwitch))))
	if err != nil {
		return fmt.Errorf("read the paper switch: %w", err)
	}
	if on == nil {
		if f.a.Paper {
			return &Error{Kind: PageChanged, Msg: "The login page has no paper-trading switch this app can find, so it cannot log in in paper mode; log in by hand, or update the login selectors in the settings."}
		}
		return nil
	}
	if *on == f.a.Paper {
		return nil
	}
	toggle := s.PaperToggle
	if toggle == "" {
		toggle = s.PaperSwitch
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(toggle))); err != nil {
		return fmt.Errorf("click the paper switch: %w", err)
	}
	on, err = chromedp.Run(ctx, chromedp.Evaluate[*bool](fmt.Sprintf(paperJS, jsArg(s.PaperSwitch))))
	if err != nil || on == nil || *on != f.a.Paper {
		return &Error{Kind: PageChanged, Msg: "Clicking the login page's paper-trading switch did not change it; log in by hand, or update the login selectors in the settings.", Err: err}
	}
	f.log.Debug("login: paper switch set", "paper", f.a.Paper)
	return nil
}

// typeInto types text with key events sent over the DevTools protocol, so
// it never appears on a command line or in an environment.
func (f *flow) typeInto(ctx context.Context, sel, text string) error {
	return chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(clearJS, jsArg(sel))),
		chromedp.SendKeys(chromedp.CSS(sel), text),
	)
}

// answer follows the page after the credentials went in: device picker,
// security code or IB Key push, the IB Key promotion, then success or an
// error text.
func (f *flow) answer(ctx context.Context) error {
	s := f.set
	picked := false
	script := fmt.Sprintf(probeJS, jsArg(s))
	var next *probe // a state already seen, to act on without waiting again
	for range 10 {  // form -> picker -> code or push -> promo -> success, with room to spare
		var p probe
		if next != nil {
			p, next = *next, nil
		} else {
			var err error
			p, err = waitFor(ctx, script, func(p probe) bool {
				switch p.State {
				case stateSuccess, stateError:
					return true
				case statePicker:
					return !picked
				case stateCode:
					return !f.codeSent
				case statePush:
					return !f.pushSeen
				case statePromo:
					return f.promoAgain()
				}
				return false
			})
			f.last = p
			if err != nil {
				return err
			}
		}
		switch p.State {
		case stateSuccess:
			return nil
		case stateError:
			kind := classify(p.Text, f.codeSent)
			if f.pushSeen && !f.codeSent {
				kind = classifyPush(p.Text)
			}
			return &Error{Kind: kind, PageText: p.Text}
		case statePromo:
			if err := f.skipPromo(ctx); err != nil {
				return err
			}
		case statePicker:
			if err := f.pickDevice(ctx); err != nil {
				return err
			}
			picked = true
		case stateCode:
			if err := f.codeAllowed(); err != nil {
				return err
			}
			if err := f.sendCode(ctx); err != nil {
				return err
			}
		case statePush:
			q, err := f.awaitApproval(ctx, script)
			if err != nil {
				return err
			}
			next = &q
		}
	}
	return &Error{Kind: Unknown, Msg: "The login page went round in circles without an answer."}
}

func (f *flow) sendCode(ctx context.Context) error {
	s := f.set
	if f.a.TOTPSecret == "" {
		return &Error{Kind: BadCode, Msg: "IBKR asks for a security code, and no TOTP secret is stored for this profile; store the authenticator app's activation code with `ibkr-tray secrets set`, or log in by hand."}
	}
	code, step, err := freshCode(ctx, f.a.TOTPSecret, f.a.Now, f.a.Sleep, f.a.UsedStep)
	if err != nil {
		return err
	}
	f.step = step // from now on the step counts as used, whatever happens
	f.log.Debug("login: sending a security code", "step", step)
	if err := f.typeInto(ctx, s.Code, code); err != nil {
		return fmt.Errorf("type the security code: %w", err)
	}
	submit := s.CodeSubmit
	if submit == "" {
		submit = s.Submit
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(submit))); err != nil {
		return fmt.Errorf("send the security code: %w", err)
	}
	f.codeSent = true
	f.answered = FactorTOTP
	return nil
}

// asError turns whatever stopped the flow into an *Error. ctx is the
// caller's context: its end means a timeout, or a cancel.
func (f *flow) asError(ctx context.Context, err error) *Error {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Kind: Unknown, Err: err}
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			e.Kind, e.Err = Timeout, nil
			if f.last.State != "" {
				e.Msg = fmt.Sprintf("The login did not finish in time; the page was last at the %s step. The gateway or IBKR may be slow; it will be tried again.", f.last.State)
			}
		case errors.Is(ctx.Err(), context.Canceled):
			e.Msg, e.Err = "The login was canceled.", context.Canceled
		}
	}
	if e.Step == 0 {
		e.Step = f.step
	}
	return e
}

// browser is a started Chromium with its throw-away profile.
type browser struct {
	ctx         context.Context // the tab's context
	tabCancel   func()
	allocCancel func()
	profile     string
	once        sync.Once
}

// close stops the browser and removes its profile (once; safe to repeat).
func (b *browser) close() { b.once.Do(b.stop) }

func (b *browser) stop() {
	// The tab's cancel waits for a browser to exit, and for ever when none
	// was started (chromedp v0.23), so it runs only when one was.
	if c := chromedp.FromContext(b.ctx); c != nil && c.Browser != nil {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		_ = chromedp.Cancel(ctx) // closes the browser gracefully, waits for it
		cancel()
		b.tabCancel()
	}
	b.allocCancel()
	if err := os.RemoveAll(b.profile); err != nil {
		slog.Warn("login: cannot remove the browser's temporary profile", "dir", b.profile, "err", err)
	}
}
