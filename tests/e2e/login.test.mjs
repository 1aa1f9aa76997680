// The whole login flow in a real browser: Debian's Chromium (headless, playwright-core)
// against the NestJS example (examples/nestjs, on the oidcore Node binding) and the test
// identity provider (tests/idp/oidc-provider, configured like Authentik). Run once with the
// in-memory store and once with a real redis-server.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  AUTH_COOKIES, authCookies, dashboardState, logOut, launchBrowser, newSession, pageFetch, signInAtProvider,
} from './lib/browser.mjs';
import { APP_DIR, USERS, freePort, startApp, startStack } from './lib/stack.mjs';

/** The claims of a JWT, unverified (the test only compares lifetimes). */
const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

/** The Set-Cookie headers of a recorded response, by cookie name: { value, attributes }. */
function setCookies(headers) {
  const out = {};
  for (const { name, value } of headers) {
    if (name.toLowerCase() !== 'set-cookie') continue;
    for (const line of value.split('\n')) {
      const [pair, ...attrs] = line.split(';').map((p) => p.trim());
      const eq = pair.indexOf('=');
      const attributes = Object.fromEntries(attrs.map((a) => {
        const i = a.indexOf('=');
        return i < 0 ? [a.toLowerCase(), true] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
      }));
      out[pair.slice(0, eq)] = { value: pair.slice(eq + 1), attributes };
    }
  }
  return out;
}

/** The app's own warnings about its configuration (process.emitWarning, on stderr). */
const offlineWarnings = (stack) => stack.app.output.match(/OIDCORE_NO_OFFLINE_ACCESS/g) ?? [];

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

