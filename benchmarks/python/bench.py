#!/usr/bin/env python3
"""Token verification through oidcore's Python binding, side by side with PyJWT and joserfc.

On the tokens and keys of `make bench` (benchmarks/node/fixtures.mjs), in one process:

  oidcore       Verifier.verify (inline JWKS; and over jwks_uri from a loopback JWKS server,
                keys cached), verify_request with a Bearer header, verify with the
                verified-token cache on
  PyJWT         with PyJWKClient against the loopback JWKS (its key cache on), as its docs
                show; and with the key loaded once (PyJWK)
  joserfc       jwt.decode with the imported key set + JWTClaimsRegistry (iss, aud, exp)
  cryptography  the key's verify() of the signing input, key loaded once: the floor

Each case is a tight loop; then the scaling run: oidcore, PyJWT (key loaded once) and the floor
on RS256 with 1 and 2 threads. Each case gets a warm-up, then --seconds of measurement in
--rounds rounds, every case once per round (interleaved, so that a burst of other work on the
machine is spread over the cases); its result is the median of its rounds.

    python3 bench.py --fixtures fixtures.json [--seconds 2] [--rounds 5] [--out python.json]
"""

from __future__ import annotations

import argparse
import base64
import http.server
import json
import resource
import statistics
import sys
import threading
import time
import warnings
from typing import Any, Callable

import cryptography
import joserfc
import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

import oidcore

CACHE_SIZE = 4096

# joserfc warns that "EdDSA" is deprecated in favour of "Ed25519" (RFC 9864): it is what the
# identity providers still send.
warnings.filterwarnings("ignore", message="EdDSA is deprecated")


def b64u_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def warmup_for(seconds: float) -> float:
    return min(0.25, max(0.05, seconds / 8))


def time_loop(fn: Callable[[Any], object], inputs: list[Any], seconds: float, offset: int = 0) -> tuple[int, float]:
    """(calls, elapsed seconds) of `fn` over the inputs in a tight loop for `seconds`."""
    n = len(inputs)
    i = offset
    count = 0
    start = time.perf_counter()
    end = start + seconds
    t = start
    while t < end:
        for _ in range(32):
            fn(inputs[i % n])
            i += 1
        count += 32
        t = time.perf_counter()
    return count, t - start


Measure = tuple[float, float]  # (calls per second, calls per CPU-second of the process)


def time_sync(fn: Callable[[Any], object], inputs: list[Any], seconds: float) -> Measure:
    cpu = time.process_time()
    count, elapsed = time_loop(fn, inputs, seconds)
    used = time.process_time() - cpu
    return count / elapsed, count / used if used > 0 else 0.0


def time_threads(fn: Callable[[Any], object], inputs: list[Any], seconds: float, threads: int) -> Measure:
    """Calls per second of `threads` threads running the loop at once."""
    results: list[tuple[int, float]] = [(0, 1.0)] * threads
    barrier = threading.Barrier(threads + 1)

    def work(slot: int) -> None:
        barrier.wait()
        results[slot] = time_loop(fn, inputs, seconds, slot * 7)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    cpu = time.process_time()
    for t in pool:
        t.join()
    used = time.process_time() - cpu
    count = sum(c for c, _ in results)
    return sum(c / e for c, e in results), count / used if used > 0 else 0.0


def interleaved(cases: list[tuple[dict[str, Any], Callable[[float], Measure]]], seconds: float, rounds: int) -> None:
    """Measures every case in `rounds` rounds of seconds/rounds, the cases interleaved round by
    round (a burst of other work on the machine is spread over several cases), after one
    warm-up each. A case's ops_per_sec is the median of its rounds; ops_per_cpu_sec the median
    of its calls per second of the process's CPU time (the cost per call, whatever else ran
    on the machine; with threads, the CPU of all of them)."""
    for _, run in cases:
        run(warmup_for(seconds))
    cpu: dict[int, list[float]] = {}
    for r, _ in cases:
        r["rounds"] = []
        cpu[id(r)] = []
    for _ in range(rounds):
        for r, run in cases:
            wall, per_cpu = run(seconds / rounds)
            r["rounds"].append(wall)
            cpu[id(r)].append(per_cpu)
    for r, _ in cases:
        r["ops_per_sec"] = statistics.median(r["rounds"])
        r["ops_per_cpu_sec"] = statistics.median(cpu[id(r)])


