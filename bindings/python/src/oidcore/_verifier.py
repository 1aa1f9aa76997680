"""Token verification: one issuer, its audiences, its keys and its policy."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from . import _native
from ._util import Headers, Text, dumps, fail, to_bytes, unwrap_dict, verified
from ._web import require_token as _require_token


class Verifier:
    """Verifies JWTs for one issuer and audience. Immutable and thread-safe: share one.

    Keyword arguments are the core's configuration keys (see the README): ``issuer``,
    ``audience``, one of ``jwks`` / ``jwks_file`` / ``jwks_uri`` / ``discovery``,
    ``algorithms``, ``clock_tolerance``, ``required_claims``, ``typ``, ``max_token_bytes``,
    ``max_age``, ``azp``, ``now``, ``principal``, ``internal_url``, ``ca_file``, ...
    A key given as None is left out (the core's default). Unknown keys raise ConfigError
    naming the key.
    """

    def __init__(self, **options: Any) -> None:
        config = {k: v for k, v in options.items() if v is not None}
        self._native = _native.NativeVerifier(dumps(config, "configuration"))
        err = self._native.creation_error()
        if err is not None:
            raise fail(err)

    def verify(self, token: Text, *, nonce: Text | None = None) -> dict[str, Any]:
        """Verifies a token; returns {"claims", "principal", "header"} or raises.

        With ``nonce`` the token's ``nonce`` claim must equal it (else InvalidClaim
        ``bad_nonce``): for ID tokens. The GIL is released while verifying (and while
        fetching keys when needed).
        """
        data = to_bytes(token, "token")
        if nonce is not None:
            return verified(self._native.verify_nonce(data, to_bytes(nonce, "nonce")))
        return verified(self._native.verify(data, True))

    async def verify_async(self, token: Text, *, nonce: Text | None = None) -> dict[str, Any]:
        """Like verify(), but a key fetch runs in a worker thread, never on the event loop.

        With cached keys the answer comes at once from the calling thread.
        """
        data = to_bytes(token, "token")
        if nonce is not None:
            nonce_data = to_bytes(nonce, "nonce")
            return verified(await asyncio.to_thread(self._native.verify_nonce, data, nonce_data))
        outcome = self._native.verify(data, False)
        if outcome[0] == "needs_fetch":
            outcome = await asyncio.to_thread(self._native.verify, data, True)
        return verified(outcome)

    def verify_request(self, headers: Headers, *, cookie_name: str | None = None,
                       order: Sequence[str] | None = None,
                       cookie_secrets: str | Sequence[str] | None = None) -> dict[str, Any]:
        """Finds the request's token (extract_token()) and verifies it.

        Returns verify()'s result with ``"source"`` ("cookie" or "bearer") added. A request
        without a token raises NotFound (code ``not_found``); a bad token raises as verify().
        """
        token, source = _require_token(headers, cookie_name, order, cookie_secrets)
        result = self.verify(token)
        result["source"] = source
        return result

    async def verify_request_async(self, headers: Headers, *, cookie_name: str | None = None,
                                   order: Sequence[str] | None = None,
                                   cookie_secrets: str | Sequence[str] | None = None) -> dict[str, Any]:
        """verify_request() that never blocks the event loop on the network."""
        token, source = _require_token(headers, cookie_name, order, cookie_secrets)
        result = await self.verify_async(token)
        result["source"] = source
        return result

    def refresh(self) -> None:
        """Fetches remote keys now (discovery first when configured)."""
        err = self._native.refresh()
        if err is not None:
            raise fail(err)

    async def refresh_async(self) -> None:
        """refresh() in a worker thread."""
        await asyncio.to_thread(self.refresh)

    def stats(self) -> dict[str, Any]:
        """Verifications by outcome and, for remote keys, the key cache."""
        return unwrap_dict(self._native.stats())

