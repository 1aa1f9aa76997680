'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Verifier, OidcoreError, codes, version } = require('..');
const { makeKey, sign, claims, now, b64u } = require('./helpers');

const ISS = 'https://idp.example/application/o/app/';
const rsa = makeKey('RS256', 'rsa-1');
const ec = makeKey('ES256', 'ec-1');
const ed = makeKey('EdDSA', 'ed-1');
const jwks = { keys: [rsa.jwk, ec.jwk, ed.jwk] };
const verifier = new Verifier({ issuer: ISS, audience: 'app', jwks });

async function rejects(promise, code) {
  await assert.rejects(promise, (e) => e instanceof OidcoreError && e.code === code && typeof e.message === 'string');
}

test('valid tokens of every algorithm verify, async and sync', async () => {
  for (const key of [rsa, ec, ed]) {
    const token = sign(key, claims({ email: 'a@example.com' }));
    const r = await verifier.verify(token);
    assert.equal(r.claims.sub, 'user-1');
    assert.equal(r.claims.email, 'a@example.com');
    assert.deepEqual(r.header, { alg: key.alg, kid: key.kid });
    assert.equal(r.principal, null);
    assert.deepEqual(verifier.verifySync(token).claims, r.claims);
    assert.deepEqual(verifier.verifySync(Buffer.from(token)).claims, r.claims);
  }
});

test('a result reads like a plain object; each call gets claims of its own, from the cache too', async () => {
  const cached = new Verifier({ issuer: ISS, audience: 'app', jwks, tokenCacheSize: 16 });
  const token = sign(rsa, claims({ email: 'a@example.com', groups: ['admins'] }));
  const first = cached.verifySync(token);
  const second = await cached.verify(token);
  assert.equal(cached.stats().token_cache.hits, 1);
  // Destructuring, property reads, JSON and assignment behave as on a plain object.
  const { claims: c1, header } = first;
  assert.equal(c1.email, 'a@example.com');
  assert.deepEqual(header, { alg: 'RS256', kid: rsa.kid });
  assert.deepEqual(JSON.parse(JSON.stringify(second)), { claims: second.claims, principal: null, header: second.header });
  assert.deepEqual(Object.keys(second), ['claims', 'principal', 'header']);
  assert.deepEqual({ ...second }.claims, second.claims);
  assert.match(require('node:util').inspect(second), /email: 'a@example\.com'/);
  // A caller that changes its claims changes nothing for the next caller of the same token.
  c1.email = 'attacker@example.com';
  c1.groups.push('root');
  assert.equal(second.claims.email, 'a@example.com');
  assert.deepEqual(cached.verifySync(token).claims.groups, ['admins']);
  second.claims = { replaced: true };
  assert.deepEqual(second.claims, { replaced: true });
  assert.equal(cached.verifySync(token).claims.sub, 'user-1');
});

test('rejections carry the stable code', async () => {
  const good = sign(rsa, claims());
  const [h, p, s] = good.split('.');
  const forged = `${h}.${b64u(JSON.stringify(claims({ sub: 'admin' })))}.${s}`;
  await rejects(verifier.verify(forged), 'bad_signature');
  await rejects(verifier.verify(sign(rsa, claims({ exp: now() - 1 }))), 'expired');
  await rejects(verifier.verify(sign(rsa, claims({ aud: 'other' }))), 'bad_audience');
  await rejects(verifier.verify(sign(rsa, claims({ iss: ISS.slice(0, -1) }))), 'bad_issuer');
  await rejects(verifier.verify(`${b64u('{"alg":"none"}')}.${p}.`), 'unsupported_alg');
  await rejects(verifier.verify(sign(rsa, claims(), { kid: 'unknown' })), 'key_not_found');
  await rejects(verifier.verify('not a token'), 'malformed');
  await rejects(verifier.verify('a'.repeat(20000)), 'too_large');
  assert.throws(() => verifier.verifySync(forged), (e) => e instanceof OidcoreError && e.code === 'bad_signature');
});

