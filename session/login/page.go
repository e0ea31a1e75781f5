package login

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chromedp/chromedp"
)

// pageState is what the login page shows at one moment.
type pageState string

const (
	stateNone    pageState = "none"    // loading, navigating, or nothing we know
	stateForm    pageState = "form"    // username and password fields
	statePicker  pageState = "picker"  // second-factor device list
	stateCode    pageState = "code"    // security-code input
	statePush    pageState = "push"    // IB Key: waiting for the tap in IBKR Mobile
	statePromo   pageState = "promo"   // the IB Key promotion, with its skip link
	stateError   pageState = "error"   // an error text is shown
	stateSuccess pageState = "success" // "Client login succeeds"
)

// probe is the answer of probeJS.
type probe struct {
	State pageState `json:"state"`
	Text  string    `json:"text"`
	// Set is the index of the first selector set whose username field is
	// shown (only from findSetJS), -1 when none.
	Set int `json:"set"`
	// Ready is document.readyState == "complete".
	Ready bool `json:"ready"`
	// BadSelector names a selector the browser could not parse.
	BadSelector string `json:"badSelector"`
}

// pageHelpers is shared by the scripts below. A selector the browser cannot
// parse is reported rather than thrown, so a typo in user-supplied sets
// becomes a clear message.
const pageHelpers = `
const bad = [];
function q(sel) {
  if (!sel) return null;
  try { return document.querySelector(sel); } catch (e) { bad.push(sel); return null; }
}
function shown(el) {
  if (!el || el.getClientRects().length === 0) return false;
  const st = getComputedStyle(el);
  return st.visibility !== 'hidden' && st.display !== 'none';
}
`

// probeJS reports the state of the page for one selector set (%s: the set
// as JSON). Order matters: success and errors win over inputs still shown.
const probeJS = `(function (s) {` + pageHelpers + `
  const ready = document.readyState === 'complete';
  const body = document.body ? document.body.innerText : '';
  let r = {state: 'none', text: '', set: -1, ready: ready, badSelector: ''};
  const err = q(s.error);
  if (s.successText && body.includes(s.successText)) r.state = 'success';
  else if (shown(err) && err.innerText.trim() !== '') { r.state = 'error'; r.text = err.innerText.trim(); }
  else if (shown(q(s.promoSkip))) r.state = 'promo';
  else if (shown(q(s.code))) r.state = 'code';
  else if (shown(q(s.push))) r.state = 'push';
  else if (shown(q(s.devicePicker))) r.state = 'picker';
  else if (shown(q(s.username))) r.state = 'form';
  if (bad.length) r.badSelector = bad[0];
  return r;
})(%s)`

// findSetJS returns the index of the first set whose username field is
// shown (%s: the sets as JSON).
const findSetJS = `(function (sets) {` + pageHelpers + `
  const ready = document.readyState === 'complete';
  const body = document.body ? document.body.innerText : '';
  let r = {state: 'none', text: '', set: -1, ready: ready, badSelector: ''};
  for (let i = 0; i < sets.length; i++) {
    if (shown(q(sets[i].username))) { r.set = i; r.state = 'form'; break; }
  }
  if (r.set < 0 && sets.length && sets[0].successText && body.includes(sets[0].successText)) r.state = 'success';
  if (bad.length) r.badSelector = bad[0];
  return r;
})(%s)`

// paperJS reports whether the paper switch is on: true, false, or null
// when the page has no switch (%s: the selector as a JSON string).
const paperJS = `(function (sel) {
  let el = null;
  try { el = sel ? document.querySelector(sel) : null; } catch (e) {}
  return el ? !!el.checked : null;
})(%s)`

// pickDeviceJS chooses a second-factor device in the picker and tells the
// page (%s: picker selector, %s: value). It returns false when the device
// is not offered.
const pickDeviceJS = `(function (sel, value) {
  const el = document.querySelector(sel);
  if (!el || !Array.from(el.options).some(o => o.value === value)) return false;
  el.value = value;
  el.dispatchEvent(new Event('input', {bubbles: true}));
  el.dispatchEvent(new Event('change', {bubbles: true}));
  return true;
})(%s, %s)`

// offeredJS lists the values of the picker's options (%s: selector).
const offeredJS = `(function (sel) {
  const el = document.querySelector(sel);
  return el ? Array.from(el.options).map(o => o.value).filter(v => v !== '') : [];
})(%s)`

// clickJS clicks the first element sel matches, if shown (%s: selector).
// A script click, not a synthetic mouse event: the element may be moving
// or covered while the page animates.
const clickJS = `(function (sel) {
  const el = document.querySelector(sel);
  if (!el || el.getClientRects().length === 0) return false;
  el.click();
  return true;
})(%s)`

// clearJS empties an input before typing into it (%s: selector).
const clearJS = `(function (sel) {
  const el = document.querySelector(sel);
  if (el) { el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true})); }
  return true;
})(%s)`

// blankInputsJS empties every form field (the password and the code are
// typed into them) and returns the page's HTML, for diagnostics.
const blankInputsJS = `(function () {
  for (const el of document.querySelectorAll('input, textarea')) {
    if (el.type === 'checkbox' || el.type === 'radio') continue;
    el.value = '';
    el.removeAttribute('value');
  }
  return '<!DOCTYPE html>\n' + document.documentElement.outerHTML;
})()`

func jsArg(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only strings and selector sets are passed
	}
	return string(b)
}

// pollEvery is how often the page is looked at while waiting.
const pollEvery = 50 * time.Millisecond

// waitFor evaluates script until done accepts its answer or ctx ends.
// Evaluation errors while the page navigates are expected and retried.
func waitFor(ctx context.Context, script string, done func(probe) bool) (probe, error) {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	var last probe
	var lastErr error
	for {
		p, err := chromedp.Run(ctx, chromedp.Evaluate[probe](script))
		if err == nil {
			last = p
			if p.BadSelector != "" {
				return p, &Error{Kind: PageChanged, Msg: fmt.Sprintf(
					"The login selector %q is not valid CSS; fix the login selectors in the settings.", p.BadSelector)}
			}
			if done(p) {
				return p, nil
			}
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr != nil && last.State == "" {
				return last, errors.Join(ctx.Err(), lastErr)
			}
			return last, ctx.Err()
		case <-t.C:
		}
	}
}
