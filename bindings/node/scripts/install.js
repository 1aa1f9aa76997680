'use strict';
// `npm install` of this package: builds the addon with cmake-js into build/ (`npm run rebuild`
// builds it anew). Installed by path from another project (`npm install /path/to/bindings/node`),
// npm links this folder and runs this script in it without installing this package's own
// build tools (cmake-js, node-addon-api, node-api-headers): they are installed here first,
// from package-lock.json, with their install scripts off.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const here = path.join(__dirname, '..');
const TOOLS = ['cmake-js', 'node-addon-api', 'node-api-headers'];

function installed(name) {
  try {
    require.resolve(`${name}/package.json`, { paths: [here] });
    return true;
  } catch {
    return false;
  }
}

function run(command, args, env) {
  const r = spawnSync(command, args, { cwd: here, env, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!TOOLS.every(installed)) {
  process.stderr.write(`oidcore: installing its build tools (${TOOLS.join(', ')}) in ${here}\n`);
  // The outer install's npm settings (its prefix, what it omits, ...) are not this one's.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  run(npm[0], [...npm.slice(1), 'ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], env);
}
const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [here] });
run(process.execPath, [cmakeJs, 'compile', '--out', 'build'], process.env);
