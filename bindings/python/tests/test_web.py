"""The web helpers through Python: cookies, safe redirects, finding a request's token, principals."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import time
from typing import Any

import pytest

import oidcore
from oidcore import cookies

# ---------------------------------------------------------------------------------------
# cookies.parse


def test_parse_like_the_cookie_package() -> None:
    assert cookies.parse("a=1; b=2") == {"a": "1", "b": "2"}
    assert cookies.parse(' a = 1 ;\tb="quoted" ; a=again') == {"a": "1", "b": "quoted"}
    assert cookies.parse("sid=s%3Avalue.sig; euro=%E2%82%AC; bad=%E0%A4%A") == {
        "sid": "s:value.sig", "euro": "\u20ac", "bad": "%E0%A4%A"}
    assert cookies.parse("noequals; =empty-name; sp ace=1; ok=") == {"ok": ""}
    assert cookies.parse(None) == {} and cookies.parse("") == {} and cookies.parse(b"x=y") == {"x": "y"}


def test_parse_hostile_input() -> None:
    # A value that is not UTF-8 drops its cookie; NUL bytes and control characters do no harm.
    assert cookies.parse(b"a=\xff\xfe; b=2") == {"b": "2"}
    assert cookies.parse("a=\udcff; b=2") == {"b": "2"}
    parsed = cookies.parse("a=x\x00y; b=2")
    assert parsed.get("b") == "2" and all(isinstance(v, str) for v in parsed.values())
    assert cookies.parse("a=" + "v" * 60000) == {"a": "v" * 60000}
    with pytest.raises(oidcore.TooLarge) as info:
        cookies.parse("a=" + "v" * (64 * 1024))
    assert info.value.code == "too_large" and isinstance(info.value, oidcore.Error)
    for bad in (42, ["a=1"], {"a": "1"}):
        with pytest.raises(TypeError):
            cookies.parse(bad)  # type: ignore[arg-type]
    with pytest.raises(oidcore.ArgumentTypeError):
        cookies.parse(3.5)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# cookies.sign / unsign


def express_sign(value: bytes, secret: bytes) -> str:
    mac = base64.b64encode(hmac.new(secret, value, hashlib.sha256).digest()).decode().rstrip("=")
    return "s:" + value.decode("utf-8", "surrogateescape") + "." + mac


def test_sign_matches_cookie_signature() -> None:
    # cookie-signature's own test vector: sign('hello', 'tobiiscool').
    assert cookies.sign("hello", "tobiiscool") == "s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI"
    for value, secret in (("", "k"), ("a.b.c", "k"), ("\u00e9t\u00e9 \u20ac", "s\u00e9cret"), ("x\x00y", "k\x00")):
        signed = cookies.sign(value, secret)
        assert signed == express_sign(value.encode(), secret.encode())
        assert cookies.unsign(signed, secret) == value
    # Bytes that are not UTF-8 round-trip through sign and unsign.
    signed = cookies.sign(b"\xff\x00", b"k")
    assert cookies.unsign(signed, b"k") == b"\xff\x00".decode("utf-8", "surrogateescape")


def test_unsign_rotation_and_refusals() -> None:
    signed = cookies.sign("session-1", "old")
    assert cookies.unsign(signed, ["new", "old"]) == "session-1"
    assert cookies.unsign(signed, ("new",)) is None
    assert cookies.unsign(signed[:-1] + ("A" if signed[-1] != "A" else "B"), "old") is None
    assert cookies.unsign("s:session-1.", "old") is None
    assert cookies.unsign("session-1", "old") is None  # not signed
    assert cookies.unsign("s:no-dot", "old") is None
    assert cookies.unsign("", "old") is None
    assert cookies.unsign("s:" + "x" * 100000 + ".y", "old") is None
    for bad_secrets in ([], [""], ""):
        with pytest.raises(oidcore.InvalidArgument):
            cookies.unsign(signed, bad_secrets)
    with pytest.raises(oidcore.InvalidArgument):
        cookies.sign("v", "")
    with pytest.raises(oidcore.InvalidArgument):
        cookies.sign("v", "k" * (64 * 1024 + 1))
    with pytest.raises(TypeError):
        cookies.unsign(signed, [1])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        cookies.unsign(signed, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cookies.sign(None, "k")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# cookies.serialize / clear


def test_serialize_and_clear() -> None:
    assert cookies.serialize("sid", "v") == "sid=v; Path=/; HttpOnly; Secure; SameSite=Lax"
    at = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    header = cookies.serialize("sid", "a b;\u00e9", http_only=False, secure=True, same_site="none", path="/app",
                               domain=".example.com", max_age=datetime.timedelta(hours=1), expires=at)
    assert header == ("sid=a%20b%3B%C3%A9; Path=/app; Max-Age=3600; Expires=Wed, 02 Jan 2030 03:04:05 GMT; "
                      "Domain=.example.com; Secure; SameSite=None")
    assert "Expires=Wed, 02 Jan 2030 03:04:05 GMT" in cookies.serialize("a", "b", expires=int(at.timestamp()))
    # An aware datetime in another zone is the same instant.
    tz = datetime.timezone(datetime.timedelta(hours=2))
    assert "Expires=Wed, 02 Jan 2030 03:04:05 GMT" in cookies.serialize("a", "b", expires=at.astimezone(tz))
    assert "SameSite=Strict" in cookies.serialize("a", "b", same_site="STRICT")
    assert cookies.clear("sid", path="/app", domain="example.com") == (
        "sid=; Path=/app; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; HttpOnly; Secure; "
        "SameSite=Lax")
    assert cookies.serialize("__Host-sid", "v").startswith("__Host-sid=v; Path=/;")


def test_no_cookie_from_a_missing_value() -> None:
    # The old way wrote `refresh_token=undefined` (here it would be "None") when the provider
    # gave no refresh token.
    tokens: dict[str, Any] = {"access_token": "at", "refresh_token": None}
    with pytest.raises(oidcore.InvalidArgument, match="refresh_token.*missing") as info:
        cookies.serialize("refresh_token", tokens["refresh_token"], path="/auth/refresh", max_age=3600)
    assert info.value.code == "invalid_argument"
    assert isinstance(info.value, TypeError)
    for empty in ("", b""):
        with pytest.raises(oidcore.InvalidArgument, match="missing") as info:
            cookies.serialize("refresh_token", empty)
        assert not isinstance(info.value, TypeError)
    with pytest.raises(oidcore.InvalidArgument):
        cookies.serialize("refresh_token", 42)  # type: ignore[arg-type]
    # The strings themselves are ordinary values: only a missing value is refused.
    assert cookies.serialize("a", "None").startswith("a=None; ")
    assert cookies.serialize("a", "undefined").startswith("a=undefined; ")


def _jwt(claims: dict[str, Any]) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    return b64(b'{"alg":"RS256"}') + "." + b64(json.dumps(claims).encode()) + ".c2ln"


def test_max_age_from_the_token() -> None:
    now = int(time.time())
    token = _jwt({"sub": "a", "exp": now + 3600})
    header = cookies.serialize("access_token", token, max_age_from_token=token, max_age=7 * 24 * 3600)
    max_age = int(header.split("; Max-Age=")[1].split(";")[0])
    assert 3598 <= max_age <= 3600, header
    assert cookies.max_age_from_token(token, now=now) == 3600
    aware = datetime.datetime.fromtimestamp(now + 600, tz=datetime.timezone.utc)
    assert cookies.max_age_from_token(token, now=aware) == 3000
    assert cookies.max_age_from_token(token, now=now + 7200) == 0  # expired: 0, never negative
    assert 3598 <= cookies.max_age_from_token(token) <= 3600
    # An opaque token: the caller's fallback, else a refusal naming the option.
    assert "; Max-Age=120;" in cookies.serialize("refresh_token", "opaque", max_age_from_token="opaque", max_age=120)
    with pytest.raises(oidcore.InvalidArgument, match="max_age_from_token"):
        cookies.serialize("refresh_token", "opaque", max_age_from_token="opaque")
    with pytest.raises(oidcore.MalformedToken):
        cookies.max_age_from_token("opaque")
    with pytest.raises(oidcore.InvalidClaim) as info:
        cookies.max_age_from_token(_jwt({"sub": "a"}))
    assert info.value.code == "missing_claim"
    with pytest.raises(oidcore.InvalidArgument):
        cookies.max_age_from_token(token, now=0)
    with pytest.raises(TypeError):
        cookies.max_age_from_token(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("call", [
    lambda: cookies.serialize("a b", "v"),
    lambda: cookies.serialize("", "v"),
    lambda: cookies.serialize("a;b", "v"),
    lambda: cookies.serialize("a\x00", "v"),
    lambda: cookies.serialize("a", b"\xff"),
    lambda: cookies.serialize("a", "\udcff"),
    lambda: cookies.serialize("a", "v", same_site="none", secure=False),
    lambda: cookies.serialize("a", "v", same_site="sometimes"),
    lambda: cookies.serialize("__Secure-a", "v", secure=False),
    lambda: cookies.serialize("__host-a", "v", path="/x"),
    lambda: cookies.serialize("__Host-a", "v", domain="example.com"),
    lambda: cookies.serialize("a", "v", path="no-slash"),
    lambda: cookies.serialize("a", "v", path="/a;b"),
    lambda: cookies.serialize("a", "v", domain="exa mple.com"),
    lambda: cookies.serialize("a", "v", max_age=-1),
    lambda: cookies.serialize("a", "v", expires=253402300800),
    lambda: cookies.clear("a", same_site="none", secure=False),
    lambda: cookies.clear("bad name"),
])
def test_serialize_refusals(call: Any) -> None:
    with pytest.raises(oidcore.InvalidArgument) as info:
        call()
    assert info.value.code == "invalid_argument" and info.value.message


@pytest.mark.parametrize("call", [
    lambda: cookies.serialize("a", "v", http_only=1),
    lambda: cookies.serialize("a", "v", secure=None),
    lambda: cookies.serialize("a", "v", same_site=None),
    lambda: cookies.serialize("a", "v", path=None),
    lambda: cookies.serialize("a", "v", domain=1),
    lambda: cookies.serialize("a", "v", max_age=True),
    lambda: cookies.serialize("a", "v", max_age=1.5),
    lambda: cookies.serialize("a", "v", expires=datetime.datetime(2030, 1, 1)),  # naive
    lambda: cookies.serialize("a", "v", expires="tomorrow"),
    lambda: cookies.serialize(None, "v"),
    lambda: cookies.clear(7),
])
def test_serialize_wrong_types(call: Any) -> None:
    with pytest.raises(TypeError):
        call()
    with pytest.raises(oidcore.InvalidArgument):
        call()


# ---------------------------------------------------------------------------------------
# safe_redirect


SAFE = ["/", "/dashboard", "/a/b?c=d&e=%20f#frag", "/caf\u00e9", "/%41", "/a//b", "/a%20b"]
UNSAFE = ["", "//evil.com", "/\\evil.com", "https://evil.com", "javascript:alert(1)", "evil.com", "\\\\evil",
          "/%2F%2Fevil.com", "/%2f/evil.com", "/%5Cevil.com", "/%252F%252Fevil.com", "/%25252F%25252Fevil.com",
          "/\tfoo", "/a\nb", "/a\x00b", "/a\x7fb", "/a\u0085b", " /a", "/a b", "/" + "a" * 2048,
          "/\udcff"]


@pytest.mark.parametrize("target", SAFE)
def test_safe_targets_pass_unchanged(target: str) -> None:
    assert oidcore.safe_redirect(target) == target
    assert oidcore.safe_redirect(target, "/home") == target
    assert oidcore.safe_redirect(target.encode()) == target


@pytest.mark.parametrize("target", UNSAFE)
def test_unsafe_targets(target: str) -> None:
    with pytest.raises(oidcore.UnsafeRedirect) as info:
        oidcore.safe_redirect(target)
    assert info.value.code == "unsafe_redirect" and isinstance(info.value, oidcore.Error)
    assert oidcore.safe_redirect(target, "/home") == "/home"


def test_safe_redirect_edges() -> None:
    assert oidcore.safe_redirect(b"/a\xff", "/") == "/"
    assert oidcore.safe_redirect(None, "/") == "/"
    with pytest.raises(oidcore.UnsafeRedirect):
        oidcore.safe_redirect(None)
    with pytest.raises(oidcore.InvalidArgument):
        oidcore.safe_redirect("/ok", "//evil.com")  # the fallback must be safe, whatever the target
    with pytest.raises(oidcore.InvalidArgument):
        oidcore.safe_redirect("//x", "")
    with pytest.raises(TypeError):
        oidcore.safe_redirect(["/x"])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# extract_token


def test_extract_token_sources_and_order() -> None:
    both = {"Cookie": "theme=dark; access_token=from-cookie", "Authorization": "Bearer from.header-_~+/="}
    assert oidcore.extract_token(both) == ("from-cookie", "cookie")
    assert oidcore.extract_token(both, order=("bearer", "cookie")) == ("from.header-_~+/=", "bearer")
    assert oidcore.extract_token(both, order=["bearer"]) == ("from.header-_~+/=", "bearer")
    assert oidcore.extract_token({"cookie": "at=x"}, cookie_name="at") == ("x", "cookie")
    assert oidcore.extract_token({"COOKIE": "access_token="}) is None  # an empty value is no token
    assert oidcore.extract_token({"authorization": "bearer    tok"}) == ("tok", "bearer")
    assert oidcore.extract_token({}) is None
    for bad in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "Bearer a,b", "Bearer =abc",
                "Bearertok", "Bearer tok\x00", "Bearer t\u00f6k"):
        assert oidcore.extract_token({"Authorization": bad}) is None, bad


def test_extract_token_header_shapes() -> None:
    # (name, value) pairs with bytes, as an ASGI scope's headers; repeated Cookie headers.
    raw = [(b"cookie", b"a=1"), (b"Cookie", b"access_token=tok"), (b"x", b"y")]
    assert oidcore.extract_token(raw) == ("tok", "cookie")
    # Several Authorization headers: ambiguous, so no bearer token.
    assert oidcore.extract_token([("Authorization", "Bearer a"), ("authorization", "Bearer b")]) is None
    from starlette.datastructures import Headers

    headers = Headers(raw=[(b"authorization", b"Bearer abc"), (b"cookie", b"other=1")])
    assert oidcore.extract_token(headers) == ("abc", "bearer")
    from email.message import Message

    message = Message()
    message["Authorization"] = "Bearer msg"
    assert oidcore.extract_token(message) == ("msg", "bearer")  # type: ignore[arg-type]


def test_extract_token_signed_cookies() -> None:
    signed = cookies.sign("tok", "k1")
    header = {"Cookie": cookies.serialize("access_token", signed).split(";")[0], "Authorization": "Bearer b"}
    assert oidcore.extract_token(header, cookie_secrets=["k0", "k1"]) == ("tok", "cookie")
    assert oidcore.extract_token(header, cookie_secrets="k1") == ("tok", "cookie")
    # A bad signature or an unsigned value: no token in the cookie, the bearer is next.
    assert oidcore.extract_token(header, cookie_secrets="k2") == ("b", "bearer")
    assert oidcore.extract_token({"Cookie": "access_token=plain"}, cookie_secrets="k1") is None


def test_extract_token_refusals() -> None:
    with pytest.raises(oidcore.TooLarge):
        oidcore.extract_token({"Cookie": "a=" + "x" * (64 * 1024)})
    # The oversized header is only looked at when its source is reached.
    assert oidcore.extract_token({"Authorization": "Bearer t", "Cookie": "a=" + "x" * (64 * 1024)},
                                 order=["bearer"]) == ("t", "bearer")
    for order in ([], ["cookie", "cookie"], ["header"]):
        with pytest.raises(oidcore.InvalidArgument, match="order"):
            oidcore.extract_token({}, order=order)
    with pytest.raises(oidcore.InvalidArgument, match="cookie_name"):
        oidcore.extract_token({}, cookie_name="")
    with pytest.raises(oidcore.InvalidArgument, match="cookie_secrets"):
        oidcore.extract_token({}, cookie_secrets=[])
    for bad_headers in ("Cookie: a=1", b"x", None, 42, [("only-one",)]):
        with pytest.raises(TypeError):
            oidcore.extract_token(bad_headers)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        oidcore.extract_token({}, order="cookie")
    with pytest.raises(TypeError):
        oidcore.extract_token({"Cookie": 5})  # type: ignore[dict-item]
    # Not UTF-8, NUL bytes: no crash, no token from the broken part.
    assert oidcore.extract_token({b"cookie": b"access_token=\xff\xfe"}) is None
    assert oidcore.extract_token({"Cookie": "access_token=a\x00b"}) in (None, ("a\x00b", "cookie"))


# ---------------------------------------------------------------------------------------
# principal_from_claims


def test_principal_from_claims() -> None:
    claims = {"sub": "u1", "email": "e@x", "name": "N", "groups": ["staff", "admins"], "org": "o-1"}
    assert oidcore.principal_from_claims(claims) == {
        "sub": "u1", "email": "e@x", "name": "N", "organizationId": "u1", "role": "user"}
    mapped = oidcore.principal_from_claims(claims, organization_id_claim="org", default_role="guest",
                                           roles=[{"group": "admins", "role": "admin"}])
    assert mapped["organizationId"] == "o-1" and mapped["role"] == "admin"
    assert oidcore.principal_from_claims('{"sub":"u2","organizationId":"o"}')["organizationId"] == "o"
    # The fallback to sub is a default, and "none" turns it off.
    assert oidcore.principal_from_claims({"sub": "u4"}, organization_fallback="sub")["organizationId"] == "u4"
    assert oidcore.principal_from_claims({"sub": "u4"}, organization_fallback="none")["organizationId"] is None
    with pytest.raises(oidcore.InvalidArgument, match="organization_fallback"):
        oidcore.principal_from_claims({"sub": "u4"}, organization_fallback="email")
    assert oidcore.principal_from_claims({"sub": "u3", "roles": ["x"]}, groups_claim="roles",
                                         roles=[{"group": "x", "role": "y"}])["role"] == "y"
    with pytest.raises(oidcore.MalformedToken) as info:
        oidcore.principal_from_claims("[1, 2]")
    assert info.value.code == "malformed"
    with pytest.raises(oidcore.MalformedToken):
        oidcore.principal_from_claims(b"{\xff}")
    with pytest.raises(oidcore.InvalidArgument):
        oidcore.principal_from_claims(claims, roles=[{"group": "admins"}])
    with pytest.raises(TypeError):
        oidcore.principal_from_claims(42)  # type: ignore[arg-type]
