'use strict';
// Keys and tokens for the tests, made with node:crypto: an independent signer.
const crypto = require('node:crypto');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { pathToFileURL } = require('node:url');

const REPO = path.join(__dirname, '..', '..', '..');

const b64u = (buf) => Buffer.from(buf).toString('base64url');

function makeKey(kind, kid) {
  let pair;
  if (kind === 'RS256') pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  else if (kind === 'ES256') pair = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  else if (kind === 'EdDSA') pair = crypto.generateKeyPairSync('ed25519');
  else throw new Error(kind);
  const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg: kind, use: 'sig' };
  return { alg: kind, kid, privateKey: pair.privateKey, jwk };
}

function sign(key, payload, header = {}) {
  const h = b64u(JSON.stringify({ alg: key.alg, typ: 'JWT', kid: key.kid, ...header }));
  const p = b64u(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const input = Buffer.from(`${h}.${p}`);
  let sig;
  if (key.alg === 'RS256') sig = crypto.sign('sha256', input, key.privateKey);
  else if (key.alg === 'ES256') sig = crypto.sign('sha256', input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  else sig = crypto.sign(null, input, key.privateKey);
  return `${h}.${p}.${b64u(sig)}`;
}

const now = () => Math.floor(Date.now() / 1000);

function claims(extra = {}) {
  return { iss: 'https://idp.example/application/o/app/', aud: 'app', sub: 'user-1', iat: now(), exp: now() + 600, ...extra };
}

// The repository's test identity provider (tests/idp/test_idp.py), on 127.0.0.1.
async function startIdp(args = []) {
  const script = path.join(REPO, 'tests', 'idp', 'test_idp.py');
  const child = spawn('python3', [script, '--port', '0', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = readline.createInterface({ input: child.stdout });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('test identity provider did not start')), 10000);
    rl.once('line', (line) => {
      clearTimeout(timer);
      const m = /^READY (\d+)$/.exec(line);
      m ? resolve(Number(m[1])) : reject(new Error(`unexpected: ${line}`));
    });
    child.once('exit', (code) => reject(new Error(`test identity provider exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const control = async (what, body) => {
    const res = await fetch(`${base}/_control/${what}`, body === undefined ? {} : { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
    return res.json();
  };
  return {
    base,
    issuer: `${base}/application/o/test/`,
    control,
    stop: () => new Promise((resolve) => { child.once('exit', resolve); child.stdin.end(); }),
  };
}

async function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// A real redis-server on 127.0.0.1, without persistence, in a temporary directory.
async function startRedis() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oidcore-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}/0`,
    stop: () => new Promise((resolve) => { child.once('exit', () => { fs.rmSync(dir, { recursive: true, force: true }); resolve(); }); child.kill(); }),
  };
}

// The real OpenID Provider fixture (tests/idp/oidc-provider: the npm oidc-provider set up
// like Authentik). Installs its node_modules with `npm ci` when they are missing, and
// returns its driver module (startProvider, driveLogin, driveLogout, CookieJar).
const OIDC_PROVIDER_DIR = path.join(REPO, 'tests', 'idp', 'oidc-provider');
async function oidcProvider() {
  if (!fs.existsSync(path.join(OIDC_PROVIDER_DIR, 'node_modules', 'oidc-provider', 'package.json'))) {
    // The fixture's own script: `npm ci` under a lock, so that ctest running at the same
    // time does not install over this run. cmake is there: it built the addon.
    execFileSync('cmake', ['-P', path.join(OIDC_PROVIDER_DIR, 'npm_ci.cmake')], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return import(pathToFileURL(path.join(OIDC_PROVIDER_DIR, 'drive.mjs')).href);
}

module.exports = { makeKey, sign, claims, now, startIdp, b64u, freePort, startRedis, oidcProvider, REPO };
