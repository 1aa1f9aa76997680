// What the Node runners share: the fixtures, the timing loops, a loopback JWKS server.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

export function loadFixtures(path) {
  const f = JSON.parse(readFileSync(path, 'utf8'));
  for (const alg of Object.keys(f.algs)) {
    const a = f.algs[alg];
    a.parts = a.tokens.map((t) => {
      const dot = t.lastIndexOf('.');
      return { data: Buffer.from(t.slice(0, dot)), sig: Buffer.from(t.slice(dot + 1), 'base64url') };
    });
  }
  return f;
}

export const now = () => Number(process.hrtime.bigint()) / 1e9;
export const warmupFor = (seconds) => Math.min(0.25, Math.max(0.05, seconds / 8));

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** { ops, wall, cpu }: `ops` done in `wall` seconds, using `cpu` seconds of the process's CPU. */
const measured = (ops, wallStart, cpuStart, wallEnd) => ({ ops, wall: wallEnd - wallStart, cpu: cpuSeconds() - cpuStart });

/**
 * A synchronous call in a tight loop over the inputs for `seconds`; `state.i` carries the
 * position in the inputs from one measurement to the next. Returns { ops, wall, cpu }.
 */
export function loopSync(fn, inputs, seconds, state = { i: 0 }) {
  const n = inputs.length;
  let i = state.i;
  let count = 0;
  const cpu = cpuSeconds();
  const start = now();
  const end = start + seconds;
  let t = start;
  do {
    for (let k = 0; k < 32; k++) fn(inputs[i++ % n]);
    count += 32;
    t = now();
  } while (t < end);
  state.i = i % n;
  return measured(count, start, cpu, t);
}

/**
 * An asynchronous call with a fixed concurrency: batches of `concurrency` calls started
 * together and awaited together, for `seconds`. Returns { ops, wall, cpu }.
 */
export async function loopAsync(fn, inputs, seconds, concurrency = 100, state = { i: 0 }) {
  const n = inputs.length;
  let i = state.i;
  const batch = new Array(concurrency);
  let count = 0;
  const cpu = cpuSeconds();
  const start = now();
  const end = start + seconds;
  let t = start;
  do {
    for (let k = 0; k < concurrency; k++) batch[k] = fn(inputs[i++ % n]);
    await Promise.all(batch);
    count += concurrency;
    t = now();
  } while (t < end);
  state.i = i % n;
  return measured(count, start, cpu, t);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Measures every case in `rounds` rounds of `seconds / rounds` each, the cases interleaved
 * round by round (so that a burst of other work on the machine lands on several cases, not
 * on one), after one warm-up each. A case is { run(seconds, state) → { ops, wall, cpu } }.
 * Sets on each case: `rounds` (ops/s of each round), `ops_per_sec` (their median) and
 * `ops_per_cpu_sec` (the median of ops per second of the process's CPU time: the cost per
 * operation, whatever else ran on the machine; with threads, the CPU of all of them).
 */
export async function interleaved(cases, seconds, rounds) {
  const per = seconds / rounds;
  for (const c of cases) {
    c.state = { i: 0 };
    c.rounds = [];
    c.cpuRounds = [];
    await c.run(warmupFor(seconds), c.state);
  }
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const m = await c.run(per, c.state);
      c.rounds.push(m.ops / m.wall);
      c.cpuRounds.push(m.cpu > 0 ? m.ops / m.cpu : null);
    }
  }
  for (const c of cases) {
    c.ops_per_sec = median(c.rounds);
    const cpu = c.cpuRounds.filter((x) => x !== null);
    c.ops_per_cpu_sec = cpu.length ? median(cpu) : null;
    delete c.cpuRounds;
  }
  return cases;
}

/** Serves `jwks` at http://127.0.0.1:<port>/jwks (Cache-Control: max-age=300); counts requests. */
export async function startJwksServer(jwks) {
  const body = JSON.stringify(jwks);
  const server = createServer((req, res) => {
    server.requests += 1;
    if (req.url !== '/jwks') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' }).end(body);
  });
  server.requests = 0;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.uri = `http://127.0.0.1:${server.address().port}/jwks`;
  return server;
}

export function peakRssKb() {
  return process.resourceUsage().maxRSS;
}

export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const key = a.slice(2);
    if (!(key in defaults)) throw new Error(`unknown option ${a}`);
    out[key] = typeof defaults[key] === 'number' ? Number(argv[++i]) : argv[++i];
  }
  return out;
}
