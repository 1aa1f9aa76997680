'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Verifier, OidcoreError } = require('..');
const { makeKey, sign, now, startIdp } = require('./helpers');

test('keys over HTTP: fetched off the event loop, then verified on the fast path', async (t) => {
  const idp = await startIdp();
  t.after(() => idp.stop());
  const key = makeKey('RS256', 'k1');
  await idp.control('jwks', { keys: [key.jwk] });
  await idp.control('delay', { path: '/jwks', seconds: 0.3 });
  const v = new Verifier({ issuer: idp.issuer, audience: 'app', discovery: true, httpTimeout: 3 });
  const token = sign(key, { iss: idp.issuer, aud: 'app', sub: 's', exp: now() + 60 });

  // The event loop keeps turning while the keys are fetched.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const r = await v.verify(token);
  clearInterval(timer);
  assert.equal(r.claims.sub, 's');
  assert.ok(ticks >= 10, `event loop ticked only ${ticks} times during a 300 ms fetch`);

  // Cached now: no further request reaches the provider.
  const before = (await idp.control('requests'))['/jwks'];
  for (let i = 0; i < 100; i++) assert.equal((await v.verify(token)).claims.sub, 's');
  assert.equal(v.verifySync(token).claims.sub, 's');
  assert.equal((await idp.control('requests'))['/jwks'], before);
  const s = v.stats();
  assert.equal(s.jwks.fetches, 1);
  assert.equal(s.jwks.key_count, 1);
  assert.equal(s.verifications.ok, 102);
});

test('provider down and nothing cached: jwks_unavailable, promptly', async (t) => {
  const idp = await startIdp();
  t.after(() => idp.stop());
  await idp.control('mode', { path: '*', mode: 'status', status: 500 });
  const v = new Verifier({ issuer: idp.issuer, audience: 'app', discovery: true, httpTimeout: 1 });
  const key = makeKey('ES256', 'k');
  const started = Date.now();
  await assert.rejects(v.verify(sign(key, { iss: idp.issuer, aud: 'app', exp: now() + 60 })),
    (e) => e instanceof OidcoreError && e.code === 'jwks_unavailable' && /500/.test(e.message));
  assert.ok(Date.now() - started < 3000);
  await assert.rejects(v.ready(), (e) => e instanceof OidcoreError && e.code === 'jwks_unavailable');
});

test('discovery naming another issuer is bad_issuer', async (t) => {
  const idp = await startIdp();
  t.after(() => idp.stop());
  await idp.control('discovery', { issuer: 'https://evil.example/' });
  const v = new Verifier({ issuer: idp.issuer, audience: 'app', discovery: true });
  await assert.rejects(v.ready(), (e) => e.code === 'bad_issuer');
});

test('TLS fetches inside Node, next to Node\'s own crypto', async (t) => {
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const { execFileSync } = require('node:child_process');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oidcore-ca-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  execFileSync('sh', [path.join(__dirname, '..', '..', '..', 'tests', 'idp', 'make_test_ca.sh'), dir]);
  const idp = await startIdp(['--tls-cert', path.join(dir, 'server.pem'), '--tls-key', path.join(dir, 'server.key')]);
  t.after(() => idp.stop());
  const issuer = idp.issuer.replace('http://', 'https://');
  // The provider advertises RS256 only: that is what discovery allows by default.
  const key = makeKey('RS256', 'rs');
  await idp.control('jwks', { keys: [key.jwk] });
  const token = sign(key, { iss: issuer, aud: 'app', exp: now() + 60 });
  const trusted = new Verifier({ issuer, audience: 'app', discovery: true, caFile: path.join(dir, 'ca.pem') });
  assert.equal((await trusted.verify(token)).header.kid, 'rs');
  // Node's crypto still works and still agrees.
  const [h, p, s] = token.split('.');
  assert.ok(crypto.verify('sha256', Buffer.from(`${h}.${p}`), crypto.createPublicKey({ key: key.jwk, format: 'jwk' }), Buffer.from(s, 'base64url')));
  await assert.rejects(trusted.verify(sign(makeKey('EdDSA', 'rs'), { iss: issuer, aud: 'app', exp: now() + 60 })),
    (e) => e.code === 'alg_not_allowed');
  const untrusted = new Verifier({ issuer, audience: 'app', discovery: true });
  await assert.rejects(untrusted.verify(token), (e) => e.code === 'jwks_unavailable');
});
