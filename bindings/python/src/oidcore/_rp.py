"""The relying party: the authorization-code flow with PKCE against one OpenID Provider."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
import urllib.parse
import warnings as _warnings
from collections.abc import Mapping, Sequence
from typing import Any, Union

from . import _native
from ._errors import ArgumentTypeError, Error, error_for
from ._stores import MemoryStore, Store, binding_bytes, binding_text, native_store, ttl_seconds
from ._util import Headers, Text, dumps, fail, options, string_list, to_bytes, to_text, unwrap, unwrap_dict, \
    verified
from ._web import request_inputs as _request_inputs

Callback = Union[Text, Mapping[str, str]]


def _callback_bytes(callback: object) -> bytes:
    """The callback URL, its query string, or its query parameters (a mapping)."""
    if isinstance(callback, Mapping):
        multi = getattr(callback, "multi_items", None)  # Starlette's QueryParams keeps repeats
        pairs = multi() if callable(multi) else list(callback.items())
        for name, value in pairs:
            if not isinstance(name, str) or not isinstance(value, str):
                raise ArgumentTypeError("callback parameters must be str")
        return ("?" + urllib.parse.urlencode(pairs)).encode("utf-8", "surrogatepass")
    return to_bytes(callback, "callback")


class OidcoreWarning(UserWarning):
    """A configuration that will likely not do what the application expects.

    ``.code`` is stable: "no_offline_access" when the scopes lack "offline_access" (so
    providers such as Authentik issue no refresh token) and ``refresh_tokens`` is not False.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclasses.dataclass(frozen=True)
class ConfigWarning:
    """One warning about a relying party's configuration: a stable ``code`` and a ``message``."""

    code: str
    message: str


@dataclasses.dataclass(frozen=True)
class LoginStart:
    """What begin_login() hands out. Also readable as a mapping (``start["url"]``)."""

    url: str
    state: str
    binding: str | None
    expires_in: int

    def __getitem__(self, key: str) -> Any:
        if key not in ("url", "state", "binding", "expires_in"):
            raise KeyError(key)
        return getattr(self, key)


@dataclasses.dataclass(frozen=True)
class LogoutResult:
    """What RelyingParty.logout() did.

    ``logout_url``: the end-session URL to send the browser to (None when the provider has
    none). ``revoked``: the provider accepted the revocation of the refresh token.
    ``denied``: the session is on the deny list (now or already). ``revoke_error`` and
    ``deny_error``: why a step that had something to do did not happen (an oidcore.Error,
    e.g. HttpError when the provider is down, InvalidSignature for a forged access token,
    StoreUnavailable), else None.
    """

    logout_url: str | None
    revoked: bool
    denied: bool
    revoke_error: Error | None
    deny_error: Error | None


def _logout_error(e: Any) -> Error | None:
    if e is None:
        return None
    return error_for(str(e["code"]), str(e["message"]), 0, str(e.get("idp_error", "")),
                     str(e.get("idp_error_description", "")))


