package login

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
)

// rfc6238Secret is the RFC 6238 SHA-1 test key "12345678901234567890" in
// base32.
const rfc6238Secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func TestCodeMatchesRFC6238SHA1Vectors(t *testing.T) {
	cases := []struct {
		unix  int64
		eight string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, tc := range cases {
		t.Run(tc.eight, func(t *testing.T) {
			at := time.Unix(tc.unix, 0)
			got8, err := codeAt(rfc6238Secret, stepAt(at), otp.DigitsEight)
			if err != nil || got8 != tc.eight {
				t.Errorf("8-digit code at %d = %q, %v; want %q", tc.unix, got8, err, tc.eight)
			}
			code, step, left, err := Code(rfc6238Secret, at)
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.eight[2:]; code != want {
				t.Errorf("Code at %d = %q, want %q", tc.unix, code, want)
			}
			if step != tc.unix/30 {
				t.Errorf("step = %d, want %d", step, tc.unix/30)
			}
			if want := time.Duration(30-tc.unix%30) * time.Second; left != want {
				t.Errorf("left = %v, want %v", left, want)
			}
		})
	}
}

func TestNormalizeSecretAcceptsPastedForms(t *testing.T) {
	for _, in := range []string{
		"jbsw y3dp-ehpk 3pxp", "JBSWY3DPEHPK3PXP", " jbswy3dpehpk3pxp\n", "JBSW-Y3DP-EHPK-3PXP", "JBSWY3DPEHPK3PXP======",
	} {
		got, err := NormalizeSecret(in)
		if err != nil || got != "JBSWY3DPEHPK3PXP" {
			t.Errorf("NormalizeSecret(%q) = %q, %v; want JBSWY3DPEHPK3PXP", in, got, err)
		}
	}
	if got, err := NormalizeSecret("  "); got != "" || err != nil {
		t.Errorf("blank secret = %q, %v; want \"\", nil (no authenticator app)", got, err)
	}
}

func TestNormalizeSecretRejectsNonBase32WithoutRepeatingIt(t *testing.T) {
	for _, in := range []string{"JBSWY3DPEHPK3PX0", "JBSWY3DPEHPK3P8P", "JBSWY3DP_HPK3PXP", "JBSWY3", "JBSWY3DPEHPK3PXPA"} {
		_, err := NormalizeSecret(in)
		if err == nil {
			t.Errorf("NormalizeSecret(%q) accepted it", in)
			continue
		}
		if strings.Contains(err.Error(), in) || !strings.Contains(err.Error(), "TOTP secret") {
			t.Errorf("NormalizeSecret(%q) = %q: should name the problem, not the secret", in, err)
		}
	}
}

func TestFreshStepAvoidsCodesNearTheirEndAndUsedSteps(t *testing.T) {
	base := time.Unix(1_800_000_000, 0) // a step start: 1_800_000_000 / 30 = 60_000_000
	const s0 = 60_000_000
	cases := []struct {
		name     string
		at       time.Time
		used     int64
		wantStep int64
		wantWait time.Duration
	}{
		{"start of a step", base, 0, s0, 0},
		{"22 s left", base.Add(8 * time.Second), 0, s0, 0},
		{"exactly 8 s left", base.Add(22 * time.Second), 0, s0, 0},
		{"7.5 s left waits for the next step", base.Add(22500 * time.Millisecond), 0, s0 + 1, 7500 * time.Millisecond},
		{"current step used waits for the next", base.Add(5 * time.Second), s0, s0 + 1, 25 * time.Second},
		{"earlier step used does not wait", base.Add(5 * time.Second), s0 - 1, s0, 0},
		{"near the end and the next step used", base.Add(25 * time.Second), s0 + 1, s0 + 2, 35 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			step, wait := freshStep(tc.at, tc.used)
			if step != tc.wantStep || wait != tc.wantWait {
				t.Errorf("freshStep = %d, %v; want %d, %v", step, wait, tc.wantStep, tc.wantWait)
			}
		})
	}
}

func TestFreshCodeWaitsThroughSleepThenUsesTheNewStep(t *testing.T) {
	clock := frozenAt(time.Unix(1_800_000_025, 0)) // 5 s left in its step
	code, step, err := freshCode(context.Background(), "jbsw y3dp-ehpk 3pxp", clock.Now, clock.Sleep, 0)
	if err != nil {
		t.Fatal(err)
	}
	if step != 60_000_001 {
		t.Errorf("step = %d, want the next one", step)
	}
	if clock.Slept() != 5*time.Second {
		t.Errorf("slept %v, want 5s", clock.Slept())
	}
	want, _, _, _ := Code("JBSWY3DPEHPK3PXP", time.Unix(60_000_001*30, 0))
	if code != want {
		t.Errorf("code = %q, want %q", code, want)
	}
}

func TestFreshCodeStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	now := func() time.Time { return time.Unix(1_800_000_025, 0) }
	_, _, err := freshCode(ctx, "JBSWY3DPEHPK3PXP", now, sleepCtx, 0)
	if err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
