"""Migrating from older caches that keep entries in ``_storage``, ``_cache`` or ``_data``.

Their ``expires_at`` is wall-clock time, so these tests place expiries far from "now"
(tens of seconds) and allow one second of slack, instead of sleeping.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pepperpy.caching import MemoryCache, MigrationHelper
from pepperpy.caching.migration import Outcome

from ..adapters.clocks import FakeClock
from .fakes import DictEntryCache, Entry, PairCache, StorageCache

pytestmark = pytest.mark.anyio


async def _ttl(cache: MemoryCache, key: str) -> float | None:
    return await cache.ttl(key)


async def test_storage_entries_with_every_kind_of_expiry() -> None:
    now = time.time()
    old = StorageCache(
        {
            "naive": Entry("local", datetime.now() + timedelta(seconds=40)),
            "aware": Entry("utc", datetime.now(UTC) + timedelta(seconds=50)),
            "offset": Entry(
                "+05:00", datetime.now(timezone(timedelta(hours=5))) + timedelta(seconds=60)
            ),
            "epoch": Entry("epoch", now + 70),
            "epoch_int": Entry("int", int(now) + 81),
            "iso": Entry("iso", (datetime.now(UTC) + timedelta(seconds=90)).isoformat()),
            "never": Entry("forever", None),
        }
    )
    new = MemoryCache(clock=FakeClock())

    results = await MigrationHelper.migrate_data(old, new)

    assert results == dict.fromkeys(old._storage, True)
    assert await new.get("naive") == "local"
    for key, expected in [("naive", 40), ("aware", 50), ("offset", 60), ("epoch", 70), ("iso", 90)]:
        assert await _ttl(new, key) == pytest.approx(expected, abs=1), key
    left = await _ttl(new, "epoch_int")
    assert left is not None
    assert 79 <= left <= 82
    assert await _ttl(new, "never") is None


async def test_expired_entries_are_skipped_and_reported_false() -> None:
    old = StorageCache(
        {
            "old_naive": Entry(1, datetime.now() - timedelta(seconds=5)),
            "old_epoch": Entry(2, time.time() - 1),
            "fresh": Entry(3, time.time() + 30),
        }
    )
    new = MemoryCache()
    report = await MigrationHelper.migrate(old, new)
    assert report.outcomes == {
        "old_naive": Outcome.EXPIRED,
        "old_epoch": Outcome.EXPIRED,
        "fresh": Outcome.COPIED,
    }
    assert report.results == {"old_naive": False, "old_epoch": False, "fresh": True}
    assert new.engine.keys() == ["fresh"]


async def test_dict_entries_in_cache_attribute() -> None:
    old = DictEntryCache(
        {
            "a": {"value": [1, 2], "expires_at": time.time() + 20},
            "b": {"value": "no expiry key"},
            "c": {"value": 3, "expires_at": None},
        }
    )
    new = MemoryCache(clock=FakeClock())
    assert await MigrationHelper.migrate_data(old, new) == {"a": True, "b": True, "c": True}
    assert await new.get("a") == [1, 2]
    assert await new.ttl("a") == pytest.approx(20, abs=1)
    assert await new.ttl("b") is None


async def test_value_expiry_pairs_in_data_attribute() -> None:
    old = PairCache({"a": ("x", time.time() + 15), "b": ("y", None), "c": ("z", time.time() - 1)})
    new = MemoryCache(clock=FakeClock())
    assert await MigrationHelper.migrate_data(old, new) == {"a": True, "b": True, "c": False}
    assert await new.ttl("a") == pytest.approx(15, abs=1)


async def test_malformed_entries_fail_alone() -> None:
    old = StorageCache(
        {
            "good": Entry("ok"),
            "no_value": object(),
            "bad_expiry": Entry("v", expires_at=[1, 2]),  # type: ignore[arg-type]
            "bad_iso": Entry("v", expires_at="next tuesday"),
            "bool_expiry": Entry("v", expires_at=True),  # type: ignore[arg-type]
            "also_good": Entry("ok too"),
            7: Entry("int key"),
        }
    )
    new = MemoryCache()
    report = await MigrationHelper.migrate(old, new)
    assert report.results == {
        "good": True,
        "no_value": False,
        "bad_expiry": False,
        "bad_iso": False,
        "bool_expiry": False,
        "also_good": True,
        7: False,
    }
    assert "no value" in report.errors["no_value"]
    assert "expires_at" in report.errors["bad_expiry"]
    assert "ISO" in report.errors["bad_iso"]
    assert sorted(new.engine.keys()) == ["also_good", "good"]


async def test_an_empty_container_migrates_nothing() -> None:
    assert await MigrationHelper.migrate_data(StorageCache({}), MemoryCache()) == {}