test('HMAC with the public key as secret (alg confusion) is refused', async () => {
  const pem = crypto.createPublicKey(rsa.jwk.n ? { key: rsa.jwk, format: 'jwk' } : rsa.privateKey).export({ type: 'spki', format: 'pem' });
  const h = b64u(JSON.stringify({ alg: 'HS256', kid: 'rsa-1' }));
  const p = b64u(JSON.stringify(claims()));
  const mac = crypto.createHmac('sha256', pem).update(`${h}.${p}`).digest();
  await rejects(verifier.verify(`${h}.${p}.${b64u(mac)}`), 'alg_not_allowed');
});

test('non-token arguments are a TypeError, never a crash', async () => {
  for (const bad of [undefined, null, 42, {}, []]) {
    assert.throws(() => verifier.verifySync(bad), TypeError);
    await assert.rejects(verifier.verify(bad), TypeError);
  }
});

test('options are camelCase and errors name the option as written', () => {
  const v = new Verifier({ issuer: ISS, audience: ['x', 'app'], jwks, clockTolerance: 30, now: new Date((now() + 620) * 1000) });
  // exp = now + 600, frozen clock 620 s later: inside the 30 s tolerance.
  assert.equal(v.verifySync(sign(rsa, claims())).claims.sub, 'user-1');
  assert.throws(() => new Verifier({ issuer: ISS, audience: 'app', jwks, clockTolerence: 5 }),
    (e) => e instanceof OidcoreError && e.code === 'invalid_config' && e.message.includes('"clockTolerence"'));
  assert.throws(() => new Verifier({ issuer: ISS, audience: 'app', jwks, clockTolerance: 301 }),
    (e) => e.code === 'invalid_config' && e.message.includes('"clockTolerance"'));
  assert.throws(() => new Verifier(null), (e) => e.code === 'invalid_config');
  assert.throws(() => new Verifier({ issuer: ISS, audience: 'app' }), (e) => e.code === 'invalid_config');
});

test('principal mapping', () => {
  const v = new Verifier({
    issuer: ISS, audience: 'app', jwks,
    principal: { roles: [{ group: 'admins', role: 'admin' }, { group: 'support', role: 'support' }], defaultRole: 'member' },
  });
  const r = v.verifySync(sign(ec, claims({ email: 'e@x', name: 'Eve', groups: ['support', 'admins'] })));
  assert.deepEqual(r.principal, { sub: 'user-1', email: 'e@x', name: 'Eve', organizationId: 'user-1', role: 'admin' });
  assert.equal(v.verifySync(sign(ec, claims({ groups: [] }))).principal.role, 'member');
});

test('inside Node, the library runs on Node\'s own OpenSSL', () => {
  const { cryptoVersion } = require('..');
  // Node exports its bundled OpenSSL; every OpenSSL call of the addon (and of libcurl's TLS)
  // binds to it rather than to the system library. Prove it rather than assume it.
  assert.match(cryptoVersion, new RegExp(`^OpenSSL ${process.versions.openssl.replace(/[.+]/g, '\\$&')}\\b`));
});

test('codes and version', () => {
  assert.match(version, /^\d+\.\d+\.\d+$/);
  for (const c of ['malformed', 'expired', 'bad_signature', 'jwks_unavailable', 'internal']) assert.ok(codes.includes(c));
  assert.ok(!codes.includes('needs_fetch'));
  // unavailable: a service could not be reached (the core says which codes), never a verdict.
  assert.deepEqual(codes.filter((c) => new OidcoreError(c, 'x').unavailable),
    ['jwks_unavailable', 'http_error', 'store_unavailable']);
});

test('stats count outcomes', () => {
  const v = new Verifier({ issuer: ISS, audience: 'app', jwks });
  v.verifySync(sign(rsa, claims()));
  assert.throws(() => v.verifySync(sign(rsa, claims({ exp: now() - 5 }))));
  const s = v.stats();
  assert.equal(s.verifications.ok, 1);
  assert.equal(s.verifications.expired, 1);
  assert.equal(s.jwks, undefined);
});

