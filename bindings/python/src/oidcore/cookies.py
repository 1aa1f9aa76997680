"""Cookies as Express does them: parse a Cookie header, cookie-parser signed values, Set-Cookie.

    from oidcore import cookies

    cookies.parse("a=1; sid=s%3Ax.y")              # {"a": "1", "sid": "s:x.y"}
    signed = cookies.sign("value", secret)         # "s:value.<HMAC-SHA256, base64>"
    cookies.unsign(signed, [new_secret, old_secret])  # "value", or None
    cookies.serialize("sid", signed, max_age=3600)  # "sid=s%3Avalue.…; Path=/; Max-Age=3600; …"
    cookies.serialize("access_token", at, max_age_from_token=at)  # Max-Age: what is left until exp
    cookies.clear("sid")                           # the Set-Cookie value that deletes it

Signed values interoperate with cookie-parser / cookie-signature, so an existing Express app
keeps its cookies. Pure functions, thread-safe.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from . import _native
from ._errors import ArgumentTypeError, InvalidArgument
from ._util import Text, dumps, fail, optional_bytes, seconds, to_bytes, to_text, unix_seconds, unwrap, \
    unwrap_dict

__all__ = ["parse", "sign", "unsign", "serialize", "clear", "max_age_from_token"]


def parse(header: Text | None) -> dict[str, str]:
    """A Cookie request header as {name: value}, like the npm ``cookie`` package's parse.

    Tolerant of junk (pairs without "=" or with a bad name are skipped; the first of a
    repeated name wins); quoted values are unquoted and percent-encoding is decoded. A
    header over 64 KiB raises TooLarge. None gives {}.
    """
    result: dict[str, str] = unwrap_dict(_native.cookie_parse(optional_bytes(header, "header")))
    return result


def sign(value: Text, secret: Text) -> str:
    """``"s:" + value + "." + base64(HMAC-SHA256(secret, value))`` without padding (cookie-parser)."""
    return to_text(unwrap(_native.cookie_sign(to_bytes(value, "value"), to_bytes(secret, "secret"))))


def unsign(signed: Text, secrets: Text | Sequence[Text]) -> str | None:
    """The value of a signed cookie, or None when it is not signed ("s:…") or no secret verifies it.

    ``secrets`` is one secret or several (tried in turn, for key rotation). No secret, or an
    empty one, raises InvalidArgument.
    """
    if isinstance(secrets, (str, bytes, bytearray, memoryview)):
        secret_list = [_secret_text(secrets)]
    elif isinstance(secrets, Sequence):
        secret_list = [_secret_text(s) for s in secrets]
    else:
        raise ArgumentTypeError(f"secrets must be a str or a sequence of str, not {type(secrets).__name__}")
    outcome = _native.cookie_unsign(to_bytes(signed, "signed"), dumps(secret_list, "secrets"))
    if outcome[0] in ("malformed", "bad_signature"):
        return None
    return to_text(unwrap(outcome))


def _secret_text(secret: object) -> str:
    if isinstance(secret, str):
        return secret
    if isinstance(secret, (bytes, bytearray, memoryview)):
        return bytes(secret).decode("utf-8", "surrogateescape")
    raise ArgumentTypeError(f"a secret must be str or bytes, not {type(secret).__name__}")


def _attributes(http_only: bool, secure: bool, same_site: str, path: str, domain: str | None,
                max_age: int | datetime.timedelta | None,
                expires: datetime.datetime | int | None, max_age_from_token: str | None = None) -> bytes:
    for name, flag in (("http_only", http_only), ("secure", secure)):
        if not isinstance(flag, bool):
            raise ArgumentTypeError(f"{name} must be a bool, not {type(flag).__name__}")
    for name, text in (("same_site", same_site), ("path", path)):
        if not isinstance(text, str):
            raise ArgumentTypeError(f"{name} must be a str, not {type(text).__name__}")
    if domain is not None and not isinstance(domain, str):
        raise ArgumentTypeError(f"domain must be a str, not {type(domain).__name__}")
    opts: dict[str, object] = {"http_only": http_only, "secure": secure, "same_site": same_site, "path": path}
    if domain is not None:
        opts["domain"] = domain
    if max_age is not None:
        opts["max_age"] = seconds(max_age, "max_age")
    if expires is not None:
        opts["expires"] = unix_seconds(expires, "expires")
    if max_age_from_token is not None:
        opts["max_age_from_token"] = max_age_from_token
    return dumps(opts)


def serialize(name: str, value: Text | None, *, http_only: bool = True, secure: bool = True, same_site: str = "lax",
              path: str = "/", domain: str | None = None, max_age: int | datetime.timedelta | None = None,
              expires: datetime.datetime | int | None = None, max_age_from_token: Text | None = None) -> str:
    """A Set-Cookie header value. The value is percent-encoded like encodeURIComponent.

    ``same_site``: "lax", "strict" or "none" (which needs ``secure``). ``max_age`` in
    seconds (or a timedelta); ``expires`` an aware datetime or Unix seconds.
    ``max_age_from_token``: a JWT whose ``exp`` gives Max-Age (what is left of its lifetime,
    at least 0; read without verifying the signature, it only sizes the cookie); ``max_age``
    is then the fallback for a token without ``exp`` (an opaque token), else such a token
    raises InvalidArgument. Prefixes are enforced: "__Secure-" needs ``secure``; "__Host-"
    needs ``secure``, path "/" and no domain. A violated rule, a bad name or a value that is
    not UTF-8 raises InvalidArgument; so does a missing value (None or empty): no cookie is
    ever set from a missing value (clear() deletes one).
    """
    if value is None:  # an ArgumentTypeError: also a TypeError
        raise ArgumentTypeError(f"the value of cookie {name!r} is missing (None): no cookie is set from a missing "
                                "value (clear() deletes one)")
    if isinstance(value, (str, bytes, bytearray, memoryview)) and len(value) == 0:
        raise InvalidArgument("invalid_argument", f"the value of cookie {name!r} is missing (empty): no cookie is set "
                                                  "from a missing value (clear() deletes one)")
    opts = _attributes(http_only, secure, same_site, path, domain, max_age, expires,
                       None if max_age_from_token is None else to_text(to_bytes(max_age_from_token,
                                                                                "max_age_from_token")))
    return to_text(unwrap(_native.cookie_serialize(to_bytes(name, "name"), to_bytes(value, "value"), opts)))


def max_age_from_token(token: Text, *, now: int | datetime.datetime | None = None) -> int:
    """The Max-Age (seconds) for a cookie that carries ``token``: its ``exp`` minus now, at least 0.

    The claims are read WITHOUT verifying the signature: this only sizes a cookie and says
    nothing about the token. ``now``: Unix seconds or an aware datetime instead of the clock.
    A token that is not a JWT raises MalformedToken; one without a numeric ``exp`` raises
    InvalidClaim (code "missing_claim").
    """
    when = 0
    if now is not None:
        when = unix_seconds(now, "now")
        if when <= 0:
            raise InvalidArgument("invalid_argument", "now must be Unix seconds after 1970")
    outcome = _native.cookie_max_age_from_token(to_bytes(token, "token"), when)
    if outcome[0] is not None:
        raise fail(outcome)
    seconds: int = outcome[1]
    return seconds


def clear(name: str, *, http_only: bool = True, secure: bool = True, same_site: str = "lax", path: str = "/",
          domain: str | None = None, max_age: int | datetime.timedelta | None = None,
          expires: datetime.datetime | int | None = None) -> str:
    """The Set-Cookie value that deletes a cookie set by serialize() with the same options
    (empty value, Max-Age=0, Expires in 1970; ``max_age`` and ``expires`` are checked, not used)."""
    opts = _attributes(http_only, secure, same_site, path, domain, max_age, expires)
    return to_text(unwrap(_native.cookie_clear(to_bytes(name, "name"), opts)))
