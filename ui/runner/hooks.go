package runner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// Hooks (onStateChange) are the user's commands, run on each change with
// the facts in their environment: on a server with no desktop they are how
// "a human must act" reaches the user. Each is an argv list run without a
// shell. The commands of one event run one after the other, events in
// order, from one goroutine (an outbox); each has a timeout, after which
// its process group is killed. Their output goes to the log, bounded.

// maxHookOutput and maxHookLines bound the output of one hook run that
// goes to the log.
const (
	maxHookOutput = 4096
	maxHookLines  = 40
)

// notifier sends each event to the hooks and to each webhook, each
// through its own outbox.
type notifier struct {
	boxes []*outbox
}

// newNotifier makes the outboxes the settings ask for; nil when none.
func newNotifier(c config.Config, log *slog.Logger) (*notifier, error) {
	timeout := time.Duration(c.HookTimeout)
	if timeout <= 0 {
		timeout = config.DefaultHookTimeout
	}
	n := &notifier{}
	if len(c.OnStateChange) > 0 {
		h := &hooks{timeout: timeout, log: log}
		for _, argv := range c.OnStateChange {
			if len(argv) == 0 || argv[0] == "" {
				return nil, errors.New("an onStateChange command in the settings is empty; write each as a list like [\"/usr/local/bin/tell-my-bot\", \"--quiet\"]")
			}
			h.commands = append(h.commands, slices.Clone(argv))
		}
		n.boxes = append(n.boxes, newOutbox("hooks", log, h.run))
	}
	for _, u := range c.Webhooks {
		w, err := newWebhook(u, c.WebhooksAllowRemote, timeout, log)
		if err != nil {
			return nil, err
		}
		n.boxes = append(n.boxes, newOutbox("webhook to "+w.host, log, w.deliver))
	}
	if len(n.boxes) == 0 {
		return nil, nil
	}
	return n, nil
}

// send queues e for every hook list and webhook; it never blocks.
func (n *notifier) send(e Event) {
	if n == nil {
		return
	}
	for _, b := range n.boxes {
		b.put(e)
	}
}

// runners are the outboxes' goroutines, for Run's background list.
func (n *notifier) runners() []func(context.Context) {
	if n == nil {
		return nil
	}
	var fs []func(context.Context)
	for _, b := range n.boxes {
		fs = append(fs, b.run)
	}
	return fs
}

// hooks runs the onStateChange commands.
type hooks struct {
	commands [][]string
	timeout  time.Duration
	log      *slog.Logger
}

// run runs every command for e, in the settings' order.
func (h *hooks) run(ctx context.Context, e Event) {
	env := hookEnv(os.Environ(), e)
	for _, argv := range h.commands {
		h.runOne(ctx, argv, env, e)
	}
}

func (h *hooks) runOne(ctx context.Context, argv, env []string, e Event) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	name := filepath.Base(argv[0])
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	out := &boundedBuffer{max: maxHookOutput}
	cmd.Stdout, cmd.Stderr = out, out
	// A hook that leaves a child holding its output open does not hold
	// the queue up for long.
	cmd.WaitDelay = time.Second
	ownGroup(cmd)
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start).Round(time.Millisecond)
	lines, cut := out.lines(maxHookLines)
	for _, line := range lines {
		h.log.Info("hook output", "hook", name, "line", line)
	}
	if cut > 0 {
		h.log.Info("hook output cut short", "hook", name, "bytesNotLogged", cut)
	}
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		h.log.Warn("a hook ran longer than its timeout and was stopped; raise hookTimeout in the settings if it needs longer", "hook", name, "timeout", h.timeout, "state", e.State)
	case err != nil && ctx.Err() != nil:
		// The app is stopping.
	case err != nil:
		h.log.Warn("a hook failed", "hook", name, "state", e.State, "err", err, "took", took)
	default:
		h.log.Debug("hook ran", "hook", name, "state", e.State, "took", took)
	}
}

// hookEnv is the app's environment without anything that could hold a
// secret or a setting (IBKR_TRAY_* variables can carry settings, and so
// tokens), plus the event's variables.
func hookEnv(base []string, e Event) []string {
	var env []string
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if !secretLike(name) {
			env = append(env, kv)
		}
	}
	return append(env, e.env()...)
}

// secretWords in a variable's name mark it as possibly secret.
var secretWords = []string{"SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "TOKEN", "CREDENTIAL", "APIKEY", "API_KEY", "ACCESS_KEY", "PRIVATE_KEY", "AUTH_KEY", "SESSION_KEY"}

// secretLike reports whether the hook must not inherit the variable name.
func secretLike(name string) bool {
	n := strings.ToUpper(name)
	if strings.HasPrefix(n, "IBKR_TRAY_") {
		return true
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// boundedBuffer keeps the first max bytes written and counts the rest.
type boundedBuffer struct {
	mu  sync.Mutex // exec copies stdout and stderr from two goroutines
	max int
	buf bytes.Buffer
	cut int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	room := max(b.max-b.buf.Len(), 0)
	if room < n {
		b.cut += n - room
		p = p[:room]
	}
	b.buf.Write(p)
	return n, nil // the rest is counted, not refused
}

// lines are the first n lines kept, and how many bytes were not.
func (b *boundedBuffer) lines(n int) (lines []string, cut int) {
	b.mu.Lock()
	text, cut := b.buf.String(), b.cut
	b.mu.Unlock()
	sc := bufio.NewScanner(strings.NewReader(text))
	read := 0
	for sc.Scan() {
		if len(lines) == n {
			return lines, cut + len(text) - read
		}
		lines = append(lines, sc.Text())
		read += len(sc.Bytes()) + 1
	}
	return lines, cut
}