for (const store of ['memory', 'redis']) {
  describe(`login flow, ${store} store`, () => {
    let stack;
    let session;
    let exchangeCode;
    let loginBinding;
    let tokensAfterLogin;
    const failures = [];

    before(async () => {
      stack = await startStack({ store });
      session = await newSession(browser);
    });
    after(async () => {
      await session?.close();
      if (failures.length && stack) process.stderr.write(stack.logs());
      await stack?.stop();
    });
    const step = (name, fn) => it(name, { timeout: 30000 }, async () => {
      try {
        await fn();
      } catch (err) {
        failures.push(name);
        throw err;
      }
    });

    step('the start page offers to log in', async () => {
      await session.page.goto(`${stack.appUrl}/app/`);
      assert.equal(await dashboardState(session.page), 'signed-out');
      assert.equal((await pageFetch(session.page, '/auth/session')).status, 401);
      assert.equal((await pageFetch(session.page, '/api/me')).status, 401);
    });

    step('log in: the provider, the callback, the exchange code, the dashboard', async () => {
      const { page } = session;
      await Promise.all([page.waitForURL((u) => u.origin === new URL(stack.provider.issuer).origin), page.click('#login')]);
      // The login is bound to this browser by a short-lived HttpOnly cookie.
      loginBinding = (await session.context.cookies()).find((c) => c.name === 'oidc_login');
      assert.ok(loginBinding, 'a login binding cookie');
      assert.equal(loginBinding.httpOnly, true);
      assert.equal(loginBinding.path, '/auth');
      if (stack.redis) {
        // The login state went to Redis (sealed, under a hash of the state).
        const keys = await stack.redis.command('KEYS', 'oidcore-nestjs:*');
        assert.match(keys, /^\*1\r\n/, keys);
        const state = new URL(session.navigations.find((u) => u.includes('/authorize'))).searchParams.get('state');
        assert.ok(state && !keys.includes(state), 'the state itself is not a key');
      }
      // The authorization request: PKCE S256, state and nonce, the scopes asked for.
      const authorize = new URL(session.navigations.find((u) => u.includes('/authorize')));
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
      assert.ok(authorize.searchParams.get('state'));
      assert.ok(authorize.searchParams.get('nonce'));
      assert.match(authorize.searchParams.get('scope'), /offline_access/);
      assert.equal(authorize.searchParams.get('redirect_uri'), `${stack.appUrl}/auth/callback`);

      await signInAtProvider(page, USERS.alice, stack.appUrl);
      await page.waitForURL(`${stack.appUrl}/app/`);
      assert.equal(await dashboardState(page), 'signed-in');
      assert.equal(await page.textContent('#principal-name'), 'Alice Example');
      assert.equal(await page.textContent('#principal-role'), 'admin');

      // The frontend callback got a one-time code, and nothing else.
      const callbackPage = new URL(session.navigations.find((u) => u.includes('/app/callback.html')));
      exchangeCode = callbackPage.searchParams.get('code');
      assert.match(exchangeCode, /^[A-Za-z0-9_-]{40,}$/);
      assert.equal(callbackPage.searchParams.get('redirect'), '/app/');
      assert.equal(session.exchanges.length, 1);
      assert.equal(session.exchanges[0].status, 200);
      const exchanged = JSON.parse(session.exchanges[0].body);
      assert.equal(exchanged.ok, true);
      assert.equal(exchanged.redirect, '/app/');
      assert.equal(exchanged.principal.email, 'alice@example.com');
      assert.equal(session.blocked.length, 0, `requests left the site: ${session.blocked}`);
      assert.ok(!(await session.context.cookies()).some((c) => c.name === 'oidc_login'), 'binding cleared');
    });

    step('the tokens are in HttpOnly cookies, invisible to the page and absent from every URL', async () => {
      const cookies = await authCookies(session.page.context(), stack.appUrl);
      assert.deepEqual(Object.keys(cookies).sort(), [...AUTH_COOKIES].sort());
      for (const c of Object.values(cookies)) {
        assert.equal(c.httpOnly, true, `${c.name} is not HttpOnly`);
        assert.equal(c.sameSite, 'Lax', `${c.name} is not SameSite=Lax`);
        assert.equal(c.secure, false, 'Secure only behind https');
      }
      assert.equal(cookies.access_token.path, '/');
      assert.equal(cookies.refresh_token.path, '/auth/refresh');
      assert.equal(cookies.id_token.path, '/auth/logout');
      assert.match(cookies.access_token.value, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      // Each cookie lives as long as its token: the access and ID token cookies expire with
      // the tokens' exp (1 hour here), not after days of sending a dead token; the refresh
      // cookie (an opaque token, no refresh_expires_in) lives the configured 30 days.
      const now = Date.now() / 1000;
      for (const name of ['access_token', 'id_token']) {
        const { exp } = claimsOf(cookies[name].value);
        assert.ok(exp - now > 3000 && exp - now <= 3600, `${name} exp ${exp - now}s away`);
        assert.ok(Math.abs(cookies[name].expires - exp) <= 3, `${name} cookie expires ${cookies[name].expires}, token ${exp}`);
      }
      const set = setCookies(session.exchanges[0].headers);
      const accessMaxAge = Number(set.access_token.attributes['max-age']);
      const accessExp = claimsOf(set.access_token.value).exp;
      assert.ok(accessMaxAge <= 3600 && Math.abs(accessMaxAge - (accessExp - now)) <= 5,
        `access_token Max-Age ${accessMaxAge}, token lifetime left ${accessExp - now}`);
      assert.equal(set.refresh_token.attributes['max-age'], String(30 * 24 * 3600));
      assert.ok(Math.abs(cookies.refresh_token.expires - (now + 30 * 24 * 3600)) <= 60);
      assert.deepEqual(offlineWarnings(stack), [], 'offline_access is asked for: no warning');
      const visible = await session.page.evaluate(() => document.cookie);
      for (const name of AUTH_COOKIES) assert.ok(!visible.includes(name), `document.cookie shows ${name}`);
      for (const c of Object.values(cookies)) {
        for (const url of session.navigations) assert.ok(!url.includes(c.value), `${c.name} appeared in ${url}`);
        assert.ok(!session.exchanges[0].body.includes(c.value), `${c.name} in the exchange response`);
      }
      tokensAfterLogin = cookies;
    });

    step('GET /api/me passes the guard with the cookie, and only with it', async () => {
      const me = await pageFetch(session.page, '/api/me');
      assert.equal(me.status, 200);
      assert.equal(me.body.user.email, 'alice@example.com');
      assert.equal(me.body.user.role, 'admin');
      assert.equal(me.body.user.organizationId, 'org-alice');
      assert.match(await session.page.textContent('#me'), /alice@example\.com/);
      const anonymous = await pageFetch(session.page, '/api/me', { credentials: 'omit' });
      assert.equal(anonymous.status, 401);
      // Bearer works too (the passport-jwt habit), a forged token does not.
      const bearer = await pageFetch(session.page, '/api/me', {
        credentials: 'omit', headers: { Authorization: `Bearer ${tokensAfterLogin.access_token.value}` },
      });
      assert.equal(bearer.status, 200);
      const forged = `${tokensAfterLogin.access_token.value.slice(0, -4)}AAAA`;
      const bad = await pageFetch(session.page, '/api/me', {
        credentials: 'omit', headers: { Authorization: `Bearer ${forged}` },
      });
      assert.equal(bad.status, 401);
    });

    step('the exchange code cannot be replayed', async () => {
      const replay = () => pageFetch(session.page, '/auth/exchange', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: exchangeCode }),
      });
      // With the browser's login binding put back: spent all the same (exactly once).
      await session.context.addCookies([loginBinding]);
      let answer = await replay();
      assert.ok(answer.status >= 400 && answer.status < 500, `replay answered ${answer.status}`);
      assert.equal(answer.body.error, 'not_found');
      await session.context.clearCookies({ name: 'oidc_login' });
      answer = await replay();
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'not_found');
      // Nothing changed: still signed in with the same tokens.
      const cookies = await authCookies(session.context, stack.appUrl);
      assert.equal(cookies.access_token.value, tokensAfterLogin.access_token.value);
    });

    step('refresh: new tokens in the cookies, the old refresh token is spent', async () => {
      const { page } = session;
      // The spent refresh token of the login, sent again: within the reuse window (2 s) it
      // gets the outcome of the refresh that spent it (a second tab refreshing at the same
      // moment); after the window the provider refuses it.
      const replay = () => fetch(`${stack.appUrl}/auth/refresh`, {
        method: 'POST', headers: { Cookie: `refresh_token=${tokensAfterLogin.refresh_token.value}` },
      });
      await page.click('#refresh');
      await page.waitForSelector('#status[data-refreshed="1"]');
      const refreshedAt = Date.now();
      const again = await replay();

      const cookies = await authCookies(page.context(), stack.appUrl);
      assert.notEqual(cookies.access_token.value, tokensAfterLogin.access_token.value);
      assert.notEqual(cookies.refresh_token.value, tokensAfterLogin.refresh_token.value, 'refresh tokens rotate');
      assert.equal(cookies.access_token.httpOnly, true);
      assert.equal(cookies.refresh_token.httpOnly, true);
      assert.equal((await pageFetch(page, '/api/me')).status, 200);
      assert.equal(await page.$eval('#error', (e) => e.hidden), true);

      assert.equal(again.status, 200);
      assert.ok(again.headers.getSetCookie().some((c) => c.startsWith(`access_token=${cookies.access_token.value};`)),
        'the same new access token');
      await new Promise((r) => { setTimeout(r, Math.max(0, 2500 - (Date.now() - refreshedAt))); });
      const late = await replay();
      assert.equal(late.status, 401);
      assert.equal((await late.json()).error, 'idp_error');
    });
    step('log out: cookies cleared, the provider\'s end-session followed back to the app', async () => {
      const { page } = session;
      const before = session.navigations.length;
      const held = await authCookies(page.context(), stack.appUrl);
      assert.equal((await fetch(`${stack.appUrl}/api/me`, {
        headers: { Authorization: `Bearer ${held.access_token.value}` },
      })).status, 200);
      await logOut(page, new URL(stack.provider.issuer).origin, `${stack.appUrl}/app/`);
      assert.equal(await dashboardState(page), 'signed-out');
      const endSession = session.navigations.slice(before).find((u) => u.includes('/end-session'));
      assert.ok(endSession, 'the browser went to the end-session endpoint');
      const params = new URL(endSession).searchParams;
      assert.equal(params.get('post_logout_redirect_uri'), `${stack.appUrl}/app/`);
      assert.ok(params.get('id_token_hint'), 'id_token_hint sent');
      assert.deepEqual(await authCookies(page.context(), stack.appUrl), {});
      assert.equal((await pageFetch(page, '/auth/session')).status, 401);
      assert.equal((await pageFetch(page, '/auth/refresh', { method: 'POST' })).status, 401);
      assert.equal(session.blocked.length, 0, `requests left the site: ${session.blocked}`);

      // The tokens the browser held, replayed by whoever kept a copy: the access token is on
      // the deny list (refused at once, long before its exp), the refresh token was revoked.
      const replayed = await fetch(`${stack.appUrl}/api/me`, { headers: { Authorization: `Bearer ${held.access_token.value}` } });
      assert.equal(replayed.status, 401);
      const viaCookie = await fetch(`${stack.appUrl}/api/me`, { headers: { Cookie: `access_token=${held.access_token.value}` } });
      assert.equal(viaCookie.status, 401);
      const refreshed = await fetch(`${stack.appUrl}/auth/refresh`, {
        method: 'POST', headers: { Cookie: `refresh_token=${held.refresh_token.value}` },
      });
      assert.equal(refreshed.status, 401);
      assert.equal((await refreshed.json()).error, 'idp_error');
    });

    step('log out with an expired or unusable access token: no guard, the cookies are cleared all the same', async () => {
      const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const past = Math.floor(Date.now() / 1000) - 3600;
      const expired = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ sub: 'x', exp: past, iat: past - 3600 })}.${'A'.repeat(342)}`;
      for (const cookie of [`access_token=${expired}`, 'access_token=junk', '']) {
        const answer = await fetch(`${stack.appUrl}/auth/logout`, {
          method: 'POST', headers: cookie ? { Cookie: cookie } : {},
        });
        assert.equal(answer.status, 200, `${cookie}: ${answer.status}`);
        const body = await answer.json();
        assert.ok(body.logoutUrl.startsWith(new URL(stack.provider.issuer).origin), body.logoutUrl);
        assert.equal(body.denied, false);
        const cleared = answer.headers.getSetCookie();
        for (const name of ['access_token', 'refresh_token', 'id_token']) {
          assert.ok(cleared.some((c) => c.startsWith(`${name}=;`) && /Max-Age=0/i.test(c)), `${name} not cleared: ${cleared}`);
        }
      }
    });

    step('the provider\'s callback URL replayed, or forged, signs nobody in', async () => {
      const { page } = session;
      const callback = session.navigations.find((u) => u.includes('/auth/callback'));
      const forged = new URL(callback);
      forged.searchParams.set('state', 'A'.repeat(43));
      for (const url of [callback, forged.href]) {
        await page.goto(url);
        await page.waitForURL(`${stack.appUrl}/app/?error=not_found`);
        assert.equal(await dashboardState(page), 'signed-out');
        assert.match(await page.textContent('#error'), /not_found/);
        assert.deepEqual(await authCookies(page.context(), stack.appUrl), {});
      }
    });

    step('an exchange code taken to another browser is refused, and spent', async () => {
      const victim = await newSession(browser);
      const thief = await newSession(browser);
      try {
        // The victim's callback page does not get to run its script: the code in its URL is
        // taken instead.
        await victim.context.route((u) => u.pathname === '/app/callback.js', (route) => route.abort());
        await victim.page.goto(`${stack.appUrl}/auth/login?redirect=/app/`);
        await signInAtProvider(victim.page, USERS.bob, stack.appUrl);
        await victim.page.waitForURL((u) => u.pathname === '/app/callback.html');
        const stolen = new URL(victim.page.url()).searchParams.get('code');
        assert.match(stolen, /^[A-Za-z0-9_-]{40,}$/);
        const post = (page) => pageFetch(page, '/auth/exchange', {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: stolen }),
        });
        await thief.page.goto(`${stack.appUrl}/app/`);
        const elsewhere = await post(thief.page);
        assert.equal(elsewhere.status, 400);
        assert.equal(elsewhere.body.error, 'not_found');
        assert.deepEqual(await authCookies(thief.context, stack.appUrl), {});
        // A wrongly bound attempt spends the code: the victim's own browser cannot use it now.
        const own = await post(victim.page);
        assert.equal(own.status, 400);
        assert.equal(own.body.error, 'not_found');
      } finally {
        await victim.close();
        await thief.close();
      }
    });

    step('/auth/login?redirect=//evil.com lands on the app, not elsewhere', async () => {
      const other = await newSession(browser);
      try {
        const { page } = other;
        await page.goto(`${stack.appUrl}/auth/login?redirect=//evil.com`);
        await signInAtProvider(page, USERS.bob, stack.appUrl);
        await page.waitForURL(`${stack.appUrl}/app/`);
        assert.equal(await dashboardState(page), 'signed-in');
        assert.equal(await page.textContent('#principal-role'), 'user');
        assert.equal(new URL(page.url()).origin, stack.appUrl);
        const callbackPage = new URL(other.navigations.find((u) => u.includes('/app/callback.html')));
        assert.equal(callbackPage.searchParams.get('redirect'), '/');
        assert.deepEqual(other.blocked, []);
        assert.ok(other.navigations.every((u) => !u.includes('evil.com') || u.startsWith(`${stack.appUrl}/auth/login?`)),
          other.navigations.join('\n'));
      } finally {
        await other.close();
      }
    });

    if (store === 'redis') {
      step('redis holds no readable code or token', async () => {
        const keys = await stack.redis.command('KEYS', '*');
        assert.ok(!keys.includes(exchangeCode), 'an exchange code is a Redis key');
        // The exchange code was redeemed, the states consumed: all that is left is the deny
        // list entry of the session logged out above, under a hash (no token, no session id),
        // until the access token's exp.
        const lines = keys.trim().split('\r\n');
        assert.equal(lines[0], '*1', keys);
        assert.match(lines[2], /:deny:[A-Za-z0-9_-]{43}$/);
      });
    }
  });
}

