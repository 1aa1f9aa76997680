"""The login flow through Python against a real identity provider.

tests/idp/oidc-provider runs node's oidc-provider configured like Authentik; drive.py signs in
through its pages without a browser. Every test that keeps state in a store runs with the
memory store and with a Redis store on a real redis-server.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import threading
import time
import urllib.parse
import warnings
from typing import Any

import pytest
from conftest import AFTER_LOGOUT, REDIRECT_URI

import oidcore

SCOPES = ["openid", "profile", "email", "organization", "offline_access"]


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> oidcore.MemoryStore | oidcore.RedisStore:
    if request.param == "memory":
        return oidcore.MemoryStore()
    url = request.getfixturevalue("redis_url")
    return oidcore.RedisStore(url=url, key_prefix=f"py-flow-{time.monotonic_ns()}:")


@pytest.fixture(autouse=True)
def fresh_provider(request: pytest.FixtureRequest) -> Any:
    """Every test starts from the provider's defaults (token endpoint answering, ...)."""
    if "idp" in request.fixturenames:
        provider = request.getfixturevalue("idp")
        provider.control("reset")
        yield
        provider.control("reset")
    else:
        yield


def make_rp(idp: Any, store: oidcore.MemoryStore | oidcore.RedisStore | None = None,
            **extra: Any) -> oidcore.RelyingParty:
    options: dict[str, Any] = dict(
        issuer=idp.issuer, client_id=idp.client_id, client_secret=idp.client_secret, redirect_uri=REDIRECT_URI,
        scopes=SCOPES, post_logout_redirect_uri=AFTER_LOGOUT,
        principal={"roles": [{"group": "admins", "role": "admin"}]}, http_timeout=3, connect_timeout=1,
    )
    options.update(extra)
    return oidcore.RelyingParty(store=store, **options)


# The browsers of the tests: the binding each login handed out, by its state, as the browser
# that started it keeps it in a cookie.
BINDINGS: dict[str, str | None] = {}


def login(drive: Any, rp: oidcore.RelyingParty, user: str = "alice", password: str = "alice-password",
          jar: http.cookiejar.CookieJar | None = None, **begin: Any) -> tuple[oidcore.LoginStart, str]:
    start = rp.begin_login(**begin)
    BINDINGS[start.state] = start.binding
    return start, drive.drive_login(start.url, user, password, jar=jar)


def complete(rp: oidcore.RelyingParty, callback: Any, **kw: Any) -> dict[str, Any]:
    """complete_login() from the browser that started the login (its binding sent along)."""
    if "binding" not in kw and isinstance(callback, str):
        kw["binding"] = BINDINGS.get(query(callback).get("state", ""))
    return rp.complete_login(callback, **kw)


def query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


# -----------------------------------------------------------------------------------------


def test_login_to_tokens_claims_and_principal(drive: Any, idp: Any, store: Any) -> None:
    rp = make_rp(idp, store)
    start, callback = login(drive, rp, redirect_after="/dashboard?tab=1", extra={"x": [1, 2]}, binding="browser-1")
    assert isinstance(start, oidcore.LoginStart) and start.expires_in == 600 and start["expires_in"] == 600
    assert start.binding == "browser-1", "the binding given is the one used"
    params = query(start["url"])
    assert start["url"].startswith(idp.issuer + "authorize/")
    assert params["response_type"] == "code" and params["code_challenge_method"] == "S256"
    assert params["state"] == start["state"] and len(params["nonce"]) == 43
    assert params["scope"] == " ".join(SCOPES) and params["redirect_uri"] == REDIRECT_URI
    assert callback.startswith(REDIRECT_URI + "?")

    result = complete(rp, callback, binding="browser-1")
    assert result["token_type"] == "Bearer"
    assert result["access_token"] and result["id_token"] and result["refresh_token"]
    assert result["expires_in"] > 0 and result["expires_at"] >= int(time.time())
    assert result["scope"].split() == SCOPES
    assert result["claims"]["email"] == "alice@example.com"
    assert result["claims"]["aud"] == idp.client_id and result["claims"]["nonce"] == params["nonce"]
    assert result["access_claims"]["azp"] == idp.client_id
    assert result["principal"] == {"sub": result["claims"]["sub"], "email": "alice@example.com",
                                   "name": "Alice Example", "organizationId": "org-alice", "role": "admin"}
    assert result["redirect_after"] == "/dashboard?tab=1" and result["extra"] == {"x": [1, 2]}

    # bob: no organizationId (defaults to sub), no admin group (the default role).
    bob = complete(rp, login(drive, rp, "bob", "bob-password")[1])
    assert bob["principal"]["organizationId"] == bob["principal"]["sub"] == bob["claims"]["sub"]
    assert bob["principal"]["role"] == "user"
    assert bob["redirect_after"] is None and bob["extra"] is None

    # The access token verifies as an API request's token, from a header or a cookie.
    verified = rp.verify_access_token(result["access_token"])
    assert verified["claims"]["sub"] == result["claims"]["sub"] and verified["header"]["alg"] == "RS256"
    assert rp.verify_request({"Authorization": "Bearer " + result["access_token"]})["source"] == "bearer"
    assert rp.verify_request({"cookie": "access_token=" + result["access_token"]})["source"] == "cookie"
    with pytest.raises(oidcore.NotFound):
        rp.verify_request({})
    with pytest.raises(oidcore.InvalidSignature):
        rp.verify_access_token(result["access_token"][:-2] + ("A" if result["access_token"][-2] != "A" else "B")
                               + result["access_token"][-1])

    # The ID token through a Verifier with discovery, with and without its nonce.
    verifier = oidcore.Verifier(issuer=idp.issuer, audience=idp.client_id, discovery=True)
    assert verifier.verify(result["id_token"], nonce=params["nonce"])["claims"]["email"] == "alice@example.com"
    with pytest.raises(oidcore.InvalidClaim) as info:
        verifier.verify(result["id_token"], nonce="another-nonce")
    assert info.value.code == "bad_nonce"


