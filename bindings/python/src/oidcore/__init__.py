"""oidcore: the relying-party side of OpenID Connect, natively.

The same verdicts and error codes as the C library and the Node binding.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from . import _native
from ._errors import (AlgorithmNotAllowed, ConfigError, Error, ExpiredToken, HttpError, IdPError,
                      ImmatureToken, InternalError, InvalidClaim, InvalidSignature, InvalidToken,
                      KeyNotFound, KeysUnavailable, MalformedToken, NotFound, StoreUnavailable,
                      UnsafeRedirect, error_for)
from ._stores import ExchangeCodes, MemoryStore, RedisStore, StateStore

__all__ = [
    "Verifier", "MemoryStore", "RedisStore", "ExchangeCodes", "StateStore", "Error", "InvalidToken", "MalformedToken", "AlgorithmNotAllowed", "KeyNotFound",
    "InvalidSignature", "ExpiredToken", "ImmatureToken", "InvalidClaim", "KeysUnavailable",
    "HttpError", "IdPError", "StoreUnavailable", "NotFound", "UnsafeRedirect", "ConfigError",
    "InternalError", "__version__", "CODES",
]

__version__: str = _native.version
CODES: tuple[str, ...] = tuple(c for c in _native.status_names if c not in ("ok", "needs_fetch"))


def _token_bytes(token: str | bytes | bytearray | memoryview) -> bytes:
    if isinstance(token, str):
        return token.encode("utf-8")
    if isinstance(token, (bytes, bytearray, memoryview)):
        return bytes(token)
    raise TypeError(f"token must be str or bytes, not {type(token).__name__}")


def _result(outcome: tuple[Any, ...]) -> dict[str, Any]:
    code = outcome[0]
    if code is not None:
        raise error_for(code, outcome[1])
    _, claims, principal, alg, kid = outcome
    return {
        "claims": json.loads(claims),
        "principal": None if principal is None else json.loads(principal),
        "header": {"alg": alg, "kid": kid or None},
    }


class Verifier:
    """Verifies JWTs for one issuer and audience. Immutable and thread-safe: share one.

    Keyword arguments are the core's configuration keys (see the README): ``issuer``,
    ``audience``, one of ``jwks`` / ``jwks_file`` / ``jwks_uri`` / ``discovery``,
    ``algorithms``, ``clock_tolerance``, ``required_claims``, ``typ``, ``max_token_bytes``,
    ``max_age``, ``azp``, ``now``, ``principal``, ``internal_url``, ``ca_file``, ...
    Unknown keys raise ConfigError naming the key.
    """

    def __init__(self, **options: Any) -> None:
        self._native = _native.NativeVerifier(json.dumps(options))
        err = self._native.creation_error()
        if err is not None:
            raise error_for(err[0], err[1])

    def verify(self, token: str | bytes) -> dict[str, Any]:
        """Verifies a token; returns {"claims", "principal", "header"} or raises.

        The GIL is released while verifying (and while fetching keys when needed).
        """
        return _result(self._native.verify(_token_bytes(token), True))

    async def verify_async(self, token: str | bytes) -> dict[str, Any]:
        """Like verify(), but a key fetch runs in the default executor, never on the loop."""
        data = _token_bytes(token)
        outcome = self._native.verify(data, False)
        if outcome[0] == "needs_fetch":
            loop = asyncio.get_running_loop()
            outcome = await loop.run_in_executor(None, self._native.verify, data, True)
        return _result(outcome)

    def refresh(self) -> None:
        """Fetches remote keys now (discovery first when configured)."""
        err = self._native.refresh()
        if err is not None:
            raise error_for(err[0], err[1])

    def stats(self) -> dict[str, Any]:
        """Verifications by outcome and, for remote keys, the key cache."""
        stats: dict[str, Any] = json.loads(self._native.stats())
        return stats
