"""Request verification from the attacker's side.

A junk, stale or forged token in one source of a request never hides a good token in the
other, and when both fail the verdict is the most specific one (a rejected token, then a
value that is not a token, then no token; ties to the first source in order). The same
scenarios as the C++, C and Node tests, through a Verifier (inline keys; remote keys, whose
first fetch runs in a worker thread) and a RelyingParty (discovery over HTTP), sync and async.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import pathlib
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import jwt
from jwt.algorithms import ECAlgorithm
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import oidcore

ROOT = pathlib.Path(__file__).resolve().parents[3]
SECRET = b"request-verification-secret-of-32-bytes-or-more"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Tokens:
    """Tokens of one issuer and audience: HS256 under SECRET, or ES256 under a key."""

    def __init__(self, iss: str, aud: str, key: Any = None) -> None:
        self.iss, self.aud, self.key = iss, aud, key
        self.attacker = ec.generate_private_key(ec.SECP256R1()) if key is not None else None

    def _claims(self, **extra: object) -> dict[str, Any]:
        now = int(time.time())
        return {"iss": self.iss, "aud": self.aud, "sub": "user-1", "iat": now, "exp": now + 600, **extra}

    def _sign(self, claims: dict[str, Any], forged: bool = False) -> str:
        if self.key is not None:
            key = self.attacker if forged else self.key
            return jwt.encode(claims, key, algorithm="ES256", headers={"kid": "k1"})
        h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        p = b64u(json.dumps(claims).encode())
        secret = b"x" * 48 if forged else SECRET
        return f"{h}.{p}.{b64u(hmac.new(secret, f'{h}.{p}'.encode(), hashlib.sha256).digest())}"

    def good(self, sub: str) -> str:
        return self._sign(self._claims(sub=sub))

    def expired(self) -> str:
        now = int(time.time())
        return self._sign(self._claims(iat=now - 4200, exp=now - 600))

    def forged(self) -> str:
        return self._sign(self._claims(), forged=True)


def request(cookie: str | None = None, authorization: str | None = None) -> dict[str, str]:
    headers = {}
    if cookie is not None:
        headers["Cookie"] = f"theme=dark; access_token={cookie}; lang=en"
    if authorization is not None:
        headers["Authorization"] = authorization
    return headers


def bearer(token: str) -> str:
    return f"Bearer {token}"


VerifyRequest = Callable[..., dict[str, Any]]


def scenarios(verify_request: VerifyRequest, t: Tokens) -> None:
    """The scenarios, for a verify_request(headers, **options) function."""

    def ok(headers: Any, source: str, sub: str, **options: Any) -> None:
        r = verify_request(headers, **options)
        assert r["source"] == source and r["claims"]["sub"] == sub

    def refused(headers: Any, cls: type[oidcore.Error], code: str, text: str = "", **options: Any) -> None:
        with pytest.raises(cls) as info:
            verify_request(headers, **options)
        assert info.value.code == code and text in info.value.message, (code, info.value.code, info.value.message)

    # Junk, expired or forged cookie + valid bearer: the bearer token.
    for junk in ["junk", "a.b.c", "deleted", "undefined", t.expired(), t.forged()]:
        ok(request(junk, bearer(t.good("from-bearer"))), "bearer", "from-bearer")
    # Valid cookie + junk bearer: the cookie.
    for bad in [bearer("junk"), bearer("not.a.jwt"), "Bearer", "Bearer a b", bearer(t.expired()), "Basic YTpi"]:
        ok(request(t.good("from-cookie"), bad), "cookie", "from-cookie")
    # Both bad: the most specific failure.
    refused(request("junk", bearer(t.expired())), oidcore.ExpiredToken, "expired", "bearer")
    refused(request(t.expired(), bearer("not.a.jwt")), oidcore.ExpiredToken, "expired", "access_token cookie")
    refused(request(t.expired(), "Bearer caf\u00e9"), oidcore.ExpiredToken, "expired")
    refused(request("junk", bearer(t.forged())), oidcore.InvalidSignature, "bad_signature")
    # Equally specific: the first source in order.
    refused(request(t.forged(), bearer(t.expired())), oidcore.InvalidSignature, "bad_signature", "cookie")
    refused(request(t.forged(), bearer(t.expired())), oidcore.ExpiredToken, "expired", "bearer",
            order=["bearer", "cookie"])
    refused(request("junk", bearer("a.b")), oidcore.MalformedToken, "malformed", "cookie")
    # No token.
    for headers in [request(), request("", "Basic YTpi"), {"cookie": "other=1"}]:
        refused(headers, oidcore.NotFound, "not_found")
    # The order is respected when both verify; a source left out is never looked at.
    both = request(t.good("from-cookie"), bearer(t.good("from-bearer")))
    ok(both, "cookie", "from-cookie")
    ok(both, "bearer", "from-bearer", order=["bearer", "cookie"])
    ok(both, "bearer", "from-bearer", order=["bearer"])
    refused(request(t.good("c")), oidcore.NotFound, "not_found", order=["bearer"])
    # A signed cookie with a bad signature is skipped.
    secrets = {"cookie_name": "sid", "cookie_secrets": ["new-secret", "old-secret"]}
    good_signed = oidcore.cookies.sign(t.good("from-cookie"), "old-secret")
    forged_signed = oidcore.cookies.sign(t.good("from-cookie"), "attacker-secret")
    ok({"Cookie": f"sid={good_signed}", "Authorization": bearer(t.good("from-bearer"))}, "cookie", "from-cookie",
       **secrets)
    for bad_cookie in [forged_signed, t.good("from-cookie")]:
        ok({"Cookie": f"sid={bad_cookie}", "Authorization": bearer(t.good("from-bearer"))}, "bearer", "from-bearer",
           **secrets)
        refused({"Cookie": f"sid={bad_cookie}"}, oidcore.NotFound, "not_found", "not signed with a configured secret",
                **secrets)
        refused({"Cookie": f"sid={bad_cookie}", "Authorization": bearer(t.expired())}, oidcore.ExpiredToken, "expired",
                **secrets)
    # Options are checked and named.
    refused(request(), oidcore.InvalidArgument, "invalid_argument", "order", order=[])
    refused(request(), oidcore.InvalidArgument, "invalid_argument", "cookie_name", cookie_name="a b")


def both_faces(target: Any) -> list[VerifyRequest]:
    """verify_request, and verify_request_async run to completion, of `target`."""

    def run_async(headers: Any, **options: Any) -> dict[str, Any]:
        result: dict[str, Any] = asyncio.run(target.verify_request_async(headers, **options))
        return result

    return [target.verify_request, run_async]


def test_verifier_inline_keys() -> None:
    iss = "https://idp.example/application/o/app/"
    v = oidcore.Verifier(issuer=iss, audience="app", algorithms=["HS256"],
                         jwks={"keys": [{"kty": "oct", "k": b64u(SECRET)}]})
    t = Tokens(iss, "app")
    for face in both_faces(v):
        scenarios(face, t)
    # A plain verification's result has no source.
    assert "source" not in v.verify(t.good("x"))


# -- against the repository's scriptable test provider (discovery and JWKS over HTTP) ----


class Provider:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "idp" / "test_idp.py"), "--port", "0"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        assert line.startswith("READY "), line
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"
        self.issuer = f"{self.base}/application/o/test/"

    def control(self, what: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        with urllib.request.urlopen(urllib.request.Request(f"{self.base}/_control/{what}", data=data),
                                    timeout=5) as resp:
            return json.loads(resp.read())

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider()
    try:
        yield p
    finally:
        p.stop()


def test_verifier_remote_keys_fetch_in_a_worker(provider: Provider) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    provider.control("jwks", {"keys": [{**jwk, "kid": "k1", "alg": "ES256", "use": "sig"}]})
    provider.control("delay", {"path": "/jwks", "seconds": 0.3})
    v = oidcore.Verifier(issuer=provider.issuer, audience="app", discovery=True, algorithms=["ES256"],
                         http_timeout=3)
    t = Tokens(provider.issuer, "app", key)

    async def first() -> tuple[dict[str, Any], int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        try:
            return await v.verify_request_async(request("junk", bearer(t.good("from-bearer")))), ticks
        finally:
            ticker.cancel()

    r, ticks = asyncio.run(first())
    assert r["source"] == "bearer" and r["claims"]["sub"] == "from-bearer"
    assert ticks >= 10, f"the event loop ticked only {ticks} times during a 300 ms key fetch"
    for face in both_faces(v):
        scenarios(face, t)
    assert v.stats()["jwks"]["fetches"] == 1


def test_relying_party(provider: Provider) -> None:
    rp = oidcore.RelyingParty(issuer=provider.issuer, client_id="app", client_secret=SECRET.decode(),
                              redirect_uri="http://127.0.0.1:3000/auth/callback", hs256_client_secret=True,
                              http_timeout=3, connect_timeout=1)
    t = Tokens(provider.issuer, "app")
    # No token: answered without the provider.
    with pytest.raises(oidcore.NotFound):
        asyncio.run(rp.verify_request_async(request()))
    assert provider.control("requests")["discovery"] == 0
    # The first one fetches discovery in a worker thread; then from memory.
    r = asyncio.run(rp.verify_request_async(request("junk", bearer(t.good("from-bearer")))))
    assert r["source"] == "bearer" and r["principal"]["sub"] == "from-bearer"
    for face in both_faces(rp):
        scenarios(face, t)
    assert provider.control("requests")["discovery"] == 1


def test_relying_party_provider_down_is_not_a_rejection() -> None:
    rp = oidcore.RelyingParty(issuer="http://127.0.0.1:9/application/o/app/", client_id="app", client_secret="s",
                              redirect_uri="http://127.0.0.1:3000/auth/callback", http_timeout=0.5,
                              connect_timeout=0.2)
    for face in both_faces(rp):
        with pytest.raises(oidcore.HttpError):
            face(request("junk", bearer("a.b.c")))
        with pytest.raises(oidcore.NotFound):
            face(request())
