// The whole login flow in a real browser: Debian's Chromium (headless, playwright-core)
// against the NestJS example (examples/nestjs, on the oidcore Node binding) and the test
// identity provider (tests/idp/oidc-provider, configured like Authentik). Run once with the
// in-memory store and once with a real redis-server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  AUTH_COOKIES, authCookies, dashboardState, logOut, launchBrowser, newSession, pageFetch, signInAtProvider,
} from './lib/browser.mjs';
import { USERS, startStack } from './lib/stack.mjs';

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
      assert.match(cookies.access_token.value, /^[\w-]+\.[\w-]+\.[\w-]+$/);
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
        // The exchange code was redeemed, the states consumed: nothing is left.
        assert.equal(keys.trim(), '*0');
      });
    }
  });
}
