package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// Secrets is `ibkr-tray secrets set|check|delete [--profile P] [--file PATH]`.
func Secrets(args []string) int {
	return secretsCommand(args, secretsIO{in: os.Stdin, out: os.Stdout, errs: os.Stderr, now: time.Now, tell: tellRunningApp})
}

// secretsIO is where the command reads and writes (tests give buffers).
type secretsIO struct {
	in        io.Reader
	out, errs io.Writer
	now       func() time.Time
	// tell, when set, tells the profile's running app that its
	// credentials changed (errNotRunning when none runs).
	tell func(ctx context.Context, profile string) error
	// askAgain: treat the input as a person at a terminal (tests).
	askAgain bool
}

const secretsSynopsis = "secrets set|check|delete [--profile P] [--file PATH]"

const secretsHelp = `Keeps the IBKR username, password and authenticator-app secret that the
automated login uses, in the OS keyring (or, with --file or the settings'
secretsFile, in a file only you can read).

  set     asks for them (input hidden) or reads three lines from standard
          input: username, password, TOTP secret (empty line for none)
  check   shows what is stored, never the values, and the current TOTP code
          so you can compare it with your phone
  delete  removes them`

func secretsCommand(args []string, sio secretsIO) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprintf(sio.out, "Usage: ibkr-tray %s\n\n%s\n", secretsSynopsis, secretsHelp)
			return 0
		}
		fmt.Fprintf(sio.errs, "Usage: ibkr-tray %s\n\n%s\n", secretsSynopsis, secretsHelp)
		return 2
	}
	action := args[0]
	fs := flag.NewFlagSet("secrets "+action, flag.ContinueOnError)
	fs.SetOutput(sio.errs)
	fs.Usage = usage(fs, secretsSynopsis, secretsHelp)
	profile := fs.String("profile", config.DefaultProfile, "the profile whose credentials these are")
	file := fs.String("file", "", "a secrets file (mode 0600) instead of the OS keyring")
	timeout := fs.Duration("timeout", secrets.DefaultTimeout, "how long to wait for the keyring")
	if err := fs.Parse(args[1:]); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(sio.errs, "ibkr-tray secrets %s: unexpected argument %q; see ibkr-tray secrets --help\n", action, fs.Arg(0))
		return 2
	}
	run := map[string]func(context.Context, secrets.Store, string, secretsIO) error{
		"set": secretsSet, "check": secretsCheck, "delete": secretsDelete,
	}[action]
	if run == nil {
		fmt.Fprintf(sio.errs, "ibkr-tray secrets: unknown action %q; use set, check or delete\n", action)
		return 2
	}
	store := secretsStore(*profile, *file, *timeout, sio)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout+5*time.Second)
	defer cancel()
	if err := run(ctx, store, *profile, sio); err != nil {
		fmt.Fprintln(sio.errs, "ibkr-tray secrets:", err)
		return exitError
	}
	return 0
}

// secretsStore is --file, else the profile's secretsFile setting (or
// IBKR_TRAY_SECRETS_FILE), else the OS keyring.
func secretsStore(profile, file string, timeout time.Duration, sio secretsIO) secrets.Store {
	if file != "" {
		return secrets.File(file)
	}
	paths, err := config.PathsFor(profile)
	if err == nil {
		c, warnings, lerr := config.LoadWithEnv(paths.ConfigFile)
		for _, w := range warnings {
			fmt.Fprintln(sio.errs, "ibkr-tray secrets:", w)
		}
		if lerr != nil {
			fmt.Fprintf(sio.errs, "ibkr-tray secrets: ignoring the settings (%v); using the OS keyring\n", lerr)
		} else if c.SecretsFile != "" {
			return secrets.File(c.SecretsFile)
		}
	}
	return secrets.Keyring(timeout)
}

func secretsSet(ctx context.Context, store secrets.Store, profile string, sio secretsIO) error {
	in := newPrompter(sio)
	var c secrets.Credentials
	var err error
	if c.Username, err = in.ask("IBKR username: ", false, nonEmpty("the username")); err != nil {
		return err
	}
	if c.Password, err = in.ask("Password (not shown): ", true, nonEmpty("the password")); err != nil {
		return err
	}
	c.TOTPSecret, err = in.ask("Authenticator app secret (activation code; empty for none, as for paper accounts; not shown): ", true, login.NormalizeSecret)
	if err != nil && !errors.Is(err, errNoMoreInput) {
		return err
	}
	if err := store.Set(ctx, profile, c); err != nil {
		return err
	}
	fmt.Fprintf(sio.out, "Stored the credentials of profile %q in %s.\n", profile, store.Where())
	tellApp(ctx, profile, sio)
	if c.TOTPSecret != "" {
		fmt.Fprintf(sio.out, "Run `ibkr-tray secrets check%s` to compare the current code with your authenticator app.\n", profileFlag(profile))
	}
	return nil
}

// profileFlag is " --profile P" for a profile other than the default, so a
// suggested command acts on the profile the user named.
func profileFlag(profile string) string {
	if profile == config.DefaultProfile {
		return ""
	}
	return " --profile " + profile
}

// askTries is how often a prompt asks before giving up.
const askTries = 3

// nonEmpty checks that an answer is not blank.
func nonEmpty(what string) func(string) (string, error) {
	return func(s string) (string, error) {
		if strings.TrimSpace(s) == "" {
			return "", fmt.Errorf("%s is empty", what)
		}
		return s, nil
	}
}

