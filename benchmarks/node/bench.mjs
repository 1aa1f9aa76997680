// Token verification through oidcore's Node binding, side by side with what Node services use
// today, on the same tokens and keys (fixtures.mjs), in one process:
//
//   oidcore     verifySync, verify, verify over jwksUri (the loopback JWKS, keys cached),
//               verifyRequest (cookie, bearer), OidcoreStrategy.authenticate on a fake
//               request, verifySync/verify with the verified-token cache
//   passport-jwt + jwks-rsa + jsonwebtoken, set up the usual way (passportJwtSecret over the
//               loopback JWKS, cache and rate limit on), authenticate on a fake request
//   jose        jwtVerify with createLocalJWKSet and with createRemoteJWKSet (loopback)
//   fast-jwt    createVerifier with the PEM key, without and with its token cache
//   node:crypto crypto.verify of the signing input with a KeyObject made once: the floor
//
// Synchronous calls run in a tight loop, asynchronous ones in batches of --concurrency calls
// awaited together. Then the scaling run: the RS256 verifySync, fast-jwt and node:crypto loops
// in 1 and 2 worker_threads at once. Each case gets a warm-up, then --seconds of measurement in
// --rounds rounds, every case once per round (interleaved, so that a burst of other work on
// the machine is spread over the cases); its result is the median of its rounds.
//
//   node bench.mjs --fixtures fixtures.json [--seconds 2] [--rounds 5] [--out node.json]
//                  [--algs RS256,ES256,EdDSA] [--concurrency 100] [--threads 1,2]
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync, writeFileSync } from 'node:fs';

import { createVerifier } from 'fast-jwt';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify } from 'jose';
import jwksRsa from 'jwks-rsa';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { OidcoreStrategy, Verifier, cryptoVersion, version as oidcoreVersion } from 'oidcore';

import { interleaved, loadFixtures, loopAsync, loopSync, parseArgs, peakRssKb, startJwksServer, warmupFor } from './lib.mjs';

const CACHE_SIZE = 4096;

/** A Verifier with token_cache_size set, or without the key when this core does not know it. */
let tokenCacheMode = 'token_cache_size';
function oidcoreVerifier(options, cacheSize) {
  if (tokenCacheMode === 'token_cache_size') {
    try {
      return new Verifier({ ...options, tokenCacheSize: cacheSize });
    } catch (e) {
      if (e.code !== 'invalid_config' || !/tokenCacheSize/.test(e.message)) throw e;
      tokenCacheMode = 'unsupported';
    }
  }
  return new Verifier(options);
}

/** Runs a passport strategy's authenticate() on `req` as passport does; resolves to the user. */
function authenticate(strategy, req) {
  return new Promise((resolve, reject) => {
    const s = Object.create(strategy);
    s.success = (user) => resolve(user);
    s.fail = (challenge, status) => reject(new Error(`authentication failed: ${challenge?.message ?? challenge} ${status ?? ''}`));
    s.error = (err) => reject(err);
    s.redirect = () => reject(new Error('unexpected redirect'));
    s.pass = () => reject(new Error('unexpected pass'));
    s.authenticate(req, {});
  });
}

function floorKey(fixture, alg) {
  const key = createPublicKey({ key: fixture.algs[alg].jwk, format: 'jwk' });
  if (alg === 'RS256') return (p) => cryptoVerify('sha256', p.data, key, p.sig);
  if (alg === 'ES256') {
    const k = { key, dsaEncoding: 'ieee-p1363' };
    return (p) => cryptoVerify('sha256', p.data, k, p.sig);
  }
  return (p) => cryptoVerify(null, p.data, key, p.sig);
}

/**
 * The cases of one algorithm: [name, kind ('sync'|'async'), fn, inputs, check]. `check`
 * tells whether one call's result is a success (run once before timing).
 */
// The subject of a verification's result: oidcore's and fast-jwt's `claims` / payload, jose's
// `payload`, a Passport user.
const subjectOf = (r) => (r.claims ?? r.payload ?? r).sub;

