'use strict';
// Request verification from the attacker's side: a junk, stale or forged token in one source
// of a request never hides a good token in the other, and when both fail the verdict is the
// most specific one (a rejected token, then a value that is not a token, then no token; ties
// to the first source in order). The same scenarios as the C++, C and Python tests, through
// a Verifier, a RelyingParty (keys and discovery over HTTP: the fast path, then the pool)
// and the Passport strategy.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Passport } = require('passport');
const { Verifier, RelyingParty, MemoryStore, RedisStore, OidcoreStrategy, OidcoreError, cookies } = require('..');
const { makeKey, sign, now, startIdp, startRedis } = require('./helpers');

const code = (c, text) => (e) => e instanceof OidcoreError && e.code === c && (text === undefined || e.message.includes(text));

const key = makeKey('ES256', 'k1');
const attacker = makeKey('ES256', 'k1'); // same kid, another key: a forged signature

// The tokens of one issuer and audience.
function tokens(iss, aud) {
  const base = (extra = {}) => ({ iss, aud, sub: 'user-1', iat: now(), exp: now() + 600, ...extra });
  return {
    good: (sub) => sign(key, base({ sub })),
    expired: () => sign(key, base({ iat: now() - 4200, exp: now() - 600 })),
    forged: () => sign(attacker, base()),
  };
}

// A request with an access_token cookie and/or an Authorization header (undefined: absent).
function request(cookie, authorization) {
  const headers = {};
  if (cookie !== undefined) headers.cookie = `theme=dark; access_token=${cookie}; lang=en`;
  if (authorization !== undefined) headers.authorization = authorization;
  return { headers };
}
const bearer = (t) => `Bearer ${t}`;

