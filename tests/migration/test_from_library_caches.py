"""Migrating from caches of this library (MemoryCache, Cache views), on asyncio and trio."""

from __future__ import annotations

import pytest

from pepperpy.caching import Cache, MemoryCache, MigrationHelper
from pepperpy.caching.migration import Outcome

from ..adapters.clocks import FakeClock
from .fakes import Delegate

pytestmark = pytest.mark.anyio


async def test_values_and_remaining_ttls_are_carried() -> None:
    old_clock, new_clock = FakeClock(1000.0), FakeClock(5.0)
    old = MemoryCache(max_size=None, clock=old_clock)
    await old.set("forever", {"nested": [1, 2]})
    await old.set("short", "s", ttl=30)
    await old.set("long", "l", ttl=3600)
    await old.set("none", None)
    old_clock.advance(12.5)  # "short" has 17.5 s left, "long" 3587.5 s
    new = MemoryCache(max_size=None, clock=new_clock)

    results = await MigrationHelper.migrate_data(old, new)

    assert results == {"forever": True, "short": True, "long": True, "none": True}
    assert await new.get("forever") == {"nested": [1, 2]}
    assert await new.contains("none")
    assert await new.ttl("forever") is None
    short, long = await new.ttl("short"), await new.ttl("long")
    assert short is not None
    assert 17.5 <= short < 18.5
    assert long is not None
    assert 3587.5 <= long < 3588.5
    new_clock.advance(17.5 + 1.0)
    assert not await new.contains("short")
    assert await new.contains("long")


async def test_expired_entries_are_not_copied() -> None:
    clock = FakeClock()
    old = MemoryCache(clock=clock)
    await old.set("gone", 1, ttl=5)
    await old.set("kept", 2, ttl=50)
    clock.advance(5)
    new = MemoryCache()
    assert await MigrationHelper.migrate_data(old, new) == {"kept": True}
    assert await new.get("gone") is None


async def test_a_key_expiring_between_listing_and_reading_is_reported_false() -> None:
    clock = FakeClock()
    inner = MemoryCache(clock=clock)
    await inner.set("soon", 1, ttl=1)
    await inner.set("later", 2, ttl=100)
    old = Delegate(inner, after_listing=lambda: clock.advance(1))
    new = MemoryCache(clock=FakeClock())
    report = await MigrationHelper.migrate(old, new)
    assert report.outcomes == {"soon": Outcome.EXPIRED, "later": Outcome.COPIED}
    assert report.results == {"soon": False, "later": True}
    assert await new.ttl("later") == pytest.approx(99, abs=1)


async def test_namespace_views_as_source_and_target() -> None:
    backend = MemoryCache(max_size=None)
    users, other = Cache(backend, namespace="users"), Cache(backend, namespace="other")
    await users.set_many({"1": "ada", "2": "bob"})
    await other.set("1", "not a user")
    target_backend = MemoryCache(max_size=None)
    target = Cache(target_backend, namespace="people")

    results = await MigrationHelper.migrate_data(users, target, key_prefix="u-")

    assert results == {"1": True, "2": True}
    assert sorted(target_backend.engine.keys()) == ["people:u-1", "people:u-2"]
    assert await target.get("u-1") == "ada"


async def test_many_keys_in_several_batches() -> None:
    clock = FakeClock()
    old = MemoryCache(max_size=None, clock=clock)
    await old.set_many({f"k{i}": i for i in range(1234)}, ttl=60)
    await old.set_many({f"n{i}": -i for i in range(300)})
    new = Delegate(MemoryCache(max_size=None, clock=FakeClock()))
    progress: list[tuple[int, int | None]] = []

    results = await MigrationHelper.migrate_data(
        old, new, batch_size=100, on_progress=lambda done, total: progress.append((done, total))
    )

    assert len(results) == 1534
    assert all(results.values())
    inner = new.inner
    assert isinstance(inner, MemoryCache)
    assert inner.size == 1534
    assert await inner.get("k1233") == 1233
    # every batch is one set_many per TTL: here a single TTL for the k*, none for n*
    assert len(new.set_many_calls) <= 16 + 3
    assert new.set_calls == []
    assert [done for done, _ in progress] == [min(100 * i, 1534) for i in range(1, 17)]
    assert {total for _, total in progress} == {1534}  # a MemoryCache knows its size
