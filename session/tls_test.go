package session

import "testing"

func TestVerifyMode(t *testing.T) {
	tests := []struct {
		host string
		want trust
	}{
		{"localhost", trustLoopback},
		{"LocalHost", trustLoopback},
		{"localhost.", trustLoopback},
		{"127.0.0.1", trustLoopback},
		{"127.9.8.7", trustLoopback},
		{"::1", trustLoopback},
		{"::ffff:127.0.0.1", trustLoopback},
		{"0.0.0.0", trustRoots},
		{"192.168.1.20", trustRoots},
		{"10.0.0.1", trustRoots},
		{"::", trustRoots},
		{"fe80::1", trustRoots},
		{"gw.example.net", trustRoots},
		{"localhost.example.net", trustRoots},
		{"127.0.0.1.nip.io", trustRoots},
		{"my-localhost", trustRoots},
		{"", trustRoots},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := verifyMode(tt.host); got != tt.want {
				t.Errorf("verifyMode(%q) = %v, want %v", tt.host, got, tt.want)
			}
		})
	}
}

// Only loopback hosts skip certificate checks.
func TestTLSConfigSkipsVerificationOnlyForLoopback(t *testing.T) {
	roots, err := loadRoots("")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host     string
		wantSkip bool
	}{
		{"localhost", true},
		{"127.0.0.1", true},
		{"::1", true},
		{"gw.example.net", false},
		{"192.168.1.20", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			cfg := tlsConfig(tt.host, roots)
			if cfg.InsecureSkipVerify != tt.wantSkip {
				t.Errorf("InsecureSkipVerify = %v, want %v", cfg.InsecureSkipVerify, tt.wantSkip)
			}
			if !tt.wantSkip && (cfg.RootCAs != roots || cfg.ServerName != tt.host) {
				t.Errorf("remote config does not verify %q against the roots", tt.host)
			}
		})
	}
}