// The scenarios, for anything with verifyRequest(req, options).
async function scenarios(target, t) {
  const ok = async (req, source, sub, options) => {
    const r = await target.verifyRequest(req, options);
    assert.equal(r.source, source);
    assert.equal(r.claims.sub, sub);
    return r;
  };
  // Junk, expired or forged cookie + valid bearer: the bearer token.
  for (const junk of ['junk', 'a.b.c', 'deleted', 'undefined', t.expired(), t.forged()]) {
    await ok(request(junk, bearer(t.good('from-bearer'))), 'bearer', 'from-bearer');
  }
  // Valid cookie + junk bearer: the cookie.
  for (const junk of [bearer('junk'), bearer('not.a.jwt'), 'Bearer', 'Bearer a b', bearer(t.expired()), 'Basic YTpi']) {
    await ok(request(t.good('from-cookie'), junk), 'cookie', 'from-cookie');
  }
  // Both bad: the most specific failure.
  await assert.rejects(target.verifyRequest(request('junk', bearer(t.expired()))), code('expired', 'bearer'));
  await assert.rejects(target.verifyRequest(request(t.expired(), bearer('not.a.jwt'))), code('expired', 'access_token cookie'));
  await assert.rejects(target.verifyRequest(request(t.expired(), 'Bearer caf\u00e9')), code('expired'));
  await assert.rejects(target.verifyRequest(request('junk', bearer(t.forged()))), code('bad_signature'));
  // Equally specific: the first source in order.
  await assert.rejects(target.verifyRequest(request(t.forged(), bearer(t.expired()))), code('bad_signature', 'cookie'));
  await assert.rejects(target.verifyRequest(request(t.forged(), bearer(t.expired())), { order: ['bearer', 'cookie'] }),
    code('expired', 'bearer'));
  await assert.rejects(target.verifyRequest(request('junk', bearer('a.b'))), code('malformed', 'cookie'));
  // No token.
  for (const req of [request(), request('', 'Basic YTpi'), { headers: { cookie: 'other=1' } }]) {
    await assert.rejects(target.verifyRequest(req), code('not_found'));
  }
  // The order is respected when both verify, and a source left out is never looked at.
  const both = request(t.good('from-cookie'), bearer(t.good('from-bearer')));
  await ok(both, 'cookie', 'from-cookie');
  await ok(both, 'bearer', 'from-bearer', { order: ['bearer', 'cookie'] });
  await ok(both, 'bearer', 'from-bearer', { order: ['bearer'] });
  await assert.rejects(target.verifyRequest(request(t.good('c')), { order: ['bearer'] }), code('not_found'));
  // A signed cookie with a bad signature is skipped.
  const secrets = { cookieName: 'sid', cookieSecrets: ['new-secret', 'old-secret'] };
  const goodSigned = encodeURIComponent(cookies.sign(t.good('from-cookie'), 'old-secret'));
  const forgedSigned = encodeURIComponent(cookies.sign(t.good('from-cookie'), 'attacker-secret'));
  await ok({ headers: { cookie: `sid=${goodSigned}`, authorization: bearer(t.good('from-bearer')) } }, 'cookie', 'from-cookie', secrets);
  for (const bad of [forgedSigned, t.good('from-cookie')]) {
    await ok({ headers: { cookie: `sid=${bad}`, authorization: bearer(t.good('from-bearer')) } }, 'bearer', 'from-bearer', secrets);
    await assert.rejects(target.verifyRequest({ headers: { cookie: `sid=${bad}` } }, secrets),
      code('not_found', 'not signed with a configured secret'));
    await assert.rejects(target.verifyRequest({ headers: { cookie: `sid=${bad}`, authorization: bearer(t.expired()) } }, secrets),
      code('expired'));
  }
  // An options object used again is read as it is at each call: changed in place or
  // replaced, the change counts. Only one that can never change (frozen all the way down,
  // no getters, as OidcoreStrategy's) is converted for the core once.
  const mutable = { order: ['cookie', 'bearer'] };
  await ok(both, 'cookie', 'from-cookie', mutable);
  mutable.order = ['bearer', 'cookie'];
  await ok(both, 'bearer', 'from-bearer', mutable);
  mutable.order.reverse();
  await ok(both, 'cookie', 'from-cookie', mutable);
  const shallow = Object.freeze({ order: ['bearer'] });
  await ok(both, 'bearer', 'from-bearer', shallow);
  shallow.order[0] = 'cookie';
  await ok(both, 'cookie', 'from-cookie', shallow);
  let current = ['bearer'];
  const viaGetter = Object.freeze({ get order() { return current; } });
  await ok(both, 'bearer', 'from-bearer', viaGetter);
  current = ['cookie'];
  await ok(both, 'cookie', 'from-cookie', viaGetter);
  const frozen = Object.freeze({ order: Object.freeze(['bearer']) });
  for (let i = 0; i < 3; i += 1) {
    await ok(both, 'bearer', 'from-bearer', frozen);
    await assert.rejects(target.verifyRequest(request(t.good('c')), frozen), code('not_found'));
  }
  for (const bad of [Object.freeze({ ordr: Object.freeze(['cookie']) }), Object.freeze({ allowFetch: false })]) {
    for (let i = 0; i < 2; i += 1) await assert.rejects(target.verifyRequest(request(t.good('c')), bad), code('invalid_argument'));
  }
  // Options are checked and named as written.
  await assert.rejects(target.verifyRequest(request(), { cookieName: 42 }), code('invalid_argument', '"cookieName"'));
  await assert.rejects(target.verifyRequest(request(), { ordr: ['cookie'] }), code('invalid_argument', '"ordr"'));
  await assert.rejects(target.verifyRequest(request(), { allowFetch: true }), code('invalid_argument', 'allowFetch'));
  await assert.rejects(target.verifyRequest(request(), 'options'), code('invalid_argument'));
  await assert.rejects(target.verifyRequest(null), code('invalid_argument'));
}

// verifyRequestCached with verifyRequest behind it, as a guard uses them; counts the requests
// that needed the promise.
function fromMemoryFirst(target) {
  const view = {
    fallbacks: 0,
    async verifyRequest(req, options) {
      const r = target.verifyRequestCached(req, options);
      if (r !== undefined) {
        assert.equal(typeof r.then, 'undefined', 'verifyRequestCached answers with the result itself');
        return r;
      }
      view.fallbacks += 1;
      return target.verifyRequest(req, options);
    },
  };
  return view;
}

