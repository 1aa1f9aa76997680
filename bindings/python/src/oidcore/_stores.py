"""Stores, login state and one-time exchange codes (the same guarantees as in C and Node)."""

from __future__ import annotations

import json
from typing import Any

from . import _native
from ._errors import ConfigError, error_for


def _unwrap(outcome: tuple[Any, ...]) -> bytes:
    if outcome[0] is not None:
        raise error_for(outcome[0], outcome[1])
    value: bytes = outcome[1]
    return value


def _options(**values: Any) -> str:
    present = {k: v for k, v in values.items() if v is not None}
    return json.dumps(present) if present else ""


def _binding(binding: str | None) -> str:
    if binding is None:
        return ""
    if not isinstance(binding, str) or not binding:
        raise ConfigError("invalid_argument", "binding must be a non-empty string")
    return binding


def _text(value: str, what: str) -> str:
    if not isinstance(value, str):
        raise ConfigError("invalid_argument", f"{what} must be a string")
    return value


class _Store:
    _native: _native.NativeStore

    def __init__(self, config: dict[str, Any]) -> None:
        self._native = _native.NativeStore(json.dumps(config))
        err = self._native.creation_error()
        if err is not None:
            raise error_for(err[0], err[1])


class MemoryStore(_Store):
    """The embedded store: this process only. Bounded by ``max_entries`` (default 100000)."""

    def __init__(self, *, max_entries: int | None = None, key_prefix: str | None = None) -> None:
        super().__init__({k: v for k, v in {"type": "memory", "max_entries": max_entries,
                                            "key_prefix": key_prefix}.items() if v is not None})


class RedisStore(_Store):
    """Redis, shared by several processes or machines."""

    def __init__(self, *, url: str, key_prefix: str | None = None, pool_size: int | None = None,
                 connect_timeout: float | None = None, command_timeout: float | None = None) -> None:
        super().__init__({k: v for k, v in {"type": "redis", "url": url, "key_prefix": key_prefix,
                                            "pool_size": pool_size, "connect_timeout": connect_timeout,
                                            "command_timeout": command_timeout}.items() if v is not None})


class ExchangeCodes:
    """One-time codes carrying a JSON payload (tokens) from the backend to the frontend."""

    def __init__(self, *, store: MemoryStore | RedisStore, ttl: int | None = None) -> None:
        if not isinstance(store, _Store):
            raise ConfigError("invalid_argument", "store must be a MemoryStore or a RedisStore")
        self._store = store._native
        self._ttl = ttl

    def create(self, payload: Any, *, binding: str | None = None, ttl: int | None = None) -> str:
        """Returns the code (43 URL-safe characters)."""
        text = json.dumps(payload)
        opts = _options(ttl=ttl if ttl is not None else self._ttl,
                        binding=None if binding is None else _binding(binding))
        return _unwrap(self._store.code_create(text, opts)).decode()

    def redeem(self, code: str, *, binding: str | None = None) -> Any:
        """The payload, exactly once; raises NotFound when unknown, expired, used or wrongly bound."""
        return json.loads(_unwrap(self._store.code_redeem(_text(code, "code"), _binding(binding))))


class StateStore:
    """Login state (CSRF ``state``, ``nonce``, PKCE verifier), consumed exactly once."""

    def __init__(self, *, store: MemoryStore | RedisStore, ttl: int | None = None) -> None:
        if not isinstance(store, _Store):
            raise ConfigError("invalid_argument", "store must be a MemoryStore or a RedisStore")
        self._store = store._native
        self._ttl = ttl

    def create(self, *, redirect_after: str | None = None, extra: Any = None, binding: str | None = None,
               ttl: int | None = None) -> dict[str, Any]:
        """Returns {"state", "nonce", "code_verifier", "code_challenge", "code_challenge_method"}."""
        opts = _options(redirect_after=redirect_after, extra=extra, ttl=ttl if ttl is not None else self._ttl,
                        binding=None if binding is None else _binding(binding))
        result: dict[str, Any] = json.loads(_unwrap(self._store.state_create(opts)))
        return result

    def consume(self, state: str, *, binding: str | None = None) -> dict[str, Any]:
        """Returns {"redirect_after", "extra", "nonce", "code_verifier", "created_at"} once."""
        result: dict[str, Any] = json.loads(_unwrap(self._store.state_consume(_text(state, "state"), _binding(binding))))
        return result
