package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// Webhooks get each event as a JSON POST (Event). A try that fails for a
// reason that may pass (no answer, 5xx, 429) is retried with back-off, up
// to webhookTries in all; then the event is given up and that is logged.
// The URL is never logged: chat and notification services put their token
// in it. Only its host is.

// webhookTries is how many times one event is sent at most.
const webhookTries = 3

// webhook is one URL of the settings' webhooks.
type webhook struct {
	url     string
	host    string // for the log
	client  *http.Client
	backoff time.Duration // before the second try; doubles
	log     *slog.Logger
}

// newWebhook checks raw (loopback unless allowRemote) and makes its
// client. Without allowRemote the client also refuses to connect to any
// address off this computer, whatever the name resolves to.
func newWebhook(raw string, allowRemote bool, timeout time.Duration, log *slog.Logger) (*webhook, error) {
	if err := config.CheckWebhook(raw, allowRemote); err != nil {
		return nil, err
	}
	u, _ := url.Parse(raw)
	dialer := &net.Dialer{Timeout: timeout}
	transport := &http.Transport{
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: timeout,
		MaxIdleConns:        2,
		IdleConnTimeout:     time.Minute,
	}
	if allowRemote {
		transport.Proxy = http.ProxyFromEnvironment
	} else {
		transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if ap, ok := c.RemoteAddr().(*net.TCPAddr); !ok || !ap.IP.IsLoopback() {
				c.Close()
				return nil, fmt.Errorf("%s is not on this computer; set webhooksAllowRemote to true to send there", addr)
			}
			return c, nil
		}
	}
	return &webhook{
		url:  raw,
		host: u.Host,
		client: &http.Client{
			Timeout:   timeout,
			Transport: transport,
			// A redirect could lead anywhere: it is an answer, not followed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		backoff: time.Second,
		log:     log,
	}, nil
}

// deliver sends e, retrying with back-off.
func (w *webhook) deliver(ctx context.Context, e Event) {
	body, err := json.Marshal(e)
	if err != nil {
		w.log.Error("cannot encode the webhook's event", "err", err)
		return
	}
	wait := w.backoff
	for try := 1; ; try++ {
		again, err := w.post(ctx, body)
		if err == nil {
			w.log.Debug("webhook sent", "host", w.host, "state", e.State, "try", try)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if !again || try == webhookTries {
			w.log.Warn("a webhook could not be sent; this event is given up", "host", w.host, "state", e.State, "tries", try, "err", err)
			return
		}
		w.log.Debug("webhook failed; trying again", "host", w.host, "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait *= 2
	}
}

// post makes one try; again says whether another may work.
func (w *webhook) post(ctx context.Context, body []byte) (again bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("the webhook's URL cannot be used")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ibkr-tray")
	resp, err := w.client.Do(req)
	if err != nil {
		// A *url.Error repeats the URL, token and all: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return false, fmt.Errorf("HTTP %d; check the webhook's URL", resp.StatusCode)
}
