'use strict';
// The login flow against a real OpenID Provider (tests/idp/oidc-provider: the npm
// oidc-provider set up like Authentik), once with the memory store and once with a real
// redis-server.
const test = require('node:test');
const assert = require('node:assert/strict');
const { RelyingParty, MemoryStore, RedisStore, Verifier, OidcoreError, cookies } = require('..');
const { oidcProvider, startRedis } = require('./helpers');

const REDIRECT_URI = 'http://127.0.0.1:3000/auth/callback';
const AFTER_LOGOUT = 'http://127.0.0.1:3000/';
const ALICE = { user: 'alice', password: 'alice-password' };
const BOB = { user: 'bob', password: 'bob-password' };

const code = (c) => (e) => e instanceof OidcoreError && e.code === c;
const idpError = (error) => (e) => e instanceof OidcoreError && e.code === 'idp_error' && e.error === error;
const pathOf = (url) => { const u = new URL(url); return u.pathname + u.search; };

async function flow(t, makeStore) {
  const drive = await oidcProvider();
  const idp = await drive.startProvider(['--redirect-uri', REDIRECT_URI, '--post-logout-redirect-uri', AFTER_LOGOUT]);
  t.after(() => idp.stop());

  const newRp = (extra = {}) => new RelyingParty({
    store: makeStore(),
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    redirectUri: REDIRECT_URI,
    scopes: ['openid', 'profile', 'email', 'organization', 'offline_access'],
    postLogoutRedirectUri: AFTER_LOGOUT,
    principal: { roles: [{ group: 'admins', role: 'admin' }] },
    httpTimeout: 3,
    connectTimeout: 1,
    ...extra,
  });
  const rp = newRp();
  // The browsers of the tests: the binding each login handed out, by its state, as the
  // browser that started it keeps it in a cookie; `browser(rp).completeLogin` sends it along
  // unless the options name a binding of their own.
  const bindings = new Map();
  const stateOf = (cb) => new URL(String(cb), 'http://127.0.0.1').searchParams.get('state');
  const browser = (target) => ({
    completeLogin: (cb, o = {}) => target.completeLogin(cb, { binding: bindings.get(stateOf(cb)) ?? undefined, ...o }),
  });
  // Logs in through the provider's pages; resolves with the callback URL (and the login).
  const login = async (user = ALICE, options = {}, target = rp) => {
    const start = await target.beginLogin(options);
    bindings.set(start.state, start.binding);
    const jar = new drive.CookieJar();
    const callback = await drive.driveLogin(start.url, { ...user, jar });
    return { start, callback, jar };
  };
  const session = async (user = ALICE) => browser(rp).completeLogin((await login(user)).callback);

  await t.test('happy path: tokens, claims and principal', async () => {
    const { start, callback } = await login(ALICE, { redirectAfter: '/dashboard?tab=1', extra: { cart_id: 7, nested: { a_b: 1 } } });
    assert.ok(start.url.startsWith(`${idp.issuer}authorize/?`), start.url);
    const query = new URL(start.url).searchParams;
    assert.equal(query.get('state'), start.state);
    assert.equal(query.get('code_challenge_method'), 'S256');
    assert.equal(start.expiresIn, 600);
    assert.ok(callback.startsWith(`${REDIRECT_URI}?`), callback);

    // Express hands the callback as req.url: a path with its query.
    const r = await browser(rp).completeLogin(pathOf(callback));
    assert.deepEqual(Object.keys(r).sort(), ['accessClaims', 'accessToken', 'claims', 'expiresAt', 'expiresIn', 'extra',
      'idToken', 'principal', 'redirectAfter', 'refreshExpiresIn', 'refreshToken', 'scope', 'tokenType'].sort());
    assert.equal(r.refreshExpiresIn, null, 'like Authentik, the test provider does not say');
    assert.equal(r.tokenType, 'Bearer');
    assert.equal(typeof r.accessToken, 'string');
    assert.equal(r.idToken.split('.').length, 3);
    assert.equal(typeof r.refreshToken, 'string', 'offline_access was asked for');
    assert.equal(r.expiresIn, 3600);
    assert.ok(r.expiresAt > Date.now() / 1000);
    assert.match(r.scope, /\bopenid\b/);
    // The provider's claims keep their names: nothing inside them is camelCased.
    assert.equal(r.claims.email, 'alice@example.com');
    assert.equal(r.claims.email_verified, true);
    assert.equal(r.claims.preferred_username, 'alice');
    assert.equal(r.claims.aud, idp.clientId);
    assert.equal(r.accessClaims.azp, idp.clientId);
    assert.deepEqual(r.principal, { sub: r.claims.sub, email: 'alice@example.com', name: 'Alice Example', organizationId: 'org-alice', role: 'admin' });
    assert.equal(r.redirectAfter, '/dashboard?tab=1');
    assert.deepEqual(r.extra, { cart_id: 7, nested: { a_b: 1 } });

    // bob: no organizationId (it falls back to sub), no admin group.
    const b = await browser(rp).completeLogin(new URL((await login(BOB)).callback));
    assert.equal(b.principal.organizationId, b.claims.sub);
    assert.equal(b.principal.role, 'user');
    assert.equal(b.redirectAfter, null);
    assert.equal(b.extra, null);

    // The access token verifies later, as an API request's token.
    const v = await rp.verifyAccessToken(r.accessToken);
    assert.equal(v.claims.sub, r.claims.sub);
    assert.deepEqual(v.principal, r.principal);
    assert.equal(v.header.alg, 'RS256');
    const viaCookie = await rp.verifyRequest({ headers: { cookie: cookies.serialize('access_token', r.accessToken).split(';')[0] } });
    assert.equal(viaCookie.claims.sub, r.claims.sub);
    const viaBearer = await rp.verifyRequest({ headers: { authorization: `Bearer ${r.accessToken}` } });
    assert.equal(viaBearer.claims.sub, r.claims.sub);
    await assert.rejects(rp.verifyAccessToken(`${r.accessToken.slice(0, -6)}AAAAAA`), code('bad_signature'));
    await assert.rejects(rp.verifyRequest({ headers: {} }), code('not_found'));
  });

  await t.test('login CSRF: a callback replayed by a client without the binding is refused', async () => {
    const { start, callback } = await login();
    assert.match(start.binding, /^[A-Za-z0-9_-]{43}$/);
    await assert.rejects(rp.completeLogin(callback), (e) => code('not_found')(e) && /binding/.test(e.message));
    await assert.rejects(browser(rp).completeLogin(callback), code('not_found'), 'the attempt spent the state');
    const open = newRp({ browserBinding: false });
    const u = await login(ALICE, {}, open);
    assert.equal(u.start.binding, null);
    assert.equal((await open.completeLogin(u.callback)).tokenType, 'Bearer');
  });

  await t.test('exchange code: the tokens handed over once', async () => {
    const { start, callback } = await login(ALICE, { redirectAfter: '/app', extra: { k: 'v' } });
    const r = await browser(rp).completeLogin(callback, { exchangeCode: true, exchangeCodeTtl: 30 });
    assert.deepEqual(Object.keys(r).sort(), ['claims', 'exchangeCode', 'extra', 'principal', 'redirectAfter']);
    assert.match(r.exchangeCode, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(r.principal.role, 'admin');
    assert.equal(r.redirectAfter, '/app');
    assert.deepEqual(r.extra, { k: 'v' });
    // Bound to the login's browser by default: useless without its binding (and spent by
    // the attempt), so this one is redeemed with it.
    const tokens = await rp.redeemExchangeCode(r.exchangeCode, { binding: start.binding });
    assert.equal(tokens.tokenType, 'Bearer');
    assert.equal(typeof tokens.accessToken, 'string');
    assert.equal(typeof tokens.refreshToken, 'string');
    assert.equal(tokens.claims.sub, r.claims.sub);
    assert.ok(!('access_token' in tokens) && !('redirectAfter' in tokens));
    assert.equal((await rp.verifyAccessToken(tokens.accessToken)).claims.sub, r.claims.sub);
    await assert.rejects(rp.redeemExchangeCode(r.exchangeCode, { binding: start.binding }), code('not_found'));
    const leaked = await login();
    const l = await browser(rp).completeLogin(leaked.callback, { exchangeCode: true });
    await assert.rejects(rp.redeemExchangeCode(l.exchangeCode), code('not_found'), 'another client, no cookie');
    await assert.rejects(rp.redeemExchangeCode(l.exchangeCode, { binding: leaked.start.binding }), code('not_found'));

    // Bound to one browser: another binding spends it.
    const bound = await browser(rp).completeLogin((await login()).callback, { exchangeCode: true, exchangeCodeBinding: 'browser-a' });
    await assert.rejects(rp.redeemExchangeCode(bound.exchangeCode, { binding: 'browser-b' }), code('not_found'));
    await assert.rejects(rp.redeemExchangeCode(bound.exchangeCode, { binding: 'browser-a' }), code('not_found'));
    const bound2 = await browser(rp).completeLogin((await login()).callback, { exchangeCode: true, exchangeCodeBinding: 'browser-a' });
    assert.equal((await rp.redeemExchangeCode(bound2.exchangeCode, { binding: 'browser-a' })).tokenType, 'Bearer');
  });

  await t.test('refresh: rotation, the old token refused with invalid_grant', async () => {
    const first = await session();
    const second = await rp.refresh(first.refreshToken);
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.notEqual(second.accessToken, first.accessToken);
    assert.equal(second.claims.sub, first.claims.sub);
    assert.equal(second.principal.organizationId, 'org-alice');
    assert.ok(!('redirectAfter' in second));
    // A caller that raced the refresh (within refreshReuseWindow) gets the same outcome.
    const raced = await rp.refresh(first.refreshToken);
    assert.equal(raced.refreshToken, second.refreshToken);
    assert.equal(raced.accessToken, second.accessToken);
    // Without the window, the spent token is refused by the provider.
    const strict = newRp({ refreshReuseWindow: 0 });
    const s1 = await browser(strict).completeLogin((await login(ALICE, {}, strict)).callback);
    const s2 = await strict.refresh(s1.refreshToken);
    await assert.rejects(strict.refresh(s1.refreshToken), (e) => idpError('invalid_grant')(e) && e.status === 400
      && typeof e.errorDescription === 'string');
    // oidc-provider revokes the whole grant on reuse of a rotated token.
    await assert.rejects(strict.refresh(s2.refreshToken), idpError('invalid_grant'));
    await assert.rejects(rp.refresh('not-a-refresh-token'), idpError('invalid_grant'));
    assert.throws(() => newRp({ refreshReuseWindow: 61 }), code('invalid_config'));
  });

  await t.test('refresh: 8 concurrent refreshes of one token make one request', async () => {
    const s = await session();
    const refreshes = async () => (await idp.control('requests')).requests.filter((r) => r.grant_type === 'refresh_token').length;
    const before = await refreshes();
    const results = await Promise.all(Array.from({ length: 8 }, () => rp.refresh(s.refreshToken)));
    assert.equal(await refreshes(), before + 1);
    for (const r of results) {
      assert.equal(r.accessToken, results[0].accessToken);
      assert.equal(r.refreshToken, results[0].refreshToken);
      assert.equal(r.idToken, results[0].idToken);
    }
    assert.notEqual(results[0].refreshToken, s.refreshToken);
    // The rotated token works: the single request was not made twice.
    assert.equal(typeof (await rp.refresh(results[0].refreshToken)).accessToken, 'string');
  });

  await t.test('userinfo and revoke', async () => {
    const s = await session();
    const info = await rp.userinfo(s.accessToken);
    assert.equal(info.sub, s.claims.sub);
    assert.equal(info.email, 'alice@example.com');
    assert.deepEqual(info.groups, ['admins', 'staff']);
    await rp.revoke(s.accessToken, { tokenTypeHint: 'access_token' });
    await assert.rejects(rp.userinfo(s.accessToken), (e) => idpError('invalid_token')(e) && e.status === 401);
    assert.equal(await rp.revoke(s.refreshToken, { tokenTypeHint: 'refresh_token' }), undefined);
    await assert.rejects(rp.refresh(s.refreshToken), idpError('invalid_grant'));
    await rp.revoke('unknown-token');  // RFC 7009: an unknown token is not an error
  });

  await t.test('logout URL, followed at the provider', async () => {
    const { callback, jar } = await login();
    const s = await browser(rp).completeLogin(callback);
    const url = await rp.logoutUrl({ idTokenHint: s.idToken, state: 'after-logout' });
    assert.ok(url.startsWith(`${idp.issuer}end-session/?`), url);
    const q = new URL(url).searchParams;
    assert.equal(q.get('id_token_hint'), s.idToken);
    assert.equal(q.get('post_logout_redirect_uri'), AFTER_LOGOUT);
    assert.equal(q.get('state'), 'after-logout');
    const back = await drive.driveLogout(url, { jar });
    assert.equal(back, `${AFTER_LOGOUT}?state=after-logout`);
    assert.equal(new URL(await rp.logoutUrl()).searchParams.get('post_logout_redirect_uri'), AFTER_LOGOUT);
  });

  await t.test('state: used once, bound to its browser', async () => {
    const { callback } = await login();
    await browser(rp).completeLogin(callback);
    await assert.rejects(browser(rp).completeLogin(callback), code('not_found'));
    const bound = await login(ALICE, { binding: 'browser-1' });
    await assert.rejects(browser(rp).completeLogin(bound.callback, { binding: 'browser-2' }), code('not_found'));
    await assert.rejects(browser(rp).completeLogin(bound.callback, { binding: 'browser-1' }), code('not_found'), 'spent by the wrong binding');
    const ok = await login(ALICE, { binding: 'browser-1' });
    assert.equal((await browser(rp).completeLogin(ok.callback, { binding: 'browser-1' })).tokenType, 'Bearer');
  });

  await t.test('refusals: wrong secret, denied login, bad nonce, token endpoint down, unsafe redirect', async () => {
    const wrong = newRp({ clientSecret: 'wrong-secret' });
    const { callback } = await login(ALICE, {}, wrong);
    await assert.rejects(browser(wrong).completeLogin(callback), idpError('invalid_client'));

    // The provider sends the browser back with an error.
    const denied = await rp.beginLogin();
    bindings.set(denied.state, denied.binding);
    await assert.rejects(browser(rp).completeLogin(`${REDIRECT_URI}?error=access_denied&error_description=no&state=${denied.state}`),
      (e) => idpError('access_denied')(e) && e.errorDescription === 'no');

    try {
      await idp.control('id_token_nonce', { value: 'not-the-nonce' });
      await assert.rejects(browser(rp).completeLogin((await login()).callback), code('bad_nonce'));
      await idp.control('reset');
      await idp.control('token_mode', { mode: 'status', status: 502, body: 'bad gateway' });
      await assert.rejects(browser(rp).completeLogin((await login()).callback), (e) => code('http_error')(e) && e.status === 502);
    } finally {
      await idp.control('reset');
    }

    for (const target of ['//evil.com', 'https://evil.com/', '/\\evil.com', '/%2F%2Fevil.com', 'javascript:alert(1)']) {
      await assert.rejects(rp.beginLogin({ redirectAfter: target }), code('unsafe_redirect'), target);
    }
  });

  await t.test('authorization parameters pass as given; a Verifier checks an ID token\'s nonce', async () => {
    const custom = newRp({ authorizationParams: { prompt: 'consent', acr_values: 'goauthentik.io/x' } });
    const start = await custom.beginLogin({ params: { ui_locales: 'fr' }, scopes: 'openid email' });
    const q = new URL(start.url).searchParams;
    assert.equal(q.get('prompt'), 'consent');
    assert.equal(q.get('acr_values'), 'goauthentik.io/x');
    assert.equal(q.get('ui_locales'), 'fr');
    assert.equal(q.get('scope'), 'openid email');
    await assert.rejects(custom.beginLogin({ params: { nonce: 'mine' } }), code('invalid_argument'));

    const { start: s2, callback } = await login();
    const nonce = new URL(s2.url).searchParams.get('nonce');
    const { idToken } = await browser(rp).completeLogin(callback);
    const v = new Verifier({ issuer: idp.issuer, audience: idp.clientId, discovery: true });
    assert.equal((await v.verify(idToken, { nonce })).claims.nonce, nonce);
    await assert.rejects(v.verify(idToken, { nonce: 'another' }), code('bad_nonce'));
    await assert.rejects(v.verify(idToken, { nonce: 42 }), code('invalid_argument'));
    assert.equal((await v.verify(idToken)).claims.nonce, nonce);
  });
  await t.test('key rotation at the provider: the new key is fetched on its unknown kid', async () => {
    const before = await session();
    const rotated = await idp.control('rotate_key');
    assert.equal(rotated.rotated, true);
    const after = await session();
    const v = await rp.verifyAccessToken(after.accessToken);
    assert.equal(v.header.kid, rotated.kid);
    assert.notEqual(v.header.kid, rotated.previous_kid);
    // Only the current key is published: a token of the old key no longer verifies.
    await assert.rejects(rp.verifyAccessToken(before.accessToken), code('key_not_found'));
  });
}

test('login flow with the memory store', async (t) => {
  const store = new MemoryStore();
  await flow(t, () => store);
});

test('login flow with a Redis store', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const store = new RedisStore({ url: redis.url, keyPrefix: 'node-flow:' });
  await flow(t, () => store);
});
