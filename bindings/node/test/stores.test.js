'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { freePort, startRedis } = require('./helpers');
const { MemoryStore, RedisStore, ExchangeCodes, StateStore, OidcoreError } = require('..');

const notFound = (e) => e instanceof OidcoreError && e.code === 'not_found';

async function exactlyOnce(store) {
  const codes = new ExchangeCodes({ store });
  const code = await codes.create({ access_token: 'at', refresh_token: 'rt' });
  const results = await Promise.allSettled(Array.from({ length: 50 }, () => codes.redeem(code)));
  const ok = results.filter((r) => r.status === 'fulfilled');
  assert.equal(ok.length, 1);
  assert.deepEqual(ok[0].value, { access_token: 'at', refresh_token: 'rt' });
  assert.ok(results.filter((r) => r.status === 'rejected').every((r) => notFound(r.reason)));
}

async function bindingBurns(store) {
  const codes = new ExchangeCodes({ store });
  const code = await codes.create(['t'], { binding: 'browser-a' });
  await assert.rejects(codes.redeem(code, { binding: 'browser-b' }), notFound);
  await assert.rejects(codes.redeem(code, { binding: 'browser-a' }), notFound);
  const unbound = await codes.create('x');
  assert.equal(await codes.redeem(unbound), 'x');
}

async function stateOnce(store) {
  const states = new StateStore({ store, ttl: 600 });
  const s = await states.create({ redirectAfter: '/dashboard', extra: { tenant: 7 }, binding: 'b' });
  assert.match(s.state, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(s.codeChallengeMethod, 'S256');
  await assert.rejects(states.consume(s.state), notFound);  // missing binding spends it
  const t = await states.create({ redirectAfter: '/x' });
  const r = await states.consume(t.state);
  assert.equal(r.redirectAfter, '/x');
  assert.equal(r.nonce, t.nonce);
  assert.equal(r.codeVerifier, t.codeVerifier);
  await assert.rejects(states.consume(t.state), notFound);
}

test('memory store: codes exactly once, binding, state', async () => {
  const store = new MemoryStore({ maxEntries: 1000 });
  await exactlyOnce(store);
  await bindingBurns(store);
  await stateOnce(store);
});

test('bad input is refused without surprises', async () => {
  const codes = new ExchangeCodes({ store: new MemoryStore() });
  for (const bad of ['', 'x', 'a'.repeat(1 << 20), '../../etc/passwd', 'A'.repeat(42) + '='])
    await assert.rejects(codes.redeem(bad), notFound);
  await assert.rejects(codes.redeem(42), (e) => e.code === 'invalid_argument');
  await assert.rejects(codes.create(undefined), (e) => e.code === 'invalid_argument');
  await assert.rejects(codes.create('x', { binding: '' }), (e) => e.code === 'invalid_argument');
  assert.throws(() => new ExchangeCodes({ store: {} }), (e) => e.code === 'invalid_argument');
  assert.throws(() => new MemoryStore({ maxEntrys: 5 }), (e) => e.code === 'invalid_config' && e.message.includes('"maxEntrys"'));
});

test('expired codes are not_found', async () => {
  const codes = new ExchangeCodes({ store: new MemoryStore(), ttl: 1 });
  const code = await codes.create('soon gone');
  await new Promise((r) => setTimeout(r, 2100));
  await assert.rejects(codes.redeem(code), notFound);
});

test('redis store: the same guarantees across a real redis-server', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const store = new RedisStore({ url: redis.url, keyPrefix: 'node-test:' });
  await exactlyOnce(store);
  await bindingBurns(store);
  await stateOnce(store);
  // Two stores on the same server (two processes in real life) share the records.
  const a = new ExchangeCodes({ store });
  const b = new ExchangeCodes({ store: new RedisStore({ url: redis.url, keyPrefix: 'node-test:' }) });
  assert.equal(await b.redeem(await a.create('shared')), 'shared');
});

test('redis down: store_unavailable, never a success', async () => {
  const store = new RedisStore({ url: `redis://127.0.0.1:${await freePort()}/0`, connectTimeout: 0.3, commandTimeout: 0.3 });
  const codes = new ExchangeCodes({ store });
  await assert.rejects(codes.create('x'), (e) => e.code === 'store_unavailable');
  await assert.rejects(codes.redeem('A'.repeat(43)), (e) => e.code === 'store_unavailable');
});
