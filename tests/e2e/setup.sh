#!/usr/bin/env bash
# What the browser tests and `make demo` need beyond the Debian packages: the Node binding
# built (npm install runs cmake-js, incremental), the npm packages of the test identity
# provider, of the NestJS example and of these tests (npm ci from their lock files, only when
# node_modules is missing or older than the lock file), and the example compiled with tsc.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
flags=(--no-audit --no-fund --loglevel=error)

ci_when_stale() {
  local dir=$root/$1 marker=$2
  if [ -f "$dir/node_modules/.package-lock.json" ] && [ -e "$dir/node_modules/$marker" ] \
     && [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    return 0
  fi
  echo "npm ci in $1"
  (cd "$dir" && npm ci "${flags[@]}")
}

echo "building the Node binding (npm install in bindings/node)"
if ! out=$(cd "$root/bindings/node" && npm install "${flags[@]}" 2>&1); then
  printf '%s\n' "$out" >&2
  exit 1
fi
ci_when_stale tests/idp/oidc-provider oidc-provider/package.json
ci_when_stale examples/nestjs @nestjs/core/package.json
ci_when_stale tests/e2e playwright-core/package.json
echo "compiling examples/nestjs (tsc)"
(cd "$root/examples/nestjs" && npm run --silent build)