class RelyingParty:
    """OpenID Connect login for one client of one provider (found by discovery from ``issuer``).

    Keyword arguments are the core's configuration keys: required ``issuer``,
    ``client_id``, ``client_secret``, ``redirect_uri``; optional ``scopes`` (a list or a
    space-separated str; must include "openid"), ``token_endpoint_auth_method``
    ("client_secret_post" | "client_secret_basic"), ``basic_auth_encoding`` ("form" | "raw"),
    ``hs256_client_secret``, ``internal_url``, ``validate_access_token``,
    ``access_token_audience``, ``post_logout_redirect_uri``, ``state_ttl``,
    ``exchange_code_ttl``, ``discovery_ttl``, ``authorization_params``, ``deny_list``
    (default False: see logout()), ``refresh_tokens``
    (default True: the application refreshes, and scopes without "offline_access" give an
    OidcoreWarning, see ``warnings``) and the verifier's
    keys (``algorithms``, ``clock_tolerance``, ``principal``, ``max_age``, ``http_timeout``,
    ``connect_timeout``, ``ca_file``, ...). Durations are seconds (a timedelta works too);
    a key given as None is left out. An unknown key or a bad value raises ConfigError
    naming the key. Nothing is fetched here: the first call that needs the provider fetches
    its discovery document.

    ``store`` keeps login states and exchange codes (default: a new MemoryStore, for one
    process; use a RedisStore for several). Thread-safe: share one. Every call releases the
    GIL; the ``*_async`` faces run in a worker thread so the event loop never waits on the
    provider (a cancelled call still finishes in its thread, within the HTTP timeouts).
    """

    def __init__(self, *, issuer: str, client_id: str, client_secret: str, redirect_uri: str,
                 store: Store | None = None, **options: Any) -> None:
        self._store = store if store is not None else MemoryStore()
        config = {"issuer": issuer, "client_id": client_id, "client_secret": client_secret,
                  "redirect_uri": redirect_uri, **options}
        config = {k: v for k, v in config.items() if v is not None}
        self._native = _native.NativeRp(dumps(config, "configuration"), native_store(self._store))
        err = self._native.creation_error()
        if err is not None:
            raise fail(err)
        self._warnings = tuple(ConfigWarning(code=str(w["code"]), message=str(w["message"]))
                               for w in json.loads(unwrap(self._native.warnings())))
        for w in self._warnings:
            _warnings.warn(OidcoreWarning(f"oidcore: {w.message}", w.code), stacklevel=2)

    @property
    def warnings(self) -> tuple[ConfigWarning, ...]:
        """What the configuration was warned about at creation (each also sent to
        warnings.warn as an OidcoreWarning), e.g. code "no_offline_access"."""
        return self._warnings

    @property
    def store(self) -> Store:
        """The store of this relying party's login states and exchange codes."""
        return self._store

    # -- the login ----------------------------------------------------------------------

    def begin_login(self, redirect_after: str | None = None, extra: Any = None, binding: Text | None = None,
                    scopes: str | Sequence[str] | None = None,
                    params: Mapping[str, str] | None = None) -> LoginStart:
        """Starts a login: a LoginStart with ``.url`` (send the browser there), ``.state``,
        ``.binding`` and ``.expires_in``.

        ``.binding`` ties the login to this browser: keep it in a short-lived HttpOnly cookie
        (SameSite=Lax) and give it back to complete_login(binding=...), which refuses the
        callback without it (None only with ``browser_binding=False``). ``binding`` here uses
        a value of yours instead of a fresh random one. ``redirect_after`` (where to go
        afterwards) must be a safe relative path, else UnsafeRedirect; ``extra`` (anything
        JSON holds) comes back from complete_login(); ``scopes`` replace the configured ones;
        ``params`` are extra authorization parameters ("prompt", ...).
        """
        opts = options(redirect_after=redirect_after, extra=extra, binding=binding_text(binding),
                       scopes=scopes if scopes is None or isinstance(scopes, str) else string_list(scopes, "scopes"),
                       params=None if params is None else dict(params))
        d = unwrap_dict(self._native.begin_login(opts))
        return LoginStart(url=d["url"], state=d["state"], binding=d["binding"], expires_in=d["expires_in"])

    def complete_login(self, callback: Callback, *, binding: Text | None = None, exchange_code: bool = False,
                       exchange_code_ttl: int | datetime.timedelta | None = None,
                       exchange_code_binding: Text | None = None) -> dict[str, Any]:
        """Completes a login from the callback (its URL, query string or query parameters).

        Consumes the state (unknown, expired, replayed or wrongly bound: NotFound), raises
        IdPError for an error from the provider, exchanges the code and verifies the ID token
        (and a JWT access token). Returns {"access_token", "token_type", "id_token",
        "refresh_token", "expires_in", "expires_at", "refresh_expires_in", "scope", "claims",
        "access_claims", "principal", "redirect_after", "extra"}; with ``exchange_code=True``,
        {"exchange_code", "claims", "principal", "redirect_after", "extra"} and the tokens
        wait in the store for redeem_exchange_code().
        """
        if not isinstance(exchange_code, bool):
            raise ArgumentTypeError(f"exchange_code must be a bool, not {type(exchange_code).__name__}")
        opts = options(binding=binding_text(binding), exchange_code=exchange_code or None,
                       exchange_code_ttl=ttl_seconds(exchange_code_ttl, "exchange_code_ttl"),
                       exchange_code_binding=binding_text(exchange_code_binding))
        return unwrap_dict(self._native.complete_login(_callback_bytes(callback), opts))

    def redeem_exchange_code(self, code: Text, *, binding: Text | None = None) -> dict[str, Any]:
        """The token set of an exchange code made by complete_login(), exactly once.

        Unknown, expired, already redeemed or wrongly bound: NotFound.
        """
        store = native_store(self._store)
        return unwrap_dict(store.code_redeem(to_bytes(code, "code"), binding_bytes(binding)))

    # -- tokens -------------------------------------------------------------------------

    def refresh(self, refresh_token: Text | None) -> dict[str, Any]:
        """The refresh grant: a new token set ("refresh_token" is the rotated one).

        Concurrent calls with one refresh token make one request and share its outcome. A
        refused token raises IdPError (``.error == "invalid_grant"``). None or an empty token
        (the login gave none: no "offline_access" scope) raises InvalidArgument saying so.
        """
        token = b"" if refresh_token is None else to_bytes(refresh_token, "refresh_token")
        return unwrap_dict(self._native.refresh(token))

    def userinfo(self, access_token: Text) -> dict[str, Any]:
        """The userinfo endpoint's claims for an access token."""
        return unwrap_dict(self._native.userinfo(to_bytes(access_token, "access_token")))

    def revoke(self, token: Text, token_type_hint: str | None = None) -> None:
        """Revokes a token (RFC 7009); ``token_type_hint``: "access_token" or "refresh_token"."""
        hint = None if token_type_hint is None else to_bytes(token_type_hint, "token_type_hint")
        unwrap(self._native.revoke(to_bytes(token, "token"), hint))

    def logout_url(self, id_token_hint: str | None = None, post_logout_redirect_uri: str | None = None,
                   state: str | None = None) -> str:
        """The RP-initiated logout URL (the provider's end_session_endpoint)."""
        opts = options(id_token_hint=id_token_hint, post_logout_redirect_uri=post_logout_redirect_uri, state=state)
        return to_text(unwrap(self._native.logout_url(opts)))

    def logout(self, *, access_token: Text | None = None, refresh_token: Text | None = None,
               id_token_hint: str | None = None, post_logout_redirect_uri: str | None = None,
               state: str | None = None) -> LogoutResult:
        """Ends a session, whatever state its tokens are in (missing, expired or junk is fine).

        Builds the end-session URL (client_id, id_token_hint, post_logout_redirect_uri,
        state); with ``deny_list=True`` puts the session of a still-valid access token on the
        deny list in the store, so every relying party or Verifier consulting it refuses the
        token at once (RevokedToken); revokes the refresh token when the provider can. Those
        two steps never raise: their outcome is in the LogoutResult. Raises only when nothing
        could be done (a bad option, the provider unreachable). Clear the session's cookies
        whatever happens. The GIL is released.
        """
        opts = options(access_token=None if access_token is None else to_text(to_bytes(access_token, "access_token")),
                       refresh_token=None if refresh_token is None
                       else to_text(to_bytes(refresh_token, "refresh_token")),
                       id_token_hint=id_token_hint, post_logout_redirect_uri=post_logout_redirect_uri, state=state)
        d = unwrap_dict(self._native.logout(opts))
        return LogoutResult(logout_url=d["logout_url"], revoked=bool(d["revoked"]), denied=bool(d["denied"]),
                            revoke_error=_logout_error(d["revoke_error"]), deny_error=_logout_error(d["deny_error"]))

    def verify_access_token(self, token: Text) -> dict[str, Any]:
        """Verifies an API request's access token against the provider's keys, issuer and
        ``access_token_audience``: {"claims", "principal", "header"}, or raises."""
        return verified(self._native.verify_access_token(to_bytes(token, "token")))

    def verify_request(self, headers: Headers, *, cookie_name: str | None = None,
                       order: Sequence[str] | None = None,
                       cookie_secrets: str | Sequence[str] | None = None) -> dict[str, Any]:
        """Verifies the request's access token as Verifier.verify_request() does (every
        source that holds a token, in order, until one verifies; else the most specific
        failure), with the provider's keys, issuer and ``access_token_audience``.

        verify_access_token()'s result with "source" ("cookie" | "bearer"); a request without
        a token raises NotFound.
        """
        cookie, authorization, _, opts = _request_inputs(headers, cookie_name, order, cookie_secrets)
        return verified(self._native.verify_request(cookie, authorization, opts))

    # -- asyncio faces ------------------------------------------------------------------

    async def begin_login_async(self, redirect_after: str | None = None, extra: Any = None,
                                binding: Text | None = None, scopes: str | Sequence[str] | None = None,
                                params: Mapping[str, str] | None = None) -> LoginStart:
        """begin_login() in a worker thread (the first call fetches discovery)."""
        return await asyncio.to_thread(self.begin_login, redirect_after, extra, binding, scopes, params)

    async def complete_login_async(self, callback: Callback, *, binding: Text | None = None,
                                   exchange_code: bool = False,
                                   exchange_code_ttl: int | datetime.timedelta | None = None,
                                   exchange_code_binding: Text | None = None) -> dict[str, Any]:
        """complete_login() in a worker thread."""
        return await asyncio.to_thread(self.complete_login, callback, binding=binding, exchange_code=exchange_code,
                                       exchange_code_ttl=exchange_code_ttl,
                                       exchange_code_binding=exchange_code_binding)

    async def redeem_exchange_code_async(self, code: Text, *, binding: Text | None = None) -> dict[str, Any]:
        """redeem_exchange_code() in a worker thread."""
        return await asyncio.to_thread(self.redeem_exchange_code, code, binding=binding)

    async def refresh_async(self, refresh_token: Text | None) -> dict[str, Any]:
        """refresh() in a worker thread."""
        return await asyncio.to_thread(self.refresh, refresh_token)

    async def userinfo_async(self, access_token: Text) -> dict[str, Any]:
        """userinfo() in a worker thread."""
        return await asyncio.to_thread(self.userinfo, access_token)

    async def revoke_async(self, token: Text, token_type_hint: str | None = None) -> None:
        """revoke() in a worker thread."""
        await asyncio.to_thread(self.revoke, token, token_type_hint)

    async def logout_url_async(self, id_token_hint: str | None = None, post_logout_redirect_uri: str | None = None,
                               state: str | None = None) -> str:
        """logout_url() in a worker thread (it may fetch discovery)."""
        return await asyncio.to_thread(self.logout_url, id_token_hint, post_logout_redirect_uri, state)

    async def logout_async(self, *, access_token: Text | None = None, refresh_token: Text | None = None,
                           id_token_hint: str | None = None, post_logout_redirect_uri: str | None = None,
                           state: str | None = None) -> LogoutResult:
        """logout() in a worker thread."""
        return await asyncio.to_thread(lambda: self.logout(
            access_token=access_token, refresh_token=refresh_token, id_token_hint=id_token_hint,
            post_logout_redirect_uri=post_logout_redirect_uri, state=state))

    async def verify_access_token_async(self, token: Text) -> dict[str, Any]:
        """verify_access_token() in a worker thread (the first call fetches the keys)."""
        return await asyncio.to_thread(self.verify_access_token, token)

    async def verify_request_async(self, headers: Headers, *, cookie_name: str | None = None,
                                   order: Sequence[str] | None = None,
                                   cookie_secrets: str | Sequence[str] | None = None) -> dict[str, Any]:
        """verify_request() that never blocks the event loop: answered from the calling thread
        when the provider's metadata and keys are in memory; else in a worker thread."""
        cookie, authorization, cached, opts = _request_inputs(headers, cookie_name, order, cookie_secrets)
        outcome = self._native.verify_request(cookie, authorization, cached)
        if outcome[0] == "needs_fetch":
            outcome = await asyncio.to_thread(self._native.verify_request, cookie, authorization, opts)
        return verified(outcome)
