'use strict';
// Logout that ends the session, against the real test provider (tests/idp/oidc-provider),
// with the memory store and with a real redis-server: the refresh token is revoked, the
// access token is refused at once by another relying party and by a Verifier sharing the
// store (code 'revoked'), the end-session URL carries every parameter, and missing, junk or
// forged tokens never make the logout throw. Plus Verifier.deny with inline keys.
const test = require('node:test');
const assert = require('node:assert/strict');
const { RelyingParty, MemoryStore, RedisStore, Verifier, OidcoreError, codes } = require('..');
const { oidcProvider, startRedis, makeKey, sign, claims } = require('./helpers');

const REDIRECT_URI = 'http://127.0.0.1:3000/auth/callback';
const AFTER_LOGOUT = 'http://127.0.0.1:3000/';
const code = (c) => (e) => e instanceof OidcoreError && e.code === c;

async function logoutFlow(t, store) {
  const drive = await oidcProvider();
  const idp = await drive.startProvider(['--redirect-uri', REDIRECT_URI, '--post-logout-redirect-uri', AFTER_LOGOUT]);
  t.after(() => idp.stop());
  const newRp = (extra = {}) => new RelyingParty({
    store,
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    redirectUri: REDIRECT_URI,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    postLogoutRedirectUri: AFTER_LOGOUT,
    httpTimeout: 3,
    connectTimeout: 1,
    ...extra,
  });
  const rp = newRp({ denyList: true });
  const other = newRp({ denyList: true });  // a second instance sharing the store
  const session = async () => {
    const start = await rp.beginLogin();
    const callback = await drive.driveLogin(start.url, { user: 'alice', password: 'alice-password', jar: new drive.CookieJar() });
    return rp.completeLogin(callback, { binding: start.binding });
  };

  await t.test('logout revokes, denies on every instance, and builds the whole URL', async () => {
    const s = await session();
    const verifier = new Verifier({ issuer: idp.issuer, audience: idp.clientId, discovery: true, denyList: true, store });
    const unlisted = new Verifier({ issuer: idp.issuer, audience: idp.clientId, discovery: true });
    const bearer = { headers: { authorization: `Bearer ${s.accessToken}` } };
    await other.verifyAccessToken(s.accessToken);
    await other.verifyRequest(bearer);
    await verifier.verify(s.accessToken);

    const out = await rp.logout({
      accessToken: s.accessToken, refreshToken: s.refreshToken, idTokenHint: s.idToken, state: 'bye',
    });
    assert.deepEqual({ revoked: out.revoked, denied: out.denied, revokeError: out.revokeError, denyError: out.denyError },
      { revoked: true, denied: true, revokeError: null, denyError: null });
    const q = new URL(out.logoutUrl).searchParams;
    assert.ok(out.logoutUrl.startsWith(`${idp.issuer}end-session/?`), out.logoutUrl);
    assert.equal(q.get('client_id'), idp.clientId);
    assert.equal(q.get('id_token_hint'), s.idToken);
    assert.equal(q.get('post_logout_redirect_uri'), AFTER_LOGOUT);
    assert.equal(q.get('state'), 'bye');

    // Refused at once everywhere the deny list is consulted, from verified-token caches too.
    await assert.rejects(other.verifyAccessToken(s.accessToken), code('revoked'));
    await assert.rejects(other.verifyRequest(bearer), code('revoked'));
    await assert.rejects(rp.verifyRequest({ headers: { cookie: `access_token=${s.accessToken}` } }), code('revoked'));
    await assert.rejects(verifier.verify(s.accessToken), code('revoked'));
    await unlisted.verify(s.accessToken);  // the deny list is off unless asked for
    // The refresh token is dead at the provider.
    await assert.rejects(rp.refresh(s.refreshToken), (e) => code('idp_error')(e) && e.error === 'invalid_grant');
    // Logging out again: the session is still listed, the URL still there.
    const again = await rp.logout({ accessToken: s.accessToken });
    assert.equal(again.denied, true);
    assert.ok(again.logoutUrl);
  });

  await t.test('missing, junk or forged tokens never make logout throw', async () => {
    const none = await rp.logout();
    assert.deepEqual(none, {
      logoutUrl: none.logoutUrl, revoked: false, denied: false, revokeError: null, denyError: null,
    });
    assert.equal(new URL(none.logoutUrl).searchParams.get('post_logout_redirect_uri'), AFTER_LOGOUT);
    assert.equal((await rp.logout({ accessToken: null, refreshToken: '' })).revoked, false);

    const s = await session();
    const junk = await rp.logout({ accessToken: 'junk' });
    assert.ok(junk.denyError instanceof OidcoreError);
    assert.equal(junk.denyError.code, 'malformed');
    assert.equal(junk.denied, false);
    // A token carrying the victim's session id, signed by someone else, ends nothing.
    const [, payload] = s.accessToken.split('.');
    const forgedClaims = JSON.parse(Buffer.from(payload, 'base64url'));
    const forged = sign(makeKey('RS256', JSON.parse(Buffer.from(s.accessToken.split('.')[0], 'base64url')).kid), forgedClaims);
    const attempt = await rp.logout({ accessToken: forged });
    assert.equal(attempt.denyError.code, 'bad_signature');
    await other.verifyAccessToken(s.accessToken);
    // Caller mistakes reject, before anything is done.
    await assert.rejects(rp.logout({ postLogoutRedirectUri: 'javascript:alert(1)' }), code('invalid_argument'));
    await assert.rejects(rp.logout({ refreshToken: 5 }), (e) => code('invalid_argument')(e) && /refreshToken/.test(e.message));
    await assert.rejects(rp.logout({ acessToken: 'x' }), code('invalid_argument'));
  });
}