test('Verifier.verifyRequest: a bad token in one source never hides a good one in the other', async () => {
  const iss = 'https://idp.example/application/o/app/';
  const v = new Verifier({ issuer: iss, audience: 'app', jwks: { keys: [key.jwk] } });
  await scenarios(v, tokens(iss, 'app'));
  // Fetch Request / Headers work too; the result of a plain verify has no source.
  const t = tokens(iss, 'app');
  const fetchReq = new Request('https://app.example/', { headers: { cookie: 'access_token=junk', authorization: bearer(t.good('f')) } });
  assert.equal((await v.verifyRequest(fetchReq)).source, 'bearer');
  assert.equal((await v.verify(t.good('x'))).source, undefined);
  assert.equal(v.verifySync(t.good('x')).source, undefined);
});

test('verifyRequestCached: the same verdicts without a promise, thrown when refused', async () => {
  const iss = 'https://idp.example/application/o/app/';
  const v = new Verifier({ issuer: iss, audience: 'app', jwks: { keys: [key.jwk] } });
  const t = tokens(iss, 'app');
  const view = fromMemoryFirst(v);
  await scenarios(view, t);
  assert.equal(view.fallbacks, 0, 'inline keys: every request answered from memory');
  const r = v.verifyRequestCached(request('junk', bearer(t.good('now'))));
  assert.equal(r.source, 'bearer');
  assert.equal(r.claims.sub, 'now');
  assert.throws(() => v.verifyRequestCached(request('junk', bearer(t.expired()))), code('expired', 'bearer'));
  assert.throws(() => v.verifyRequestCached(request(t.forged())), code('bad_signature'));
  assert.throws(() => v.verifyRequestCached(request()), code('not_found'));
  assert.throws(() => v.verifyRequestCached(request(), { allowFetch: true }), code('invalid_argument', 'allowFetch'));
  assert.throws(() => v.verifyRequestCached(null), code('invalid_argument'));
});

test('verifyRequestCached: every result has a principal of its own; headers of any size and case', () => {
  const iss = 'https://idp.example/application/o/app/';
  const v = new Verifier({
    issuer: iss, audience: 'app', jwks: { keys: [key.jwk] },
    principal: { roles: [{ group: 'admins', role: 'admin' }], defaultRole: 'user' },
  });
  const token = sign(key, { iss, aud: 'app', sub: 'user-1', email: 'u@example.com', iat: now(), exp: now() + 600 });
  const first = v.verifyRequestCached(request(token));
  const expected = { sub: 'user-1', email: 'u@example.com', name: null, organizationId: 'user-1', role: 'user' };
  assert.deepEqual(first.principal, expected);
  // A caller that changes its principal changes nothing for the next request of the same user.
  let previous = first;
  for (let i = 0; i < 3; i++) {
    previous.principal.role = 'admin';
    previous.principal.sub = 'someone-else';
    const next = v.verifyRequestCached(request(token));
    assert.notEqual(next.principal, previous.principal);
    assert.deepEqual(next.principal, expected);
    previous = next;
  }
  assert.deepEqual(v.verifyRequestCached({ headers: { authorization: bearer(token) } }).principal, expected);
  // Names in any case, repeated headers joined; a huge header, then a small one again.
  const mixed = v.verifyRequestCached({ headers: { Cookie: ['theme=dark', `access_token=${token}`] } });
  assert.equal(mixed.source, 'cookie');
  const padded = (n) => ({ headers: { cookie: `pad=${'x'.repeat(n)}; note=caf\u00e9; access_token=${token}` } });
  assert.throws(() => v.verifyRequestCached(padded(70000)), code('too_large', 'Cookie'));
  assert.equal(v.verifyRequestCached(padded(60000)).source, 'cookie');
  assert.equal(v.verifyRequestCached({ headers: { AUTHORIZATION: bearer(token) } }).source, 'bearer');
  // Two Authorization headers are no bearer token, even when one of them is good.
  assert.throws(() => v.verifyRequestCached({ headers: { authorization: [bearer(token), bearer('junk')] } }),
    code('malformed', 'Authorization'));
  assert.throws(() => v.verifyRequestCached({ headers: { authorization: bearer(token), Authorization: bearer(token) } }),
    code('malformed', 'Authorization'));
  assert.equal(v.verifyRequestCached(request(token)).principal.sub, 'user-1');
});

