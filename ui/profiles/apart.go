package profiles

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ibkr-tray/ibkr-tray/gateway"
)

// CheckApart says, one sentence per clash, which of the profiles would get
// in each other's way if they ran at once: two gateways on one port (in
// one folder or two), two status endpoints on one address, two profiles
// watching one gateway URL. Each sentence names both profiles and the fix.
// No clash is an empty list.
func CheckApart(ps []Profile) []string {
	type seen struct {
		name string
		dir  string
	}
	var out []string
	gatewayPorts := map[int]seen{} // local gateways, by effective port
	statusPorts := map[int]string{}
	urls := map[string]string{}
	for _, p := range ps {
		name := p.Paths.Profile
		c := p.Config

		if port := portOf(statusAddr(c)); port > 0 {
			if other, ok := statusPorts[port]; ok {
				out = append(out, fmt.Sprintf("Profiles %q and %q both use the status address port %d; give %q another statusAddr in its settings (for example %s).", other, name, port, name, FreeStatusAddr(usedPorts(statusPorts, port))))
			} else {
				statusPorts[port] = name
			}
		}

		if c.GatewayURL != "" {
			key := urlKey(c.GatewayURL)
			if other, ok := urls[key]; ok {
				out = append(out, fmt.Sprintf("Profiles %q and %q both use the gateway at %s, and one gateway holds one IBKR login; give each profile its own gateway (another gatewayURL for %q, or none, so that it runs its own).", other, name, c.GatewayURL, name))
			} else {
				urls[key] = name
			}
			continue
		}
		port, dir := effectivePort(c.GatewayDir, c.Port)
		if port == 0 {
			continue // no readable gateway folder: that profile's start says why
		}
		if other, ok := gatewayPorts[port]; ok {
			if other.dir == dir {
				out = append(out, fmt.Sprintf("Profiles %q and %q both run the gateway in %s on port %d; give %q another port in its settings (\"port\": %d, for example): the folder can be shared, each profile then runs it with its own copy of conf.yaml.", other.name, name, dir, port, name, port+1))
			} else {
				out = append(out, fmt.Sprintf("Profiles %q and %q both run a gateway on port %d (in %s and %s); give %q another port in its settings (\"port\": %d, for example).", other.name, name, port, other.dir, dir, name, port+1))
			}
			continue
		}
		gatewayPorts[port] = seen{name: name, dir: dir}
		key := urlKey("https://localhost:" + strconv.Itoa(port))
		if other, ok := urls[key]; ok {
			out = append(out, fmt.Sprintf("Profile %q uses the gateway at localhost:%d, which profile %q runs itself, and one gateway holds one IBKR login; give %q another port in its settings, or %q another gatewayURL.", other, port, name, name, other))
		} else {
			urls[key] = name
		}
	}
	return out
}

// effectivePort is the port a profile's gateway listens on (its Port
// setting, else its conf.yaml's listenPort) and its folder, cleaned; 0 when
// the folder cannot be read.
func effectivePort(dir string, port int) (int, string) {
	if dir == "" {
		return port, ""
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		dir = abs
	}
	if port != 0 {
		return port, dir
	}
	d, err := gateway.CheckDist(dir)
	if err != nil {
		return 0, dir
	}
	return d.Port, dir
}

// urlKey makes two spellings of one gateway URL equal: the host in lower
// case, localhost for any loopback address, the scheme's port.
func urlKey(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return strings.ToLower(strings.TrimRight(raw, "/"))
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "localhost" || net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback() {
		host = "localhost"
	}
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return host + ":" + port
}

func usedPorts(m map[int]string, also int) map[int]bool {
	used := map[int]bool{also: true}
	for p := range m {
		used[p] = true
	}
	return used
}
