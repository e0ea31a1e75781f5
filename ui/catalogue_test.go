package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// The failure catalogue (issue 8): each file under testdata/catalogue is
// the final runner.Status of one failure case, as GET /status writes it.
// The end-to-end catalogue test against the simulator writes most of
// them; the contract-*.json ones were written by hand from the contract.
// For each, the icon, the menu, the popup and the notifier must agree, from
// the one snapshot.
func catalogue(t *testing.T) map[string]runner.Status {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "catalogue", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no snapshots in testdata/catalogue")
	}
	out := map[string]runner.Status{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var st runner.Status
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = st
	}
	return out
}

// offerLabels maps each offer to its menu label.
func offerLabels(o session.Offers) map[string]bool {
	return map[string]bool{
		labelLogin: o.Login, labelLoginBrowser: o.LoginInBrowser, labelRetry: o.Retry,
		labelTakeBack: o.TakeBack, labelOpenSettings: o.OpenSettings, labelCancelLogin: o.CancelLogin,
	}
}

// namedActions are the action labels a text tells the user to choose
// ("choose Log in in the browser"), longest label first so "Log in" is
// not found inside "Log in in the browser".
func namedActions(text string) []string {
	labels := []string{labelLogin, labelLoginBrowser, labelRetry, labelTakeBack, labelCancelLogin}
	sort.Slice(labels, func(i, j int) bool { return len(labels[i]) > len(labels[j]) })
	var named []string
	lower := strings.ToLower(text)
	for _, l := range labels {
		for _, lead := range []string{"choose ", "or "} {
			key := lead + strings.ToLower(l)
			for {
				i := strings.Index(lower, key)
				if i < 0 {
					break
				}
				named = append(named, l)
				lower = lower[:i] + strings.Repeat("#", len(key)) + lower[i+len(key):]
			}
		}
	}
	return named
}

func TestCatalogueSurfacesAgree(t *testing.T) {
	for name, st := range catalogue(t) {
		t.Run(name, func(t *testing.T) {
			s := st.Session
			if s.Cause == session.CauseNone && s.State != session.Authenticated && st.Gateway.State.Up() {
				t.Fatalf("session %s with no cause: the snapshot predates the issue-8 keeper (or the keeper lost the cause); write it again", s.State)
			}
			attn := attention(st)

			// The icon: attention exactly when a person must act.
			if got := iconFor(st) == IconAttention; got != attn {
				t.Errorf("icon %v, NeedsYou %v, gateway %s", iconFor(st), s.NeedsYou, st.Gateway.State)
			}

			// The menu: the offers, enabled, and no other session action.
			items := map[string]menuItem{}
			for _, it := range menuModel(st, false) {
				items[it.Label] = it
			}
			for label, on := range offerLabels(s.Offers) {
				it, ok := items[label]
				if on != (ok && it.Enabled) {
					t.Errorf("menu %q: shown %v enabled %v; offered %v", label, ok, it.Enabled, on)
				}
			}

			// The notifier: an urgent notification at once exactly when a
			// person must act; nothing at all for what the user did.
			co := NewCoalescer()
			co.Observe(authenticated(), t0)
			got := co.Observe(st, t0.Add(time.Second))
			for at := 2 * time.Second; at <= 2*time.Minute; at += time.Second {
				got = append(got, co.Tick(t0.Add(at))...)
			}
			urgent := slices.ContainsFunc(got, func(n Notification) bool { return n.Urgent })
			if urgent != attn {
				t.Errorf("urgent notification %v, attention %v: %+v", urgent, attn, got)
			}
			if quiet(st) && len(got) > 0 {
				t.Errorf("the user did this, yet told %+v", got)
			}

			// The popup: up exactly when the keeper says a person must act;
			// its buttons are the offers; its title is the cause's.
			title, what, do := explain(st)
			if needsUser(st) != (s.NeedsYou && !quiet(st)) {
				t.Errorf("popup %v, NeedsYou %v", needsUser(st), s.NeedsYou)
			}
			var want []string
			for _, it := range popupActions(st) {
				want = append(want, it.Label)
			}
			for label, on := range offerLabels(s.Offers) {
				if on != slices.Contains(want, label) {
					t.Errorf("popup button %q shown %v, offered %v", label, !on, on)
				}
			}
			if title != textFor(s.Cause).Title {
				t.Errorf("popup title %q for cause %q", title, s.Cause)
			}

			// Every text tells the user to choose only what is offered.
			texts := []string{message(what, do)}
			for _, n := range got {
				texts = append(texts, n.Body)
			}
			for _, text := range texts {
				for _, l := range namedActions(text) {
					if !offerLabels(s.Offers)[l] {
						t.Errorf("%q says to choose %q, which is not offered (%+v)", text, l, s.Offers)
					}
				}
			}
		})
	}
}

// The same, through the tray itself: the menu it builds, the icon it
// sets, the popup it opens, the notifications it sends.
func TestCatalogueThroughTheTray(t *testing.T) {
	for name, st := range catalogue(t) {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, authenticated())
			eventually(t, "authenticated", func() bool { return strings.HasPrefix(h.menu(), "(Authenticated") })
			h.backend.set(st)
			want := menuLines(menuModel(st, false))
			eventually(t, "menu "+want, func() bool { return h.menu() == want })
			var icon IconState
			var popup bool
			h.ui.do(func() { icon, popup = h.tray.lastIcon, h.tray.popupOpen })
			if icon != iconFor(st) {
				t.Errorf("tray icon %v, want %v", icon, iconFor(st))
			}
			if wantPopup := needsUser(st) && !textFor(st.Session.Cause).NoPopup; popup != wantPopup {
				t.Errorf("popup open %v, want %v", popup, wantPopup)
			}
			if attention(st) {
				eventually(t, "an urgent notification", func() bool {
					h.notes.mu.Lock()
					defer h.notes.mu.Unlock()
					return slices.ContainsFunc(h.notes.got, func(n Notification) bool { return n.Urgent })
				})
			}
		})
	}
}