// ask reads one answer and checks it at once. On a terminal a bad answer
// is said and asked again (up to askTries times), so what was typed
// before is not lost; piped input fails at the first bad line.
func (p *prompter) ask(prompt string, hide bool, check func(string) (string, error)) (string, error) {
	for try := 1; ; try++ {
		var v string
		var err error
		if hide {
			v, err = p.hidden(prompt)
		} else {
			v, err = p.line(prompt)
		}
		if err != nil {
			return "", err
		}
		ok, cerr := check(v)
		if cerr == nil {
			return ok, nil
		}
		if !p.interactive() || try == askTries {
			return "", cerr
		}
		fmt.Fprintf(p.sio.errs, "%s. Try again (%d of %d).\n", capitalFirst(cerr.Error()), try+1, askTries)
	}
}

func capitalFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// tellApp tells a running app of the profile that its credentials
// changed: a rejection of the old ones no longer holds, and it tries them
// once. No app running is fine: it reads them at its start.
func tellApp(ctx context.Context, profile string, sio secretsIO) {
	if sio.tell == nil {
		return
	}
	switch err := sio.tell(ctx, profile); {
	case err == nil:
		fmt.Fprintln(sio.out, "Told the running ibkr-tray; it tries the new credentials now.")
	case errors.Is(err, errNotRunning):
		fmt.Fprintln(sio.out, "ibkr-tray is not running; it will use them at its next start.")
	default:
		fmt.Fprintf(sio.errs, "ibkr-tray secrets: the running ibkr-tray was not told (%v); choose Log in there to use the new credentials.\n", err)
	}
}

// tellRunningApp posts credentials-changed to the profile's running app,
// reached as every command reaches it (remoteFlags).
func tellRunningApp(ctx context.Context, profile string) error {
	fs := flag.NewFlagSet("secrets", flag.ContinueOnError)
	connect := remoteFlags(fs)
	if err := fs.Parse([]string{"--profile", profile}); err != nil {
		return err
	}
	r, err := connect()
	if err != nil {
		return err
	}
	return r.command(ctx, "credentials-changed")
}

func secretsCheck(ctx context.Context, store secrets.Store, profile string, sio secretsIO) error {
	c, err := store.Get(ctx, profile)
	if err != nil {
		return err
	}
	fmt.Fprintf(sio.out, "Credentials of profile %q in %s:\n", profile, store.Where())
	fmt.Fprintf(sio.out, "  username:     %s\n", describeStored(c.Username))
	fmt.Fprintf(sio.out, "  password:     %s\n", describeStored(c.Password))
	if c.TOTPSecret == "" {
		fmt.Fprintln(sio.out, "  TOTP secret:  none (fine for paper users, and for IB Key: the login then asks you to tap Approve in IBKR Mobile)")
		return nil
	}
	fmt.Fprintf(sio.out, "  TOTP secret:  %s\n", describeStored(c.TOTPSecret))
	code, _, left, err := login.Code(c.TOTPSecret, sio.now())
	if err != nil {
		return fmt.Errorf("the stored TOTP secret cannot make codes (%v); store it again with `ibkr-tray secrets set%s`", err, profileFlag(profile))
	}
	fmt.Fprintf(sio.out, "  current code: %s (for %s more); your authenticator app should show the same\n",
		code, session.Words(left))
	return nil
}

func secretsDelete(ctx context.Context, store secrets.Store, profile string, sio secretsIO) error {
	if err := store.Delete(ctx, profile); err != nil {
		return err
	}
	fmt.Fprintf(sio.out, "Deleted the credentials of profile %q from %s.\n", profile, store.Where())
	return nil
}

// describeStored says whether a value is there and how long it is, never
// what it is.
func describeStored(v string) string {
	if v == "" {
		return "missing"
	}
	return fmt.Sprintf("stored (%d chars)", len([]rune(v)))
}

// errNoMoreInput: the input ended before the answer.
var errNoMoreInput = errors.New("the input ended before all answers were given (username, password, TOTP secret: one a line)")

// prompter reads answers from a terminal (prompting, hiding secrets) or
// from lines of piped input.
type prompter struct {
	sio      secretsIO
	r        *bufio.Reader
	terminal *os.File // nil when the input is not a terminal
}

// interactive reports whether a person answers (a terminal, or a test
// that says so): only then is a bad answer asked again.
func (p *prompter) interactive() bool { return p.terminal != nil || p.sio.askAgain }

func newPrompter(sio secretsIO) *prompter {
	p := &prompter{sio: sio, r: bufio.NewReader(sio.in)}
	if f, ok := sio.in.(*os.File); ok && isTerminal(f) {
		p.terminal = f
	}
	return p
}

func (p *prompter) line(prompt string) (string, error) {
	if p.terminal != nil {
		fmt.Fprint(p.sio.errs, prompt)
	}
	return p.read()
}

// hidden reads a line with the terminal's echo off.
func (p *prompter) hidden(prompt string) (string, error) {
	if p.terminal == nil {
		return p.read()
	}
	fmt.Fprint(p.sio.errs, prompt)
	restore, err := echoOff(p.terminal)
	if err != nil {
		return "", fmt.Errorf("cannot hide the input on this terminal (%v); pipe the answers in instead", err)
	}
	defer fmt.Fprintln(p.sio.errs) // the user's Enter was not echoed
	defer restore()
	return p.read()
}

func (p *prompter) read() (string, error) {
	s, err := p.r.ReadString('\n')
	if err == io.EOF && s != "" {
		err = nil // a last line without a newline
	}
	if err == io.EOF {
		return "", errNoMoreInput
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}