def test_callback_as_query_parameters(drive: Any, idp: Any) -> None:
    rp = make_rp(idp)
    start, callback = login(drive, rp)
    assert complete(rp, query(callback), binding=start.binding)["claims"]["preferred_username"] == "alice"
    start, callback = login(drive, rp)
    assert complete(rp, urllib.parse.urlsplit(callback).query.encode(), binding=start.binding)["access_token"]


def test_login_csrf_a_callback_replayed_without_the_binding_is_refused(drive: Any, idp: Any) -> None:
    rp = make_rp(idp)
    start, callback = login(drive, rp)
    assert start.binding is not None and len(start.binding) == 43
    with pytest.raises(oidcore.NotFound) as info:
        rp.complete_login(callback)  # a second client, without the first browser's cookie
    assert "binding" in info.value.message
    with pytest.raises(oidcore.NotFound):
        complete(rp, callback)  # the attempt spent the state
    unbound = make_rp(idp, browser_binding=False)
    start, callback = login(drive, unbound)
    assert start.binding is None
    assert unbound.complete_login(callback)["token_type"] == "Bearer"


def test_state_replay_and_binding(drive: Any, idp: Any, store: Any) -> None:
    rp = make_rp(idp, store)
    _, callback = login(drive, rp)
    complete(rp, callback)
    with pytest.raises(oidcore.NotFound) as info:
        complete(rp, callback)
    assert info.value.code == "not_found"

    _, callback = login(drive, rp, binding="browser-a")
    with pytest.raises(oidcore.NotFound):
        complete(rp, callback, binding="browser-b")
    with pytest.raises(oidcore.NotFound):  # the wrong attempt spent the state
        complete(rp, callback, binding="browser-a")

    # A forged state never reaches the provider.
    with pytest.raises(oidcore.NotFound):
        complete(rp, f"{REDIRECT_URI}?code=abc&state={'A' * 43}")


def test_exchange_code_handoff_and_single_redemption(drive: Any, idp: Any, store: Any) -> None:
    rp = make_rp(idp, store)
    _, callback = login(drive, rp, redirect_after="/app")
    handoff = complete(rp, callback, exchange_code=True, exchange_code_ttl=30, exchange_code_binding="b-1")
    assert set(handoff) == {"exchange_code", "claims", "principal", "redirect_after", "extra"}
    assert len(handoff["exchange_code"]) == 43 and handoff["redirect_after"] == "/app"
    assert handoff["principal"]["role"] == "admin"

    code = handoff["exchange_code"]
    wins: list[dict[str, Any]] = []
    losses: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def redeem() -> None:
        barrier.wait()
        try:
            tokens = rp.redeem_exchange_code(code, binding="b-1")
            with lock:
                wins.append(tokens)
        except oidcore.NotFound as e:
            with lock:
                losses.append(e.code)

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(wins) == 1 and losses == ["not_found"] * 7
    tokens = wins[0]
    assert tokens["access_token"] and tokens["refresh_token"] and tokens["claims"] == handoff["claims"]
    assert rp.verify_access_token(tokens["access_token"])["claims"]["sub"] == handoff["claims"]["sub"]

    # A wrong binding spends the code.
    _, callback = login(drive, rp)
    code = complete(rp, callback, exchange_code=True, exchange_code_binding="b-2")["exchange_code"]
    with pytest.raises(oidcore.NotFound):
        rp.redeem_exchange_code(code, binding="b-3")
    with pytest.raises(oidcore.NotFound):
        rp.redeem_exchange_code(code, binding="b-2")
    # The store's own ExchangeCodes redeems codes the relying party made.
    # By default a code is bound to the login's browser: useless without its binding.
    start, callback = login(drive, rp)
    code = complete(rp, callback, exchange_code=True)["exchange_code"]
    assert oidcore.ExchangeCodes(store=rp.store).redeem(code, binding=start.binding)["token_type"] == "Bearer"
    start, callback = login(drive, rp)
    code = complete(rp, callback, exchange_code=True)["exchange_code"]
    with pytest.raises(oidcore.NotFound):
        rp.redeem_exchange_code(code)  # another client, no cookie
    with pytest.raises(oidcore.NotFound):
        rp.redeem_exchange_code(code, binding=start.binding)  # the attempt burnt it


