"""What every module of the package shares: argument conversion, JSON, outcomes, headers."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union

from ._errors import ArgumentTypeError, Error, error_for

#: What the package accepts where the C ABI takes bytes: text (sent as UTF-8) or bytes.
Text = Union[str, bytes, bytearray, memoryview]

#: Request headers: a mapping (dict, Starlette/Werkzeug headers, ...) or (name, value) pairs
#: such as an ASGI scope's ``headers``. Names match case-insensitively.
Headers = Union[Mapping[str, str], Mapping[bytes, bytes], Iterable[tuple[Union[str, bytes], Union[str, bytes]]]]


def to_bytes(value: object, what: str) -> bytes:
    """Text or bytes as the bytes the C ABI gets.

    A str is sent as UTF-8. Surrogate escapes (U+DC80..U+DCFF, what to_text() and
    ``errors="surrogateescape"`` make of bytes that are not UTF-8) become those bytes again;
    any other lone surrogate is passed through as the invalid UTF-8 it stands for. Either
    way the library sees input that is not UTF-8 and refuses it as it refuses any other,
    rather than Python failing half-way with a UnicodeEncodeError.
    """
    if isinstance(value, str):
        try:
            return value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise ArgumentTypeError(f"{what} must be str or bytes, not {type(value).__name__}")


def optional_bytes(value: object, what: str) -> bytes | None:
    return None if value is None else to_bytes(value, what)


def to_text(data: bytes) -> str:
    """Bytes the library handed out, as text (lossless even for bytes that are not UTF-8)."""
    return data.decode("utf-8", "surrogateescape")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime.timedelta):
        seconds = value.total_seconds()
        return int(seconds) if seconds.is_integer() else seconds
    if isinstance(value, datetime.datetime):
        return unix_seconds(value, "a datetime")
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return to_text(bytes(value))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any, what: str = "options") -> bytes:
    """JSON for the C ABI. timedelta becomes seconds, datetime Unix seconds, a set a list."""
    try:
        return json.dumps(value, default=_json_default, allow_nan=False, separators=(",", ":")).encode(
            "utf-8", "surrogatepass")
    except (TypeError, ValueError, RecursionError) as e:
        raise ArgumentTypeError(f"{what}: {e}") from None


def options(**values: Any) -> bytes | None:
    """A JSON object of the values that are not None, or None (the C ABI's "no options")."""
    present = {k: v for k, v in values.items() if v is not None}
    return dumps(present) if present else None


def unix_seconds(value: object, what: str) -> int:
    """A time as Unix seconds: an int, or an aware datetime (a naive one is refused)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ArgumentTypeError(f"{what} must be an aware datetime (with tzinfo), not a naive one")
        return int(value.timestamp() // 1)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ArgumentTypeError(f"{what} must be an int (Unix seconds) or a datetime, not {type(value).__name__}")


def seconds(value: object, what: str) -> int:
    """A duration in whole seconds: an int or a timedelta."""
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds() // 1)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ArgumentTypeError(f"{what} must be an int (seconds) or a timedelta, not {type(value).__name__}")


def string_list(value: object, what: str) -> list[str]:
    """A str or a sequence of str, as a list (a single str is one element)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        items = list(value)
        for item in items:
            if not isinstance(item, str):
                raise ArgumentTypeError(f"{what} must hold str, not {type(item).__name__}")
        return items
    raise ArgumentTypeError(f"{what} must be a str or a sequence of str, not {type(value).__name__}")


def fail(outcome: tuple[Any, ...]) -> Error:
    """The exception for a failure tuple (code, message, detail, idp_error, idp_error_description)."""
    return error_for(*outcome)


def unwrap(outcome: tuple[Any, ...]) -> bytes:
    """The bytes of a (None, bytes) outcome, or raise its exception."""
    if outcome[0] is not None:
        raise fail(outcome)
    value: bytes = outcome[1]
    return value


def unwrap_json(outcome: tuple[Any, ...]) -> Any:
    return json.loads(unwrap(outcome))


def unwrap_dict(outcome: tuple[Any, ...]) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(unwrap(outcome))
    return value


def verified(outcome: tuple[Any, ...]) -> dict[str, Any]:
    """A verification outcome as {"claims", "principal", "header"} (plus "source" for a
    request verification), or raise."""
    if outcome[0] is not None:
        raise fail(outcome)
    claims, principal, alg, kid = outcome[1:5]
    result = {
        "claims": json.loads(claims),
        "principal": None if principal is None else json.loads(principal),
        "header": {"alg": alg, "kid": kid or None},
    }
    if len(outcome) > 5:
        result["source"] = outcome[5]
    return result


def _name(name: object) -> str | None:
    if isinstance(name, str):
        return name.lower()
    if isinstance(name, (bytes, bytearray)):
        return bytes(name).decode("latin-1").lower()
    return None


def request_headers(headers: object) -> tuple[bytes | None, bytes | None]:
    """The raw Cookie and Authorization headers of a request (None when absent).

    Several Cookie headers (HTTP/2 splits them) are joined with "; "; several Authorization
    headers are joined with ", ", which no bearer token matches: an ambiguous request has no
    bearer token.
    """
    if isinstance(headers, (str, bytes, bytearray, memoryview)) or headers is None:
        raise ArgumentTypeError(f"headers must be a mapping or (name, value) pairs, not {type(headers).__name__}")
    items: Iterable[Any]
    multi = getattr(headers, "multi_items", None)
    if callable(multi):  # Starlette's Headers: every value of a repeated header
        items = multi()
    elif isinstance(headers, Mapping) or hasattr(headers, "items"):
        items = headers.items()
    elif isinstance(headers, Iterable):
        items = headers
    else:
        raise ArgumentTypeError(f"headers must be a mapping or (name, value) pairs, not {type(headers).__name__}")
    cookies: list[bytes] = []
    authorizations: list[bytes] = []
    for pair in items:
        try:
            name, value = pair
        except (TypeError, ValueError):
            raise ArgumentTypeError("headers must be a mapping or (name, value) pairs") from None
        key = _name(name)
        if key == "cookie":
            cookies.append(to_bytes(value, "the Cookie header"))
        elif key == "authorization":
            authorizations.append(to_bytes(value, "the Authorization header"))
    return (b"; ".join(cookies) if cookies else None, b", ".join(authorizations) if authorizations else None)
