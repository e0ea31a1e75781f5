package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// validateHooks checks onStateChange, webhooks and hookTimeout.
func (c Config) validateHooks() error {
	for i, argv := range c.OnStateChange {
		if len(argv) == 0 || strings.TrimSpace(argv[0]) == "" {
			return fmt.Errorf("onStateChange entry %d has no command; write each as a list like [\"/usr/local/bin/tell-my-bot\", \"--quiet\"]", i+1)
		}
	}
	for _, u := range c.Webhooks {
		if err := CheckWebhook(u, c.WebhooksAllowRemote); err != nil {
			return err
		}
	}
	if t := time.Duration(c.HookTimeout); t != 0 && (t < time.Second || t > 10*time.Minute) {
		return errors.New("the hook timeout must be between 1s and 10m")
	}
	return nil
}

// CheckWebhook checks a webhook URL: http or https, and on this computer
// unless allowRemote (webhooksAllowRemote). Its error never repeats the
// URL's path or query, which often carry the service's token.
func CheckWebhook(raw string, allowRemote bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("a webhook is not an http:// or https:// URL; write it like http://127.0.0.1:8080/ibkr or https://ntfy.sh/your-topic")
	}
	if u.User != nil {
		return fmt.Errorf("the webhook to %s has a user name or password in its URL; ibkr-tray keeps no secrets in its settings, so use a URL whose token is in its path, or a local relay", u.Host)
	}
	if !allowRemote && !IsLoopbackHost(u.Hostname()) {
		return fmt.Errorf("the webhook to %s is not on this computer; set webhooksAllowRemote to true in the settings to send the session's state there", u.Host)
	}
	return nil
}

// IsLoopbackHost reports whether host is localhost or a loopback address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
