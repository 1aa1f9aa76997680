"""Exceptions: one base class with the stable ``code``, one subclass per family."""

from __future__ import annotations


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


class InvalidToken(Error):
    """The token was rejected (framing, algorithm, key, signature or claims)."""


class MalformedToken(InvalidToken):
    """Not a well-formed compact JWS/JWT (or over its size limit)."""


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


class KeysUnavailable(Error):
    """The signing keys could not be fetched and none are cached."""


class HttpError(Error):
    """An identity provider endpoint failed (network, TLS, status, body)."""


class IdPError(Error):
    """The identity provider answered with an OAuth error."""

    error: str | None
    error_description: str | None

    def __init__(self, code: str, message: str = "", error: str | None = None,
                 error_description: str | None = None) -> None:
        super().__init__(code, message)
        self.error = error
        self.error_description = error_description


class StoreUnavailable(Error):
    """The store could not be reached; nothing is assumed redeemed."""


class NotFound(Error):
    """State or exchange code unknown, expired or already used."""


class UnsafeRedirect(Error):
    """A redirect target that is not a safe relative path."""


class ConfigError(Error):
    """Invalid configuration or arguments; the message names the offending key."""


class InternalError(Error):
    """A bug in oidcore: never expected."""


_CLASSES: dict[str, type[Error]] = {
    "malformed": MalformedToken,
    "too_large": MalformedToken,
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
    "invalid_argument": ConfigError,
    "internal": InternalError,
}


def error_for(code: str, message: str) -> Error:
    """The exception for a status code (the one place codes become classes)."""
    return _CLASSES.get(code, InternalError)(code, message)
