// Everything has a deadline: the NestJS example on the Redis store while redis-server and the
// identity provider stop under it, first frozen (SIGSTOP: connections are accepted by the
// kernel and never answered, the hang a client without timeouts waits on forever), then shut
// down (connections refused), then back. Requests that need what is gone fail within the
// configured timeouts with a stable code (a redirect to /app/?error=<code> for the browser
// routes, 503 {error} for the JSON ones), never a hang and never a 500. The guarded API keeps
// answering 200 for a valid access token while the provider is away (cached keys); while
// Redis is, it answers 503 store_unavailable within the store's deadline, because the example
// consults the deny list of ended sessions in Redis and that check fails closed; a second
// instance on the same Redis with the deny list off (DENY_LIST=off) keeps answering 200
// throughout, since verifying a token then needs neither Redis nor the provider. The process
// stays up, run with --unhandled-rejections=strict, well past the moment a Redis outage during
// a login used to take the whole process down through an un-awaited write; and once both are
// back the API answers again and a new login works without restarting the app.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { driveLogin, startProvider } from '../idp/oidc-provider/drive.mjs';
import {
  authCookies, dashboardState, launchBrowser, newSession, pageFetch, signInAtProvider,
} from './lib/browser.mjs';
import {
  USERS, freePort, startApp, startRedis, startStack,
} from './lib/stack.mjs';

// The deadlines behind the bounds below: the example sets no timeout of its own, so these
// are oidcore's defaults (README, "Timeouts").
const STORE_BUDGET_MS = 1000 + 1000; // RedisStore connect_timeout + command_timeout
const HTTP_BUDGET_MS = 5000; // http_timeout: a whole provider request, connecting included
// What a loaded two-core machine may add on top (scheduling, the libuv pool's queue).
const SLACK_MS = 5000;
const STORE_BOUND_MS = STORE_BUDGET_MS + SLACK_MS;
// A callback spends at most the store's budget (consuming the state) and the HTTP one (the
// code exchange) before it fails.
const HTTP_BOUND_MS = STORE_BUDGET_MS + HTTP_BUDGET_MS + SLACK_MS;
// Node's default libuv pool, where every store and provider call of the binding runs.
const POOL_THREADS = 4;
// When the old way's process died after the start of the Redis outage.
const OLD_CRASH_MS = 73000;
// Longer than any bound: a request still unanswered after this is a hang.
const HANG_MS = 60000;

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

