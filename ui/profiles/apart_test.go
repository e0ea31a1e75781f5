package profiles

import (
	"strings"
	"testing"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

func profile(name, dir string, port int, status, url string) Profile {
	c := config.Default()
	c.GatewayDir, c.Port, c.StatusAddr, c.GatewayURL = dir, port, status, url
	return Profile{Paths: config.Paths{Profile: name}, Config: c}
}

func TestCheckApartNamesBothProfilesAndTheFix(t *testing.T) {
	shared := t.TempDir()
	if err := sim.WriteDist(shared, sim.DistOptions{Port: 5000, SSL: true, Command: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if err := sim.WriteDist(other, sim.DistOptions{Port: 5000, SSL: true, Command: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		ps   []Profile
		want []string // one clash each, with these words
	}{
		{"apart: one folder, two ports", []Profile{
			profile("live", shared, 0, "127.0.0.1:5480", ""),
			profile("paper", shared, 5002, "127.0.0.1:5482", ""),
		}, nil},
		{"one folder, the conf's port and the same port set", []Profile{
			profile("live", shared, 0, "127.0.0.1:5480", ""),
			profile("paper", shared, 5000, "127.0.0.1:5482", ""),
		}, []string{`Profiles "live" and "paper" both run the gateway in ` + shared + ` on port 5000; give "paper" another port`}},
		{"two folders, one port", []Profile{
			profile("live", shared, 0, "127.0.0.1:5480", ""),
			profile("paper", other, 0, "127.0.0.1:5482", ""),
		}, []string{`Profiles "live" and "paper" both run a gateway on port 5000`}},
		{"one status address, spelt two ways", []Profile{
			profile("live", shared, 0, "", ""),
			profile("paper", shared, 5002, "localhost:5480", ""),
		}, []string{`Profiles "live" and "paper" both use the status address port 5480; give "paper" another statusAddr in its settings (for example 127.0.0.1:5482)`}},
		{"one gateway URL", []Profile{
			profile("a", "", 0, "127.0.0.1:5480", "https://gw.example:5000/"),
			profile("b", "", 0, "127.0.0.1:5482", "https://GW.example:5000"),
		}, []string{`Profiles "a" and "b" both use the gateway at https://GW.example:5000`}},
		{"a URL naming another profile's gateway", []Profile{
			profile("watch", "", 0, "127.0.0.1:5480", "https://127.0.0.1:5000"),
			profile("live", shared, 0, "127.0.0.1:5482", ""),
		}, []string{`Profile "watch" uses the gateway at localhost:5000, which profile "live" runs itself`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckApart(tc.ps)
			if len(got) != len(tc.want) {
				t.Fatalf("CheckApart = %q; want %d sentences", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("sentence %q should contain %q", got[i], w)
				}
			}
		})
	}
}