test('verifyRequestCached never fetches: undefined until verifyRequest has the keys', async (t) => {
  const idp = await startIdp();
  t.after(() => idp.stop());
  await idp.control('jwks', { keys: [key.jwk] });
  const tk = tokens(idp.issuer, 'app');
  const req = request('junk', bearer(tk.good('from-bearer')));
  const v = new Verifier({ issuer: idp.issuer, audience: 'app', discovery: true, algorithms: ['ES256'], httpTimeout: 3 });
  const rp = new RelyingParty({
    store: new MemoryStore(), issuer: idp.issuer, clientId: 'app', clientSecret: 'secret',
    redirectUri: 'http://127.0.0.1:3000/auth/callback', algorithms: ['ES256'], httpTimeout: 3, connectTimeout: 1,
  });
  for (const target of [v, rp]) {
    assert.equal(target.verifyRequestCached(req), undefined);
    // A refusal that needs no keys is answered at once all the same.
    assert.throws(() => target.verifyRequestCached(request()), code('not_found'));
  }
  let counts = await idp.control('requests');
  assert.equal(counts.discovery ?? 0, 0);
  assert.equal(counts['/jwks'] ?? 0, 0);
  for (const target of [v, rp]) {
    assert.equal((await target.verifyRequest(req)).source, 'bearer');
    assert.equal(target.verifyRequestCached(req).claims.sub, 'from-bearer');
    const view = fromMemoryFirst(target);
    await scenarios(view, tk);
    assert.equal(view.fallbacks, 0, 'keys in memory: every request answered from memory');
  }
  counts = await idp.control('requests');
  assert.equal(counts['/jwks'], 2);  // once per verifier, by verifyRequest
});

test('verifyRequestCached and the deny list: a MemoryStore is asked at once, Redis only on the pool', async (t) => {
  const iss = 'https://idp.example/application/o/app/';
  const options = { issuer: iss, audience: 'app', jwks: { keys: [key.jwk] }, denyList: true };
  const tk = tokens(iss, 'app');
  const token = sign(key, { iss, aud: 'app', sub: 'user-1', sid: 'session-1', iat: now(), exp: now() + 600 });
  const local = new Verifier({ ...options, store: new MemoryStore() });
  assert.equal(local.verifyRequestCached(request(token)).claims.sid, 'session-1');
  assert.equal(await local.deny(token), true);
  assert.throws(() => local.verifyRequestCached(request(token)), code('revoked'));
  // A refused token never costs a store lookup; a good one in Redis needs the pool.
  const redis = await startRedis();
  t.after(() => redis.stop());
  const remote = new Verifier({ ...options, store: new RedisStore({ url: redis.url, keyPrefix: 'node-cached:', commandTimeout: 1 }) });
  assert.throws(() => remote.verifyRequestCached(request(tk.expired())), code('expired'));
  assert.equal(remote.verifyRequestCached(request(token)), undefined);
  assert.equal((await remote.verifyRequest(request(token))).claims.sid, 'session-1');
  assert.equal(await remote.deny(token), true);
  assert.equal(remote.verifyRequestCached(request(token)), undefined);
  await assert.rejects(remote.verifyRequest(request(token)), code('revoked'));
});

test('Verifier.verifyRequest with remote keys: the first key fetch runs on the pool, then the fast path', async (t) => {
  const idp = await startIdp();
  t.after(() => idp.stop());
  await idp.control('jwks', { keys: [key.jwk] });
  await idp.control('delay', { path: '/jwks', seconds: 0.3 });
  const v = new Verifier({ issuer: idp.issuer, audience: 'app', discovery: true, algorithms: ['ES256'], httpTimeout: 3 });
  const tk = tokens(idp.issuer, 'app');
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  let r;
  try {
    r = await v.verifyRequest(request('junk', bearer(tk.good('from-bearer'))));
  } finally {
    clearInterval(timer);
  }
  assert.equal(r.source, 'bearer');
  assert.ok(ticks >= 10, `event loop ticked only ${ticks} times during a 300 ms fetch`);
  await scenarios(v, tk);
  assert.equal(v.stats().jwks.fetches, 1);
});

