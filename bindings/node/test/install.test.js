'use strict';
// `npm install <path to bindings/node>` from another project, on a checkout where the binding
// was never installed: npm links the folder and runs its install script without installing
// the package's own build tools; the script installs them and builds the addon, and the
// project can verify a token. Runs on a fresh clone of this repository's committed tree
// (about a minute: the core is compiled there).
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { makeKey, sign, claims } = require('./helpers');

const REPO = path.join(__dirname, '..', '..', '..');
const isCheckout = spawnSync('git', ['-C', REPO, 'rev-parse', '--git-dir'], { stdio: 'ignore' }).status === 0;

test('npm install <path> builds the addon on a fresh checkout', { skip: !isCheckout && 'not a git checkout', timeout: 900_000 }, (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oidcore-install-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clone = path.join(dir, 'oidcore');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', REPO, clone]);
  const binding = path.join(clone, 'bindings', 'node');
  assert.equal(fs.existsSync(path.join(binding, 'node_modules')), false, 'the clone starts without the build tools');

  const project = path.join(dir, 'app');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', binding], { cwd: project, encoding: 'utf8' });
  assert.equal(npm.status, 0, `npm install failed:\n${npm.stdout}\n${npm.stderr}`);
  assert.ok(fs.existsSync(path.join(binding, 'build', 'Release', 'oidcore.node')), 'the addon was built in the linked folder');

  // The project's own require of the package verifies a token and refuses a forged one.
  const key = makeKey('RS256', 'k1');
  const good = sign(key, claims());
  const forged = `${good.slice(0, -4)}AAAA`;
  const script = `
    const { Verifier } = require('oidcore');
    const v = new Verifier({ issuer: 'https://idp.example/application/o/app/', audience: 'app', jwks: ${JSON.stringify({ keys: [key.jwk] })} });
    let refused = null;
    try { v.verifySync(${JSON.stringify(forged)}); } catch (e) { refused = e.code; }
    process.stdout.write(JSON.stringify({ sub: v.verifySync(${JSON.stringify(good)}).claims.sub, refused }));`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), { sub: 'user-1', refused: 'bad_signature' });
});
