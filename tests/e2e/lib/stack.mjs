// Starts what a browser login needs, all on loopback: a redis-server (when asked for), the
// test identity provider (tests/idp/oidc-provider, configured like Authentik) and the NestJS
// example app (examples/nestjs, built with tsc). stop() ends them all.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startProvider } from '../../idp/oidc-provider/drive.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const APP_DIR = join(ROOT, 'examples', 'nestjs');
export const USERS = {
  alice: { user: 'alice', password: 'alice-password' },
  bob: { user: 'bob', password: 'bob-password' },
};

/** A TCP port nobody listens on right now (on 127.0.0.1). */
export async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

// The children still running: killed if this process is interrupted or exits early, so that
// an interrupted run leaves no server behind (the provider also exits when its stdin closes).
const running = new Set();
let reaperInstalled = false;
function track(child) {
  running.add(child);
  child.on('exit', () => running.delete(child));
  if (reaperInstalled) return;
  reaperInstalled = true;
  const reap = () => {
    for (const c of running) c.kill('SIGKILL');
  };
  process.on('exit', reap);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      reap();
      process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[signal]);
    });
  }
}

// A child process whose output is kept (and shown when something fails); resolves once a
// line matches `readyPattern`.
async function startChild(name, command, args, { env, cwd, readyPattern, timeoutMs = 20000 }) {
  const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  track(child);
  let output = '';
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
  const ready = new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${name} not ready within ${timeoutMs} ms\n${output}`)), timeoutMs);
    const onData = (d) => {
      output += d;
      if (process.env.E2E_VERBOSE) process.stderr.write(`[${name}] ${d}`);
      const m = readyPattern.exec(output);
      if (m) {
        clearTimeout(timer);
        res(m);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`${name} exited (${signal ?? code}) before it was ready\n${output}`));
    });
  });
  const match = await ready;
  return {
    child,
    match,
    pid: child.pid,
    /** Still running (neither exited nor killed by a signal). */
    get running() { return child.exitCode === null && child.signalCode === null; },
    /** How it ended: `{code, signal}` (resolves once it has). */
    exited,
    get output() { return output; },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A throwaway redis-server on a free loopback port (or on `port`, e.g. to restart one where
 * it was), no persistence.
 */
export async function startRedis({ port: wanted } = {}) {
  const port = wanted ?? await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'oidcore-e2e-redis-'));
  const redis = await startChild('redis-server', 'redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--loglevel', 'notice',
  ], { readyPattern: /Ready to accept connections/ }).catch(async (err) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  // The log line comes before the socket is certain to answer on some versions: ping it.
  await redisCommand(port, 'PING');
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    pid: redis.pid,
    command: (...args) => redisCommand(port, ...args),
    get output() { return redis.output; },
    async stop() {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One Redis command over RESP; resolves with the raw reply text. */
export function redisCommand(port, ...args) {
  return new Promise((res, rej) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(3000, () => socket.destroy(new Error('redis command timed out')));
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`);
    });
    socket.setEncoding('utf8');
    socket.on('data', (d) => {
      reply += d;
      if (reply.endsWith('\r\n')) socket.end();
    });
    socket.on('end', () => res(reply));
    socket.on('error', rej);
  });
}

/**
 * The NestJS example on `port`, talking to `provider`; `nodeArgs` go to node before the
 * script (e.g. `--unhandled-rejections=strict`); `appEnv` adds to its environment (SCOPES,
 * GLOBAL_PREFIX, ...).
 */
export async function startApp({ provider, port, redisUrl, nodeArgs = [], appEnv = {} }) {
  const main = join(APP_DIR, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build the example first (npm run build in examples/nestjs)`);
  const publicUrl = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    ISSUER: provider.issuer,
    CLIENT_ID: provider.clientId,
    CLIENT_SECRET: provider.clientSecret,
    PUBLIC_URL: publicUrl,
    PORT: String(port),
    NO_COLOR: '1',
  };
  delete env.REDIS_URL;
  delete env.INTERNAL_URL;
  if (redisUrl) env.REDIS_URL = redisUrl;
  Object.assign(env, appEnv);
  const app = await startChild('nestjs-example', process.execPath, [...nodeArgs, main], {
    cwd: APP_DIR, env, readyPattern: /Listening on (\S+)/,
  });
  return {
    url: publicUrl,
    pid: app.pid,
    get running() { return app.running; },
    exited: app.exited,
    get output() { return app.output; },
    stop: () => app.stop(),
  };
}

/**
 * Everything for one run: `store` is 'memory' or 'redis'. Ports are free ones unless given
 * (`appPort`, `idpPort`); `appNodeArgs` go to the app's node, `appEnv` to its environment.
 * `prefix` ('/v1') is the app's GLOBAL_PREFIX, in its redirect URI too.
 */
export async function startStack({ store = 'memory', appPort, idpPort, appNodeArgs, appEnv = {}, prefix = '' } = {}) {
  const started = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => {});
  };
  try {
    const redis = store === 'redis' ? await startRedis() : undefined;
    if (redis) started.push(redis);
    const port = appPort ?? await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    const provider = await startProvider([
      ...(idpPort ? ['--port', String(idpPort)] : []),
      '--redirect-uri', `${appUrl}${prefix}/auth/callback`,
      '--post-logout-redirect-uri', `${appUrl}/app/`,
    ]);
    started.push(provider);
    const app = await startApp({
      provider, port, redisUrl: redis?.url, nodeArgs: appNodeArgs,
      appEnv: prefix ? { ...appEnv, GLOBAL_PREFIX: prefix } : appEnv,
    });
    started.push(app);
    return {
      store, appUrl, prefix, provider, app, redis,
      logs: () => `--- app ---\n${app.output}\n--- provider ---\n${provider.stderr}\n`
        + (redis ? `--- redis ---\n${redis.output}\n` : ''),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
