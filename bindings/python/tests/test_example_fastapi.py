"""examples/python/fastapi_app.py under FastAPI's TestClient.

The protected route runs with inline keys (no provider); the login routes run against the
test identity provider.
"""

from __future__ import annotations

import base64
import json
import sys
import time
import urllib.parse
from typing import Any

import pytest
from conftest import REDIRECT_URI, ROOT
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives import hashes
from fastapi.testclient import TestClient

import oidcore

sys.path.insert(0, str(ROOT / "examples" / "python"))
import fastapi_app  # noqa: E402

ISS = "https://auth.example.com/application/o/fastapi/"
KEY = ec.generate_private_key(ec.SECP256R1())


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk() -> dict[str, Any]:
    numbers = KEY.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "kid": "e1", "alg": "ES256",
            "x": b64u(numbers.x.to_bytes(32, "big")), "y": b64u(numbers.y.to_bytes(32, "big"))}


def es256(claims: dict[str, Any]) -> str:
    data = f"{b64u(json.dumps({'alg': 'ES256', 'kid': 'e1'}).encode())}.{b64u(json.dumps(claims).encode())}"
    r, s = decode_dss_signature(KEY.sign(data.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{data}.{b64u(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISS, "aud": "fastapi-app", "sub": "u-1", "email": "u@example.com", "groups": ["admins"],
            "iat": now, "exp": now + 300, **extra}


@pytest.fixture(scope="module")
def client() -> TestClient:
    verifier = oidcore.Verifier(issuer=ISS, audience="fastapi-app", jwks={"keys": [public_jwk()]},
                                principal={"roles": [{"group": "admins", "role": "admin"}]})
    return TestClient(fastapi_app.create_app(verifier))


def test_valid_token_from_header_or_cookie(client: TestClient) -> None:
    token = es256(claims())
    for kwargs in ({"headers": {"Authorization": f"Bearer {token}"}}, {"headers": {"Cookie": f"access_token={token}"}}):
        res = client.get("/api/me", **kwargs)  # type: ignore[arg-type]
        assert res.status_code == 200
        assert res.json() == {"sub": "u-1", "email": "u@example.com", "name": None, "organizationId": "u-1",
                              "role": "admin"}


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": f"Bearer {es256(claims(exp=1, iat=0))}"},
    {"Authorization": f"Bearer {es256(claims(aud='other'))}"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Cookie": "access_token=" + "x" * 70000},
])
def test_every_failure_is_the_same_401(client: TestClient, headers: dict[str, str]) -> None:
    res = client.get("/api/me", headers=headers)
    assert res.status_code == 401
    assert res.json() == {"detail": "unauthorized"}  # no code, no reason
    assert res.headers["www-authenticate"] == "Bearer"
    for code in oidcore.CODES:
        assert code not in res.text


def test_login_routes_against_the_provider(drive: Any, idp: Any) -> None:
    rp = oidcore.RelyingParty(issuer=idp.issuer, client_id=idp.client_id, client_secret=idp.client_secret,
                              redirect_uri=REDIRECT_URI, http_timeout=3)
    verifier = oidcore.Verifier(issuer=idp.issuer, audience=idp.client_id, discovery=True, principal={})
    app = fastapi_app.create_app(verifier, rp)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as browser:
        res = browser.get("/auth/login", params={"next": "//evil.example"})
        assert res.status_code == 303 and res.headers["location"].startswith(idp.issuer)
        assert "HttpOnly" in res.headers["set-cookie"] and "login_binding=" in res.headers["set-cookie"]
        callback = drive.drive_login(res.headers["location"], "alice", "alice-password")
        query = urllib.parse.urlsplit(callback).query

        res = browser.get(f"/auth/callback?{query}")
        assert res.status_code == 303 and res.headers["location"] == "/"  # the unsafe next was dropped
        assert browser.get("/api/me").json()["email"] == "alice@example.com"
        # Replaying the callback: the state is spent.
        assert browser.get(f"/auth/callback?{query}").status_code == 400

        # A callback from another browser (no binding cookie) fails.
        res = browser.get("/auth/login")
        callback = drive.drive_login(res.headers["location"], "bob", "bob-password")
        browser.cookies.delete("login_binding")
        res = browser.get(f"/auth/callback?{urllib.parse.urlsplit(callback).query}")
        assert res.status_code == 400 and res.json() == {"detail": "login failed"}
