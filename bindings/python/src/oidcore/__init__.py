"""oidcore: the relying-party side of OpenID Connect, natively.

The same verdicts and error codes as the C library and the Node binding: token
verification (Verifier), the login flow (RelyingParty), one-time exchange codes and login
state over a memory or Redis store, and the web helpers (oidcore.cookies, safe_redirect,
extract_token, principal_from_claims). The GIL is released inside every native call, and
every call that may wait on the network or a store has an ``*_async`` face that runs it in
a worker thread.
"""

from __future__ import annotations

from . import _native, cookies
from ._errors import (AlgorithmNotAllowed, ArgumentTypeError, ConfigError, Error, ExpiredToken, HttpError, IdPError,
                      ImmatureToken, InternalError, InvalidArgument, InvalidClaim, InvalidSignature, InvalidToken,
                      KeyNotFound, KeysUnavailable, MalformedToken, NotFound, RevokedToken, StoreUnavailable,
                      TooLarge, UnsafeRedirect, error_class, error_for)
from ._rp import ConfigWarning, LoginStart, LogoutResult, OidcoreWarning, RelyingParty
from ._stores import ExchangeCodes, MemoryStore, RedisStore, StateStore
from ._verifier import Verifier
from ._web import extract_token, principal_from_claims, safe_redirect

__all__ = [
    "Verifier", "RelyingParty", "LoginStart", "LogoutResult", "ConfigWarning", "OidcoreWarning", "MemoryStore", "RedisStore", "ExchangeCodes", "StateStore",
    "cookies", "safe_redirect", "extract_token", "principal_from_claims",
    "Error", "InvalidToken", "MalformedToken", "TooLarge", "AlgorithmNotAllowed", "KeyNotFound",
    "InvalidSignature", "ExpiredToken", "ImmatureToken", "InvalidClaim", "RevokedToken", "KeysUnavailable",
    "HttpError", "IdPError", "StoreUnavailable", "NotFound", "UnsafeRedirect", "ConfigError",
    "InvalidArgument", "ArgumentTypeError", "InternalError", "error_class",
    "__version__", "CODES", "crypto_version",
]

__version__: str = _native.version
#: The OpenSSL the library runs on, as OpenSSL_version() reports it.
crypto_version: str = _native.crypto_version
#: Every failure code, in the C ABI's order.
CODES: tuple[str, ...] = tuple(c for c in _native.status_names if c not in ("ok", "needs_fetch"))
