#!/usr/bin/env bash
# `make bench`: oidcore side by side with its peers, in one run, on the same tokens and keys.
#
#   benchmarks/run.sh            (BENCH_SECONDS=1.5 per case, in BENCH_ROUNDS=5 interleaved rounds;
#                                 BENCH_BUILD=build-bench)
#   BENCH_SECONDS=0.2 benchmarks/run.sh     a quick smoke run of the whole pipeline
#
# 1. installs what it needs: Debian's libbenchmark-dev (scripts/install-deps.sh), the Node
#    peers (npm ci in benchmarks/node, which builds the Node addon from this tree), PyJWT and
#    joserfc (pip -r benchmarks/python/requirements.txt) and the Python binding from this tree;
# 2. builds the Google Benchmark runner (RelWithDebInfo) in its own build directory;
# 3. makes fresh keys and tokens (benchmarks/node/fixtures.mjs);
# 4. runs, one after the other so that they do not compete for the cores: the core
#    (benchmarks/core), Node (benchmarks/node/bench.mjs), Python (benchmarks/python/bench.py),
#    and the exchange codes against a redis-server started here on a free loopback port;
# 5. merges everything into benchmarks/results/latest.json (and latest.md) and prints the table.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${BENCH_BUILD:-build-bench}"
SECS="${BENCH_SECONDS:-1.5}"
ROUNDS="${BENCH_ROUNDS:-5}"
JOBS="${JOBS:-$(nproc)}"
RAW="$BUILD/results"
RESULTS="benchmarks/results"
CMAKE_GEN=()
command -v ninja >/dev/null 2>&1 && CMAKE_GEN=(-G Ninja)

declare -A PHASE
run_start=$(date +%s.%N)
phase_start=$run_start
phase() {  # phase NAME: closes the previous phase's clock
  local now
  now=$(date +%s.%N)
  PHASE[$1]=$(python3 -c "print(round($now - $phase_start, 1))")
  phase_start=$now
}
say() { printf '\n== %s\n' "$*"; }

say "dependencies"
scripts/install-deps.sh --with libbenchmark-dev
# The Node binding's own build tools (cmake-js, node-addon-api), then the peers; npm ci
# builds the addon of bindings/node, which benchmarks/node links to.
(cd bindings/node && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
(cd benchmarks/node && npm ci --no-audit --no-fund --loglevel=error)
python3 -m pip install -q --root-user-action=ignore --disable-pip-version-check -r benchmarks/python/requirements.txt
python3 -m pip install -q --root-user-action=ignore --disable-pip-version-check ./bindings/python
phase install

say "build ($BUILD, RelWithDebInfo)"
cmake -S . -B "$BUILD" "${CMAKE_GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOIDCORE_BUILD_TESTS=OFF \
  -DOIDCORE_BUILD_TOOLS=OFF -DOIDCORE_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target oidcore_verify_bench
phase build

rm -rf "$RAW"
mkdir -p "$RAW" "$RESULTS"
node benchmarks/node/fixtures.mjs > "$BUILD/fixtures.json"
FIX="$ROOT/$BUILD/fixtures.json"

say "core (Google Benchmark), $SECS s per case"
"$BUILD/benchmarks/oidcore_verify_bench" --fixtures "$FIX" --seconds "$SECS" --rounds "$ROUNDS" --meta-out "$RAW/core-meta.json" \
  --benchmark_out="$RAW/core.json" --benchmark_out_format=json --benchmark_counters_tabular=true
phase core

say "Node, $SECS s per case"
(cd benchmarks/node && node bench.mjs --fixtures "$FIX" --seconds "$SECS" --rounds "$ROUNDS" --out "$ROOT/$RAW/node.json")
phase node

say "Python, $SECS s per case"
python3 benchmarks/python/bench.py --fixtures "$FIX" --seconds "$SECS" --rounds "$ROUNDS" --out "$RAW/python.json"
phase python

say "exchange codes (redis-server on loopback), $SECS s per case"
REDIS_SERVER="${OIDCORE_REDIS_SERVER:-redis-server}"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --logfile "$ROOT/$RAW/redis.log" &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
(cd benchmarks/node && node exchange.mjs --redis "redis://127.0.0.1:$port/0" --fixtures "$FIX" --seconds "$SECS" \
  --rounds "$ROUNDS" --out "$ROOT/$RAW/exchange.json")
kill "$redis_pid"
wait "$redis_pid" 2>/dev/null || true
trap - EXIT
phase exchange

# The run's own facts, for the JSON: no host names, no paths.
phases_json=$(for k in "${!PHASE[@]}"; do printf '"%s": %s,' "$k" "${PHASE[$k]}"; done)
total=$(python3 -c "print(round($(date +%s.%N) - $run_start, 1))")
cat > "$RAW/run.json" <<EOF
{
 "bench_seconds": $SECS,
 "rounds": $ROUNDS,
 "started": "$(date -u -d "@${run_start%.*}" +%Y-%m-%dT%H:%M:%SZ)",
 "machine": {"cpus": $(nproc), "cpu_model": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//; s/"//g')",
             "memory_gib": $(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo),
             "load_average_at_end": "$(cut -d' ' -f1-3 /proc/loadavg)", "kernel": "$(uname -r)"},
 "git": {"commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
         "dirty": $(if [ -n "$(git status --porcelain -- core capi bindings 2>/dev/null)" ]; then echo true; else echo false; fi)},
 "phases_seconds": {${phases_json} "total_before_report": $total}
}
EOF

say "results"
python3 benchmarks/report.py --raw "$RAW" --json "$RESULTS/latest.json" --markdown "$RESULTS/latest.md"
echo "written: $RESULTS/latest.json, $RESULTS/latest.md; $total s"

# ---------------------------------------------------------------------------------------
# HTTP: GET /api/me of the NestJS example (oidcore) beside passport-jwt + jwks-rsa and the
# unguarded route, with autocannon; it installs and builds what it needs itself and writes
# its own results (benchmarks/http/run.sh, results/http-latest.json).
say "HTTP (benchmarks/http)"
benchmarks/http/run.sh
