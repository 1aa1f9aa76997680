// The frontend callback: trades the one-time exchange code for HttpOnly cookies, then goes
// where the login was meant to go. No token ever appears in a URL or in this page.
'use strict';

// The same rule as the server's safeRedirect: a path on this site, nothing else
// (no scheme, no `//host`, no `/\host`, no control characters).
function sameSitePath(target) {
  if (typeof target !== 'string' || !target.startsWith('/') || target.startsWith('//')
      || target.includes('\\') || /[\u0000-\u001f\u007f]/.test(target)) {
    return '/';
  }
  try {
    const url = new URL(target, window.location.origin);
    return url.origin === window.location.origin ? url.pathname + url.search + url.hash : '/';
  } catch {
    return '/';
  }
}

async function exchange() {
  const params = new URLSearchParams(window.location.search);
  const code = params.get('code');
  const redirect = params.get('redirect') || '/app/';
  // Take the code out of the address bar and the history at once.
  window.history.replaceState(null, '', '/app/callback.html');
  if (!code) throw new Error('no exchange code in the callback URL');
  const routes = await (await fetch('/app/config.json', { credentials: 'same-origin' })).json();
  const res = await fetch(`${routes.authBase}/exchange`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code, redirect }),
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`exchange failed: ${res.status} ${JSON.stringify(body)}`);
  // `redirect` has been through the server's safeRedirect; checked here once more.
  window.location.replace(sameSitePath(body.redirect));
}

exchange().catch((err) => {
  document.querySelector('h1').textContent = 'Sign-in failed';
  const el = document.getElementById('error');
  el.textContent = String(err.message || err);
  el.hidden = false;
  document.getElementById('home').hidden = false;
});
