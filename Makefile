# oidcore: the two commands of the README are `make demo` and `make test`.
# Everything else here is what they are made of.
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all deps build test test-node test-e2e test-python test-asan test-tsan fuzz demo bench bench-http clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Every test suite: the normal build, then the C++ tests again under AddressSanitizer and
# UndefinedBehaviorSanitizer (with the fuzz seed corpora as regression inputs).
test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-node
	@$(MAKE) --no-print-directory test-e2e
	@$(MAKE) --no-print-directory test-python
	@$(MAKE) --no-print-directory test-asan

# The Node binding: npm install builds the addon (cmake-js, Node-API headers from npm).
test-node: deps
	@cd bindings/node && npm install --no-audit --no-fund --loglevel=error && npm test

# The browser end to end: the NestJS example, the test identity provider and Debian's
# Chromium (playwright-core), once on the in-memory store and once on a real redis-server.
test-e2e: deps
	@tests/e2e/setup.sh
	@cd tests/e2e && npm test

test-asan: deps
	@cmake -S . -B $(BUILD)-asan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DOIDCORE_SANITIZE=address,undefined >/dev/null
	@cmake --build $(BUILD)-asan -j $(JOBS)
	@cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -L sanitize

# Thread tests under ThreadSanitizer.
test-tsan: deps
	@cmake -S . -B $(BUILD)-tsan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOIDCORE_SANITIZE=thread >/dev/null
	@cmake --build $(BUILD)-tsan -j $(JOBS)
	@cd $(BUILD)-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -L thread

# The Python binding: pip builds it (scikit-build-core + pybind11 from PyPI), pytest runs it.
test-python: deps
	@cd bindings/python && python3 -m pip install -q --root-user-action=ignore --disable-pip-version-check '.[test]' \
	  && python3 -m pytest -q tests \
	  && python3 -m mypy --strict --no-error-summary src/oidcore ../../examples/python/verify_tokens.py ../../examples/python/fastapi_app.py

# libFuzzer (clang) over the JWS, JWKS and discovery document parsers, FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B $(BUILD)-fuzz $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOIDCORE_FUZZ=ON >/dev/null
	@cmake --build $(BUILD)-fuzz -j $(JOBS) --target fuzz_jws fuzz_jwks fuzz_discovery
	@for t in jws jwks discovery; do \
	  mkdir -p $(BUILD)-fuzz/corpus-$$t && \
	  $(BUILD)-fuzz/tests/fuzz/fuzz_$$t $(BUILD)-fuzz/corpus-$$t tests/fuzz/corpus/$$t \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=20000 -print_final_stats=1 || exit 1; \
	done

# The main job on the embedded defaults: a few tokens checked with the CLI, then the test
# identity provider and the NestJS example (in-memory store) with one login driven end to end
# in headless Chromium, each step printed. SERVE=1 leaves both running for your browser.
SERVE ?=
demo: build
	@SERVE=$(SERVE) scripts/demo.sh $(BUILD)

# oidcore side by side with passport-jwt + jwks-rsa, jose, fast-jwt, PyJWT, joserfc, the raw
# OpenSSL/libsodium verify and an ioredis exchange-code service, in one run on the same tokens
# (benchmarks/README.md). BENCH_SECONDS per case; BENCH_SECONDS=0.2 is a quick smoke run.
BENCH_SECONDS ?= 1.5
bench:
	@BENCH_SECONDS=$(BENCH_SECONDS) BENCH_BUILD=$(BUILD)-bench JOBS=$(JOBS) benchmarks/run.sh

# GET /api/me over HTTP with autocannon (50 connections, one process per app): the NestJS
# example guarded by oidcore, the same NestJS app guarded by passport-jwt + jwks-rsa (and, in
# that app, by oidcore and by guards that check nothing), and the unguarded route;
# HTTP_BENCH_SECONDS per case in HTTP_BENCH_ROUNDS rounds (benchmarks/README.md, "HTTP").
# `make bench` runs it too, as its last step.
HTTP_BENCH_SECONDS ?= 3
HTTP_BENCH_ROUNDS ?= 3
bench-http: deps
	@HTTP_BENCH_SECONDS=$(HTTP_BENCH_SECONDS) HTTP_BENCH_ROUNDS=$(HTTP_BENCH_ROUNDS) benchmarks/http/run.sh

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-tsan $(BUILD)-fuzz bindings/node/build
