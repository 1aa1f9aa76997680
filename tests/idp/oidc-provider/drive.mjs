// Starts the test provider (server.mjs) and logs in through it without a browser.
//
//   import { startProvider, driveLogin, driveLogout, CookieJar } from './drive.mjs';
//   const idp = await startProvider(['--alg', 'ES256']);
//   const callback = await driveLogin(authorizationUrl, { user: 'alice', password: 'alice-password' });
//   await idp.stop();
//
// See README.md beside this file.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURE_DIR = dirname(fileURLToPath(import.meta.url));

// Starts `node server.mjs ...args` and resolves once it printed READY. The server exits when
// stop() closes its stdin, or when this process dies.
export async function startProvider(args = [], { timeoutMs = 20000 } = {}) {
  const child = spawn(process.execPath, [join(FIXTURE_DIR, 'server.mjs'), ...args], {
    cwd: FIXTURE_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    stderr += d;
    if (process.env.OIDC_PROVIDER_STDERR) process.stderr.write(d);
  });
  child.stdout.setEncoding('utf8');

  const ready = await new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server.mjs printed no READY line within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    const onData = (d) => {
      buffer += d;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      const line = buffer.slice(0, nl);
      if (!line.startsWith('READY ')) {
        child.kill('SIGKILL');
        reject(new Error(`unexpected first line from server.mjs: ${line}`));
        return;
      }
      try {
        resolve(JSON.parse(line.slice('READY '.length)));
      } catch (err) {
        child.kill('SIGKILL');
        reject(err);
      }
    };
    const onExit = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server.mjs exited before READY (${signal ?? code})\n${stderr}`));
    };
    child.stdout.on('data', onData);
    child.on('exit', onExit);
  });
  child.stdout.resume();
  const exited = new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.on('exit', () => resolve());
  });

  const origin = `http://127.0.0.1:${ready.port}`;
  return {
    pid: child.pid,
    port: ready.port,
    issuer: ready.issuer,
    clientId: ready.client_id,
    clientSecret: ready.client_secret,
    origin,
    ready,
    get stderr() { return stderr; },
    // POST /_control/NAME with a JSON body; resolves with the JSON answer, rejects unless 200.
    async control(name, body = {}) {
      const res = await fetch(`${origin}/_control/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`/_control/${name} answered ${res.status}: ${text}`);
      return JSON.parse(text);
    },
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// A tiny cookie jar: name/value/path per host, enough for the provider's session and
// interaction cookies. Share one between driveLogin() and driveLogout().
export class CookieJar {
  #cookies = []; // { host, name, value, path, expires }

  store(url, setCookieHeaders) {
    const { host } = new URL(url);
    for (const header of setCookieHeaders) {
      const [pair, ...attrs] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = '/';
      let expires = Infinity;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k.trim().toLowerCase();
        if (key === 'path') path = v.trim() || '/';
        else if (key === 'max-age') expires = Date.now() + Number(v) * 1000;
        else if (key === 'expires' && expires === Infinity) expires = Date.parse(v);
      }
      this.#cookies = this.#cookies.filter((c) => !(c.host === host && c.name === name && c.path === path));
      if (value !== '' && !(expires <= Date.now())) this.#cookies.push({ host, name, value, path, expires });
    }
  }

  header(url) {
    const { host, pathname } = new URL(url);
    const now = Date.now();
    return this.#cookies
      .filter((c) => c.host === host && c.expires > now
        && (pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

async function request(url, jar, { method = 'GET', form } = {}) {
  const headers = {};
  const cookie = jar.header(url);
  if (cookie) headers.cookie = cookie;
  let body;
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const res = await fetch(url, { method, headers, body, redirect: 'manual' });
  jar.store(url, res.headers.getSetCookie());
  return res;
}

const unescapeHtml = (s) => s.replace(/&(amp|lt|gt|quot|#39|#x27|#x2F);/g, (_, e) => ({
  amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", '#x2F': '/',
}[e]));

function attribute(tag, name) {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  return m ? unescapeHtml(m[1] ?? m[2] ?? m[3]) : undefined;
}

// The first form of a page: its action and its named inputs (value as given).
export function parseForm(html) {
  const m = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!m) return undefined;
  const tag = /<form\b[^>]*>/i.exec(m[0])[0];
  const fields = [];
  for (const input of m[1].match(/<input\b[^>]*>/gi) ?? []) {
    const name = attribute(input, 'name');
    if (name !== undefined) fields.push([name, attribute(input, 'value') ?? '']);
  }
  return { action: attribute(tag, 'action') ?? '', fields };
}

// What an error page says: its #error and #error_description, or the start of its text.
function describe(status, url, html) {
  const pick = (id) => {
    const m = new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html);
    return m ? unescapeHtml(m[1]).trim() : undefined;
  };
  const error = pick('error');
  const description = pick('error_description');
  const text = error ? `${error}${description ? `: ${description}` : ''}`
    : html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
  return `HTTP ${status} at ${url}: ${text}`;
}

// Logs in through the provider's pages: GET the authorization URL, follow redirects, post
// the login form (and the consent form when shown), and resolve with the first redirect
// that leaves the provider's origin (the callback URL with code and state, or error and
// error_description), which is not followed.
export async function driveLogin(authorizationUrl, {
  user, password, jar = new CookieJar(), maxSteps = 30,
} = {}) {
  const origin = new URL(authorizationUrl).origin;
  let url = authorizationUrl;
  let next = {};
  let loginPosted = false;
  for (let step = 0; step < maxSteps; step += 1) {
    const res = await request(url, jar, next);
    if (REDIRECTS.has(res.status)) {
      await res.arrayBuffer();
      const location = res.headers.get('location');
      if (!location) throw new Error(`HTTP ${res.status} without Location at ${url}`);
      const target = new URL(location, url).href;
      if (new URL(target).origin !== origin) return target;
      url = target;
      next = {};
      continue;
    }
    const html = await res.text();
    const form = res.status === 200 ? parseForm(html) : undefined;
    if (!form) throw new Error(`login failed: ${describe(res.status, url, html)}`);
    const fields = form.fields.filter(([name]) => name !== 'login' && name !== 'password');
    if (form.fields.some(([name]) => name === 'password')) {
      if (loginPosted) throw new Error(`login rejected for ${user}: ${describe(res.status, url, html)}`);
      fields.push(['login', user], ['password', password]);
      loginPosted = true;
    }
    const action = new URL(form.action || url, url).href;
    if (new URL(action).origin !== origin) {
      throw new Error(`the provider answered with a form posting to ${action} (response_mode=form_post is not supported)`);
    }
    url = action;
    next = { method: 'POST', form: fields };
  }
  throw new Error(`login did not reach the redirect URI within ${maxSteps} requests`);
}

// Follows an end-session URL: posts the self-submitting logout form, follows redirects, and
// resolves with the final Location: the post_logout_redirect_uri (with state) when it leaves
// the provider, else the provider's "signed out" page URL. Pass the jar used by driveLogin()
// to end that session.
export async function driveLogout(endSessionUrl, { jar = new CookieJar(), maxSteps = 10 } = {}) {
  const origin = new URL(endSessionUrl).origin;
  let url = endSessionUrl;
  let next = {};
  let lastLocation;
  for (let step = 0; step < maxSteps; step += 1) {
    const res = await request(url, jar, next);
    if (REDIRECTS.has(res.status)) {
      await res.arrayBuffer();
      const location = res.headers.get('location');
      if (!location) throw new Error(`HTTP ${res.status} without Location at ${url}`);
      const target = new URL(location, url).href;
      if (new URL(target).origin !== origin) return target;
      lastLocation = target;
      url = target;
      next = {};
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`logout failed: ${describe(res.status, url, html)}`);
    const form = parseForm(html);
    if (!form) {
      if (lastLocation) return lastLocation;
      throw new Error(`logout failed: no redirect from ${url}`);
    }
    const fields = form.fields;
    if (!fields.some(([name]) => name === 'logout')) fields.push(['logout', 'yes']);
    url = new URL(form.action || url, url).href;
    next = { method: 'POST', form: fields };
  }
  throw new Error(`logout did not finish within ${maxSteps} requests`);
}