test('RelyingParty.verifyRequest: the same verdicts with the provider\'s keys, discovery on the pool', async (t) => {
  const idp = await startIdp();
  t.after(() => idp.stop());
  await idp.control('jwks', { keys: [key.jwk] });
  const rp = new RelyingParty({
    store: new MemoryStore(), issuer: idp.issuer, clientId: 'app', clientSecret: 'secret',
    redirectUri: 'http://127.0.0.1:3000/auth/callback', algorithms: ['ES256'], httpTimeout: 3, connectTimeout: 1,
  });
  const tk = tokens(idp.issuer, 'app');
  // No token: answered without the provider.
  await assert.rejects(rp.verifyRequest(request()), code('not_found'));
  assert.equal((await idp.control('requests')).discovery, 0);
  const r = await rp.verifyRequest(request('junk', bearer(tk.good('from-bearer'))));
  assert.equal(r.source, 'bearer');
  assert.equal(r.principal.sub, 'from-bearer');
  await scenarios(rp, tk);
  const counts = await idp.control('requests');
  assert.equal(counts.discovery, 1);
  assert.equal(counts['/jwks'], 1);
});

test('RelyingParty.verifyRequest: a provider that cannot be reached is not a rejection', async () => {
  const rp = new RelyingParty({
    store: new MemoryStore(), issuer: 'http://127.0.0.1:9/application/o/app/', clientId: 'app', clientSecret: 'secret',
    redirectUri: 'http://127.0.0.1:3000/auth/callback', httpTimeout: 0.5, connectTimeout: 0.2,
  });
  await assert.rejects(rp.verifyRequest(request('junk', bearer('a.b.c'))), (e) => code('http_error')(e) && e.unavailable === true);
  await assert.rejects(rp.verifyRequest(request()), (e) => code('not_found')(e) && e.unavailable === false);
});

test('OidcoreStrategy: a junk cookie no longer turns a good bearer token into a 401', async (t) => {
  const iss = 'https://idp.example/application/o/app/';
  const v = new Verifier({ issuer: iss, audience: 'app', jwks: { keys: [key.jwk] } });
  const tk = tokens(iss, 'app');
  const passport = new Passport();
  const logged = [];
  passport.use(new OidcoreStrategy({ verifier: v, logger: (m, err) => logged.push(err.code) },
    (payload, done) => done(null, { id: payload.sub })));
  const server = http.createServer((req, res) => {
    passport.authenticate('oidcore', { session: false })(req, res, () => res.end(JSON.stringify(req.user)));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  const get = (headers) => fetch(`http://127.0.0.1:${server.address().port}/`, { headers });

  let res = await get({ cookie: 'access_token=junk', authorization: bearer(tk.good('alice')) });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { id: 'alice' });
  res = await get({ cookie: `access_token=${tk.expired()}`, authorization: bearer(tk.good('bob')) });
  assert.deepEqual(await res.json(), { id: 'bob' });
  res = await get({ cookie: `access_token=${tk.good('carol')}`, authorization: 'Bearer junk' });
  assert.deepEqual(await res.json(), { id: 'carol' });
  for (const [headers, reason] of [
    [{ cookie: 'access_token=junk', authorization: bearer(tk.expired()) }, 'expired'],
    [{ cookie: `access_token=${tk.expired()}`, authorization: 'Bearer not.a.jwt' }, 'expired'],
    [{ cookie: `access_token=${tk.forged()}`, authorization: bearer(tk.expired()) }, 'bad_signature'],
    [{}, 'not_found'],
  ]) {
    logged.length = 0;
    res = await get(headers);
    assert.equal(res.status, 401, reason);
    assert.deepEqual(logged, [reason]);
  }
});
