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
# shellcheck source=../../scripts/npm-steps.sh
source "$root/scripts/npm-steps.sh"

build_node_binding
ci_when_stale examples/nestjs @nestjs/core/package.json
ci_when_stale benchmarks/http autocannon/package.json
echo "compiling examples/nestjs and benchmarks/http (tsc)" >&2
(cd "$root/examples/nestjs" && npm run --silent build)
(cd "$root/benchmarks/http" && npm run --silent build)
cd "$root/benchmarks/http"
exec node bench.mjs "$@"
