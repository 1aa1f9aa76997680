// Exchange codes (create, then redeem the same code) through oidcore's Node binding, on the
// Redis store and on the memory store, side by side with the ioredis service Node backends
// usually write, against one redis-server:
//
//   ioredis, typical:  create = nanoid(32) + SETEX key 60 JSON;  redeem = GET, then DEL
//   ioredis, GETDEL:   create = the same;                        redeem = GETDEL
//
// Pairs per second with 1 pair in flight and with --concurrency pairs in flight (batches
// awaited together), each measured for --seconds in --rounds interleaved rounds (the median
// of the rounds, as bench.mjs). Then, one operation at a time, the Redis commands and the read events
// the server processed (INFO commandstats and total_reads_processed) per create and per
// redeem: with one operation in flight, each read event is one round trip.
//
//   node exchange.mjs --redis redis://127.0.0.1:6379/0 --fixtures fixtures.json [--seconds 2] [--rounds 5]
//                     [--concurrency 100] [--out exchange.json]
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

import { Redis } from 'ioredis';
import { nanoid } from 'nanoid';
import { ExchangeCodes, MemoryStore, RedisStore } from 'oidcore';

import { interleaved, loadFixtures, loopAsync, parseArgs, peakRssKb } from './lib.mjs';

const opts = parseArgs(process.argv.slice(2), { redis: '', fixtures: '', seconds: 2, rounds: 5, out: '', concurrency: 100, ops: 500 });
if (!opts.redis || !opts.fixtures) throw new Error('--redis and --fixtures are required');
const f = loadFixtures(opts.fixtures);

// What a callback hands to the frontend: an access token, an ID token, a refresh token.
const payload = {
  accessToken: f.algs.RS256.tokens[0],
  idToken: f.algs.RS256.tokens[1],
  refreshToken: randomBytes(48).toString('base64url'),
  expiresIn: 300,
  tokenType: 'Bearer',
};

/** The exchange-code service of a typical NestJS backend, on ioredis. */
class IoredisExchangeCodes {
  constructor(redis, { getdel = false, ttl = 60 } = {}) {
    this.redis = redis;
    this.getdel = getdel;
    this.ttl = ttl;
  }

  async create(tokens) {
    const code = nanoid(32);
    await this.redis.setex(`exchange:${code}`, this.ttl, JSON.stringify(tokens));
    return code;
  }

  async redeem(code) {
    const key = `exchange:${code}`;
    let value;
    if (this.getdel) {
      value = await this.redis.getdel(key);
    } else {
      value = await this.redis.get(key);
      if (value !== null) await this.redis.del(key);
    }
    if (value === null) throw new Error('invalid or expired exchange code');
    return JSON.parse(value);
  }
}

const admin = new Redis(opts.redis, { lazyConnect: true });
await admin.connect();
const serverInfo = await admin.info('server');
const redisVersion = /redis_version:(\S+)/.exec(serverInfo)?.[1] ?? 'unknown';

async function counters() {
  const stats = await admin.info('commandstats');
  const general = await admin.info('stats');
  const commands = {};
  for (const m of stats.matchAll(/cmdstat_([a-z|_]+):calls=(\d+)/g)) commands[m[1]] = Number(m[2]);
  return { commands, reads: Number(/total_reads_processed:(\d+)/.exec(general)?.[1] ?? NaN) };
}

/** Commands and read events per operation, one operation at a time. */
async function roundTrips(codes, n) {
  const created = [];
  await admin.config('RESETSTAT');
  const before = await counters();
  for (let i = 0; i < n; i++) created.push(await codes.create(payload));
  const mid = await counters();
  for (const code of created) await codes.redeem(code);
  const after = await counters();
  // The admin connection's own INFO calls (two per counters()) are taken out.
  const diff = (a, b) => {
    const out = {};
    for (const [k, v] of Object.entries(b.commands)) {
      if (k === 'info' || k === 'config|resetstat') continue;
      const d = v - (a.commands[k] ?? 0);
      if (d) out[k] = +(d / n).toFixed(2);
    }
    return out;
  };
  return {
    create_commands: diff(before, mid),
    redeem_commands: diff(mid, after),
    create_round_trips: +((mid.reads - before.reads - 2) / n).toFixed(2),
    redeem_round_trips: +((after.reads - mid.reads - 2) / n).toFixed(2),
  };
}

const ioredis = new Redis(opts.redis);
const impls = [
  ['oidcore ExchangeCodes (RedisStore)', new ExchangeCodes({ store: new RedisStore({ url: opts.redis, keyPrefix: 'bench:' }) }), true],
  ['oidcore ExchangeCodes (MemoryStore)', new ExchangeCodes({ store: new MemoryStore() }), false],
  ['ioredis (SETEX; GET + DEL)', new IoredisExchangeCodes(ioredis), true],
  ['ioredis (SETEX; GETDEL)', new IoredisExchangeCodes(ioredis, { getdel: true }), true],
];

const results = [];
const timed = [];
const inputs = [0];
for (const [name, codes, usesRedis] of impls) {
  const check = await codes.redeem(await codes.create(payload));
  if (check.accessToken !== payload.accessToken) throw new Error(`${name}: the payload did not come back`);
  const pair = async () => codes.redeem(await codes.create(payload));
  const r = { case: name };
  results.push(r);
  const sequential = { run: (seconds, state) => loopAsync(pair, inputs, seconds, 1, state) };
  const concurrent = { run: (seconds, state) => loopAsync(pair, inputs, seconds, opts.concurrency, state) };
  timed.push(sequential, concurrent);
  r.timing = { sequential, concurrent, codes, usesRedis };
}
await interleaved(timed, opts.seconds, opts.rounds);
for (const r of results) {
  const { sequential, concurrent, codes, usesRedis } = r.timing;
  delete r.timing;
  r.sequential_pairs_per_sec = sequential.ops_per_sec;
  r.sequential_rounds = sequential.rounds;
  r.concurrent_pairs_per_sec = concurrent.ops_per_sec;
  r.concurrent_rounds = concurrent.rounds;
  if (usesRedis) Object.assign(r, await roundTrips(codes, opts.ops));
  const rt = usesRedis ? `  round trips: create ${r.create_round_trips}, redeem ${r.redeem_round_trips}; commands ${JSON.stringify(r.create_commands)} + ${JSON.stringify(r.redeem_commands)}` : '';
  console.log(`${r.case.padEnd(38)} ${Math.round(r.sequential_pairs_per_sec).toLocaleString('en-US').padStart(9)} pairs/s sequential ${Math.round(r.concurrent_pairs_per_sec).toLocaleString('en-US').padStart(9)} pairs/s with ${opts.concurrency} in flight${rt}`);
}
ioredis.disconnect();
admin.disconnect();

const out = {
  runner: 'node-exchange',
  node: process.version,
  redis: redisVersion,
  peers: Object.fromEntries(['ioredis', 'nanoid'].map((name) => [
    name, JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8')).version])),
  seconds: opts.seconds,
  rounds: opts.rounds,
  concurrency: opts.concurrency,
  payload_bytes: JSON.stringify(payload).length,
  peak_rss_kb: peakRssKb(),
  results,
};
if (opts.out) writeFileSync(opts.out, JSON.stringify(out, null, 1) + '\n');
console.log(`redis-server ${redisVersion}; payload ${out.payload_bytes} bytes; peak RSS ${(out.peak_rss_kb / 1024).toFixed(0)} MiB`);
// The oidcore RedisStore's connections close with the process.
process.exit(0);
