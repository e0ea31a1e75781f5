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
  const IBKEY_NOTE = 'IB Key notifications are not available in the simulator. Please select Mobile Authenticator App.';
  let sel = SELECTORS.current;
  let attempt = null;
  let devices = [];

  function $(q) { return document.querySelector(q); }

  function render() {
    sel = SELECTORS[document.body.dataset.version] || SELECTORS.current;
    const tpl = document.getElementById('login-form');
    document.getElementById('app').replaceChildren(tpl.content.cloneNode(true));
    $('#toggle1').addEventListener('change', onToggle);
    $(sel.form).addEventListener('submit', onSubmit);
    $(sel.select).addEventListener('change', onDevice);
    $(sel.select).addEventListener('input', onDevice);
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
    if (btn.disabled) return;
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

  function handle(a) {
    if (a.result === 'ok') {
      const f = document.getElementById('dispatch');
      f.elements.loginToken.value = a.token;
      f.submit();
      return;
    }
    if (a.result === '2fa') {
      attempt = a.attempt;
      devices = a.devices || [];
      showSecondFactor();
      return;
    }
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
    } else {
      $(sel.picker).hidden = true;
      showCodeInput();
    }
  }

  function showCodeInput() {
    $(sel.codeBlock).hidden = false;
    $(sel.code).focus();
  }

  function onDevice() {
    const v = $(sel.select).value;
    const note = $('.login-step-notification');
    note.hidden = v !== '5.2a';
    note.textContent = v === '5.2a' ? IBKEY_NOTE : '';
    if (v === '4') showCodeInput(); else $(sel.codeBlock).hidden = true;
  }

  function backToPassword() {
    attempt = null;
    devices = [];
    $('#twofactbase').hidden = true;
    $(sel.creds).hidden = false;
    $(sel.pass).value = '';
  }

  setTimeout(render, Number(document.body.dataset.renderDelay) || 0);
})();