describe('outages of Redis and of the provider, Redis store', () => {
  let stack;
  let openApp; // a second instance on the same Redis and provider, DENY_LIST=off
  let redis; // the current redis-server (restarted on the same port)
  let provider; // the current provider (restarted on the same port)
  const extra = []; // what the test started itself, stopped at the end
  let tokens; // alice's cookies from the first login
  const spare = []; // other sessions' cookies, to log out during the outages
  let outageStartedAt;
  const failures = [];

  before(async () => {
    stack = await startStack({ store: 'redis', appNodeArgs: ['--unhandled-rejections=strict'] });
    ({ redis, provider } = stack);
    openApp = await startApp({
      provider, port: await freePort(), redisUrl: redis.url, nodeArgs: ['--unhandled-rejections=strict'],
      appEnv: { DENY_LIST: 'off' },
    });
    extra.push(openApp);
  });
  after(async () => {
    // Nothing stays frozen: a stopped process would not see SIGTERM.
    for (const p of [redis, provider]) {
      try { process.kill(p.pid, 'SIGCONT'); } catch { /* gone already */ }
    }
    if (failures.length && stack) {
      process.stderr.write(stack.logs());
      if (provider !== stack.provider) process.stderr.write(`--- provider (restarted) ---\n${provider.stderr}\n`);
      if (redis !== stack.redis) process.stderr.write(`--- redis (restarted) ---\n${redis.output}\n`);
    }
    await stack?.stop();
    for (const s of extra.reverse()) await s.stop().catch(() => {});
  });
  const step = (name, fn) => it(name, { timeout: 120000 }, async () => {
    try {
      await fn();
    } catch (err) {
      failures.push(name);
      throw err;
    }
  });

  /**
   * One request to the app, not following redirects: `{status, location, body, ms}`. A
   * request still unanswered after HANG_MS fails the test as a hang.
   */
  async function request(path, { method = 'GET', headers = {}, body, base = stack.appUrl } = {}) {
    const started = performance.now();
    let res;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { ...(method === 'POST' ? { Origin: stack.appUrl } : {}), ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(HANG_MS),
      });
    } catch (err) {
      throw new Error(`${method} ${path}: no answer after ${Math.round(performance.now() - started)} ms (${err.message})`);
    }
    const text = await res.text();
    const ms = performance.now() - started;
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return {
      status: res.status, location: res.headers.get('location'), setCookies: res.headers.getSetCookie(), body: json ?? text, ms,
    };
  }

  function within(answer, boundMs, what) {
    if (process.env.E2E_VERBOSE) process.stderr.write(`[outage] ${what}: ${answer.status} in ${Math.round(answer.ms)} ms\n`);
    assert.ok(answer.ms < boundMs, `${what} answered after ${Math.round(answer.ms)} ms, over its bound of ${boundMs} ms`);
  }

  // The browser routes: back to the start page with the stable code.
  function failsTo(answer, code, boundMs, what) {
    within(answer, boundMs, what);
    assert.equal(answer.status, 302, `${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
    assert.equal(answer.location, `/app/?error=${code}`, what);
  }

  // The JSON routes: 503 with the stable code.
  function unavailable(answer, code, boundMs, what) {
    within(answer, boundMs, what);
    assert.equal(answer.status, 503, `${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
    assert.deepEqual(answer.body, { error: code }, what);
  }

  const cookieHeader = (pairs) => Object.entries(pairs).map(([k, v]) => `${k}=${v}`).join('; ');
  const exchange = (code) => request('/auth/exchange', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }),
  });
  const refresh = () => request('/auth/refresh', {
    method: 'POST', headers: { Cookie: cookieHeader({ refresh_token: tokens.refresh_token.value }) },
  });
  // Logging out one of the spare sessions: the cookies go whatever else fails.
  async function logoutWithin(boundMs, what) {
    const session = spare.shift();
    const answer = await request('/auth/logout', {
      method: 'POST', headers: { Cookie: cookieHeader({ access_token: session.access_token.value, id_token: session.id_token.value }) },
    });
    within(answer, boundMs, what);
    assert.ok(answer.status === 200 || answer.status === 503, `${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
    assert.ok(answer.setCookies.some((c) => /^access_token=;/.test(c) && /Max-Age=0/i.test(c)),
      `${what}: the access token cookie is not cleared: ${answer.setCookies}`);
  }

  // A well-formed exchange code that was never issued: only the store can tell.
  const unknownCode = () => randomBytes(32).toString('base64url');

  /** /api/me answers 200 for alice's access token, in a cookie and as a Bearer token. */
  async function meStillServed(boundMs, what) {
    const access = tokens.access_token.value;
    for (const headers of [{ Cookie: cookieHeader({ access_token: access }) }, { Authorization: `Bearer ${access}` }]) {
      const me = await request('/api/me', { headers });
      within(me, boundMs, `${what}: /api/me`);
      assert.equal(me.status, 200, `${what}: /api/me answered ${me.status} ${JSON.stringify(me.body)}`);
      assert.equal(me.body.user.email, 'alice@example.com');
    }
  }

  /**
   * The instance without the deny list serves alice's valid token whatever is down: 200,
   * fast, in a cookie and as a Bearer token.
   */
  async function meServedWithoutDenyList(boundMs, what) {
    const access = tokens.access_token.value;
    for (const headers of [{ Cookie: cookieHeader({ access_token: access }) }, { Authorization: `Bearer ${access}` }]) {
      const me = await request('/api/me', { headers, base: openApp.url });
      within(me, boundMs, `${what}: /api/me, DENY_LIST=off`);
      assert.equal(me.status, 200, `${what}: /api/me, DENY_LIST=off, answered ${me.status} ${JSON.stringify(me.body)}`);
      assert.equal(me.body.user.email, 'alice@example.com');
    }
    assert.ok(openApp.running, `${what}: the DENY_LIST=off instance exited\n${openApp.output}`);
  }

  /**
   * Without Redis the deny list cannot be asked: /api/me and /auth/session refuse alice's
   * valid token, fast and saying why (503 store_unavailable), rather than letting a
   * logged-out token through.
   */
  async function meFailsClosed(boundMs, what) {
    const access = tokens.access_token.value;
    for (const headers of [{ Cookie: cookieHeader({ access_token: access }) }, { Authorization: `Bearer ${access}` }]) {
      unavailable(await request('/api/me', { headers }), 'store_unavailable', boundMs, `${what}: /api/me`);
      // The Passport strategy's route too: an outage, not a bad token (no 401).
      unavailable(await request('/auth/session', { headers }), 'store_unavailable', boundMs, `${what}: /auth/session`);
    }
  }

  function appAlive(what) {
    assert.ok(stack.app.running, `${what}: the app exited\n${stack.app.output}`);
    process.kill(stack.app.pid, 0); // throws when there is no such process
  }

  /**
   * A login up to the provider's redirect back, driven without a browser (drive.mjs): the
   * callback URL and the login binding cookie, to be sent to the app later, when something
   * is down. Its state is in the store by then.
   */
  async function heldCallback(user = USERS.bob) {
    const start = await request('/auth/login?redirect=/app/');
    assert.equal(start.status, 302, JSON.stringify(start.body));
    const binding = start.setCookies.map((c) => /^oidc_login=([^;]+)/.exec(c)?.[1]).find(Boolean);
    assert.ok(binding, 'the login binding cookie');
    const callback = new URL(await driveLogin(start.location, { user: user.user, password: user.password }));
    assert.equal(`${callback.origin}${callback.pathname}`, `${stack.appUrl}/auth/callback`);
    assert.ok(callback.searchParams.get('code'), `a code in ${callback}`);
    return {
      send: () => request(`${callback.pathname}${callback.search}`, { headers: { Cookie: cookieHeader({ oidc_login: binding }) } }),
    };
  }

  /** A whole login in a fresh browser, ending signed in with /api/me answering. */
  async function freshLogin(user = USERS.bob) {
    const session = await newSession(browser);
    try {
      const { page } = session;
      await page.goto(`${stack.appUrl}/app/`);
      assert.equal(await dashboardState(page), 'signed-out');
      await Promise.all([page.waitForURL((u) => u.origin === new URL(provider.issuer).origin), page.click('#login')]);
      await signInAtProvider(page, user, stack.appUrl);
      await page.waitForURL(`${stack.appUrl}/app/`);
      assert.equal(await dashboardState(page), 'signed-in');
      const me = await pageFetch(page, '/api/me');
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.user.email, `${user.user}@example.com`);
      return authCookies(session.context, stack.appUrl);
    } finally {
      await session.close();
    }
  }

  step('log in once, with everything up', async () => {
    tokens = await freshLogin(USERS.alice);
    assert.ok(tokens.access_token && tokens.refresh_token, 'access and refresh token cookies');
    for (let i = 0; i < 2; i += 1) spare.push(await freshLogin());
    await meStillServed(STORE_BOUND_MS, 'everything up');
    await meServedWithoutDenyList(HTTP_BOUND_MS, 'everything up'); // fetches its keys
    // With the store up, an unknown exchange code is a client error, not an outage.
    const answer = await exchange(unknownCode());
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, { error: 'not_found' });
  });

  step('Redis frozen (SIGSTOP): login, callback, exchange and the API fail within the store timeouts', async () => {
    const callback = await heldCallback(); // its state is in Redis
    outageStartedAt = Date.now();
    process.kill(redis.pid, 'SIGSTOP');
    try {
      failsTo(await request('/auth/login?redirect=/app/'), 'store_unavailable', STORE_BOUND_MS, 'GET /auth/login');
      failsTo(await callback.send(), 'store_unavailable', STORE_BOUND_MS, 'GET /auth/callback');
      unavailable(await exchange(unknownCode()), 'store_unavailable', STORE_BOUND_MS, 'POST /auth/exchange');
      await logoutWithin(HTTP_BOUND_MS, 'POST /auth/logout, Redis frozen');

      // A burst of logins: each call holds a libuv thread for at most the store's budget, so
      // the last one waits for at most the waves before it.
      const burst = 8;
      const burstBound = Math.ceil(burst / POOL_THREADS) * STORE_BUDGET_MS + SLACK_MS;
      const logins = Array.from({ length: burst }, () => request('/auth/login'));
      // Meanwhile the guarded API waits its turn for the store, within the same bound.
      await meFailsClosed(burstBound, 'Redis frozen, logins in flight');
      for (const answer of await Promise.all(logins)) {
        failsTo(answer, 'store_unavailable', burstBound, 'GET /auth/login in a burst');
      }
      await meFailsClosed(STORE_BOUND_MS, 'Redis frozen');
      await meServedWithoutDenyList(STORE_BOUND_MS, 'Redis frozen');
      appAlive('Redis frozen');
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    // Thawed: the store serves again without a restart of anything (the connections that
    // timed out were dropped, new ones are made).
    const answer = await exchange(unknownCode());
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, { error: 'not_found' });
    const login = await request('/auth/login');
    assert.equal(login.status, 302);
    assert.ok(login.location.startsWith(new URL(provider.issuer).origin), login.location);
    await meStillServed(STORE_BOUND_MS, 'Redis thawed');
  });

  step('Redis down (shut down): the same fail fast; restarted on its port, a new login works', async () => {
    const callback = await heldCallback();
    await redis.stop();
    failsTo(await request('/auth/login?redirect=/app/'), 'store_unavailable', STORE_BOUND_MS, 'GET /auth/login');
    failsTo(await callback.send(), 'store_unavailable', STORE_BOUND_MS, 'GET /auth/callback');
    unavailable(await exchange(unknownCode()), 'store_unavailable', STORE_BOUND_MS, 'POST /auth/exchange');
    await meFailsClosed(STORE_BOUND_MS, 'Redis down');
    await meServedWithoutDenyList(STORE_BOUND_MS, 'Redis down');
    appAlive('Redis down');

    redis = await startRedis({ port: redis.port });
    extra.push(redis);
    await meStillServed(STORE_BOUND_MS, 'Redis back');
    await freshLogin();
    appAlive('Redis back');
  });

  step('provider frozen (SIGSTOP): callback and refresh fail within the HTTP timeout; login start and /api/me work', async () => {
    const callback = await heldCallback();
    process.kill(provider.pid, 'SIGSTOP');
    try {
      failsTo(await callback.send(), 'http_error', HTTP_BOUND_MS, 'GET /auth/callback');
      unavailable(await refresh(), 'http_error', HTTP_BOUND_MS, 'POST /auth/refresh');
      await logoutWithin(HTTP_BOUND_MS, 'POST /auth/logout, provider frozen');
      // Starting a login needs the store and the discovery document the app already has.
      const login = await request('/auth/login');
      within(login, STORE_BOUND_MS, 'GET /auth/login');
      assert.equal(login.status, 302);
      assert.ok(login.location.startsWith(`${new URL(provider.issuer).origin}/`), login.location);
      await meStillServed(STORE_BOUND_MS, 'provider frozen');
      await meServedWithoutDenyList(STORE_BOUND_MS, 'provider frozen');
      appAlive('provider frozen');
    } finally {
      process.kill(provider.pid, 'SIGCONT');
    }
  });

  step('provider down (shut down): the same fail fast; restarted on its port, a new login works', async () => {
    const callback = await heldCallback();
    const { port, clientSecret } = provider;
    await provider.stop();
    failsTo(await callback.send(), 'http_error', HTTP_BOUND_MS, 'GET /auth/callback');
    unavailable(await refresh(), 'http_error', HTTP_BOUND_MS, 'POST /auth/refresh');
    await meStillServed(STORE_BOUND_MS, 'provider down');
    appAlive('provider down');

    // The same issuer and client; new signing keys, which the app fetches when it meets them.
    provider = await startProvider([
      '--port', String(port), '--client-secret', clientSecret,
      '--redirect-uri', `${stack.appUrl}/auth/callback`, '--post-logout-redirect-uri', `${stack.appUrl}/app/`,
    ]);
    extra.push(provider);
    const bobs = await freshLogin();
    const me = await request('/api/me', { headers: { Authorization: `Bearer ${bobs.access_token.value}` } });
    assert.equal(me.status, 200);
    appAlive('provider back');
  });

  step('still up and answering well past the old crash, nothing unhandled', async () => {
    const wait = outageStartedAt + OLD_CRASH_MS + 5000 - Date.now();
    if (wait > 0) await sleep(wait);
    appAlive(`${Math.round((Date.now() - outageStartedAt) / 1000)} s after the Redis outage began`);
    const session = await request('/auth/session');
    assert.equal(session.status, 401);
    await freshLogin(USERS.alice);
    appAlive('at the end');
    assert.doesNotMatch(stack.app.output, /unhandled|uncaught/i);
  });
});
