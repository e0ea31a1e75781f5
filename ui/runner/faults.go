package runner

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// DemoFaults are the faults the demo injects in turn, so a newcomer watches
// each way a session dies and how the app recovers from it.
var DemoFaults = []string{
	"expire-brokerage", // idle timeout: recovered by reauthenticate
	"expire-sso",       // SSO gone: recovered by a browser login with TOTP
	"compete",          // another login of the user takes over
	"reset",            // IBKR's nightly reset
}

// FaultInjector posts the simulator's fault controls on a timer.
type FaultInjector struct {
	// SimURL is the simulator's base URL, https://127.0.0.1:PORT.
	SimURL string
	// Every is the time between faults.
	Every time.Duration
	// Faults are injected in order, round and round.
	Faults []string
	Logger *slog.Logger
	// After is the timer, injectable for tests (default time.After).
	After func(time.Duration) <-chan time.Time
}

// Run injects faults until ctx ends.
func (f FaultInjector) Run(ctx context.Context) {
	after := f.After
	if after == nil {
		after = time.After
	}
	log := f.Logger
	if log == nil {
		log = slog.Default()
	}
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-after(f.Every):
		}
		fault := f.Faults[i%len(f.Faults)]
		if err := f.inject(ctx, fault); err != nil {
			log.Warn("demo: could not inject a fault", "fault", fault, "err", err)
			continue
		}
		log.Info("demo: injected a fault; watch the app recover", "fault", fault)
	}
}

// simClient talks to the simulator only. It is always on loopback, and its
// certificate is generated at each start, so there is nothing to verify.
var simClient = &http.Client{
	Timeout:   5 * time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
}

// postToSim POSTs path (and query) to the simulator at simURL, which must
// be on loopback: simClient does not check the certificate. what names
// the errand in the refusal ("inject faults into").
func postToSim(ctx context.Context, simURL, path, what string) (*http.Response, error) {
	u, err := url.Parse(simURL)
	if err != nil {
		return nil, err
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return nil, fmt.Errorf("refusing to %s %s: the simulator runs on loopback only", what, h)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, simURL+path, nil)
	if err != nil {
		return nil, err
	}
	return simClient.Do(req)
}

func (f FaultInjector) inject(ctx context.Context, fault string) error {
	resp, err := postToSim(ctx, f.SimURL, "/sim/"+fault, "inject faults into")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the simulator answered %s", resp.Status)
	}
	return nil
}
