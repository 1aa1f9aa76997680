"""Logout that ends the session, through Python.

Against the real test provider (tests/idp/oidc-provider), with the memory store and with a
Redis store: logout() revokes the refresh token, puts the session on the deny list so that a
second relying party and a Verifier sharing the store refuse the access token at once
(RevokedToken, code "revoked"), and builds the whole end-session URL; missing, junk or forged
tokens never make it raise. Plus Verifier.deny() with an inline key.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from typing import Any

import pytest
from conftest import AFTER_LOGOUT, REDIRECT_URI

import oidcore


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> oidcore.MemoryStore | oidcore.RedisStore:
    if request.param == "memory":
        return oidcore.MemoryStore()
    url = request.getfixturevalue("redis_url")
    return oidcore.RedisStore(url=url, key_prefix=f"py-logout-{time.monotonic_ns()}:", command_timeout=1)


def make_rp(idp: Any, store: oidcore.MemoryStore | oidcore.RedisStore, **extra: Any) -> oidcore.RelyingParty:
    return oidcore.RelyingParty(
        issuer=idp.issuer, client_id=idp.client_id, client_secret=idp.client_secret, redirect_uri=REDIRECT_URI,
        scopes=["openid", "profile", "email", "offline_access"], post_logout_redirect_uri=AFTER_LOGOUT,
        http_timeout=3, connect_timeout=1, store=store, **extra)


def session(drive: Any, rp: oidcore.RelyingParty) -> dict[str, Any]:
    start = rp.begin_login()
    callback = drive.drive_login(start.url, "alice", "alice-password")
    return rp.complete_login(callback, binding=start.binding)


def query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def test_logout_revokes_denies_everywhere_and_builds_the_whole_url(
        drive: Any, idp: Any, store: oidcore.MemoryStore | oidcore.RedisStore) -> None:
    rp = make_rp(idp, store, deny_list=True)
    other = make_rp(idp, store, deny_list=True)  # a second instance sharing the store
    verifier = oidcore.Verifier(issuer=idp.issuer, audience=idp.client_id, discovery=True, deny_list=True,
                                store=store)
    unlisted = oidcore.Verifier(issuer=idp.issuer, audience=idp.client_id, discovery=True)
    tokens = session(drive, rp)
    bearer = {"authorization": f"Bearer {tokens['access_token']}"}
    other.verify_access_token(tokens["access_token"])
    other.verify_request(bearer)
    verifier.verify(tokens["access_token"])

    out = rp.logout(access_token=tokens["access_token"], refresh_token=tokens["refresh_token"],
                    id_token_hint=tokens["id_token"], state="bye")
    assert isinstance(out, oidcore.LogoutResult)
    assert (out.revoked, out.denied, out.revoke_error, out.deny_error) == (True, True, None, None)
    assert out.logout_url is not None and out.logout_url.startswith(idp.issuer + "end-session/")
    params = query(out.logout_url)
    assert params == {"client_id": idp.client_id, "id_token_hint": tokens["id_token"],
                      "post_logout_redirect_uri": AFTER_LOGOUT, "state": "bye"}

    # Refused at once wherever the deny list is consulted, from verified-token caches too.
    with pytest.raises(oidcore.RevokedToken) as e:
        other.verify_access_token(tokens["access_token"])
    assert e.value.code == "revoked" and isinstance(e.value, oidcore.InvalidToken)
    with pytest.raises(oidcore.RevokedToken):
        other.verify_request(bearer)
    with pytest.raises(oidcore.RevokedToken):
        asyncio.run(other.verify_request_async(bearer))
    with pytest.raises(oidcore.RevokedToken):
        verifier.verify(tokens["access_token"])
    with pytest.raises(oidcore.RevokedToken):
        asyncio.run(verifier.verify_async(tokens["access_token"]))
    unlisted.verify(tokens["access_token"])  # off unless asked for
    # The refresh token is dead at the provider.
    with pytest.raises(oidcore.IdPError) as r:
        rp.refresh(tokens["refresh_token"])
    assert r.value.error == "invalid_grant"
    # Again, through the async face: still listed, the URL still there.
    again = asyncio.run(rp.logout_async(access_token=tokens["access_token"]))
    assert again.denied and again.logout_url


def test_missing_junk_or_forged_tokens_never_make_logout_raise(
        drive: Any, idp: Any, store: oidcore.MemoryStore | oidcore.RedisStore) -> None:
    rp = make_rp(idp, store, deny_list=True)
    none = rp.logout()
    assert (none.revoked, none.denied, none.revoke_error, none.deny_error) == (False, False, None, None)
    assert none.logout_url is not None and query(none.logout_url)["post_logout_redirect_uri"] == AFTER_LOGOUT
    assert rp.logout(access_token="", refresh_token="").revoked is False

    tokens = session(drive, rp)
    junk = rp.logout(access_token="junk")
    assert isinstance(junk.deny_error, oidcore.MalformedToken) and junk.deny_error.code == "malformed"
    assert junk.denied is False and junk.logout_url
    # The victim's claims signed with another key: ends nothing.
    header, payload, _ = tokens["access_token"].split(".")
    forged = f"{header}.{payload}.{base64.urlsafe_b64encode(b'x' * 256).rstrip(b'=').decode()}"
    attempt = rp.logout(access_token=forged)
    assert isinstance(attempt.deny_error, oidcore.InvalidSignature)
    rp.verify_access_token(tokens["access_token"])
    with pytest.raises(oidcore.InvalidArgument):
        rp.logout(post_logout_redirect_uri="javascript:alert(1)")
    with pytest.raises(oidcore.ArgumentTypeError):
        rp.logout(refresh_token=5)  # type: ignore[arg-type]


SECRET = b"logout-test-secret-of-at-least-32-bytes!"
ISS = "https://idp.example/application/o/app/"


def hs256(payload: dict[str, Any]) -> str:
    def enc(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    h = enc(json.dumps({"alg": "HS256", "kid": "h1"}).encode())
    p = enc(json.dumps(payload).encode())
    return f"{h}.{p}." + enc(hmac.new(SECRET, f"{h}.{p}".encode(), hashlib.sha256).digest())


def test_verifier_deny_ends_the_session_for_every_verifier_of_the_store() -> None:
    jwks = {"keys": [{"kty": "oct", "kid": "h1", "k": base64.urlsafe_b64encode(SECRET).rstrip(b"=").decode()}]}
    options: dict[str, Any] = dict(issuer=ISS, audience="app", jwks=jwks, algorithms=["HS256"])
    store = oidcore.MemoryStore()
    a = oidcore.Verifier(deny_list=True, store=store, **options)
    b = oidcore.Verifier(deny_list=True, store=store, **options)
    plain = oidcore.Verifier(**options)
    now = int(time.time())
    token = hs256({"iss": ISS, "aud": "app", "sid": "s-1", "exp": now + 600})
    same_session = hs256({"iss": ISS, "aud": "app", "sid": "s-1", "exp": now + 900})
    b.verify(token)
    assert a.deny(token) is True
    for v, t in ((a, token), (b, token), (b, same_session)):
        with pytest.raises(oidcore.RevokedToken):
            v.verify(t)
    plain.verify(token)
    assert asyncio.run(a.deny_async(token)) is True
    assert a.deny(hs256({"iss": ISS, "aud": "app", "sid": "old", "exp": now - 60})) is False
    with pytest.raises(oidcore.ConfigError):
        plain.deny(token)
    assert "revoked" in oidcore.CODES and oidcore.error_class("revoked") is oidcore.RevokedToken
    # Never half configured.
    with pytest.raises(oidcore.ConfigError, match="deny_list"):
        oidcore.Verifier(deny_list=True, **options)
    with pytest.raises(oidcore.ConfigError, match="deny_list"):
        oidcore.Verifier(store=store, **options)
    with pytest.raises(oidcore.ArgumentTypeError):
        oidcore.Verifier(deny_list=True, store=object(), **options)  # type: ignore[arg-type]


def test_a_store_that_fails_refuses_unless_told_to_fail_open() -> None:
    from conftest import free_port
    jwks = {"keys": [{"kty": "oct", "kid": "h1", "k": base64.urlsafe_b64encode(SECRET).rstrip(b"=").decode()}]}
    options: dict[str, Any] = dict(issuer=ISS, audience="app", jwks=jwks, algorithms=["HS256"])
    down = oidcore.RedisStore(url=f"redis://127.0.0.1:{free_port()}", connect_timeout=0.5, command_timeout=0.5)
    token = hs256({"iss": ISS, "aud": "app", "sid": "s-2", "exp": int(time.time()) + 600})
    closed = oidcore.Verifier(deny_list=True, store=down, **options)
    with pytest.raises(oidcore.StoreUnavailable):
        closed.verify(token)
    with pytest.raises(oidcore.StoreUnavailable):
        asyncio.run(closed.verify_async(token))
    with pytest.raises(oidcore.StoreUnavailable):
        closed.deny(token)
    opened = oidcore.Verifier(deny_list=True, deny_list_fail_open=True, store=down, **options)
    assert opened.verify(token)["claims"]["sid"] == "s-2"
    assert asyncio.run(opened.verify_async(token))["claims"]["sid"] == "s-2"
