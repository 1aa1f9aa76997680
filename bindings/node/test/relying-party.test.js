'use strict';
// RelyingParty without a provider: configuration and argument errors, and an issuer that is
// down or broken. The login flow itself is in flow.test.js.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { RelyingParty, MemoryStore, RedisStore, OidcoreError } = require('..');
const { freePort } = require('./helpers');

const code = (c, text) => (e) => e instanceof OidcoreError && e.code === c && (text === undefined || e.message.includes(text));

function options(extra = {}) {
  return {
    store: new MemoryStore(),
    issuer: 'http://127.0.0.1:9/application/o/app/',
    clientId: 'app',
    clientSecret: 'secret',
    redirectUri: 'http://127.0.0.1:3000/auth/callback',
    ...extra,
  };
}

test('configuration: camelCase keys, errors name the key as written', () => {
  assert.ok(new RelyingParty(options({
    scopes: ['openid', 'email'], tokenEndpointAuthMethod: 'client_secret_basic', basicAuthEncoding: 'raw',
    validateAccessToken: false, accessTokenAudience: ['app', 'api'], postLogoutRedirectUri: 'http://127.0.0.1:3000/',
    stateTtl: 300, exchangeCodeTtl: 30, discoveryTtl: 600, authorizationParams: { prompt: 'consent', acr_values: 'x' },
    algorithms: ['RS256', 'ES256'], clockTolerance: 5, principal: { roles: [{ group: 'admins', role: 'admin' }], defaultRole: 'member' },
    httpTimeout: 2, connectTimeout: 1, internalUrl: 'http://127.0.0.1:9/',
  })));
  const refused = [
    [{ clientSecrte: 'x' }, '"clientSecrte"'],
    [{ redirectUri: 'not a url' }, '"redirectUri"'],
    [{ scopes: ['email'] }, '"scopes"'],
    [{ tokenEndpointAuthMethod: 'private_key_jwt' }, '"tokenEndpointAuthMethod"'],
    [{ stateTtl: 0 }, '"stateTtl"'],
    [{ clockTolerance: 301 }, '"clockTolerance"'],
    [{ principal: { defaultRol: 'x' } }, '"principal.defaultRol"'],
    // authorizationParams is passed as given: its own keys keep their spelling.
    [{ authorizationParams: { login_hint: 42 } }, '"authorizationParams.login_hint"'],
    [{ authorizationParams: { state: 'mine' } }, '"authorizationParams.state"'],
    [{ hs256ClientSecret: true, algorithms: ['RS256'] }, '"algorithms"'],
  ];
  for (const [extra, name] of refused) {
    assert.throws(() => new RelyingParty(options(extra)), code('invalid_config', name), JSON.stringify(extra));
  }
  for (const missing of ['issuer', 'clientId', 'clientSecret', 'redirectUri']) {
    assert.throws(() => new RelyingParty(options({ [missing]: undefined })), code('invalid_config', `"${missing}"`));
  }
  for (const bad of [undefined, null, 'issuer', 42, {}, { store: {} }, { ...options(), store: new Map() }]) {
    assert.throws(() => new RelyingParty(bad), code('invalid_config'));
  }
  assert.throws(() => new RelyingParty(options({ maxAge: 10n })), code('invalid_config'));
});

test('scopes without offline_access: the relying party says so when it is created', async (t) => {
  const emitted = [];
  const onWarning = (w) => emitted.push(w);
  const flush = () => new Promise((r) => setImmediate(r));
  await flush();  // the warnings of earlier tests' relying parties
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));

  const rp = new RelyingParty(options({ scopes: ['openid', 'profile'] }));
  assert.equal(rp.warnings.length, 1);
  assert.equal(rp.warnings[0].code, 'no_offline_access');
  assert.match(rp.warnings[0].message, /"offline_access"/);
  assert.match(rp.warnings[0].message, /"refreshTokens": false/);
  assert.ok(Object.isFrozen(rp.warnings) && Object.isFrozen(rp.warnings[0]));
  await flush();
  const ours = emitted.filter((w) => w.code === 'OIDCORE_NO_OFFLINE_ACCESS');
  assert.equal(ours.length, 1);
  assert.equal(ours[0].name, 'OidcoreWarning');
  assert.match(ours[0].message, /^oidcore: "scopes" do not include "offline_access"/);
  // rp.refresh() with what such a login gives (no refresh token) says why.
  for (const missing of [undefined, null, '']) {
    await assert.rejects(rp.refresh(missing),
      (e) => code('invalid_argument')(e) && /offline_access/.test(e.message) && /do not include it/.test(e.message));
  }

  emitted.length = 0;
  const quiet = [
    new RelyingParty(options({ scopes: 'openid profile offline_access' })),
    new RelyingParty(options({ refreshTokens: false })),
  ];
  await flush();
  for (const r of quiet) assert.deepEqual(r.warnings, []);
  assert.deepEqual(emitted.filter((w) => w.code === 'OIDCORE_NO_OFFLINE_ACCESS'), []);
  await assert.rejects(quiet[0].refresh(undefined),
    (e) => code('invalid_argument')(e) && /offline_access/.test(e.message) && !/do not include it/.test(e.message));
  assert.throws(() => new RelyingParty(options({ refreshTokens: 'yes' })), code('invalid_config', '"refreshTokens"'));
});

