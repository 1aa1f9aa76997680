#!/usr/bin/env bash
# The HTTP benchmark (bench.mjs) with what it needs, installed and built when missing or stale:
# the Node binding (npm install in bindings/node: cmake-js, incremental), the NestJS example
# (npm ci from its lock file, tsc) and the passport-jwt comparison app here (npm ci, tsc).
#
#   benchmarks/http/run.sh                     3 s per case, 3 interleaved rounds, 50 connections
#   HTTP_BENCH_SECONDS=1 HTTP_BENCH_ROUNDS=1 benchmarks/http/run.sh     a quick look
#
# Writes benchmarks/results/http-latest.json (HTTP_BENCH_JSON to write elsewhere) and prints
# the table that benchmarks/README.md shows.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
flags=(--no-audit --no-fund --loglevel=error)

ci_when_stale() {
  local dir=$root/$1 marker=$2
  if [ -f "$dir/node_modules/.package-lock.json" ] && [ -e "$dir/node_modules/$marker" ] \
     && [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    return 0
  fi
  echo "npm ci in $1" >&2
  (cd "$dir" && npm ci "${flags[@]}")
}

echo "building the Node binding (npm install in bindings/node)" >&2
if ! out=$(cd "$root/bindings/node" && npm install "${flags[@]}" 2>&1); then
  printf '%s\n' "$out" >&2
  exit 1
fi
ci_when_stale examples/nestjs @nestjs/core/package.json
ci_when_stale benchmarks/http autocannon/package.json
echo "compiling examples/nestjs and benchmarks/http (tsc)" >&2
(cd "$root/examples/nestjs" && npm run --silent build)
(cd "$root/benchmarks/http" && npm run --silent build)
cd "$root/benchmarks/http"
exec node bench.mjs "$@"
