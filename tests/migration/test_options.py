"""key_prefix, dry_run, progress and batching of a migration."""

from __future__ import annotations

import pytest

from pepperpy.caching import MemoryCache, MigrationHelper
from pepperpy.caching.migration import Outcome

from ..adapters.clocks import FakeClock
from .fakes import Delegate, StorageCache

pytestmark = pytest.mark.anyio


async def test_key_prefix_goes_in_front_of_written_keys_only() -> None:
    old = {"a": 1, "b": 2}
    new = MemoryCache()
    results = await MigrationHelper.migrate_data(old, new, key_prefix="v2:")
    assert results == {"a": True, "b": True}  # keyed by the source key
    assert sorted(new.engine.keys()) == ["v2:a", "v2:b"]


async def test_dry_run_reads_and_reports_but_writes_nothing() -> None:
    clock = FakeClock()
    old = MemoryCache(clock=clock)
    await old.set("a", 1)
    await old.set("b", 2, ttl=10)
    legacy = StorageCache({"x": object(), "y": {"value": 1}})
    new = Delegate(MemoryCache())

    report = await MigrationHelper.migrate(old, new, dry_run=True)
    legacy_report = await MigrationHelper.migrate(legacy, new, dry_run=True)

    assert report.dry_run
    assert report.results == {"a": True, "b": True}
    assert report.summary() == "would copy 2, skipped 0 expired, failed 0 (of 2 keys)"
    assert legacy_report.results == {"x": False, "y": True}
    assert new.set_calls == []
    assert new.set_many_calls == []
    assert new.stats.size == 0


async def test_progress_reports_each_batch_with_the_total() -> None:
    seen: list[tuple[int, int | None]] = []
    old = {f"k{i}": i for i in range(25)}
    await MigrationHelper.migrate_data(
        old, MemoryCache(), batch_size=10, on_progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(10, 25), (20, 25), (25, 25)]


async def test_entries_written_together_are_written_together_again() -> None:
    clock = FakeClock()
    old = MemoryCache(max_size=None, clock=clock)
    await old.set_many({f"a{i}": i for i in range(40)}, ttl=300)
    clock.advance(0.2)
    await old.set_many({f"b{i}": i for i in range(40)}, ttl=300)
    await old.set_many({f"n{i}": i for i in range(40)})
    clock.advance(100)
    new = Delegate(MemoryCache(max_size=None, clock=FakeClock()))

    report = await MigrationHelper.migrate(old, new, batch_size=1000)

    assert report.copied == 120
    # 199.8 s and 200 s left round up to the same whole second: one call for the
    # TTL'd entries, one for the entries without TTL
    assert sorted(len(mapping) for mapping, _ in new.set_many_calls) == [40, 80]
    assert {ttl for _, ttl in new.set_many_calls} == {None, 200.0}
    assert new.set_calls == []


async def test_a_migration_can_run_twice() -> None:
    old = {"a": 1}
    new = MemoryCache()
    await MigrationHelper.migrate_data(old, new)
    old["a"] = 2
    assert await MigrationHelper.migrate_data(old, new) == {"a": True}
    assert await new.get("a") == 2


async def test_report_counts() -> None:
    old = StorageCache({"ok": {"value": 1}, "bad": object(), 3: {"value": 3}})
    report = await MigrationHelper.migrate(old, MemoryCache())
    assert (report.copied, report.expired, report.failed, len(report)) == (1, 0, 2, 3)
    assert report.count(Outcome.FAILED) == 2
    assert set(report.errors) == {"bad", 3}