def test_refresh_rotation_and_one_call_for_concurrent_refreshes(drive: Any, idp: Any) -> None:
    rp = make_rp(idp)
    tokens = complete(rp, login(drive, rp)[1])
    old = tokens["refresh_token"]
    results: list[Any] = [None] * 8
    barrier = threading.Barrier(8)

    def refresh(slot: int) -> None:
        barrier.wait()
        try:
            results[slot] = rp.refresh(old)
        except oidcore.Error as e:  # recorded, so the assertion below shows it
            results[slot] = e

    threads = [threading.Thread(target=refresh, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(isinstance(r, dict) for r in results), results
    assert all(r == results[0] for r in results)
    fresh = results[0]
    assert fresh["refresh_token"] and fresh["refresh_token"] != old
    assert fresh["access_token"] != tokens["access_token"]
    assert fresh["claims"]["sub"] == tokens["claims"]["sub"] and fresh["principal"]["role"] == "admin"
    grants = [r for r in idp.control("requests")["requests"] if r["grant_type"] == "refresh_token"]
    assert len(grants) == 1, grants

    # The rotated token works. Within refresh_reuse_window (2 s by default) a caller that
    # raced the refresh with the old token gets its outcome; past the window (0 here) the old
    # token goes to the provider, which refuses it (and then ends the grant).
    again = rp.refresh(fresh["refresh_token"])
    assert again["refresh_token"] != fresh["refresh_token"]
    assert rp.refresh(old) == fresh
    strict = make_rp(idp, refresh_reuse_window=0)
    with pytest.raises(oidcore.IdPError) as info:
        strict.refresh(old)
    assert info.value.code == "idp_error" and info.value.error == "invalid_grant"
    assert info.value.status == 400 and info.value.error_description


def test_userinfo_revoke_and_logout(drive: Any, idp: Any) -> None:
    rp = make_rp(idp)
    jar = http.cookiejar.CookieJar()
    tokens = complete(rp, login(drive, rp, jar=jar)[1])
    info = rp.userinfo(tokens["access_token"])
    assert info["sub"] == tokens["claims"]["sub"] and info["email"] == "alice@example.com"
    assert info["groups"] == ["admins", "staff"] and info["organizationId"] == "org-alice"

    rp.revoke(tokens["access_token"], "access_token")
    with pytest.raises(oidcore.IdPError) as e:
        rp.userinfo(tokens["access_token"])
    assert e.value.error == "invalid_token"
    rp.revoke(tokens["refresh_token"])
    with pytest.raises(oidcore.IdPError) as e:
        rp.refresh(tokens["refresh_token"])
    assert e.value.error == "invalid_grant"
    with pytest.raises(oidcore.InvalidArgument):
        rp.revoke(tokens["refresh_token"], "id_token")

    url = rp.logout_url(id_token_hint=tokens["id_token"], state="bye-1")
    assert url.startswith(idp.issuer + "end-session/")
    params = query(url)
    assert params["id_token_hint"] == tokens["id_token"] and params["state"] == "bye-1"
    assert params["post_logout_redirect_uri"] == AFTER_LOGOUT and params["client_id"] == idp.client_id
    assert drive.drive_logout(url, jar=jar) == f"{AFTER_LOGOUT}?state=bye-1"
    assert query(rp.logout_url(post_logout_redirect_uri="http://127.0.0.1:3000/other"))[
        "post_logout_redirect_uri"] == "http://127.0.0.1:3000/other"


def test_wrong_client_secret_is_invalid_client(drive: Any, idp: Any) -> None:
    rp = make_rp(idp, client_secret="not-the-secret")
    with pytest.raises(oidcore.IdPError) as info:
        complete(rp, login(drive, rp, "bob", "bob-password")[1])
    assert info.value.error == "invalid_client"
    assert isinstance(info.value, oidcore.Error) and info.value.code == "idp_error"
    assert info.value.status is not None and 400 <= info.value.status < 500


def test_client_secret_basic(drive: Any, idp: Any) -> None:
    # The provider decodes Basic credentials raw, as Authentik does.
    rp = make_rp(idp, token_endpoint_auth_method="client_secret_basic", basic_auth_encoding="raw")
    assert complete(rp, login(drive, rp)[1])["access_token"]
    clients = [r["client_auth"] for r in idp.control("requests")["requests"] if r["grant_type"]]
    assert clients and all("basic" in str(c) for c in clients), clients


def test_provider_errors(drive: Any, idp: Any) -> None:
    rp = make_rp(idp)
    # An error sent back through the callback: no HTTP status of the provider's.
    start = rp.begin_login()
    with pytest.raises(oidcore.IdPError) as info:
        complete(rp, f"{REDIRECT_URI}?error=access_denied&error_description=nope&state={start.state}",
                 binding=start.binding)
    assert (info.value.error, info.value.error_description, info.value.status) == ("access_denied", "nope", None)

    # The token endpoint answering an OAuth error, then a server error.
    idp.control("token_mode", {"mode": "status", "status": 400,
                               "body": '{"error":"invalid_grant","error_description":"code expired"}'})
    with pytest.raises(oidcore.IdPError) as info:
        complete(rp, login(drive, rp)[1])
    assert (info.value.error, info.value.error_description, info.value.status) == (
        "invalid_grant", "code expired", 400)
    idp.control("token_mode", {"mode": "status", "status": 503, "body": "down for maintenance"})
    with pytest.raises(oidcore.HttpError) as http_info:
        complete(rp, login(drive, rp)[1])
    assert http_info.value.code == "http_error" and http_info.value.status == 503


def test_begin_login_refusals(idp: Any) -> None:
    rp = make_rp(idp)
    for target in ("//evil.com", "https://evil.com", "/\\evil.com", "/%2F%2Fevil.com", "javascript:alert(1)"):
        with pytest.raises(oidcore.UnsafeRedirect):
            rp.begin_login(target)
    with pytest.raises(oidcore.InvalidArgument, match="state"):
        rp.begin_login(params={"state": "mine"})
    with pytest.raises(oidcore.InvalidArgument):
        rp.begin_login(scopes=["profile"])  # no openid
    start = rp.begin_login(scopes="openid email", params={"prompt": "login"})
    assert query(start["url"])["scope"] == "openid email" and query(start["url"])["prompt"] == "login"
    with pytest.raises(oidcore.ArgumentTypeError):
        rp.begin_login(extra=object())
    with pytest.raises(TypeError):
        complete(rp, 42)  # type: ignore[arg-type]


def test_warns_when_the_scopes_cannot_give_a_refresh_token() -> None:
    from conftest import free_port

    issuer = f"http://127.0.0.1:{free_port()}/application/o/app/"
    base = {"issuer": issuer, "client_id": "c", "client_secret": "s", "redirect_uri": REDIRECT_URI}
    with pytest.warns(oidcore.OidcoreWarning, match='"offline_access"') as record:
        rp = oidcore.RelyingParty(**base, scopes=["openid", "profile"])
    assert [w.message.code for w in record if isinstance(w.message, oidcore.OidcoreWarning)] == ["no_offline_access"]
    assert record[0].filename == __file__  # reported where the relying party was created
    assert [w.code for w in rp.warnings] == ["no_offline_access"]
    assert isinstance(rp.warnings[0], oidcore.ConfigWarning) and "refresh_tokens" in rp.warnings[0].message
    # refresh() with what such a login gives (no refresh token) says why, before any network call.
    for missing in (None, ""):
        with pytest.raises(oidcore.InvalidArgument, match="offline_access.*do not include it"):
            rp.refresh(missing)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = [oidcore.RelyingParty(**base, scopes="openid offline_access"),
                 oidcore.RelyingParty(**base, refresh_tokens=False)]
    assert all(r.warnings == () for r in quiet)
    with pytest.raises(oidcore.InvalidArgument) as info:
        quiet[0].refresh(None)
    assert "offline_access" in info.value.message and "do not include it" not in info.value.message
    with pytest.raises(oidcore.ConfigError, match='"refresh_tokens"'):
        oidcore.RelyingParty(**base, refresh_tokens="yes")


def test_configuration_errors(idp: Any) -> None:
    with pytest.raises(oidcore.ConfigError, match='"client_secrett"'):
        make_rp(idp, client_secrett="x")
    with pytest.raises(oidcore.ConfigError, match='"scopes"'):
        make_rp(idp, scopes=["email"])
    with pytest.raises(oidcore.ConfigError, match='"token_endpoint_auth_method"'):
        make_rp(idp, token_endpoint_auth_method="private_key_jwt")
    with pytest.raises(oidcore.ArgumentTypeError):
        make_rp(idp, store=object())
    with pytest.raises(TypeError):
        oidcore.RelyingParty(issuer=idp.issuer, client_id="x", client_secret="y")  # type: ignore[call-arg]
    # A provider that is not there: the first call that needs it fails, within the timeouts.
    from conftest import free_port

    rp = oidcore.RelyingParty(issuer=f"http://127.0.0.1:{free_port()}/o/", client_id="c", client_secret="s",
                              redirect_uri=REDIRECT_URI, http_timeout=1, connect_timeout=0.5)
    with pytest.raises(oidcore.HttpError):
        rp.begin_login()


def test_async_faces_never_block_the_event_loop(drive: Any, idp: Any, store: Any) -> None:
    rp = make_rp(idp, store, http_timeout=1.5)

    async def main() -> dict[str, Any]:
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
        try:
            # A token endpoint that never answers: the call waits out http_timeout in its
            # thread while the loop keeps ticking.
            idp.control("token_mode", {"mode": "hang"})
            start = await rp.begin_login_async("/after")
            callback = await asyncio.to_thread(drive.drive_login, start["url"], "alice", "alice-password")
            gaps.clear()
            began = time.monotonic()
            with pytest.raises(oidcore.HttpError):
                await rp.complete_login_async(callback, binding=start.binding)
            hung = time.monotonic() - began
            hang_gaps = list(gaps)
            idp.control("token_mode", {"mode": "normal"})

            # The whole flow through the async faces.
            start = await rp.begin_login_async("/after", binding="b")
            callback = await asyncio.to_thread(drive.drive_login, start["url"], "alice", "alice-password")
            handoff = await rp.complete_login_async(callback, binding="b", exchange_code=True)
            tokens = await rp.redeem_exchange_code_async(handoff["exchange_code"], binding="b")
            with pytest.raises(oidcore.NotFound):
                await rp.redeem_exchange_code_async(handoff["exchange_code"], binding="b")
            fresh = await rp.refresh_async(tokens["refresh_token"])
            info = await rp.userinfo_async(fresh["access_token"])
            verified = await rp.verify_access_token_async(fresh["access_token"])
            by_request = await rp.verify_request_async({"Authorization": f"Bearer {fresh['access_token']}"})
            url = await rp.logout_url_async(id_token_hint=fresh["id_token"] or tokens["id_token"])
            await rp.revoke_async(fresh["refresh_token"], "refresh_token")
            with pytest.raises(oidcore.IdPError):
                await rp.refresh_async(fresh["refresh_token"])
        finally:
            stop.set()
            await task
        return {"hung": hung, "hang_gaps": hang_gaps, "handoff": handoff, "info": info, "verified": verified,
                "by_request": by_request, "url": url}

    out = asyncio.run(main())
    assert out["hung"] >= 1.2, out["hung"]
    # The loop ticked all along the hung call: no gap anywhere near the 1.5 s it waited.
    assert len(out["hang_gaps"]) >= 30 and max(out["hang_gaps"]) < 0.5, max(out["hang_gaps"])
    assert out["handoff"]["redirect_after"] == "/after"
    assert out["info"]["sub"] == out["verified"]["claims"]["sub"] == out["by_request"]["claims"]["sub"]
    assert out["url"].startswith(idp.issuer + "end-session/")


def test_verifier_refresh_and_stats_with_discovery(idp: Any) -> None:
    verifier = oidcore.Verifier(issuer=idp.issuer, audience=idp.client_id, discovery=True, http_timeout=3)
    verifier.refresh()
    asyncio.run(verifier.refresh_async())
    stats = verifier.stats()
    assert stats["jwks"]["fetches"] >= 1 and stats["jwks"]["key_count"] >= 1 and not stats["jwks"]["stale"]
    assert oidcore.crypto_version.startswith("OpenSSL")
    from conftest import free_port

    dead = oidcore.Verifier(issuer=f"http://127.0.0.1:{free_port()}/o/", audience="a", discovery=True,
                            http_timeout=1, connect_timeout=0.5)
    with pytest.raises(oidcore.HttpError) as info:
        dead.refresh()  # discovery itself failed
    assert info.value.code == "http_error" and info.value.status is None
