'use strict';
// A million verifications through the binding keep the process's memory flat: every result,
// string and native handle of a call is released. Run with --expose-gc (npm test does) for a
// tight bound; without it the bound is looser.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Verifier } = require('..');
const { claims, b64u } = require('./helpers');

const MB = 1 << 20;

test('1,000,000 verifySync calls on one token keep RSS flat', (t) => {
  // HS256 with an explicit secret: the whole path of a verification (argument, C ABI call,
  // result, claims and principal JSON, error state) at the lowest cryptographic cost, so that
  // a million calls fit in seconds on a two-core machine.
  const secret = crypto.randomBytes(32);
  const v = new Verifier({
    issuer: claims().iss, audience: 'app', algorithms: ['HS256'],
    jwks: { keys: [{ kty: 'oct', k: b64u(secret), kid: 'hs' }] },
    principal: { roles: [{ group: 'admins', role: 'admin' }] },
  });
  const h = b64u(JSON.stringify({ alg: 'HS256', kid: 'hs', typ: 'JWT' }));
  const p = b64u(JSON.stringify(claims({ email: 'a@example.com', name: 'A', groups: ['admins'] })));
  const token = `${h}.${p}.${b64u(crypto.createHmac('sha256', secret).update(`${h}.${p}`).digest())}`;
  // And a forged one after every thousandth call: the error path is exercised as well.
  const forged = `${h}.${p}.${b64u(Buffer.alloc(32))}`;
  assert.equal(v.verifySync(token).principal.role, 'admin');

  const gc = typeof global.gc === 'function' ? global.gc : null;
  const rss = () => {
    if (gc) { gc(); gc(); }
    return process.memoryUsage().rss;
  };
  const run = (n) => {
    let failures = 0;
    for (let i = 0; i < n; i++) {
      if (v.verifySync(token).claims.sub !== 'user-1') throw new Error('wrong claims');
      if (i % 1000 === 999) {
        try { v.verifySync(forged); } catch (e) { if (e.code === 'bad_signature') failures++; }
      }
    }
    return failures;
  };

  run(100_000);  // warm-up: JIT, allocator pools, V8 heap sizing
  const base = rss();
  const started = performance.now();
  const samples = [];
  let failures = 0;
  for (let round = 0; round < 5; round++) {
    failures += run(200_000);
    samples.push(rss() - base);
  }
  const seconds = (performance.now() - started) / 1000;
  assert.equal(failures, 1000);
  const limit = gc ? 6 * MB : 12 * MB;
  const growth = samples.map((s) => (s / MB).toFixed(2)).join(', ');
  t.diagnostic(`1M calls in ${seconds.toFixed(1)} s; RSS growth after each 200k (MB): ${growth}; gc ${gc ? 'exposed' : 'not exposed'}`);
  assert.ok(samples.at(-1) < limit, `RSS grew by ${growth} MB over 1M calls`);
  // Flat, not merely small: the second half adds no more than a little.
  assert.ok(samples.at(-1) - samples[1] < limit / 2, `RSS kept growing: ${growth} MB`);
});
