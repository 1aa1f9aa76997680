#!/usr/bin/env python3
"""Verifications per second through the Python binding with 1, 2 and 4 threads.

oidcore releases the GIL while it verifies, so threads of one process verify in parallel,
up to the machine's cores. PyJWT (with a key prepared once, as PyJWKClient hands it over)
runs on one thread beside it for orientation, when it is installed.

    pip install ./bindings/python cryptography pyjwt
    python3 benchmarks/python/threads_bench.py [--alg RS256|ES256|EdDSA] [--seconds 2] [--threads 1,2,4]

Every token of the pool is distinct (its own jti), so nothing is answered from a cache of
tokens seen before. "cores busy" is the process's CPU time over the wall time: above 1 only
when threads verify at once. "per CPU-second" staying level as threads are added means no
lock inside is serialising them; on a machine busy with other work, read those two columns
rather than the ratio.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import threading
import time
from typing import Any, Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

import oidcore

ISS = "https://auth.example.com/application/o/bench/"
AUD = "bench-app"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_key(alg: str) -> tuple[Any, dict[str, Any], Callable[[bytes], bytes]]:
    """A private key, its public JWK and a signer of raw JWS signatures."""
    if alg == "RS256":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        n = key.public_key().public_numbers()
        jwk = {"kty": "RSA", "n": b64u(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")),
               "e": b64u(n.e.to_bytes(3, "big"))}
        return key, jwk, lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "ES256":
        eckey = ec.generate_private_key(ec.SECP256R1())
        p = eckey.public_key().public_numbers()
        jwk = {"kty": "EC", "crv": "P-256", "x": b64u(p.x.to_bytes(32, "big")), "y": b64u(p.y.to_bytes(32, "big"))}

        def es_sign(data: bytes) -> bytes:
            r, s = decode_dss_signature(eckey.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")

        return eckey, jwk, es_sign
    if alg == "EdDSA":
        edkey = ed25519.Ed25519PrivateKey.generate()
        from cryptography.hazmat.primitives import serialization

        raw = edkey.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return edkey, {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}, edkey.sign
    raise SystemExit(f"unsupported --alg {alg}")


def make_tokens(alg: str, sign: Callable[[bytes], bytes], count: int) -> list[str]:
    header = b64u(json.dumps({"alg": alg, "typ": "JWT", "kid": "bench"}).encode())
    now = int(time.time())
    tokens = []
    for i in range(count):
        body = b64u(json.dumps({"iss": ISS, "aud": AUD, "sub": f"user-{i}", "jti": f"{i}-{os.urandom(8).hex()}",
                                "iat": now, "exp": now + 3600}).encode())
        data = f"{header}.{body}".encode()
        tokens.append(f"{header}.{body}.{b64u(sign(data))}")
    return tokens


def run(threads: int, seconds: float, verify: Callable[[str], object], tokens: list[str]) -> tuple[float, float]:
    """(verifications per second, CPU seconds per second) of `threads` threads verifying for `seconds`.

    The second number is how many cores the process kept busy: above 1 only when the
    threads really ran at once (the GIL released).
    """
    counts = [0] * threads
    stop = threading.Event()
    barrier = threading.Barrier(threads + 1)

    def work(slot: int) -> None:
        n = 0
        i = slot * 7919
        barrier.wait()
        while not stop.is_set():
            for _ in range(64):
                verify(tokens[i % len(tokens)])
                i += 1
            n += 64
        counts[slot] = n

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start, cpu_start = time.perf_counter(), time.process_time()
    time.sleep(seconds)
    stop.set()
    for t in pool:
        t.join()
    wall = time.perf_counter() - start
    return sum(counts) / wall, (time.process_time() - cpu_start) / wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alg", default="RS256", choices=["RS256", "ES256", "EdDSA"])
    parser.add_argument("--seconds", type=float, default=2.0, help="per run, after a short warm-up")
    parser.add_argument("--threads", default="1,2,4", help="comma-separated thread counts")
    parser.add_argument("--tokens", type=int, default=2000, help="distinct tokens in the pool")
    args = parser.parse_args()
    counts = [int(n) for n in args.threads.split(",")]

    _, jwk, sign = make_key(args.alg)
    tokens = make_tokens(args.alg, sign, args.tokens)
    verifier = oidcore.Verifier(issuer=ISS, audience=AUD, jwks={"keys": [{**jwk, "kid": "bench", "alg": args.alg}]})
    for t in tokens[:50]:
        verifier.verify(t)

    print(f"oidcore {oidcore.__version__} on {oidcore.crypto_version}; {os.cpu_count()} CPUs; {args.alg}; "
          f"{args.tokens} distinct tokens; {args.seconds:g} s per run")
    results: dict[int, float] = {}
    base_cores = 1.0
    for n in counts:
        run(n, 0.2, verifier.verify, tokens)  # warm-up
        results[n], cores = run(n, args.seconds, verifier.verify, tokens)
        ratio = results[n] / results[counts[0]]
        if n == counts[0]:
            base_cores = cores
        print(f"oidcore  {n} thread{'s' if n > 1 else ' '}: {results[n]:>10,.0f} verifications/s   "
              f"x{ratio:.2f} vs {counts[0]} thread{'s' if counts[0] > 1 else ''}   "
              f"{cores:.2f} cores busy   {results[n] / cores:>8,.0f} per CPU-second")

    try:
        import jwt
    except ImportError:
        print("PyJWT is not installed: no comparison")
        return 0
    key = jwt.PyJWK({**jwk, "kid": "bench", "alg": args.alg})

    def pyjwt_verify(token: str) -> object:
        return jwt.decode(token, key, algorithms=[args.alg], audience=AUD, issuer=ISS)

    run(1, 0.2, pyjwt_verify, tokens)
    single, cores = run(1, args.seconds, pyjwt_verify, tokens)
    base = counts[0]
    print(f"PyJWT    1 thread : {single:>10,.0f} verifications/s   {'':21}{cores:.2f} cores busy   "
          f"{single / cores:>8,.0f} per CPU-second   (oidcore {base} thread{'s' if base > 1 else ''}: "
          f"x{results[base] / single:.2f}; per CPU-second x{(results[base] / base_cores) / (single / cores):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
