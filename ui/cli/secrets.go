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

	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// Secrets is `ibkr-tray secrets set|check|delete [--profile P] [--file PATH]`.
func Secrets(args []string) int {
	return secretsCommand(args, secretsIO{in: os.Stdin, out: os.Stdout, errs: os.Stderr, now: time.Now})
}

// secretsIO is where the command reads and writes (tests give buffers).
type secretsIO struct {
	in        io.Reader
	out, errs io.Writer
	now       func() time.Time
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
	if c.Username, err = in.line("IBKR username: "); err != nil {
		return err
	}
	if c.Password, err = in.hidden("Password (not shown): "); err != nil {
		return err
	}
	if c.TOTPSecret, err = in.hidden("Authenticator app secret (activation code; empty for none; not shown): "); err != nil && !errors.Is(err, errNoMoreInput) {
		return err
	}
	if err := store.Set(ctx, profile, c); err != nil {
		return err
	}
	fmt.Fprintf(sio.out, "Stored the credentials of profile %q in %s.\n", profile, store.Where())
	if c.TOTPSecret != "" {
		fmt.Fprintln(sio.out, "Run `ibkr-tray secrets check` to compare the current code with your authenticator app.")
	}
	return nil
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
		fmt.Fprintln(sio.out, "  TOTP secret:  none (fine for paper users and users without the authenticator app)")
		return nil
	}
	fmt.Fprintf(sio.out, "  TOTP secret:  %s\n", describeStored(c.TOTPSecret))
	code, _, left, err := login.Code(c.TOTPSecret, sio.now())
	if err != nil {
		return fmt.Errorf("the stored TOTP secret cannot make codes (%v); store it again with `ibkr-tray secrets set`", err)
	}
	fmt.Fprintf(sio.out, "  current code: %s (for %d s more); your authenticator app should show the same\n",
		code, int(left.Round(time.Second)/time.Second))
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