// The refresh cookie's Path follows the routes, a global prefix included.
describe('login flow under GLOBAL_PREFIX=v1', () => {
  let stack;
  let session;
  before(async () => {
    stack = await startStack({ store: 'memory', prefix: '/v1' });
    session = await newSession(browser);
  });
  after(async () => {
    await session?.close();
    await stack?.stop();
  });

  it('log in, the cookie paths under the prefix, refresh through it', { timeout: 60000 }, async () => {
    try {
      const { page } = session;
      await page.goto(`${stack.appUrl}/app/`);
      assert.equal(await dashboardState(page), 'signed-out');
      assert.equal(await page.getAttribute('#login', 'href'), '/v1/auth/login?redirect=/app/');
      await Promise.all([page.waitForURL((u) => u.origin === new URL(stack.provider.issuer).origin), page.click('#login')]);
      const authorize = new URL(session.navigations.find((u) => u.includes('/authorize')));
      assert.equal(authorize.searchParams.get('redirect_uri'), `${stack.appUrl}/v1/auth/callback`);
      await signInAtProvider(page, USERS.alice, stack.appUrl);
      await page.waitForURL(`${stack.appUrl}/app/`);
      assert.equal(await dashboardState(page), 'signed-in');

      const cookies = await authCookies(session.context, stack.appUrl);
      assert.deepEqual(Object.keys(cookies).sort(), [...AUTH_COOKIES].sort());
      assert.equal(cookies.access_token.path, '/');
      assert.equal(cookies.refresh_token.path, '/v1/auth/refresh');
      assert.equal(cookies.id_token.path, '/v1/auth/logout');
      assert.equal((await pageFetch(page, '/v1/api/me')).status, 200);
      assert.equal((await pageFetch(page, '/api/me')).status, 404);

      // The browser sends the refresh cookie to the real refresh route, and it works.
      await page.click('#refresh');
      await page.waitForSelector('#status[data-refreshed="1"]');
      const after = await authCookies(session.context, stack.appUrl);
      assert.notEqual(after.refresh_token.value, cookies.refresh_token.value, 'rotated');
      assert.equal(after.refresh_token.path, '/v1/auth/refresh');
      assert.equal(await page.$eval('#error', (e) => e.hidden), true);
    } catch (err) {
      process.stderr.write(stack.logs());
      throw err;
    }
  });
});

