package runner

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// The demo runs under its own profile and status address, so it never
// touches a real instance's lock, state or endpoint.
const (
	DemoProfile    = "demo"
	DemoStatusAddr = "127.0.0.1:5481"
	// DemoUser is the simulated IBKR username; its password and TOTP
	// secret are made up at each start and held in memory only.
	DemoUser = "demo"
	// DemoIBKeyUser and DemoPaperUser are the users of DemoIBKey and
	// DemoPaper (passwords made up the same way).
	DemoIBKeyUser = sim.DemoIBKeyUser
	DemoPaperUser = "demopaper"
	// DemoFaultEvery is the default time between injected faults.
	DemoFaultEvery = time.Minute
)

// DemoKind is the demo user's kind of login.
type DemoKind int

const (
	// DemoTOTP is a live user who answers with the authenticator app (the
	// default): the app logs in alone.
	DemoTOTP DemoKind = iota
	// DemoIBKey is a live user with IB Key only: each login waits for a tap
	// on the (demo) phone, Runner.ApproveOnDemoPhone.
	DemoIBKey
	// DemoPaper is a paper-trading user: no second factor.
	DemoPaper
)

// String is the kind's name for logs.
func (k DemoKind) String() string {
	switch k {
	case DemoIBKey:
		return "ibkey"
	case DemoPaper:
		return "paper"
	}
	return "totp"
}

// DemoOptions configure the demo mode. Zero values take the defaults.
type DemoOptions struct {
	// Kind is the demo user's kind of login (DemoTOTP).
	Kind DemoKind
	// Profile is the demo's profile: its lock, state folder and control
	// socket (DemoProfile). Two demos run side by side with two profiles
	// and two status addresses.
	Profile string
	// StatusAddr is the status endpoint (DemoStatusAddr; "127.0.0.1:0" in tests).
	StatusAddr string
	// FaultEvery is the time between injected faults (DemoFaultEvery);
	// negative: none.
	FaultEvery time.Duration
	// Faults are injected in turn (DemoFaults).
	Faults []string
	// Browser and VisibleBrowser are the login browser's settings.
	Browser        string
	VisibleBrowser bool
	Logger         *slog.Logger
	// Command is the argv that runs the simulator (this program + "sim").
	Command []string
	// Password and TOTPSecret of the demo user; "" = made up at random.
	// Tests pass known ones to look for them where they must not be.
	Password, TOTPSecret string
	// Gateway and Keeper adjust the parts' settings (tests).
	Gateway func(*gateway.Config)
	Keeper  func(*session.KeeperOptions)
	// Sim adjusts the simulator's settings (tests: a gateway slow to stop).
	Sim func(*sim.Options)
}

// NewDemo makes a runner whose gateway is the built-in simulator, in a
// temporary folder, with a demo user whose credentials exist only in this
// process (and in the simulator's 0600 settings file in that folder). A
// fault injector kills the session now and then so the user can watch it
// recover. It takes the demo profile's lock.
//
// Call cleanup after Run has returned (it waits for that if Run is still
// going): it removes the folder and releases the lock.
func NewDemo(o DemoOptions) (r *Runner, cleanup func(), err error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	profile := o.Profile
	if profile == "" {
		profile = DemoProfile
	}
	paths, err := config.PathsFor(profile)
	if err != nil {
		return nil, nil, err
	}
	lock, err := Lock(paths.LockFile, profile)
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "ibkr-tray-demo-")
	if err != nil {
		lock.Release()
		return nil, nil, fmt.Errorf("cannot make a temporary folder for the demo gateway: %w", err)
	}
	// A forced stop or a panic skips the cleanup below: the folder holds the
	// simulator's settings with the made-up password. removeDir runs once,
	// by the cleanup or by the abrupt exit, the later one waiting for it.
	removeDir := gateway.OnAbruptExit(func() { removeDemoDir(dir) })
	undo := func() {
		removeDir()
		lock.Release()
	}
	defer func() {
		if err != nil {
			undo()
		}
	}()

	creds := demoCredentials(o)
	port, err := sim.FreePort()
	if err != nil {
		return nil, nil, fmt.Errorf("cannot find a free port for the demo gateway: %w", err)
	}
	so := demoSim(creds, o.Kind)
	if o.Sim != nil {
		o.Sim(&so)
	}
	faults := o.Faults
	if len(faults) == 0 {
		faults = DemoFaults
	}
	if o.Browser == "" {
		if _, ferr := login.FindBrowser(); ferr != nil {
			// Without a browser nobody could log in (the password is made
			// up): start logged in, and inject only what reauthenticate fixes.
			log.Warn("demo: no browser for automated login; the demo starts logged in and shows only the faults that need no login", "err", ferr)
			so.Authenticated = true
			faults = []string{"expire-brokerage", "compete"}
		}
	}
	if err = sim.WriteDist(dir, sim.DistOptions{Port: port, SSL: true, Command: o.Command, Options: so}); err != nil {
		return nil, nil, err
	}

	c := config.Default()
	c.GatewayDir = dir
	c.StatusAddr = o.StatusAddr
	if c.StatusAddr == "" {
		c.StatusAddr = DemoStatusAddr
	}
	// Every fault recovers by itself, competing sessions included.
	c.TakeBackCompeting = true
	c.Paper = o.Kind == DemoPaper
	c.Browser, c.VisibleBrowser = o.Browser, o.VisibleBrowser
	r, err = New(Options{
		Config:      c,
		Paths:       paths,
		Logger:      log,
		Credentials: secrets.Memory(creds),
		Demo:        true,
		Gateway:     o.Gateway,
		Keeper:      o.Keeper,
	})
	if err != nil {
		return nil, nil, err
	}
	simURL := "https://127.0.0.1:" + strconv.Itoa(port)
	r.demoPhone = &demoPhone{simURL: simURL, user: creds.Username}
	every := o.FaultEvery
	if every == 0 {
		every = DemoFaultEvery
	}
	if every > 0 {
		inj := FaultInjector{SimURL: simURL, Every: every, Faults: faults, Logger: log}
		r.background = append(r.background, inj.Run)
	}
	log.Info("demo: the gateway is the built-in simulator", "user", creds.Username, "kind", o.Kind, "faultEvery", every)

	var once sync.Once
	cleanup = func() {
		once.Do(func() {
			if r.started.Load() {
				select {
				case <-r.done:
				case <-time.After(30 * time.Second):
					log.Warn("demo: the runner did not stop within 30s; removing its folder anyway")
				}
			}
			undo()
		})
	}
	return r, cleanup, nil
}