test('logout with the memory store', async (t) => {
  await logoutFlow(t, new MemoryStore());
});

test('logout with a Redis store', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  await logoutFlow(t, new RedisStore({ url: redis.url, keyPrefix: 'node-logout:', commandTimeout: 1 }));
});

test('Verifier.deny: the session ends for every verifier of the store, forged tokens end nothing', async () => {
  const key = makeKey('ES256', 'k1');
  const store = new MemoryStore();
  const options = { issuer: 'https://idp.example/application/o/app/', audience: 'app', jwks: { keys: [key.jwk] } };
  const a = new Verifier({ ...options, denyList: true, store });
  const b = new Verifier({ ...options, denyList: true, store });
  const plain = new Verifier(options);
  const token = sign(key, claims({ sid: 'session-1' }));
  const sameSession = sign(key, claims({ sid: 'session-1', exp: claims().exp + 60 }));
  b.verifySync(token);
  await b.verify(token);
  const forged = sign(makeKey('ES256', 'k1'), claims({ sid: 'session-1' }));
  await assert.rejects(a.deny(forged), code('bad_signature'));
  await b.verify(token);
  assert.equal(await a.deny(token), true);
  await assert.rejects(b.verify(token), code('revoked'));
  await assert.rejects(b.verify(sameSession), code('revoked'));
  assert.throws(() => b.verifySync(token), code('revoked'));
  await plain.verify(token);
  assert.equal(await a.deny(sign(key, claims({ sid: 'old', iat: claims().iat - 100, exp: claims().iat - 50 }))), false);
  await assert.rejects(plain.deny(token), code('invalid_config'));
  assert.ok(b.stats().verifications.revoked >= 3);
  assert.ok(codes.includes('revoked'));
  // Never half configured.
  assert.throws(() => new Verifier({ ...options, denyList: true }), (e) => code('invalid_config')(e) && /deny_?list/i.test(e.message));
  assert.throws(() => new Verifier({ ...options, store }), (e) => code('invalid_config')(e) && /deny_?list/i.test(e.message));
  assert.throws(() => new Verifier({ ...options, denyList: true, store: {} }), code('invalid_config'));
});

test('a Redis outage: the deny list fails closed, unless told to fail open', async () => {
  const redis = await startRedis();
  let stopped = false;
  try {
    const store = new RedisStore({ url: redis.url, keyPrefix: 'node-deny-outage:', commandTimeout: 0.5, connectTimeout: 0.5 });
    const key = makeKey('ES256', 'k1');
    const options = { issuer: 'https://idp.example/application/o/app/', audience: 'app', jwks: { keys: [key.jwk] }, store };
    const closed = new Verifier({ ...options, denyList: true });
    const open = new Verifier({ ...options, denyList: true, denyListFailOpen: true });
    const token = sign(key, claims({ sid: 'outage' }));
    await closed.verify(token);
    await open.verify(token);
    await redis.stop();
    stopped = true;
    await assert.rejects(closed.verify(token), code('store_unavailable'));
    assert.throws(() => closed.verifySync(token), code('store_unavailable'));
    await open.verify(token);  // accepted: the lookup failed
    // Within the back-off the store is not asked: answered at once, on the calling thread.
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 20; i += 1) open.verifySync(token);
    assert.ok(process.hrtime.bigint() - t0 < 100_000_000n, 'verifications waited on the store that is down');
  } finally {
    if (!stopped) await redis.stop();
  }
});
