#!/usr/bin/env bash
# Installs the pinned npm packages once (npm ci, from package-lock.json) and runs the
# comparison. usage: run_cookie_compat.sh PATH_TO_cookie_vectors
set -euo pipefail
cd "$(dirname "$0")"
NODE=${NODE:-node}
NPM=${NPM:-npm}
if [ ! -d node_modules ]; then
  "$NPM" ci --no-audit --no-fund --loglevel=error
fi
exec "$NODE" cookie_compat.mjs "$1"
