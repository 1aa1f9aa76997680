#!/usr/bin/env bash
# What the browser tests and `make demo` need beyond the Debian packages: the Node binding
# built (npm install runs cmake-js, incremental), the npm packages of the test identity
# provider, of the NestJS example and of these tests (npm ci from their lock files, only when
# node_modules is missing or older than the lock file), and the example compiled with tsc.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/npm-steps.sh
source "$root/scripts/npm-steps.sh"

build_node_binding
ci_when_stale tests/idp/oidc-provider oidc-provider/package.json
ci_when_stale examples/nestjs @nestjs/core/package.json
ci_when_stale tests/e2e playwright-core/package.json
echo "compiling examples/nestjs (tsc)"
(cd "$root/examples/nestjs" && npm run --silent build)