// What the old way got wrong without offline_access: a refresh cookie holding "undefined"
// and a 7-day cookie around a 1-hour token.
describe('login flow without offline_access', () => {
  let stack;
  let session;
  before(async () => {
    stack = await startStack({ store: 'memory', appEnv: { SCOPES: 'openid profile email organization' } });
    session = await newSession(browser);
  });
  after(async () => {
    await session?.close();
    await stack?.stop();
  });

  it('no refresh cookie (none from a missing value), the app warned, cookies as long as the tokens', { timeout: 60000 },
    async () => {
      try {
        assert.equal(offlineWarnings(stack).length, 1, 'the relying party warns once at start-up');
        assert.match(stack.app.output, /no_offline_access/);
        const { page } = session;
        await page.goto(`${stack.appUrl}/auth/login?redirect=/app/`);
        const authorize = new URL(session.navigations.find((u) => u.includes('/authorize')));
        assert.doesNotMatch(authorize.searchParams.get('scope'), /offline_access/);
        await signInAtProvider(page, USERS.alice, stack.appUrl);
        await page.waitForURL(`${stack.appUrl}/app/`);
        assert.equal(await dashboardState(page), 'signed-in');

        const all = await session.context.cookies();
        for (const c of all) {
          assert.ok(!['undefined', 'null', ''].includes(c.value), `cookie ${c.name}=${JSON.stringify(c.value)}`);
        }
        const cookies = await authCookies(session.context, stack.appUrl);
        assert.deepEqual(Object.keys(cookies).sort(), ['access_token', 'id_token']);
        const set = setCookies(session.exchanges[0].headers);
        for (const [name, c] of Object.entries(set)) {
          assert.ok(c.value !== 'undefined' && c.value !== 'null', `Set-Cookie ${name}=${c.value}`);
        }
        // The refresh cookie is only ever cleared (an earlier login's would not linger).
        assert.equal(set.refresh_token.value, '');
        assert.equal(set.refresh_token.attributes['max-age'], '0');
        const now = Date.now() / 1000;
        const { exp } = claimsOf(cookies.access_token.value);
        const maxAge = Number(set.access_token.attributes['max-age']);
        assert.ok(maxAge < 7 * 24 * 3600 && Math.abs(maxAge - (exp - now)) <= 5, `Max-Age ${maxAge}, exp in ${exp - now}`);
        assert.ok(Math.abs(cookies.access_token.expires - exp) <= 3);

        assert.equal((await pageFetch(page, '/api/me')).status, 200);
        const refresh = await pageFetch(page, '/auth/refresh', { method: 'POST' });
        assert.equal(refresh.status, 401);
        assert.equal(refresh.body.error, 'no_refresh_token');
      } catch (err) {
        process.stderr.write(stack.logs());
        throw err;
      }
    });

  it('the deadlines from the environment reach oidcore: one out of its range stops the app at start-up', { timeout: 60000 },
    async () => {
      for (const [name, option] of [['HTTP_TIMEOUT', 'httpTimeout'], ['CONNECT_TIMEOUT', 'connectTimeout']]) {
        await assert.rejects(
          startApp({ provider: stack.provider, port: await freePort(), appEnv: { [name]: '500' } }),
          (e) => new RegExp(`invalid_config|"${option}" must be a number of seconds`).test(e.message) && e.message.includes(option),
          name);
      }
      // In range, it starts.
      const app = await startApp({ provider: stack.provider, port: await freePort(),
        appEnv: { HTTP_TIMEOUT: '2.5', CONNECT_TIMEOUT: '1' } });
      await app.stop();
    });
});