async function casesFor(f, alg, jwksUri) {
  const a = f.algs[alg];
  const base = { issuer: f.issuer, audience: f.audience, algorithms: [alg] };
  const inline = oidcoreVerifier({ ...base, jwks: f.jwks }, 0);
  const remote = oidcoreVerifier({ ...base, jwksUri }, 0);
  await remote.ready();
  const cached = oidcoreVerifier({ ...base, jwks: f.jwks }, CACHE_SIZE);
  const cookieReqs = a.tokens.map((t) => ({ headers: { cookie: `theme=dark; access_token=${t}; lang=en` } }));
  const bearerReqs = a.tokens.map((t) => ({ headers: { authorization: `Bearer ${t}` } }));
  const oidcoreStrategy = new OidcoreStrategy({ verifier: inline }, (payload, done) => done(null, payload));

  const passportJwt = new JwtStrategy({
    secretOrKeyProvider: jwksRsa.passportJwtSecret({ cache: true, rateLimit: true, jwksRequestsPerMinute: 5, jwksUri }),
    jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
    issuer: f.issuer,
    audience: f.audience,
    algorithms: [alg],
  }, (payload, done) => done(null, payload));

  const joseOptions = { issuer: f.issuer, audience: f.audience, algorithms: [alg] };
  const localSet = createLocalJWKSet(f.jwks);
  const remoteSet = createRemoteJWKSet(new URL(jwksUri));
  const fastOptions = { key: a.spki_pem, algorithms: [alg], allowedIss: f.issuer, allowedAud: f.audience };
  const fast = createVerifier({ ...fastOptions, cache: false });
  const fastCached = createVerifier({ ...fastOptions, cache: CACHE_SIZE });
  const floor = floorKey(f, alg);

  const sub = (r) => typeof subjectOf(r) === 'string';
  return [
    ['oidcore verifySync', 'sync', (t) => inline.verifySync(t), a.tokens, sub],
    ['oidcore verify', 'async', (t) => inline.verify(t), a.tokens, sub],
    ['oidcore verify (jwksUri)', 'async', (t) => remote.verify(t), a.tokens, sub],
    ['oidcore verifyRequest (cookie)', 'async', (r) => inline.verifyRequest(r), cookieReqs, sub],
    ['oidcore verifyRequest (bearer)', 'async', (r) => inline.verifyRequest(r), bearerReqs, sub],
    ['oidcore OidcoreStrategy', 'async', (r) => authenticate(oidcoreStrategy, r), bearerReqs, sub],
    ['oidcore verifySync (token cache)', 'sync', (t) => cached.verifySync(t), a.tokens, sub],
    ['oidcore verify (token cache)', 'async', (t) => cached.verify(t), a.tokens, sub],
    ['passport-jwt + jwks-rsa', 'async', (r) => authenticate(passportJwt, r), bearerReqs, sub],
    ['jose jwtVerify (local JWKS)', 'async', (t) => jwtVerify(t, localSet, joseOptions), a.tokens, sub],
    ['jose jwtVerify (remote JWKS)', 'async', (t) => jwtVerify(t, remoteSet, joseOptions), a.tokens, sub],
    ['fast-jwt', 'sync', (t) => fast(t), a.tokens, sub],
    ['fast-jwt (cache)', 'sync', (t) => fastCached(t), a.tokens, sub],
    ['node:crypto verify (floor)', 'sync', floor, a.parts, (r) => r === true],
  ];
}

// ---------------------------------------------------------------------------------------
// worker_threads: one loop per worker, started together.

const WORKER_CASES = {
  'oidcore verifySync': (f, alg) => {
    const v = oidcoreVerifier({ issuer: f.issuer, audience: f.audience, algorithms: [alg], jwks: f.jwks }, 0);
    return [(t) => v.verifySync(t), f.algs[alg].tokens];
  },
  'fast-jwt': (f, alg) => {
    const a = f.algs[alg];
    const v = createVerifier({ key: a.spki_pem, algorithms: [alg], allowedIss: f.issuer, allowedAud: f.audience });
    return [(t) => v(t), a.tokens];
  },
  'node:crypto verify (floor)': (f, alg) => [floorKey(f, alg), f.algs[alg].parts],
};

async function runWorkers(fixturesPath, name, alg, threads, seconds) {
  const workers = [];
  for (let i = 0; i < threads; i++) {
    workers.push(new Worker(new URL(import.meta.url), { workerData: { fixturesPath, name, alg, seconds } }));
  }
  const ready = workers.map((w) => new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  }));
  await Promise.all(ready);
  const done = workers.map((w) => new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  }));
  const cpu = process.cpuUsage();
  for (const w of workers) w.postMessage('go');
  const runs = await Promise.all(done);
  const used = process.cpuUsage(cpu);
  await Promise.all(workers.map((w) => w.terminate()));
  // Every worker warmed up before 'ready' and then ran `seconds`: the sum of their rates, and
  // the process's CPU from 'go' to the last answer.
  const ops = runs.reduce((s, r) => s + r.ops, 0);
  return { ops, wall: ops / runs.reduce((s, r) => s + r.ops / r.wall, 0), cpu: (used.user + used.system) / 1e6 };
}