class JwksServer:
    """Serves the JWKS at http://127.0.0.1:<port>/jwks; counts requests."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        body = json.dumps(jwks).encode()
        owner = self
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                owner.requests += 1
                if self.path != "/jwks":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("cache-control", "public, max-age=300")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_address[1]}/jwks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


token_cache_mode = "token_cache_size"


def oidcore_verifier(cache_size: int, **options: Any) -> oidcore.Verifier:
    """A Verifier with token_cache_size, or without it when the core does not know the key."""
    global token_cache_mode
    if token_cache_mode == "token_cache_size":
        try:
            return oidcore.Verifier(token_cache_size=cache_size, **options)
        except oidcore.ConfigError as e:
            if "token_cache_size" not in str(e):
                raise
            token_cache_mode = "unsupported"
    return oidcore.Verifier(**options)


def floor_fn(alg: str, jwk: dict[str, Any]) -> Callable[[tuple[bytes, bytes]], object]:
    key: Any = jwt.PyJWK(jwk).key
    if alg == "RS256":
        pad, sha = padding.PKCS1v15(), hashes.SHA256()
        return lambda p: key.verify(p[1], p[0], pad, sha)
    if alg == "ES256":
        ecdsa = ec.ECDSA(hashes.SHA256())
        return lambda p: key.verify(p[1], p[0], ecdsa)
    return lambda p: key.verify(p[1], p[0])


def floor_inputs(alg: str, tokens: list[str]) -> list[tuple[bytes, bytes]]:
    out = []
    for t in tokens:
        data, _, sig = t.rpartition(".")
        raw = b64u_decode(sig)
        if alg == "ES256":  # DER, converted beforehand: the floor is the verification alone
            raw = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        out.append((data.encode(), raw))
    return out


Case = tuple[str, Callable[[Any], object], list[Any]]


def cases_for(f: dict[str, Any], alg: str, jwks_uri: str) -> list[Case]:
    a = f["algs"][alg]
    iss, aud, tokens = f["issuer"], f["audience"], a["tokens"]
    base: dict[str, Any] = {"issuer": iss, "audience": aud, "algorithms": [alg]}
    inline = oidcore_verifier(0, jwks=f["jwks"], **base)
    remote = oidcore_verifier(0, jwks_uri=jwks_uri, **base)
    remote.refresh()
    cached = oidcore_verifier(CACHE_SIZE, jwks=f["jwks"], **base)
    bearer = [{"authorization": f"Bearer {t}"} for t in tokens]

    client = jwt.PyJWKClient(jwks_uri, cache_keys=True)

    def pyjwt_client(t: str) -> object:
        key = client.get_signing_key_from_jwt(t)
        return jwt.decode(t, key.key, algorithms=[alg], audience=aud, issuer=iss)

    loaded = jwt.PyJWK(a["jwk"])

    def pyjwt_loaded(t: str) -> object:
        return jwt.decode(t, loaded, algorithms=[alg], audience=aud, issuer=iss)

    keyset = KeySet.import_key_set(f["jwks"])
    registry = jose_jwt.JWTClaimsRegistry(iss={"essential": True, "value": iss}, aud={"essential": True, "value": aud})

    def joserfc_verify(t: str) -> object:
        token = jose_jwt.decode(t, keyset, algorithms=[alg])
        registry.validate(token.claims)
        return token.claims

    return [
        ("oidcore verify", inline.verify, tokens),
        ("oidcore verify (jwks_uri)", remote.verify, tokens),
        ("oidcore verify_request (bearer)", inline.verify_request, bearer),
        ("oidcore verify (token cache)", cached.verify, tokens),
        ("PyJWT + PyJWKClient", pyjwt_client, tokens),
        ("PyJWT (key loaded once)", pyjwt_loaded, tokens),
        ("joserfc", joserfc_verify, tokens),
        ("cryptography verify (floor)", floor_fn(alg, a["jwk"]), floor_inputs(alg, tokens)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default="")
    parser.add_argument("--algs", default="RS256,ES256,EdDSA")
    parser.add_argument("--threads", default="1,2")
    args = parser.parse_args()
    with open(args.fixtures) as fh:
        f = json.load(fh)
    server = JwksServer(f["jwks"])
    results: list[dict[str, Any]] = []

    def show(r: dict[str, Any]) -> None:
        rate = r["ops_per_sec"]
        shown = f"unsupported: {r['error']}" if rate is None else f"{rate:>12,.0f}/s"
        threads = f"{r['threads']} thr" if "threads" in r else "     "
        print(f"{r['alg']:<6} {r['case']:<36} {threads} {shown}", flush=True)

    timed: list[tuple[dict[str, Any], Callable[[float], Measure]]] = []
    for alg in args.algs.split(","):
        for name, fn, inputs in cases_for(f, alg, server.uri):
            r: dict[str, Any] = {"alg": alg, "case": name}
            results.append(r)
            try:
                for x in inputs:  # every input must pass, or the case would measure a failure path
                    fn(x)
            except Exception as e:  # noqa: BLE001 - a peer that cannot do this algorithm
                r["ops_per_sec"] = None
                r["error"] = f"{type(e).__name__}: {e}"[:160]
                continue
            timed.append((r, lambda s, fn=fn, inputs=inputs: time_sync(fn, inputs, s)))

    scaling = {name: (fn, inputs) for name, fn, inputs in cases_for(f, "RS256", server.uri)}
    for name in ("oidcore verify", "PyJWT (key loaded once)", "cryptography verify (floor)"):
        fn, inputs = scaling[name]
        for n in (int(x) for x in args.threads.split(",")):
            r = {"alg": "RS256", "case": name, "threads": n}
            results.append(r)
            timed.append((r, lambda s, fn=fn, inputs=inputs, n=n: time_threads(fn, inputs, s, n)))
    print(f"{len(timed)} cases, {args.rounds} interleaved rounds of {args.seconds / args.rounds:.2f} s each", flush=True)
    interleaved(timed, args.seconds, args.rounds)
    for r in results:
        show(r)
    server.close()

    out = {
        "runner": "python",
        "python": sys.version.split()[0],
        "oidcore": oidcore.__version__,
        "oidcore_crypto": oidcore.crypto_version,
        "pyjwt": jwt.__version__,
        "joserfc": joserfc.__version__,
        "cryptography": cryptography.__version__,
        "token_cache": token_cache_mode,
        "jwks_requests": server.requests,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "results": results,
    }
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(out, fh, indent=1)
            fh.write("\n")
    print(f"peak RSS {out['peak_rss_kb'] / 1024:.0f} MiB; JWKS requests to the loopback server: {server.requests}; "
          f"token cache: {token_cache_mode}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
