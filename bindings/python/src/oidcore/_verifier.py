"""Token verification: one issuer, its audiences, its keys and its policy."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from . import _native
from ._stores import Store, native_store
from ._util import Headers, Text, dumps, fail, to_bytes, unwrap_dict, verified
from ._web import request_inputs as _request_inputs


class Verifier:
    """Verifies JWTs for one issuer and audience. Immutable and thread-safe: share one.

    Keyword arguments are the core's configuration keys (see the README): ``issuer``,
    ``audience``, one of ``jwks`` / ``jwks_file`` / ``jwks_uri`` / ``discovery``,
    ``algorithms``, ``clock_tolerance``, ``required_claims``, ``typ``, ``max_token_bytes``,
    ``max_age``, ``azp``, ``now``, ``principal``, ``internal_url``, ``ca_file``, ...
    A key given as None is left out (the core's default). Unknown keys raise ConfigError
    naming the key.

    ``deny_list=True`` with ``store`` (a MemoryStore or RedisStore shared with the relying
    parties that log users out): a token whose session was logged out (RelyingParty.logout,
    deny()) raises RevokedToken (``revoked``), at the cost of one store lookup per
    verification made after every other check; a store that fails raises StoreUnavailable
    (the token is not accepted). One without the other is a ConfigError.
    """

    def __init__(self, *, store: Store | None = None, **options: Any) -> None:
        config = {k: v for k, v in options.items() if v is not None}
        text = dumps(config, "configuration")
        if store is not None:
            self._store: Store | None = store
            self._native = _native.NativeVerifier(text, native_store(store))
        else:
            self._store = None
            self._native = _native.NativeVerifier(text)
        err = self._native.creation_error()
        if err is not None:
            raise fail(err)

    def deny(self, token: Text) -> bool:
        """Ends the session of ``token`` on the deny list (a verifier with ``deny_list`` and
        ``store``): the token is verified first (a forged one ends nothing: its error is
        raised), then its session (``sid``, else ``jti``, else the token) is listed until its
        exp. True when listed (now or already), False for an expired token (nothing left to
        refuse). The GIL is released."""
        outcome = self._native.deny(to_bytes(token, "token"))
        if outcome[0] is not None:
            raise fail(outcome)
        return bool(outcome[1])

    async def deny_async(self, token: Text) -> bool:
        """deny() in a worker thread."""
        return await asyncio.to_thread(self.deny, token)

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
        """Verifies the request's access token: verify()'s result plus ``"source"``
        ("cookie" or "bearer").

        Every source of the request that holds a token (the cookie ``cookie_name``, default
        "access_token", and ``Authorization: Bearer``, in ``order``, the cookie first by
        default) is tried until one verifies, so a stale or junk cookie never hides a good
        bearer token. When none verifies, the most specific failure is raised: keys that
        cannot be fetched, then a rejected token (ExpiredToken, InvalidSignature, ...), then a
        value that is not a token (MalformedToken), then NotFound (``not_found``); between
        equals, the first source in order. With ``cookie_secrets`` a cookie that is not
        signed with one of them counts as absent. The GIL is released while verifying.
        """
        cookie, authorization, _, opts = _request_inputs(headers, cookie_name, order, cookie_secrets)
        return verified(self._native.verify_request(cookie, authorization, opts))

    async def verify_request_async(self, headers: Headers, *, cookie_name: str | None = None,
                                   order: Sequence[str] | None = None,
                                   cookie_secrets: str | Sequence[str] | None = None) -> dict[str, Any]:
        """verify_request() that never blocks the event loop on the network: answered from
        the calling thread with cached keys; only a key fetch runs in a worker thread."""
        cookie, authorization, cached, opts = _request_inputs(headers, cookie_name, order, cookie_secrets)
        outcome = self._native.verify_request(cookie, authorization, cached)
        if outcome[0] == "needs_fetch":
            outcome = await asyncio.to_thread(self._native.verify_request, cookie, authorization, opts)
        return verified(outcome)

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

