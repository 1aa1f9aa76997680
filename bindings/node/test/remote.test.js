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
  assert.equal(s.jwks.unknown_kid_cached, 0);
  assert.equal(s.jwks.background_refreshes, 0);

  // A kid the keys lack, again and again: remembered, not fetched for each time.
  const junk = sign(makeKey('RS256', 'not-published'), { iss: idp.issuer, aud: 'app', sub: 's', exp: now() + 60 });
  for (let i = 0; i < 5; i++) await assert.rejects(v.verify(junk), (e) => e instanceof OidcoreError);
  const after = v.stats();
  assert.ok(after.jwks.fetches <= 2, `fetched ${after.jwks.fetches} times`);
  assert.ok(after.jwks.unknown_kid_cached >= 3, JSON.stringify(after.jwks));
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

// A key server that accepts connections and never answers.
async function hangingServer(t) {
  const net = require('node:net');
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(r); }));
  return { base: `http://127.0.0.1:${server.address().port}`, sockets };
}

// The main thread's timer: how often it fired and its longest gap.
function watchTimer(intervalMs = 10) {
  let ticks = 0;
  let maxGap = 0;
  let last = performance.now();
  const started = last;
  const timer = setInterval(() => {
    const t = performance.now();
    maxGap = Math.max(maxGap, t - last);
    last = t;
    ticks++;
  }, intervalMs);
  return () => {
    clearInterval(timer);
    const elapsed = performance.now() - started;
    return { ticks, maxGap, elapsed, expected: elapsed / intervalMs };
  };
}

test('1,000 verifications waiting on a hanging key server leave the event loop free', async (t) => {
  const { base, sockets } = await hangingServer(t);
  const issuer = 'https://idp.example/';
  const v = new Verifier({ issuer, audience: 'app', jwksUri: `${base}/jwks`, httpTimeout: 2, connectTimeout: 1 });
  const token = sign(makeKey('ES256', 'k'), { iss: issuer, aud: 'app', exp: now() + 60 });

  const stop = watchTimer();
  let settled = 0;
  const all = Array.from({ length: 1000 }, () => v.verify(token).finally(() => settled++));
  // Half-way through the hang: every call still waits, the timer keeps firing.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(settled, 0);
  assert.equal(sockets.size, 1, 'one fetch for a thousand waiting verifications');
  const results = await Promise.allSettled(all);
  const { ticks, maxGap, elapsed, expected } = stop();
  assert.ok(results.every((r) => r.status === 'rejected' && r.reason.code === 'jwks_unavailable'));
  assert.ok(elapsed >= 1900 && elapsed < 8000, `${elapsed} ms`);
  assert.ok(maxGap < 250, `the timer stalled for ${maxGap.toFixed(0)} ms`);
  assert.ok(ticks >= expected * 0.5, `${ticks} ticks where ${expected.toFixed(0)} were due`);
  assert.equal(v.stats().jwks.fetches, 1);
});

test('relying-party calls waiting on a hanging provider leave the event loop free', async (t) => {
  const { RelyingParty, MemoryStore } = require('..');
  const { base } = await hangingServer(t);
  const rp = new RelyingParty({ store: new MemoryStore(), issuer: `${base}/o/`, clientId: 'c', clientSecret: 's',
    redirectUri: 'http://127.0.0.1:3000/cb', httpTimeout: 1, connectTimeout: 1 });
  const stop = watchTimer();
  const results = await Promise.allSettled([rp.beginLogin(), rp.logoutUrl(), rp.refresh('rt'), rp.userinfo('at')]);
  const { ticks, maxGap, expected } = stop();
  assert.ok(results.every((r) => r.status === 'rejected' && r.reason.code === 'http_error'));
  assert.ok(maxGap < 250, `the timer stalled for ${maxGap.toFixed(0)} ms`);
  assert.ok(ticks >= expected * 0.5);
});