test('arguments that are not strings or objects are invalid_argument, before any network call', async () => {
  const rp = new RelyingParty(options());
  const invalid = code('invalid_argument');
  for (const bad of ['x', 42, [], true]) {
    await assert.rejects(rp.beginLogin(bad), invalid);
    await assert.rejects(rp.logoutUrl(bad), invalid);
    await assert.rejects(rp.completeLogin('?code=a&state=b', bad), invalid);
  }
  for (const bad of [undefined, null, 42, {}, [], Buffer.from('t')]) {
    await assert.rejects(rp.completeLogin(bad), invalid);
    await assert.rejects(rp.refresh(bad), invalid);
    await assert.rejects(rp.userinfo(bad), invalid);
    await assert.rejects(rp.revoke(bad), invalid);
    await assert.rejects(rp.verifyAccessToken(bad), invalid);
    await assert.rejects(rp.redeemExchangeCode(bad), invalid);
  }
  await assert.rejects(rp.revoke('t', { tokenTypeHint: 5 }), invalid);
  await assert.rejects(rp.revoke('t', 'access_token'), invalid);
  await assert.rejects(rp.redeemExchangeCode('A'.repeat(43), { binding: '' }), invalid);
  await assert.rejects(rp.verifyRequest({ headers: {} }), code('not_found'));
  await assert.rejects(rp.verifyRequest(42), invalid);
  // Options of the flow are checked by the core and named as written.
  await assert.rejects(rp.beginLogin({ redirectAftr: '/x' }), code('invalid_argument', '"redirectAftr"'));
  await assert.rejects(rp.beginLogin({ redirectAfter: '//evil.com' }), code('unsafe_redirect'));
  await assert.rejects(rp.completeLogin('?code=a&state=b', { exchangeCod: true }), code('invalid_argument', '"exchangeCod"'));
  await assert.rejects(rp.logoutUrl({ idTokenHnt: 'x' }), code('invalid_argument', '"idTokenHnt"'));
  // A callback without state, or too large, is refused without touching the store.
  await assert.rejects(rp.completeLogin('/auth/callback?code=x'), invalid);
  await assert.rejects(rp.completeLogin(`?state=${'s'.repeat(20000)}`), code('too_large'));
  // Unknown, malformed and NUL-laden states and codes are simply not found.
  for (const state of ['A'.repeat(43), 'x', 'a\0b', '%00', '../..']) {
    await assert.rejects(rp.completeLogin(`?code=c&state=${encodeURIComponent(state)}`), code('not_found'), state);
  }
  await assert.rejects(rp.redeemExchangeCode('A'.repeat(43)), code('not_found'));
  await assert.rejects(rp.redeemExchangeCode('a\0b'), code('not_found'));
});

test('an issuer that is down: http_error, promptly, never a hang', async () => {
  const port = await freePort();
  const rp = new RelyingParty(options({ issuer: `http://127.0.0.1:${port}/o/`, httpTimeout: 1, connectTimeout: 1 }));
  const started = Date.now();
  await assert.rejects(rp.beginLogin(), code('http_error'));
  await assert.rejects(rp.refresh('rt'), code('http_error'));
  await assert.rejects(rp.userinfo('at'), code('http_error'));
  await assert.rejects(rp.revoke('at'), code('http_error'));
  await assert.rejects(rp.logoutUrl(), code('http_error'));
  assert.ok(Date.now() - started < 8000);
});

test('a broken discovery document: the HTTP status is kept on the error', async (t) => {
  const server = http.createServer((req, res) => {
    if (req.url.endsWith('/.well-known/openid-configuration')) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('down for maintenance');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  const rp = new RelyingParty(options({ issuer: `http://127.0.0.1:${server.address().port}/o/`, httpTimeout: 2 }));
  await assert.rejects(rp.beginLogin(), (e) => code('http_error')(e) && e.status === 503 && e.error === undefined);
});

test('a Redis store that is down: store_unavailable, no login handed out', async () => {
  // Discovery is served, the store is not reachable.
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}/o/`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      issuer: base, authorization_endpoint: `${base}authorize`, token_endpoint: `${base}token`, jwks_uri: `${base}jwks`,
    }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const store = new RedisStore({ url: `redis://127.0.0.1:${await freePort()}/0`, connectTimeout: 0.3, commandTimeout: 0.3 });
    const rp = new RelyingParty(options({ store, issuer: `http://127.0.0.1:${server.address().port}/o/`, httpTimeout: 2 }));
    await assert.rejects(rp.beginLogin(), code('store_unavailable'));
    await assert.rejects(rp.completeLogin(`?code=c&state=${'A'.repeat(43)}`), code('store_unavailable'));
    await assert.rejects(rp.redeemExchangeCode('A'.repeat(43)), code('store_unavailable'));
  } finally {
    await new Promise((r) => server.close(r));
  }
});
