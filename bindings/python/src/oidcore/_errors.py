"""Exceptions: one base class with the stable ``code``, one subclass per family."""

from __future__ import annotations

from . import _native

# The codes of a service that could not be reached, as the core defines them
# (oidcore_status_is_unavailable).
_UNAVAILABLE = frozenset(_native.unavailable_status_names)


class Error(Exception):
    """Every oidcore failure. ``code`` is the stable string shared with C and Node."""

    code: str
    message: str

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    @property
    def unavailable(self) -> bool:
        """True when a service could not be reached (the provider, its keys, the store:
        ``jwks_unavailable``, ``http_error``, ``store_unavailable``): the verdict is unknown,
        not the token's fault. Answer 503 and retry, never 401."""
        return self.code in _UNAVAILABLE


class InvalidToken(Error):
    """The token was rejected (framing, algorithm, key, signature or claims)."""


class MalformedToken(InvalidToken):
    """Not a well-formed compact JWS/JWT (or over its size limit)."""


class TooLarge(MalformedToken):
    """A token, header, payload or response over its size limit (code ``too_large``)."""


class AlgorithmNotAllowed(InvalidToken):
    """``none``, an unimplemented algorithm, or one outside the allowed list."""


class KeyNotFound(InvalidToken):
    """No usable key for the token's ``kid`` and algorithm."""


class InvalidSignature(InvalidToken):
    """The signature does not verify."""


class ExpiredToken(InvalidToken):
    """``exp`` has passed."""


class ImmatureToken(InvalidToken):
    """``nbf`` or ``iat`` lies in the future."""


class InvalidClaim(InvalidToken):
    """A claim check failed: issuer, audience, type, nonce, age, or a missing claim."""


class RevokedToken(InvalidToken):
    """The token verified, but its session was ended: a logout put it on the deny list
    (code ``revoked``)."""


class KeysUnavailable(Error):
    """The signing keys could not be fetched and none are cached."""


class HttpError(Error):
    """An identity provider endpoint failed (network, TLS, status, body).

    ``status`` is the HTTP status of the answer when there was one, else None.
    """

    status: int | None

    def __init__(self, code: str, message: str = "", status: int | None = None) -> None:
        super().__init__(code, message)
        self.status = status


class IdPError(Error):
    """The identity provider answered with an OAuth error.

    ``error`` is its OAuth error code (``"invalid_grant"``, ``"invalid_client"``, ...),
    ``error_description`` its description (None when it gave none) and ``status`` the HTTP
    status of the answer when known (None for an error sent back through the callback).
    """

    error: str | None
    error_description: str | None
    status: int | None

    def __init__(self, code: str, message: str = "", error: str | None = None,
                 error_description: str | None = None, status: int | None = None) -> None:
        super().__init__(code, message)
        self.error = error
        self.error_description = error_description
        self.status = status


class StoreUnavailable(Error):
    """The store could not be reached; nothing is assumed redeemed."""


class NotFound(Error):
    """State or exchange code unknown, expired or already used."""


class UnsafeRedirect(Error):
    """A redirect target that is not a safe relative path."""


class ConfigError(Error):
    """Invalid configuration or arguments; the message names the offending key."""


class InvalidArgument(ConfigError):
    """An argument of a call is unusable (code ``invalid_argument``); the message names it."""


class ArgumentTypeError(InvalidArgument, TypeError):
    """An argument of the wrong Python type. Also a TypeError, as Python code expects."""

    def __init__(self, message: str) -> None:
        super().__init__("invalid_argument", message)


class InternalError(Error):
    """A bug in oidcore: never expected."""


_CLASSES: dict[str, type[Error]] = {
    "malformed": MalformedToken,
    "too_large": TooLarge,
    "unsupported_alg": AlgorithmNotAllowed,
    "alg_not_allowed": AlgorithmNotAllowed,
    "key_not_found": KeyNotFound,
    "bad_signature": InvalidSignature,
    "expired": ExpiredToken,
    "not_yet_valid": ImmatureToken,
    "issued_in_future": ImmatureToken,
    "bad_issuer": InvalidClaim,
    "bad_audience": InvalidClaim,
    "bad_type": InvalidClaim,
    "bad_nonce": InvalidClaim,
    "too_old": InvalidClaim,
    "missing_claim": InvalidClaim,
    "jwks_unavailable": KeysUnavailable,
    "http_error": HttpError,
    "idp_error": IdPError,
    "store_unavailable": StoreUnavailable,
    "not_found": NotFound,
    "unsafe_redirect": UnsafeRedirect,
    "invalid_config": ConfigError,
    "invalid_argument": InvalidArgument,
    "internal": InternalError,
    "revoked": RevokedToken,
}


def error_for(code: str, message: str, detail: int = 0, idp_error: str = "",
              idp_error_description: str = "") -> Error:
    """The exception for a status code (the one place codes become classes)."""
    cls = _CLASSES.get(code, InternalError)
    status = detail if isinstance(detail, int) and 100 <= detail <= 599 else None
    if cls is IdPError:
        return IdPError(code, message, idp_error or None, idp_error_description or None, status)
    if cls is HttpError:
        return HttpError(code, message, status)
    return cls(code, message)


def error_class(code: str) -> type[Error]:
    """The class raised for a status code (InternalError for an unknown one)."""
    return _CLASSES.get(code, InternalError)
