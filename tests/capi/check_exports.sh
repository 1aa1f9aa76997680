#!/usr/bin/env bash
# The shared library exports the C ABI and nothing else.
#   check_exports.sh LIBOIDCORE_SO OIDCORE_H [CC]
# 1. Every dynamic symbol the library defines is an `oidcore_*` function: no C++ symbol,
#    no symbol of a statically linked dependency, no data object, leaks into the ABI.
# 2. Every function declared in the header is exported, and every exported function is
#    declared in the header (nothing undocumented is reachable).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: check_exports.sh LIBOIDCORE_SO OIDCORE_H [CC]" >&2
  exit 2
fi
lib=$1 header=$2 cc=${3:-cc}
fail=0

# `nm -D --defined-only` prints "ADDRESS TYPE NAME".
defined=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { print $2, $3 }')
if [ -z "$defined" ]; then
  echo "FAIL: $lib defines no dynamic symbols" >&2
  exit 1
fi

stray=$(printf '%s\n' "$defined" | awk '$2 !~ /^oidcore_[a-z0-9_]+$/ { print $2 " (" $1 ")" }')
if [ -n "$stray" ]; then
  echo "FAIL: symbols outside the oidcore_ prefix are exported:" >&2
  printf '%s\n' "$stray" | sed 's/^/  /' >&2
  fail=1
fi
not_text=$(printf '%s\n' "$defined" | awk '$2 ~ /^oidcore_/ && $1 != "T" { print $2 " (" $1 ")" }')
if [ -n "$not_text" ]; then
  echo "FAIL: exported oidcore_ symbols that are not plain functions:" >&2
  printf '%s\n' "$not_text" | sed 's/^/  /' >&2
  fail=1
fi
exported=$(printf '%s\n' "$defined" | awk '{ print $2 }' | sort -u)

# The functions the header declares: preprocess it as C (comments and macros gone), then
# every `oidcore_name(` left is a declaration.
declared=$("$cc" -E -P -x c "$header" | tr '\n' ' ' | grep -oE '\boidcore_[a-z0-9_]+[[:space:]]*\(' |
           sed -E 's/[[:space:]]*\($//' | sort -u)
if [ -z "$declared" ]; then
  echo "FAIL: found no function declarations in $header" >&2
  exit 1
fi

missing=$(comm -23 <(printf '%s\n' "$declared") <(printf '%s\n' "$exported"))
if [ -n "$missing" ]; then
  echo "FAIL: declared in the header but not exported:" >&2
  printf '%s\n' "$missing" | sed 's/^/  /' >&2
  fail=1
fi
undeclared=$(comm -13 <(printf '%s\n' "$declared") <(printf '%s\n' "$exported"))
if [ -n "$undeclared" ]; then
  echo "FAIL: exported but not declared in the header:" >&2
  printf '%s\n' "$undeclared" | sed 's/^/  /' >&2
  fail=1
fi

if [ $fail -eq 0 ]; then
  echo "ok: $(printf '%s\n' "$exported" | wc -l) functions exported, all declared in $(basename "$header"), nothing else"
fi
exit $fail