// The example's configuration (examples/nestjs/src/config.ts, built): nothing hard-coded,
// every default documented, every path derived from the routes.
describe('the example\'s configuration', () => {
  const requireApp = createRequire(join(APP_DIR, 'package.json'));
  requireApp('reflect-metadata');
  const { loadConfig, ConfigError, ROUTES } = requireApp('./dist/config.js');
  const base = { ISSUER: 'https://auth.example.com/application/o/app/', CLIENT_ID: 'app', CLIENT_SECRET: 's' };

  it('defaults', () => {
    const c = loadConfig(base);
    assert.deepEqual(c.audience, ['app']);
    assert.deepEqual(c.scopes, ['openid', 'profile', 'email', 'organization', 'offline_access']);
    assert.deepEqual(Object.fromEntries(Object.entries(c.cookies).map(([k, v]) => [k, [v.name, v.path]])), {
      access: ['access_token', '/'], refresh: ['refresh_token', '/auth/refresh'],
      idToken: ['id_token', '/auth/logout'], login: ['oidc_login', '/auth'],
    });
    assert.equal(c.redirectUri, 'http://127.0.0.1:3000/auth/callback');
    assert.equal(c.refreshTokenLifetime, 30 * 24 * 3600);
    assert.equal(c.denyList, true);
    assert.deepEqual(c.timeouts, { http: undefined, connect: undefined, redisConnect: undefined, redisCommand: undefined });
    assert.deepEqual(c.principal, {
      roles: [{ group: 'admins', role: 'admin' }], defaultRole: 'user', groupsClaim: 'groups',
      organizationIdClaim: 'organizationId', organizationFallback: 'sub',
    });
  });

  it('everything from the environment, the paths following GLOBAL_PREFIX', () => {
    const c = loadConfig({
      AUTHENTIK_URL: 'https://sso.example.com/', OIDC_SLUG: 'shop', CLIENT_ID: 'shop-web', CLIENT_SECRET: 's',
      AUDIENCE: 'shop-web, shop-api', SCOPES: 'openid,email', PUBLIC_URL: 'https://shop.example.com',
      GLOBAL_PREFIX: '/api/v2/', COOKIE_PREFIX: '__Secure-', LOGIN_COOKIE: 'shop_login',
      ROLE_MAP: 'admins=admin, staff = editor', DEFAULT_ROLE: 'viewer', GROUPS_CLAIM: 'ak_groups',
      ORGANIZATION_CLAIM: 'tenant', ORGANIZATION_FALLBACK: 'none', REFRESH_TOKEN_LIFETIME: '86400',
      DENY_LIST: 'off', HTTP_TIMEOUT: '2.5', CONNECT_TIMEOUT: '1', REDIS_CONNECT_TIMEOUT: '0.5', REDIS_COMMAND_TIMEOUT: '3',
    });
    assert.equal(c.denyList, false);
    assert.deepEqual(c.timeouts, { http: 2.5, connect: 1, redisConnect: 0.5, redisCommand: 3 });
    assert.equal(c.issuer, 'https://sso.example.com/application/o/shop/');
    assert.deepEqual(c.audience, ['shop-web', 'shop-api']);
    assert.deepEqual(c.scopes, ['openid', 'email']);
    assert.equal(c.redirectUri, 'https://shop.example.com/api/v2/auth/callback');
    assert.equal(c.authBase, '/api/v2/auth');
    assert.equal(c.apiBase, '/api/v2/api');
    assert.deepEqual(c.cookies.refresh, { name: '__Secure-refresh_token', path: '/api/v2/auth/refresh' });
    assert.deepEqual(c.cookies.idToken, { name: '__Secure-id_token', path: '/api/v2/auth/logout' });
    assert.deepEqual(c.cookies.login, { name: 'shop_login', path: '/api/v2/auth' });
    assert.equal(c.refreshTokenLifetime, 86400);
    assert.deepEqual(c.principal, {
      roles: [{ group: 'admins', role: 'admin' }, { group: 'staff', role: 'editor' }], defaultRole: 'viewer',
      groupsClaim: 'ak_groups', organizationIdClaim: 'tenant', organizationFallback: 'none',
    });
  });

  it('mistakes are refused at start-up, naming the variable', () => {
    for (const [env, pattern] of [
      [{ ROLE_MAP: 'admins' }, /ROLE_MAP/],
      [{ ROLE_MAP: '=admin' }, /ROLE_MAP/],
      [{ ORGANIZATION_FALLBACK: 'email' }, /ORGANIZATION_FALLBACK/],
      [{ DENY_LIST: 'true' }, /DENY_LIST/],
      [{ GLOBAL_PREFIX: 'a b' }, /GLOBAL_PREFIX/],
      [{ REFRESH_TOKEN_LIFETIME: '30d' }, /REFRESH_TOKEN_LIFETIME/],
      [{ HTTP_TIMEOUT: '5s' }, /HTTP_TIMEOUT/],
      [{ REDIS_COMMAND_TIMEOUT: '0' }, /REDIS_COMMAND_TIMEOUT/],
      [{ SCOPES: 'profile email' }, /SCOPES/],
      [{ ACCESS_COOKIE: 'refresh_token' }, /differ/],
      [{ ACCESS_COOKIE: 'a b' }, /"a b"/],
      // __Host- needs Path=/ (the refresh cookie is not), __Secure- needs https.
      [{ COOKIE_PREFIX: '__Host-' }, /__Host-/],
      [{ COOKIE_PREFIX: '__Secure-' }, /__Secure-/],
      [{ OIDC_SLUG: 'app' }, /AUTHENTIK_URL/],
      [{ ISSUER: undefined }, /ISSUER/],
    ]) {
      assert.throws(() => loadConfig({ ...base, ...env }), (e) => e instanceof ConfigError && pattern.test(e.message),
        JSON.stringify(env));
    }
  });

  it('the controllers serve the routes the paths are derived from', () => {
    const { AuthController } = requireApp('./dist/auth/auth.controller.js');
    const { ApiController } = requireApp('./dist/api.controller.js');
    assert.equal(Reflect.getMetadata('path', AuthController), ROUTES.auth);
    assert.equal(Reflect.getMetadata('path', ApiController), ROUTES.api);
    for (const route of ['login', 'callback', 'exchange', 'session', 'refresh', 'logout']) {
      assert.equal(Reflect.getMetadata('path', AuthController.prototype[route]), ROUTES[route], route);
    }
  });
});
