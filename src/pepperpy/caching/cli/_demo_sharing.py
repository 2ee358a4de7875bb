"""Demo sections for sharing a cache: namespaces, single-flight loading and ``@cached``."""

from __future__ import annotations

import time
from typing import Final

import anyio

from ..adapters.decorator import cached
from ..adapters.memory import MemoryCache
from ..adapters.namespace import Cache
from ._report import Report, check, format_ms

__all__ = ("namespaces", "single_flight")

CALLERS: Final = 50
FACTORY_SECONDS: Final = 0.02


async def namespaces(report: Report) -> str:
    """Two namespaces and a nested one on one backend; clearing one leaves the others."""
    report.section("Cache namespaces: one backend, separate key spaces")
    backend = MemoryCache()
    users = Cache(backend, namespace="users")
    sessions = Cache(backend, namespace="sessions")
    active = Cache(users, namespace="active")
    await users.set("1", "Ada")
    await users.set("2", "Grace")
    await sessions.set("1", "token-abc")
    await active.set("1", True)

    async def stored() -> str:
        return "  ".join(sorted([key async for key in backend.iter_keys()]))

    before = await stored()
    await users.clear()
    after = await stored()
    report.table(
        ["view", 'key "1" is stored as'],
        [
            ('users = Cache(backend, namespace="users")', "users:1"),
            ('sessions = Cache(backend, namespace="sessions")', "sessions:1"),
            ('active = Cache(users, namespace="active")', "users:active:1"),
        ],
    )
    report.line(f"keys in the backend:       {before}")
    report.line(f"after await users.clear(): {after}")
    session = await sessions.get("1")
    report.line(f'sessions.get("1") -> {session!r}; users.get("1") -> {await users.get("1")!r}')
    check(before == "sessions:1  users:1  users:2  users:active:1", f"stored keys: {before}")
    check(after == "sessions:1", f"users.clear() should leave only sessions:1, left {after}")
    check(session == "token-abc", "the sessions namespace should be untouched")
    return "ok"


async def single_flight(report: Report) -> str:
    """Many concurrent misses on one key run the factory once; errors reach every caller."""
    report.section(f"get_or_set: {CALLERS} concurrent callers, one factory call")
    cache = MemoryCache()
    calls = 0

    async def build_report() -> dict[str, int]:
        nonlocal calls
        calls += 1
        await anyio.sleep(FACTORY_SECONDS)
        return {"rows": 1234}

    results: list[dict[str, int]] = []

    async def caller() -> None:
        results.append(await cache.get_or_set("report", build_report, ttl=60))

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for _ in range(CALLERS):
            group.start_soon(caller)
    elapsed = time.perf_counter() - started
    same = all(result is results[0] for result in results)

    failures = 0

    async def failing_factory() -> int:
        await anyio.sleep(0.005)
        raise LookupError("upstream is down")

    async def unlucky_caller() -> None:
        nonlocal failures
        try:
            await cache.get_or_set("broken", failing_factory)
        except LookupError:
            failures += 1

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(unlucky_caller)
    broken_cached = await cache.contains("broken")

    runs = 0

    @cached(cache, ttl=60)
    async def fetch_user(user_id: int) -> str:
        nonlocal runs
        runs += 1
        return f"user-{user_id}"

    fetched = [await fetch_user(1), await fetch_user(1), await fetch_user(2)]
    report.table(
        ["what", "result"],
        [
            (f"factory calls for {CALLERS} callers", calls),
            ("callers that got the very same object", f"{results.count(results[0])}"),
            (f"elapsed (factory takes {format_ms(FACTORY_SECONDS)})", format_ms(elapsed)),
            ("10 callers of a failing factory: got the error", failures),
            ('"broken" cached after the failure', broken_cached),
            ("@cached fetch_user(1), (1), (2): function ran", f"{runs} times"),
        ],
        right=(1,),
    )
    check(calls == 1 and len(results) == CALLERS and same, f"factory ran {calls} times")
    check(elapsed < FACTORY_SECONDS * 10, f"callers should wait together, took {elapsed:.3f} s")
    check(failures == 10 and not broken_cached, "every waiter should get the factory's error")
    check(runs == 2 and fetched == ["user-1", "user-1", "user-2"], f"@cached ran {runs} times")
    return "ok"
