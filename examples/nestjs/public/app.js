// The dashboard: asks the server who is signed in; tokens stay in HttpOnly cookies.
'use strict';

const $ = (id) => document.getElementById(id);

// Where the server's routes are (a configured global prefix included): { authBase, apiBase }.
const routes = fetch('/app/config.json', { credentials: 'same-origin' }).then((res) => {
  if (!res.ok) throw new Error(`/app/config.json: ${res.status}`);
  return res.json();
});
const authUrl = async (route) => `${(await routes).authBase}/${route}`;
const apiUrl = async (route) => `${(await routes).apiBase}/${route}`;

async function getJson(url, init) {
  const res = await fetch(url, { credentials: 'same-origin', ...init });
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  return { status: res.status, ok: res.ok, body };
}

function showError(text) {
  $('error').textContent = text;
  $('error').hidden = !text;
}

async function loadMe() {
  const me = await getJson(await apiUrl('me'));
  $('me').textContent = me.ok ? JSON.stringify(me.body.user, null, 2) : `${me.status} ${JSON.stringify(me.body)}`;
}

async function render() {
  const session = await getJson(await authUrl('session'));
  if (!session.ok) {
    $('login').href = `${await authUrl('login')}?redirect=/app/`;
    $('signed-in').hidden = true;
    $('signed-out').hidden = false;
    document.body.dataset.state = 'signed-out';
    return;
  }
  const p = session.body.principal;
  $('principal-name').textContent = p.name || p.email || p.sub;
  $('principal-role').textContent = p.role || 'user';
  $('principal').textContent = JSON.stringify(p, null, 2);
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  await loadMe();
  document.body.dataset.state = 'signed-in';
}

async function refresh() {
  $('status').textContent = 'Refreshing...';
  const r = await getJson(await authUrl('refresh'), { method: 'POST' });
  if (!r.ok) {
    $('status').textContent = '';
    showError(`refresh failed: ${r.status} ${JSON.stringify(r.body)}`);
    await render();
    return;
  }
  const at = new Date(r.body.expiresAt * 1000).toLocaleTimeString();
  $('status').textContent = `Tokens refreshed; the new access token expires at ${at}.`;
  $('status').dataset.refreshed = String(Number($('status').dataset.refreshed || 0) + 1);
  await loadMe();
}

async function logout() {
  const r = await getJson(await authUrl('logout'), { method: 'POST' });
  if (!r.ok) {
    showError(`logout failed: ${r.status} ${JSON.stringify(r.body)}`);
    return;
  }
  // The cookies are gone already; the provider ends its own session and comes back here.
  window.location.assign(r.body.logoutUrl);
}

document.addEventListener('DOMContentLoaded', () => {
  const error = new URLSearchParams(window.location.search).get('error');
  if (error) showError(`login failed: ${error}`);
  $('refresh').addEventListener('click', () => { refresh().catch((e) => showError(String(e))); });
  $('logout').addEventListener('click', () => { logout().catch((e) => showError(String(e))); });
  render().catch((e) => showError(String(e)));
});
