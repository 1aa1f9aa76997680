#!/usr/bin/env python3
"""Verifies the tokens in a file, one per line, and prints a verdict for each.

    python3 verify_tokens.py --issuer https://auth.example.com/application/o/app/ \\
        --audience app --discovery tokens.txt

Exit status: 0 when every token is valid, 1 when any is rejected, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import oidcore


def build_verifier(args: argparse.Namespace) -> oidcore.Verifier:
    options: dict[str, Any] = {"issuer": args.issuer, "audience": args.audience}
    if args.discovery:
        options["discovery"] = True
    elif args.jwks_uri:
        options["jwks_uri"] = args.jwks_uri
    else:
        options["jwks_file"] = args.jwks_file
    if args.clock_tolerance is not None:
        options["clock_tolerance"] = args.clock_tolerance
    return oidcore.Verifier(**options)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--audience", required=True, action="append")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--discovery", action="store_true")
    source.add_argument("--jwks-uri")
    source.add_argument("--jwks-file")
    parser.add_argument("--clock-tolerance", type=int)
    parser.add_argument("tokens", type=argparse.FileType("r"))
    args = parser.parse_args(argv)
    try:
        verifier = build_verifier(args)
    except oidcore.ConfigError as e:
        print(f"{e.code}: {e.message}", file=sys.stderr)
        return 2
    rejected = 0
    for number, line in enumerate(args.tokens, start=1):
        token = line.strip()
        if not token:
            continue
        try:
            claims = verifier.verify(token)["claims"]
            print(f"{number}: ok sub={claims.get('sub')!r}")
        except oidcore.Error as e:
            rejected += 1
            print(f"{number}: {e.code}: {e.message}")
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
