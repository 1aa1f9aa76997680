"""Stores, state and exchange codes through Python: exactly once, bindings, Redis, faults."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from conftest import free_port

import oidcore


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


def test_async_faces(redis_url: str) -> None:
    async def main(store: oidcore.MemoryStore | oidcore.RedisStore) -> None:
        codes = oidcore.ExchangeCodes(store=store)
        code = await codes.create_async({"access_token": "at"}, binding="b", ttl=30)
        assert await codes.redeem_async(code, binding="b") == {"access_token": "at"}
        with pytest.raises(oidcore.NotFound):
            await codes.redeem_async(code, binding="b")
        states = oidcore.StateStore(store=store, ttl=30)
        created = await states.create_async(redirect_after="/x", binding="b")
        with pytest.raises(oidcore.NotFound):
            await states.consume_async(created["state"], binding="c")  # spent by the wrong binding
        created = await states.create_async(extra=[1, 2])
        consumed = await states.consume_async(created["state"])
        assert consumed["extra"] == [1, 2] and consumed["redirect_after"] is None
        # Eight concurrent redeemers of one code: exactly one wins.
        code = await codes.create_async("once")
        outcomes = await asyncio.gather(*(codes.redeem_async(code) for _ in range(8)), return_exceptions=True)
        assert outcomes.count("once") == 1
        assert all(isinstance(o, oidcore.NotFound) for o in outcomes if o != "once")

    asyncio.run(main(oidcore.MemoryStore()))
    asyncio.run(main(oidcore.RedisStore(url=redis_url, key_prefix="py-async:")))


def test_async_face_does_not_block_the_loop_on_a_dead_redis() -> None:
    # A port where nothing answers quickly would be better; a closed port refuses at once, so
    # a blackhole is made with a listening socket that never accepts (the connect succeeds,
    # the command times out after command_timeout).
    import socket

    with socket.socket() as sink:
        sink.bind(("127.0.0.1", 0))
        sink.listen(0)
        port = sink.getsockname()[1]
        store = oidcore.RedisStore(url=f"redis://127.0.0.1:{port}/0", connect_timeout=0.5, command_timeout=0.5)
        codes = oidcore.ExchangeCodes(store=store)

        async def main() -> tuple[int, float]:
            ticks = 0
            stop = asyncio.Event()

            async def ticker() -> None:
                nonlocal ticks
                while not stop.is_set():
                    await asyncio.sleep(0.01)
                    ticks += 1

            task = asyncio.create_task(ticker())
            started = time.monotonic()
            with pytest.raises(oidcore.StoreUnavailable):
                await codes.create_async("x")
            elapsed = time.monotonic() - started
            stop.set()
            await task
            return ticks, elapsed

        ticks, elapsed = asyncio.run(main())
        assert elapsed >= 0.3
        assert ticks >= elapsed / 0.01 * 0.5, (ticks, elapsed)


def test_ttl_and_types() -> None:
    import datetime

    store = oidcore.MemoryStore()
    codes = oidcore.ExchangeCodes(store=store, ttl=datetime.timedelta(seconds=30))
    assert codes.redeem(codes.create({"a": [1, None, True]})) == {"a": [1, None, True]}
    with pytest.raises(oidcore.InvalidArgument, match="ttl"):
        codes.create("x", ttl=0)
    with pytest.raises(oidcore.ArgumentTypeError):
        codes.create("x", ttl="60")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        codes.create(object())
    with pytest.raises(oidcore.InvalidArgument):
        codes.create(float("nan"))
    with pytest.raises(oidcore.TooLarge):
        codes.create("x" * (300 * 1024))
    # A code or binding with NUL bytes or bytes that are not UTF-8 is just unknown.
    for bad in ("A" * 20 + "\0" + "A" * 22, b"\xff" * 43, "\udcff" * 43):
        with pytest.raises(oidcore.NotFound):
            codes.redeem(bad)
    code = codes.create("bound", binding=b"\x00browser")
    assert codes.redeem(code, binding="\x00browser") == "bound"
    code = codes.create("bound", binding=b"\x00browser")
    with pytest.raises(oidcore.NotFound):
        codes.redeem(code, binding="\x00browsex")
    code = codes.create("bound", binding="caf\u00e9")
    assert codes.redeem(code, binding="caf\u00e9".encode()) == "bound"
    with pytest.raises(oidcore.InvalidArgument):
        codes.create("x", binding=b"\xff")
