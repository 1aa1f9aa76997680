#!/usr/bin/env bash
# Runs a test against a fresh sample key set and tokens.
#   with_sample_tokens.sh SAMPLE_TOKEN ISSUER AUDIENCE COMMAND [ARG...]
# Writes a key set and tokens with `SAMPLE_TOKEN DIR ISSUER AUDIENCE` into a new temporary
# folder, runs COMMAND with every argument "@SAMPLES@" replaced by that folder, removes the
# folder and exits with COMMAND's status. Tokens are made for this run only: they are valid
# for an hour, so nothing generated ahead of time can expire under the test.
set -euo pipefail

if [ $# -lt 4 ]; then
  echo "usage: with_sample_tokens.sh SAMPLE_TOKEN ISSUER AUDIENCE COMMAND [ARG...]" >&2
  exit 2
fi
sample_token=$1 issuer=$2 audience=$3
shift 3

dir=$(mktemp -d "${TMPDIR:-/tmp}/oidcore-samples.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$sample_token" "$dir" "$issuer" "$audience"

args=()
for a in "$@"; do
  args+=("${a//@SAMPLES@/$dir}")
done
set +e
"${args[@]}"
status=$?
set -e
exit $status
