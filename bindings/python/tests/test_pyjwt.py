"""Interoperability with PyJWT, for every algorithm both implement.

Tokens PyJWT makes verify in oidcore; tokens made here with `cryptography` directly (and the
valid tokens of the shared conformance cases) verify in PyJWT; a tampered token fails in both.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import pathlib
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, OKPAlgorithm, RSAAlgorithm

import oidcore

ISS = "https://auth.example.com/application/o/interop/"
AUD = "interop-app"
HS_SECRET = b"an explicit HS256 secret, long enough for PyJWT: 0123456789abcdef"

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEYS = {"ES256": ec.generate_private_key(ec.SECP256R1()), "ES384": ec.generate_private_key(ec.SECP384R1()),
           "ES512": ec.generate_private_key(ec.SECP521R1())}
ED_KEY = ed25519.Ed25519PrivateKey.generate()
HASHES: dict[str, Any] = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256"]


def private_key(alg: str) -> Any:
    if alg[:2] in ("RS", "PS"):
        return RSA_KEY
    if alg.startswith("ES"):
        return EC_KEYS[alg]
    if alg == "EdDSA":
        return ED_KEY
    return HS_SECRET


def public_key(alg: str) -> Any:
    key = private_key(alg)
    return key if isinstance(key, bytes) else key.public_key()


def jwk(alg: str) -> dict[str, Any]:
    if alg[:2] in ("RS", "PS"):
        out = RSAAlgorithm.to_jwk(public_key(alg), as_dict=True)
    elif alg.startswith("ES"):
        out = ECAlgorithm.to_jwk(public_key(alg), as_dict=True)
    elif alg == "EdDSA":
        out = OKPAlgorithm.to_jwk(public_key(alg), as_dict=True)
    else:
        out = HMACAlgorithm.to_jwk(HS_SECRET, as_dict=True)
    return {**out, "kid": f"k-{alg}", "alg": alg}


@pytest.fixture(scope="module")
def verifier() -> oidcore.Verifier:
    return oidcore.Verifier(issuer=ISS, audience=AUD, jwks={"keys": [jwk(a) for a in ALGORITHMS]},
                            algorithms=ALGORITHMS)


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_here(alg: str, payload: dict[str, Any]) -> str:
    """A compact JWS made with `cryptography` directly (no JWT library)."""
    header = b64u(json.dumps({"alg": alg, "typ": "JWT", "kid": f"k-{alg}"}).encode())
    body = b64u(json.dumps(payload).encode())
    data = f"{header}.{body}".encode()
    key = private_key(alg)
    if alg.startswith("RS"):
        sig = key.sign(data, padding.PKCS1v15(), HASHES[alg[2:]]())
    elif alg.startswith("PS"):
        h = HASHES[alg[2:]]()
        sig = key.sign(data, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
    elif alg.startswith("ES"):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(HASHES[alg[2:]]())))
        size = (key.curve.key_size + 7) // 8
        sig = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    elif alg == "EdDSA":
        sig = key.sign(data)
    else:
        sig = hmac.new(HS_SECRET, data, hashlib.sha256).digest()
    return f"{header}.{body}.{b64u(sig)}"


def payload(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISS, "aud": AUD, "sub": "user-1", "iat": now, "exp": now + 300, **extra}


def tamper(token: str) -> str:
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = "admin"
    return f"{head}.{b64u(json.dumps(claims).encode())}.{sig}"


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_pyjwt_tokens_verify_in_oidcore(verifier: oidcore.Verifier, alg: str) -> None:
    claims = payload(alg_used=alg, groups=["a", "b"])
    token = jwt.encode(claims, private_key(alg), algorithm=alg, headers={"kid": f"k-{alg}"})
    result = verifier.verify(token)
    assert result["claims"] == claims
    assert result["header"] == {"alg": alg, "kid": f"k-{alg}"}
    with pytest.raises(oidcore.InvalidSignature):
        verifier.verify(tamper(token))


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_tokens_made_here_verify_in_pyjwt_and_oidcore(verifier: oidcore.Verifier, alg: str) -> None:
    claims = payload(n=1)
    token = sign_here(alg, claims)
    assert jwt.decode(token, public_key(alg), algorithms=[alg], audience=AUD, issuer=ISS) == claims
    assert verifier.verify(token)["claims"] == claims
    bad = tamper(token)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(bad, public_key(alg), algorithms=[alg], audience=AUD, issuer=ISS)
    with pytest.raises(oidcore.InvalidSignature):
        verifier.verify(bad)


def test_both_refuse_the_same_claims(verifier: oidcore.Verifier) -> None:
    now = int(time.time())
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        (payload(exp=now - 60, iat=now - 120), jwt.ExpiredSignatureError, "expired"),
        (payload(aud="someone-else"), jwt.InvalidAudienceError, "bad_audience"),
        (payload(iss=ISS + "x"), jwt.InvalidIssuerError, "bad_issuer"),
        (payload(nbf=now + 600), jwt.ImmatureSignatureError, "not_yet_valid"),
    ]
    for claims, pyjwt_error, code in cases:
        token = sign_here("ES256", claims)
        with pytest.raises(pyjwt_error):
            jwt.decode(token, public_key("ES256"), algorithms=["ES256"], audience=AUD, issuer=ISS)
        with pytest.raises(oidcore.InvalidToken) as info:
            verifier.verify(token)
        assert info.value.code == code


def test_conformance_tokens_in_pyjwt() -> None:
    cases = json.loads((pathlib.Path(__file__).resolve().parents[3] / "tests" / "conformance" / "cases.json")
                       .read_text())
    keys = {k["kid"]: jwt.PyJWK(k) for k in cases["config"]["jwks"]["keys"]}
    options = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}
    checked_ok = checked_bad = 0
    for case in cases["cases"]:
        try:
            header = jwt.get_unverified_header(case["token"])
        except jwt.PyJWTError:  # malformed framing or header (both refuse those)
            assert case["expected"] != "ok", case["name"]
            continue
        key = keys.get(header.get("kid", ""))
        if key is None or header.get("alg") != key.algorithm_name:
            continue
        decode = lambda: jwt.decode(case["token"], key, algorithms=[key.algorithm_name],  # noqa: E731
                                    audience=cases["config"]["audience"], issuer=cases["config"]["issuer"],
                                    options=options)
        if case["expected"] == "ok":
            assert decode()["iss"] == cases["config"]["issuer"], case["name"]
            checked_ok += 1
        elif case["expected"] == "bad_signature":
            with pytest.raises(jwt.PyJWTError):
                decode()
            checked_bad += 1
    assert checked_ok >= 3 and checked_bad >= 4, (checked_ok, checked_bad)


def test_four_threads_give_the_results_of_one(verifier: oidcore.Verifier) -> None:
    import threading

    tokens: list[str] = []
    for i in range(40):
        alg = ALGORITHMS[i % len(ALGORITHMS)]
        token = jwt.encode(payload(n=i), private_key(alg), algorithm=alg, headers={"kid": f"k-{alg}"})
        tokens += [token, tamper(token), sign_here(alg, payload(n=i, exp=1, iat=0))]

    def verdicts() -> list[object]:
        out: list[object] = []
        for t in tokens:
            try:
                out.append(verifier.verify(t)["claims"]["n"])
            except oidcore.Error as e:
                out.append(e.code)
        return out

    expected = verdicts()
    assert expected.count("bad_signature") == 40 and expected.count("expired") == 40
    results: list[list[object]] = [[] for _ in range(4)]

    def run(slot: int) -> None:
        for _ in range(5):
            results[slot] = verdicts()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive()
    assert results == [expected] * 4
