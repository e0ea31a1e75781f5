package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// demoPhone answers the demo user's IB Key notifications, as a tap in IBKR
// Mobile would: the demo simulator's POST /sim/approve and /sim/deny.
type demoPhone struct {
	simURL string // https://127.0.0.1:PORT
	user   string
}

// errNotDemo is the answer of the demo phone's commands on a real gateway.
var errNotDemo = errors.New("this is not the demo, so there is no demo phone; approve or deny the login in IBKR Mobile on your phone")

// ApproveOnDemoPhone approves the demo user's pending IB Key notification
// (the demo's stand-in for a tap on Approve in IBKR Mobile). Not a demo:
// an error saying so.
func (r *Runner) ApproveOnDemoPhone() error { return r.answerDemoPhone("approve") }

// DenyOnDemoPhone denies it.
func (r *Runner) DenyOnDemoPhone() error { return r.answerDemoPhone("deny") }

func (r *Runner) answerDemoPhone(answer string) error {
	p := r.demoPhone
	if p == nil {
		return errNotDemo
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := postToSim(ctx, p.simURL, "/sim/"+answer+"?user="+url.QueryEscape(p.user), "answer the demo phone at")
	if err != nil {
		return fmt.Errorf("the demo phone cannot reach the demo gateway (%v)", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		// 409: no notification waits (none sent yet, or already answered).
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("the demo phone could not %s: %s", answer, strings.TrimSpace(string(b)))
	}
	r.log.Info("demo: answered the IB Key notification on the demo phone", "answer", answer)
	return nil
}
