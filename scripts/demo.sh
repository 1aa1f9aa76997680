#!/usr/bin/env bash
# `make demo`: first the command line verifying a few fresh tokens, then the whole login flow:
# the test identity provider (configured like Authentik) and the NestJS example on the
# in-memory store, one login driven end to end in headless Chromium, each step printed.
# `make demo SERVE=1` (SERVE=1 scripts/demo.sh): starts both and leaves them running for a
# browser, until Ctrl-C.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

"$root/tests/e2e/setup.sh"

if [ "${SERVE:-}" = 1 ]; then
  exec node "$root/tests/e2e/demo.mjs" --serve ${APP_PORT:+--app-port "$APP_PORT"} ${IDP_PORT:+--idp-port "$IDP_PORT"}
fi

# Part 1: verification from the command line, on a key set and tokens made just now.
cli="$build/tools/oidcore"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
issuer="https://auth.example.com/application/o/demo/"
audience="demo-api"
"$build/tests/sample_token" "$work" "$issuer" "$audience" >/dev/null

verify() {
  local label=$1 file=$2 rc=0
  shift 2
  printf '\n$ oidcore verify --jwks jwks.json --issuer ... --audience %s %s< %s    # %s\n' "$audience" "${*:+$* }" "$file" "$label"
  "$cli" verify --jwks "$work/jwks.json" --issuer "$issuer" --audience "$audience" "$@" - < "$work/$file" || rc=$?
  echo "(exit $rc)"
}

echo "== Part 1: token verification with the oidcore command line ($("$cli" --version))"
verify "a valid ES256 token: accepted, claims printed" es256.jwt
verify "its payload changed: refused" tampered.jwt
verify "expired: refused" expired.jwt
verify "alg none: refused" alg-none.jwt

echo
echo "== Part 2: the login flow in a browser"
node "$root/tests/e2e/demo.mjs"
