#!/usr/bin/env bash
# `make demo`: a fresh key set and tokens, verified with the oidcore command line.
set -uo pipefail
build=${1:-build}
cli="$build/tools/oidcore"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
issuer="https://auth.example.com/application/o/demo/"
audience="demo-api"
"$build/tests/sample_token" "$work" "$issuer" "$audience" || exit 1

run() {
  local label=$1 file=$2
  shift 2
  printf '\n== %s\n$ oidcore verify --jwks jwks.json --issuer %s --audience %s %s < %s\n' "$label" "$issuer" "$audience" "$*" "$file"
  "$cli" verify --jwks "$work/jwks.json" --issuer "$issuer" --audience "$audience" "$@" - < "$work/$file"
  echo "(exit $?)"
}

echo "oidcore demo: $("$cli" --version)"
echo "A key set with RS256, ES256 and EdDSA keys and a few tokens were just generated."
run "a valid RS256 token: accepted, claims printed" rs256.jwt
run "a valid ES256 token" es256.jwt
run "a valid EdDSA token" eddsa.jwt
run "the RS256 token with its payload changed: refused" tampered.jwt
run "an expired token: refused" expired.jwt
run "a token for another audience: refused" wrong-audience.jwt
run "an unsigned token (alg none): refused" alg-none.jwt
run "only ES256 allowed, RS256 token: refused" rs256.jwt --algorithms ES256
exit 0
