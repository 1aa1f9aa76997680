"""Stores, login state and one-time exchange codes (the same guarantees as in C and Node)."""

from __future__ import annotations

import asyncio
import datetime
import json
from typing import Any, Union

from . import _native
from ._errors import ArgumentTypeError, InvalidArgument
from ._util import Text, dumps, fail, options, seconds, to_bytes, unwrap, unwrap_dict


def binding_bytes(binding: Text | None) -> bytes | None:
    """A browser binding as the C ABI takes it (None: no binding). An empty one is refused."""
    if binding is None:
        return None
    data = to_bytes(binding, "binding")
    if not data:
        raise InvalidArgument("invalid_argument", "binding must be a non-empty string")
    return data


def binding_text(binding: Text | None) -> str | None:
    """A browser binding for a JSON options object (where it travels as text)."""
    data = binding_bytes(binding)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgument("invalid_argument", "binding must be valid UTF-8") from None


def ttl_seconds(ttl: int | datetime.timedelta | None, what: str = "ttl") -> int | None:
    return None if ttl is None else seconds(ttl, what)


class _Store:
    _native: _native.NativeStore

    def __init__(self, config: dict[str, Any]) -> None:
        self._native = _native.NativeStore(dumps({k: v for k, v in config.items() if v is not None}, "store"))
        err = self._native.creation_error()
        if err is not None:
            raise fail(err)


class MemoryStore(_Store):
    """The embedded store: this process only. Bounded by ``max_entries`` (default 100000)."""

    def __init__(self, *, max_entries: int | None = None, key_prefix: str | None = None) -> None:
        super().__init__({"type": "memory", "max_entries": max_entries, "key_prefix": key_prefix})


class RedisStore(_Store):
    """Redis, shared by several processes or machines. Connects on first use."""

    def __init__(self, *, url: str, key_prefix: str | None = None, pool_size: int | None = None,
                 connect_timeout: float | datetime.timedelta | None = None,
                 command_timeout: float | datetime.timedelta | None = None) -> None:
        super().__init__({"type": "redis", "url": url, "key_prefix": key_prefix, "pool_size": pool_size,
                          "connect_timeout": connect_timeout, "command_timeout": command_timeout})


Store = Union[MemoryStore, RedisStore]


def native_store(store: object) -> _native.NativeStore:
    if not isinstance(store, _Store):
        raise ArgumentTypeError(f"store must be a MemoryStore or a RedisStore, not {type(store).__name__}")
    return store._native


class ExchangeCodes:
    """One-time codes carrying a JSON payload (tokens) from the backend to the frontend.

    Every call releases the GIL; the ``*_async`` faces run it in a worker thread, so the
    event loop never waits on Redis.
    """

    def __init__(self, *, store: Store, ttl: int | datetime.timedelta | None = None) -> None:
        self._store_obj = store
        self._store = native_store(store)
        self._ttl = ttl_seconds(ttl)

    def create(self, payload: Any, *, binding: Text | None = None,
               ttl: int | datetime.timedelta | None = None) -> str:
        """Stores ``payload`` (anything JSON can hold) and returns its code (43 URL-safe characters)."""
        text = dumps(payload, "payload")
        opts = options(ttl=ttl_seconds(ttl) if ttl is not None else self._ttl, binding=binding_text(binding))
        return unwrap(self._store.code_create(text, opts)).decode()

    def redeem(self, code: Text, *, binding: Text | None = None) -> Any:
        """The payload, exactly once; raises NotFound when unknown, expired, used or wrongly bound."""
        return json.loads(unwrap(self._store.code_redeem(to_bytes(code, "code"), binding_bytes(binding))))

    async def create_async(self, payload: Any, *, binding: Text | None = None,
                           ttl: int | datetime.timedelta | None = None) -> str:
        """create() in a worker thread."""
        return await asyncio.to_thread(self.create, payload, binding=binding, ttl=ttl)

    async def redeem_async(self, code: Text, *, binding: Text | None = None) -> Any:
        """redeem() in a worker thread."""
        return await asyncio.to_thread(self.redeem, code, binding=binding)


class StateStore:
    """Login state (CSRF ``state``, ``nonce``, PKCE verifier), consumed exactly once."""

    def __init__(self, *, store: Store, ttl: int | datetime.timedelta | None = None) -> None:
        self._store_obj = store
        self._store = native_store(store)
        self._ttl = ttl_seconds(ttl)

    def create(self, *, redirect_after: str | None = None, extra: Any = None, binding: Text | None = None,
               ttl: int | datetime.timedelta | None = None) -> dict[str, Any]:
        """Returns {"state", "nonce", "code_verifier", "code_challenge", "code_challenge_method"}."""
        opts = options(redirect_after=redirect_after, extra=extra,
                       ttl=ttl_seconds(ttl) if ttl is not None else self._ttl, binding=binding_text(binding))
        return unwrap_dict(self._store.state_create(opts))

    def consume(self, state: Text, *, binding: Text | None = None) -> dict[str, Any]:
        """Returns {"redirect_after", "extra", "nonce", "code_verifier", "created_at"} once."""
        return unwrap_dict(self._store.state_consume(to_bytes(state, "state"), binding_bytes(binding)))

    async def create_async(self, *, redirect_after: str | None = None, extra: Any = None,
                           binding: Text | None = None,
                           ttl: int | datetime.timedelta | None = None) -> dict[str, Any]:
        """create() in a worker thread."""
        return await asyncio.to_thread(self.create, redirect_after=redirect_after, extra=extra, binding=binding,
                                       ttl=ttl)

    async def consume_async(self, state: Text, *, binding: Text | None = None) -> dict[str, Any]:
        """consume() in a worker thread."""
        return await asyncio.to_thread(self.consume, state, binding=binding)