if (!isMainThread) {
  const { fixturesPath, name, alg, seconds } = workerData;
  const f = loadFixtures(fixturesPath);
  const [fn, inputs] = WORKER_CASES[name](f, alg);
  const state = { i: 0 };
  loopSync(fn, inputs, warmupFor(seconds), state);
  parentPort.postMessage('ready');
  parentPort.once('message', () => {
    const m = loopSync(fn, inputs, seconds, state);
    parentPort.postMessage({ ops: m.ops, wall: m.wall });
  });
} else {
  const opts = parseArgs(process.argv.slice(2), {
    fixtures: '', seconds: 2, rounds: 5, out: '', algs: 'RS256,ES256,EdDSA', concurrency: 100, threads: '1,2',
  });
  if (!opts.fixtures) throw new Error('--fixtures is required');
  const f = loadFixtures(opts.fixtures);
  const server = await startJwksServer(f.jwks);
  const fmt = (r) => `${r.alg.padEnd(6)} ${r.case.padEnd(36)} ${r.threads ? `${r.threads} thr` : '     '} ${r.ops_per_sec === null ? `  unsupported: ${r.error}` : `${Math.round(r.ops_per_sec).toLocaleString('en-US').padStart(12)}/s`}`;

  const results = [];
  const timed = [];
  for (const alg of opts.algs.split(',')) {
    for (const [name, kind, fn, inputs, check] of await casesFor(f, alg, server.uri)) {
      const r = { alg, case: name, kind, concurrency: kind === 'async' ? opts.concurrency : 1 };
      results.push(r);
      try {
        // Every input must pass, or the case would measure a failure path.
        for (const input of inputs) {
          const out = await fn(input);
          if (!check(out)) throw new Error('unexpected result');
        }
      } catch (e) {
        r.ops_per_sec = null;
        r.error = String(e?.message ?? e).slice(0, 160);
        console.log(fmt(r));
        continue;
      }
      // Timed as an application uses a result: its subject read from the verified claims
      // (oidcore parses its claims when first read; the peers hand back parsed objects).
      const used = kind === 'sync' ? (x) => subjectOf(fn(x)) : (x) => fn(x).then(subjectOf);
      r.run = kind === 'sync'
        ? (seconds, state) => loopSync(used, inputs, seconds, state)
        : (seconds, state) => loopAsync(used, inputs, seconds, opts.concurrency, state);
      timed.push(r);
    }
  }
  for (const name of Object.keys(WORKER_CASES)) {
    for (const threads of opts.threads.split(',').map(Number)) {
      const r = { alg: 'RS256', case: name, kind: 'sync', threads };
      r.run = (seconds) => runWorkers(opts.fixtures, name, 'RS256', threads, seconds);
      results.push(r);
      timed.push(r);
    }
  }
  console.log(`${timed.length} cases, ${opts.rounds} interleaved rounds of ${(opts.seconds / opts.rounds).toFixed(2)} s each`);
  await interleaved(timed, opts.seconds, opts.rounds);
  for (const r of results) {
    delete r.run;
    delete r.state;
    console.log(fmt(r));
  }
  server.close();
  const out = {
    runner: 'node',
    node: process.version,
    openssl: process.versions.openssl,
    oidcore: oidcoreVersion,
    oidcore_crypto: cryptoVersion,
    peers: Object.fromEntries(['passport', 'passport-jwt', 'jwks-rsa', 'jsonwebtoken', 'jose', 'fast-jwt'].map((name) => [
      name, JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8')).version])),
    token_cache: tokenCacheMode,
    jwks_requests: server.requests,
    seconds: opts.seconds,
    rounds: opts.rounds,
    concurrency: opts.concurrency,
    peak_rss_kb: peakRssKb(),
    results,
  };
  if (opts.out) writeFileSync(opts.out, JSON.stringify(out, null, 1) + '\n');
  console.log(`peak RSS ${(out.peak_rss_kb / 1024).toFixed(0)} MiB; JWKS requests to the loopback server: ${server.requests}; token cache: ${tokenCacheMode}`);
}