// StartDemo makes the demo (NewDemo) and runs it in the background until
// ctx ends. done closes once the gateway has stopped and the demo's
// folder and lock are gone. For the tray: ui.StartDemo is
//
//	r, done, err := runner.StartDemo(ctx, runner.DemoOptions{...})
//	return ui.Started{Backend: r, Done: done}, err
func StartDemo(ctx context.Context, o DemoOptions) (r *Runner, done <-chan struct{}, err error) {
	r, cleanup, err := NewDemo(o)
	if err != nil {
		return nil, nil, err
	}
	if err := r.Start(ctx); err != nil {
		cleanup()
		return nil, nil, err
	}
	d := make(chan struct{})
	go func() {
		<-r.Done()
		cleanup()
		close(d)
	}()
	return r, d, nil
}

// removeDemoDir removes the demo's folder, once more if something was
// still writing into it (a killed simulator's last log line).
func removeDemoDir(dir string) {
	if os.RemoveAll(dir) != nil {
		os.RemoveAll(dir)
	}
}

// demoCredentials are the demo user's: made up at random unless the
// options give them; a TOTP secret only for the authenticator app's kind
// (with none stored, the login answers with IB Key, or nothing for paper).
func demoCredentials(o DemoOptions) secrets.Credentials {
	c := secrets.Credentials{Username: DemoUser, Password: o.Password}
	switch o.Kind {
	case DemoIBKey:
		c.Username = DemoIBKeyUser
	case DemoPaper:
		c.Username = DemoPaperUser
	default:
		c.TOTPSecret = o.TOTPSecret
		if c.TOTPSecret == "" {
			c.TOTPSecret = randomTOTPSecret()
		}
	}
	if c.Password == "" {
		c.Password = rand.Text()
	}
	return c
}

// demoSim is the simulator of the demo: one user of the kind (live with
// two accounts and the device picker, live with IB Key only, or paper),
// and quick (but visible) session delays.
func demoSim(c secrets.Credentials, kind DemoKind) sim.Options {
	o := sim.DefaultOptions()
	a := sim.Account{
		Username:   c.Username,
		Password:   c.Password,
		TOTPSecret: c.TOTPSecret,
		Devices:    []string{sim.DeviceIBKey, sim.DeviceAuthenticatorApp},
		AccountIDs: []string{"U1234567", "U7654321"},
	}
	switch kind {
	case DemoIBKey:
		a = sim.IBKeyAccount(c.Username, c.Password)
		a.AccountIDs = []string{"U2345678"}
	case DemoPaper:
		a = sim.Account{Username: c.Username, Password: c.Password, Paper: true, AccountIDs: []string{"DU1234567"}}
	}
	o.Accounts = []sim.Account{a}
	o.AuthDelay = 1500 * time.Millisecond
	o.ReauthDelay = 1500 * time.Millisecond
	o.ResetAt = "" // the fault injector shows the reset
	o.TermDelay = 200 * time.Millisecond
	return o
}

// randomTOTPSecret is a fresh 160-bit base32 secret, as authenticator apps
// are given.
func randomTOTPSecret() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return base32.StdEncoding.EncodeToString(b)
}

// compile-time check that the keeper fits the runner.
var _ Session = (*session.Keeper)(nil)