test('a failed verification leaves nothing in OpenSSL\'s error queue for Node to trip over', async () => {
  let before;
  try { crypto.createPublicKey('garbage'); } catch (e) { before = e.message; }
  // Invalid EC points, wrong signatures and DER: paths that make OpenSSL queue errors.
  assert.throws(() => new Verifier({ issuer: ISS, audience: 'app', jwks: { keys: [{ ...ec.jwk, y: ec.jwk.x }] } }));
  const t = sign(ec, claims()).split('.');
  await rejects(verifier.verify(`${t[0]}.${t[1]}.${b64u(Buffer.alloc(64, 7))}`), 'bad_signature');
  let after;
  try { crypto.createPublicKey('garbage'); } catch (e) { after = e.message; }
  assert.equal(after, before);
});

test('verify with a nonce: equal passes, anything else is bad_nonce, on the async path', async () => {
  const token = sign(ec, claims({ nonce: 'n-123' }));
  assert.equal((await verifier.verify(token, { nonce: 'n-123' })).claims.nonce, 'n-123');
  assert.equal((await verifier.verify(Buffer.from(token), { nonce: 'n-123' })).header.alg, 'ES256');
  await rejects(verifier.verify(token, { nonce: 'n-124' }), 'bad_nonce');
  await rejects(verifier.verify(token, { nonce: 'n-123\0' }), 'bad_nonce');
  await rejects(verifier.verify(token, { nonce: '' }), 'bad_nonce');
  await rejects(verifier.verify(sign(ec, claims()), { nonce: 'n-123' }), 'bad_nonce');
  await rejects(verifier.verify(sign(ec, claims({ nonce: 42 })), { nonce: '42' }), 'missing_claim');  // wrong JSON type
  // The other checks still come first.
  await rejects(verifier.verify(sign(ec, claims({ nonce: 'n', exp: now() - 5 })), { nonce: 'n' }), 'expired');
  await rejects(verifier.verify('garbage', { nonce: 'n' }), 'malformed');
  // Options: no nonce is a plain verification; a nonce that is not a string is refused.
  assert.equal((await verifier.verify(token, {})).claims.nonce, 'n-123');
  assert.equal((await verifier.verify(token, null)).claims.nonce, 'n-123');
  for (const bad of [42, null, {}, ['n-123']]) await rejects(verifier.verify(token, { nonce: bad }), 'invalid_argument');
  await rejects(verifier.verify(token, 'n-123'), 'invalid_argument');
  await assert.rejects(verifier.verify(42, { nonce: 'n' }), TypeError);
});

test('every verification code is reachable from JS', async () => {
  const strict = new Verifier({ issuer: ISS, audience: 'app', jwks, typ: 'at+jwt', maxAge: 60, requiredClaims: ['email'] });
  const at = (extra, header) => sign(rsa, claims({ email: 'e', auth_time: now(), ...extra }), { typ: 'at+jwt', ...header });
  assert.equal((await strict.verify(at())).claims.email, 'e');
  await rejects(strict.verify(at({ nbf: now() + 120 })), 'not_yet_valid');
  await rejects(strict.verify(at({ iat: now() + 120 })), 'issued_in_future');
  await rejects(strict.verify(at({}, { typ: 'JWT' })), 'bad_type');
  await rejects(strict.verify(at({ auth_time: now() - 3600 })), 'too_old');
  await rejects(strict.verify(at({ email: undefined })), 'missing_claim');
  const only = new Verifier({ issuer: ISS, audience: 'app', jwks, algorithms: ['ES256'] });
  await rejects(only.verify(sign(rsa, claims())), 'alg_not_allowed');
  const seen = new Set(['ok']);
  for (const [k, n] of Object.entries(strict.stats().verifications)) if (n > 0) seen.add(k);
  assert.deepEqual([...seen].sort(), ['bad_type', 'issued_in_future', 'missing_claim', 'not_yet_valid', 'ok', 'too_old']);
});
