"""Stores, state and exchange codes through Python: exactly once, bindings, Redis, faults."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator

import pytest

import oidcore


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (make test installs it)")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="oidcore-redis-")
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def exactly_once(store: oidcore.MemoryStore | oidcore.RedisStore) -> None:
    codes = oidcore.ExchangeCodes(store=store)
    issued = [codes.create({"access_token": f"at-{i}"}) for i in range(200)]
    wins: list[str] = []
    losses: list[str] = []
    lock = threading.Lock()

    def redeem_all() -> None:
        for code in issued:
            try:
                payload = codes.redeem(code)
                with lock:
                    wins.append(payload["access_token"])
            except oidcore.NotFound:
                with lock:
                    losses.append(code)

    threads = [threading.Thread(target=redeem_all) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(wins) == sorted(f"at-{i}" for i in range(200))
    assert len(losses) == 200 * 7


def binding_and_state(store: oidcore.MemoryStore | oidcore.RedisStore) -> None:
    codes = oidcore.ExchangeCodes(store=store, ttl=60)
    code = codes.create("tokens", binding="browser-a")
    with pytest.raises(oidcore.NotFound):
        codes.redeem(code, binding="browser-b")
    with pytest.raises(oidcore.NotFound):
        codes.redeem(code, binding="browser-a")  # the wrong attempt spent it
    states = oidcore.StateStore(store=store)
    created = states.create(redirect_after="/dashboard", extra={"tenant": 3})
    assert created["code_challenge_method"] == "S256"
    consumed = states.consume(created["state"])
    assert consumed["redirect_after"] == "/dashboard" and consumed["extra"] == {"tenant": 3}
    assert consumed["nonce"] == created["nonce"] and consumed["code_verifier"] == created["code_verifier"]
    with pytest.raises(oidcore.NotFound):
        states.consume(created["state"])


def test_memory_store() -> None:
    store = oidcore.MemoryStore(max_entries=10000)
    exactly_once(store)
    binding_and_state(store)


def test_redis_store(redis_url: str) -> None:
    store = oidcore.RedisStore(url=redis_url, key_prefix="py-test:")
    exactly_once(store)
    binding_and_state(store)
    other = oidcore.ExchangeCodes(store=oidcore.RedisStore(url=redis_url, key_prefix="py-test:"))
    assert other.redeem(oidcore.ExchangeCodes(store=store).create("shared")) == "shared"


def test_bad_input_and_config() -> None:
    codes = oidcore.ExchangeCodes(store=oidcore.MemoryStore())
    for bad in ("", "x", "a" * (1 << 20), "../etc", "A" * 42 + "="):
        with pytest.raises(oidcore.NotFound):
            codes.redeem(bad)
    with pytest.raises(oidcore.ConfigError):
        codes.redeem(42)  # type: ignore[arg-type]
    with pytest.raises(oidcore.ConfigError):
        codes.create("x", binding="")
    with pytest.raises(oidcore.ConfigError, match="url"):
        oidcore.RedisStore(url="ftp://x")
    with pytest.raises(oidcore.ConfigError):
        oidcore.ExchangeCodes(store=object())  # type: ignore[arg-type]


def test_redis_down_is_store_unavailable() -> None:
    store = oidcore.RedisStore(url=f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.3, command_timeout=0.3)
    codes = oidcore.ExchangeCodes(store=store)
    with pytest.raises(oidcore.StoreUnavailable):
        codes.create("x")
    with pytest.raises(oidcore.StoreUnavailable):
        codes.redeem("A" * 43)
