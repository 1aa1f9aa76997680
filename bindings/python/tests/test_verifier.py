"""Verifier behaviour through Python: results, exception classes, options, threads, asyncio."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time

import pytest

import oidcore

ISS = "https://auth.example.com/application/o/py/"
SECRET = b"s3cr3t-for-hs256-must-be-32-bytes-or-more!"
JWKS = {"keys": [{"kty": "oct", "kid": "h1", "k": base64.urlsafe_b64encode(SECRET).rstrip(b"=").decode()}]}


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(payload: dict, header: dict | None = None, secret: bytes = SECRET) -> str:
    h = b64u(json.dumps(header or {"alg": "HS256", "kid": "h1"}).encode())
    p = b64u(json.dumps(payload).encode())
    sig = hmac.new(secret, f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64u(sig)}"


def claims(**extra: object) -> dict:
    now = int(time.time())
    return {"iss": ISS, "aud": "py-app", "sub": "u1", "iat": now, "exp": now + 300, **extra}


@pytest.fixture(scope="module")
def verifier() -> oidcore.Verifier:
    return oidcore.Verifier(issuer=ISS, audience="py-app", jwks=JWKS, algorithms=["HS256"])


def test_valid_token(verifier: oidcore.Verifier) -> None:
    r = verifier.verify(hs256(claims(email="a@b")))
    assert r["claims"]["email"] == "a@b"
    assert r["header"] == {"alg": "HS256", "kid": "h1"}
    assert r["principal"] is None
    assert verifier.verify(hs256(claims()).encode())["claims"]["sub"] == "u1"


@pytest.mark.parametrize(
    "token_factory, cls, code",
    [
        (lambda: hs256(claims(exp=int(time.time()) - 1)), oidcore.ExpiredToken, "expired"),
        (lambda: hs256(claims(), secret=b"x" * 40), oidcore.InvalidSignature, "bad_signature"),
        (lambda: hs256(claims(aud="other")), oidcore.InvalidClaim, "bad_audience"),
        (lambda: hs256(claims(), header={"alg": "none"}), oidcore.AlgorithmNotAllowed, "unsupported_alg"),
        (lambda: hs256(claims(), header={"alg": "HS256", "kid": "nope"}), oidcore.KeyNotFound, "key_not_found"),
        (lambda: "a.b", oidcore.MalformedToken, "malformed"),
        (lambda: "x" * 20000, oidcore.MalformedToken, "too_large"),
    ],
)
def test_rejections_raise_their_class(verifier: oidcore.Verifier, token_factory, cls, code) -> None:
    with pytest.raises(cls) as info:
        verifier.verify(token_factory())
    assert info.value.code == code
    assert isinstance(info.value, oidcore.InvalidToken)
    assert isinstance(info.value, oidcore.Error)
    assert info.value.message


def test_hs256_only_when_allowed() -> None:
    # Without HS256 in `algorithms` the oct key is never loaded: the configuration has no usable key.
    with pytest.raises(oidcore.ConfigError) as info:
        oidcore.Verifier(issuer=ISS, audience="py-app", jwks=JWKS)
    assert info.value.code == "invalid_config"


def test_config_errors_name_the_key() -> None:
    with pytest.raises(oidcore.ConfigError, match='"clock_tolerence"'):
        oidcore.Verifier(issuer=ISS, audience="a", jwks=JWKS, algorithms=["HS256"], clock_tolerence=1)
    with pytest.raises(oidcore.ConfigError, match='"clock_tolerance"'):
        oidcore.Verifier(issuer=ISS, audience="a", jwks=JWKS, algorithms=["HS256"], clock_tolerance=301)


def test_bad_argument_types(verifier: oidcore.Verifier) -> None:
    for bad in (None, 42, 1.5, ["x"]):
        with pytest.raises(TypeError):
            verifier.verify(bad)  # type: ignore[arg-type]


def test_threads_give_identical_results(verifier: oidcore.Verifier) -> None:
    tokens = [hs256(claims(n=i)) for i in range(200)] + [hs256(claims(), secret=b"y" * 40)] * 50
    expected = []
    for t in tokens:
        try:
            expected.append(verifier.verify(t)["claims"].get("n"))
        except oidcore.Error as e:
            expected.append(e.code)
    results: list[list] = [[] for _ in range(4)]

    def run(slot: int) -> None:
        for t in tokens:
            try:
                results[slot].append(verifier.verify(t)["claims"].get("n"))
            except oidcore.Error as e:
                results[slot].append(e.code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
        assert not th.is_alive()
    assert all(r == expected for r in results)


def test_verify_async(verifier: oidcore.Verifier) -> None:
    async def main() -> None:
        r = await verifier.verify_async(hs256(claims()))
        assert r["claims"]["sub"] == "u1"
        with pytest.raises(oidcore.ExpiredToken):
            await verifier.verify_async(hs256(claims(exp=1)))

    asyncio.run(main())


def test_principal_and_stats() -> None:
    v = oidcore.Verifier(issuer=ISS, audience="py-app", jwks=JWKS, algorithms=["HS256"],
                         principal={"roles": [{"group": "admins", "role": "admin"}], "default_role": "member"})
    r = v.verify(hs256(claims(groups=["admins"], email="e@x", organizationId="org-9")))
    assert r["principal"] == {"sub": "u1", "email": "e@x", "name": None, "organizationId": "org-9", "role": "admin"}
    with pytest.raises(oidcore.ExpiredToken):
        v.verify(hs256(claims(exp=5)))
    assert v.stats()["verifications"] == {"ok": 1, "expired": 1}


def test_codes() -> None:
    assert "expired" in oidcore.CODES and "needs_fetch" not in oidcore.CODES
    assert oidcore.__version__.count(".") == 2


def test_nonce(verifier: oidcore.Verifier) -> None:
    token = hs256(claims(nonce="n-1"))
    assert verifier.verify(token, nonce="n-1")["claims"]["nonce"] == "n-1"
    for wrong in ("n-2", "", "n-1\x00", b"n-1 "):
        with pytest.raises(oidcore.InvalidClaim) as info:
            verifier.verify(token, nonce=wrong)
        assert info.value.code == "bad_nonce"
    with pytest.raises(oidcore.InvalidClaim):
        verifier.verify(hs256(claims()), nonce="n-1")  # no nonce claim at all
    with pytest.raises(oidcore.ExpiredToken):  # every other check still runs
        verifier.verify(hs256(claims(nonce="n-1", exp=5)), nonce="n-1")

    async def main() -> None:
        assert (await verifier.verify_async(token, nonce="n-1"))["claims"]["sub"] == "u1"
        with pytest.raises(oidcore.InvalidClaim):
            await verifier.verify_async(token, nonce="n-2")

    asyncio.run(main())


def test_verify_request(verifier: oidcore.Verifier) -> None:
    token = hs256(claims(email="r@x"))
    r = verifier.verify_request({"Authorization": f"Bearer {token}"})
    assert r["source"] == "bearer" and r["claims"]["email"] == "r@x"
    r = verifier.verify_request({"cookie": f"a=b; access_token={token}"})
    assert r["source"] == "cookie"
    signed = oidcore.cookies.sign(token, "cookie-secret")
    r = verifier.verify_request({"Cookie": f"sid={signed}"}, cookie_name="sid", cookie_secrets=["cookie-secret"])
    assert r["source"] == "cookie" and r["claims"]["email"] == "r@x"
    with pytest.raises(oidcore.NotFound) as info:
        verifier.verify_request({"Cookie": f"sid={signed}"}, cookie_name="sid", cookie_secrets=["other"])
    assert info.value.code == "not_found"
    with pytest.raises(oidcore.NotFound):
        verifier.verify_request({})
    # A token found but rejected raises its own class.
    with pytest.raises(oidcore.ExpiredToken):
        verifier.verify_request({"Authorization": f"Bearer {hs256(claims(exp=5))}"})
    with pytest.raises(oidcore.ExpiredToken):
        verifier.verify_request({"Authorization": "Bearer x", "Cookie": f"access_token={hs256(claims(exp=5))}"})

    async def main() -> None:
        got = await verifier.verify_request_async({"authorization": f"bearer {token}"})
        assert got["claims"]["email"] == "r@x" and got["source"] == "bearer"
        with pytest.raises(oidcore.NotFound):
            await verifier.verify_request_async({"authorization": "Basic abc"})

    asyncio.run(main())


def test_hostile_tokens(verifier: oidcore.Verifier) -> None:
    good = hs256(claims())
    cases = [
        good + "\x00",
        good.replace(".", "\x00", 1),
        good.encode() + b"\xff",
        b"\xff\xfe." + good.encode(),
        good[:10] + "\udcff" + good[10:],
        good[:10] + "\u00e9" + good[10:],
        "",
        ".",
        "..",
        "a" * 1000 + "." + "b" * 1000 + "." + "c" * 1000,
    ]
    for bad in cases:
        with pytest.raises(oidcore.InvalidToken) as info:
            verifier.verify(bad)
        assert info.value.code in ("malformed", "bad_signature"), (bad, info.value.code)
    with pytest.raises(oidcore.TooLarge):
        verifier.verify("e" * (10 * 1024 * 1024))
    assert verifier.verify(bytearray(good.encode()))["claims"]["sub"] == "u1"
    assert verifier.verify(memoryview(good.encode()))["claims"]["sub"] == "u1"
    with pytest.raises(oidcore.ArgumentTypeError):
        verifier.verify(good, nonce=5)  # type: ignore[arg-type]


def test_hostile_configuration() -> None:
    for bad in (
        dict(issuer=ISS, audience="a", jwks={"keys": "nope"}, algorithms=["HS256"]),
        dict(issuer=ISS, audience="a", jwks=JWKS, algorithms=["none"]),
        dict(issuer=ISS, audience="a", jwks=JWKS, algorithms=["HS256"], max_token_bytes=-1),
        dict(issuer="", audience="a", jwks=JWKS, algorithms=["HS256"]),
        dict(issuer=ISS + "\x00", audience="a", jwks=JWKS, algorithms=["HS256"], clock_tolerance="1"),
    ):
        with pytest.raises(oidcore.ConfigError):
            oidcore.Verifier(**bad)
    with pytest.raises(oidcore.ArgumentTypeError):
        oidcore.Verifier(issuer=ISS, audience="a", jwks=JWKS, clock_tolerance=float("inf"))
    with pytest.raises(TypeError):
        oidcore.Verifier(issuer=ISS, audience="a", jwks=object())
    # None leaves a key out; timedelta is seconds.
    import datetime

    v = oidcore.Verifier(issuer=ISS, audience="py-app", jwks=JWKS, algorithms=["HS256"], typ=None,
                         clock_tolerance=datetime.timedelta(seconds=30))
    assert v.verify(hs256(claims(iat=int(time.time()) - 100, exp=int(time.time()) - 10)))["claims"]["sub"] == "u1"


def test_verify_async_does_not_block_the_loop_on_key_fetches() -> None:
    # A JWKS endpoint that accepts the connection and never answers: the fetch waits out
    # http_timeout in a worker thread while the loop keeps ticking.
    import socket

    with socket.socket() as sink:
        sink.bind(("127.0.0.1", 0))
        sink.listen(8)
        port = sink.getsockname()[1]
        v = oidcore.Verifier(issuer=ISS, audience="py-app", jwks_uri=f"http://127.0.0.1:{port}/jwks",
                             http_timeout=1, connect_timeout=1, algorithms=["RS256"])

        async def main() -> tuple[float, list[float]]:
            gaps: list[float] = []
            stop = asyncio.Event()

            async def ticker() -> None:
                last = time.monotonic()
                while not stop.is_set():
                    await asyncio.sleep(0.01)
                    now = time.monotonic()
                    gaps.append(now - last)
                    last = now

            task = asyncio.create_task(ticker())
            began = time.monotonic()
            token = b64u(b'{"alg":"RS256","kid":"k"}') + "." + b64u(json.dumps(claims()).encode()) + ".c2ln"
            with pytest.raises(oidcore.KeysUnavailable):
                await v.verify_async(token)
            waited = time.monotonic() - began
            stop.set()
            await task
            return waited, gaps

        waited, gaps = asyncio.run(main())
        assert waited >= 0.8
        assert len(gaps) >= 20 and max(gaps) < 0.5, max(gaps)
