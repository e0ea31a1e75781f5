// The simulated Client Portal login page. Like IBKR's, it renders the form
// after the page has loaded, so automation must wait for the elements.
'use strict';
(function () {
  const SELECTORS = {
    current: {
      form: 'form.xyzform-submit', user: '#xyz-field-username', pass: '#xyz-field-password',
      submit: 'form.xyzform-submit button[type=submit]', creds: '.xyzblock-credentials',
      picker: '.xyzblock-multiplesf', select: 'select.xyz-multipleselect',
      codeBlock: '.xyzblock-silver', code: '#xyz-field-silver-response', error: '.xyz-errormessage',
    },
    '2022': {
      form: 'form[name=loginform]', user: '#user_name', pass: '#password',
      submit: '#submitForm', creds: '.credentials-block',
      picker: '.sf-select-block', select: '#sf_select',
      codeBlock: '.chlg-block', code: '#chlginput', error: '#ERRORMSG',
    },
  };
  const IBKEY = '5.2a';
  const POLL_MS = 500; // how often the push step asks whether the phone answered
  let sel = SELECTORS.current;
  let attempt = null;
  let devices = [];
  let pushing = false; // the IB Key notification is out: poll, no submit
  let pollTimer = null;

  function $(q) { return document.querySelector(q); }

  function render() {
    sel = SELECTORS[document.body.dataset.version] || SELECTORS.current;
    const tpl = document.getElementById('login-form');
    document.getElementById('app').replaceChildren(tpl.content.cloneNode(true));
    $('#toggle1').addEventListener('change', onToggle);
    $(sel.form).addEventListener('submit', onSubmit);
    $(sel.select).addEventListener('change', onDevice);
    $(sel.select).addEventListener('input', onDevice);
    $('.notification-fallback').addEventListener('click', onFallback);
    $('.challenge-submit').addEventListener('click', onChallenge);
    $(sel.user).focus();
  }

  function onToggle() {
    const paper = $('#toggle1').checked;
    document.body.classList.toggle('paper-trading', paper);
    $(sel.submit).textContent = paper ? 'Simulated Login' : 'Login';
  }

  function showError(text) {
    const e = $(sel.error);
    e.textContent = text;
    e.hidden = !text;
  }

  async function post(body) {
    const r = await fetch('/sso/Authenticator', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    return r.json();
  }

  async function onSubmit(ev) {
    ev.preventDefault();
    const btn = $(sel.submit);
    if (btn.disabled || pushing) return;
    if (attempt && $(sel.codeBlock).hidden) {
      onDevice(); // a device was picked without a change event
      return;
    }
    showError('');
    btn.disabled = true;
    try {
      handle(attempt ? await sendCode() : await sendPassword());
    } catch (e) {
      showError('failed');
    } finally {
      btn.disabled = false;
    }
  }

  function sendPassword() {
    return post({ step: 'password', username: $(sel.user).value, password: $(sel.pass).value, paper: $('#toggle1').checked });
  }

  function sendCode() {
    const device = devices.length >= 2 ? $(sel.select).value : devices[0];
    return post({ step: 'code', attempt: attempt, device: device, code: $(sel.code).value.trim() });
  }

  function dispatch(token, promo) {
    const f = document.getElementById('dispatch');
    f.elements.loginToken.value = token;
    f.elements.ibkeyPromo.value = promo || '';
    f.submit();
  }

  function handle(a) {
    if (a.result === 'ok') {
      stopPolling();
      if (a.promo) showPromo(a.token); else dispatch(a.token);
      return;
    }
    if (a.result === '2fa') {
      attempt = a.attempt;
      devices = a.devices || [];
      showSecondFactor();
      if (devices.length === 1 && devices[0] === IBKEY) startPush();
      return;
    }
    if (a.result === 'push') {
      showPush();
      poll();
      return;
    }
    if (a.result === 'pending') {
      poll();
      return;
    }
    stopPolling();
    showError(a.error || 'failed');
    if (a.restart) {
      backToPassword();
    } else if (attempt) {
      $(sel.code).value = '';
    }
  }

  function showSecondFactor() {
    $(sel.creds).hidden = true;
    $('#twofactbase').hidden = false;
    if (devices.length >= 2) {
      for (const o of Array.from($(sel.select).options)) {
        if (o.value && !devices.includes(o.value)) o.remove();
      }
      $(sel.picker).hidden = false;
      $(sel.codeBlock).hidden = true;
    } else if (devices[0] !== IBKEY) {
      $(sel.picker).hidden = true;
      showCodeInput();
    } else {
      $(sel.picker).hidden = true;
    }
  }

  function showCodeInput() {
    $(sel.codeBlock).hidden = false;
    $(sel.code).focus();
  }

  function onDevice() {
    const v = $(sel.select).value;
    if (v === IBKEY) { startPush(); return; }
    if (v === '4') showCodeInput(); else $(sel.codeBlock).hidden = true;
  }

  // IB Key: the server sends the notification; the page shows the push
  // step and asks every POLL_MS whether the phone answered.
  async function startPush() {
    if (pushing) return;
    pushing = true;
    showError('');
    try {
      handle(await post({ step: 'code', attempt: attempt, device: IBKEY }));
    } catch (e) {
      pushing = false;
      showError('failed');
    }
  }

  function showPush() {
    $(sel.picker).hidden = true;
    $(sel.codeBlock).hidden = true;
    $(sel.submit).hidden = true;
    const note = $('.login-step-notification');
    note.querySelector('.notification-text').textContent = document.body.dataset.ibkeySent;
    note.hidden = false;
  }

  function poll() {
    stopPolling();
    pollTimer = setTimeout(async function () {
      if (!attempt) return;
      try {
        handle(await post({ step: 'poll', attempt: attempt }));
      } catch (e) {
        poll(); // a lost answer: ask again
      }
    }, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = null;
  }

  // "Didn't receive the notification?": the challenge/response fallback.
  // The push stays out meanwhile, so approving it still logs in.
  function onFallback(ev) {
    ev.preventDefault();
    $('.login-step-notification').hidden = true;
    const gold = $('.xyzblock-gold');
    gold.querySelector('.challenge-code').textContent = String(Math.floor(10000000 + Math.random() * 89999999));
    gold.hidden = false;
    $('#xyz-field-gold-response').focus();
  }

  async function onChallenge() {
    try {
      handle(await post({ step: 'challenge', attempt: attempt, code: $('#xyz-field-gold-response').value.trim() }));
    } catch (e) {
      showError('failed');
    }
    if (pushing && attempt) poll();
  }

  // IBKR's IB Key promotion after the login form; its skip link goes on.
  function showPromo(token) {
    const tpl = document.getElementById('ibkey-promo');
    document.getElementById('app').replaceChildren(tpl.content.cloneNode(true));
    $('.ibkey-promo-skip').addEventListener('click', function (ev) { ev.preventDefault(); dispatch(token, 'skipped'); });
    $('.ibkey-promo-activate').addEventListener('click', function () { dispatch(token, 'activate'); });
  }

  function backToPassword() {
    stopPolling();
    pushing = false;
    attempt = null;
    devices = [];
    $('#twofactbase').hidden = true;
    $('.login-step-notification').hidden = true;
    $('.xyzblock-gold').hidden = true;
    $(sel.submit).hidden = false;
    $(sel.select).value = '';
    $(sel.creds).hidden = false;
    $(sel.pass).value = '';
  }

  setTimeout(render, Number(document.body.dataset.renderDelay) || 0);
})();
