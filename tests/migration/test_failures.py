"""One key's failure never stops the others; a store that stops answering stops the run."""

from __future__ import annotations

from typing import Any

import pytest

from pepperpy.caching import (
    BackendError,
    ConfigurationError,
    MemoryCache,
    MigrationHelper,
    SerializationError,
)
from pepperpy.caching.migration import MigrationAborted, Outcome
from pepperpy.caching.migration.health import FAILURE_STREAK

from ..adapters.clocks import FakeClock
from .fakes import Delegate

pytestmark = pytest.mark.anyio


class Unstorable:
    """A value the failing target refuses."""


async def test_one_bad_value_among_many_fails_alone() -> None:
    bad = Unstorable()
    old = {f"k{i}": i for i in range(50)} | {"bad": bad}
    new = Delegate(
        MemoryCache(max_size=None),
        bad_values=[bad],
        write_error=lambda key: SerializationError(f"cannot encode the value of {key}"),
    )
    report = await MigrationHelper.migrate(old, new, batch_size=20)
    assert report.results == {key: key != "bad" for key in old}
    assert report.errors == {"bad": "SerializationError: cannot encode the value of bad"}
    inner = new.inner
    assert isinstance(inner, MemoryCache)
    assert inner.size == 50
    # the failed batch was retried key by key; the other batches went in one call each
    assert len(new.set_calls) == 11
    assert len(new.set_many_calls) == 3


async def test_bad_values_with_ttls_fail_alone_too() -> None:
    bad = Unstorable()
    clock = FakeClock()
    old = MemoryCache(max_size=None, clock=clock)
    await old.set_many({f"t{i}": i for i in range(10)}, ttl=100)
    await old.set("bad", bad, ttl=100)
    await old.set("other", "x", ttl=7)
    new = Delegate(MemoryCache(max_size=None, clock=FakeClock()), bad_values=[bad])
    results = await MigrationHelper.migrate_data(old, new)
    assert results == {f"t{i}": True for i in range(10)} | {"bad": False, "other": True}
    assert await new.ttl("t3") == pytest.approx(100, abs=1)
    assert await new.ttl("other") == pytest.approx(7, abs=0.1)


async def test_a_key_the_source_cannot_read_fails_alone() -> None:
    inner = MemoryCache(max_size=None)
    await inner.set_many({f"k{i}": i for i in range(30)})
    old = Delegate(
        inner,
        bad_read_keys=["k7"],
        read_error=lambda key: SerializationError(f"stored bytes of {key} are not JSON"),
    )
    new = MemoryCache(max_size=None)
    report = await MigrationHelper.migrate(old, new, batch_size=8)
    assert report.outcomes["k7"] is Outcome.FAILED
    assert "not JSON" in report.errors["k7"]
    assert report.copied == 29
    assert new.size == 29


async def test_a_target_that_keeps_failing_stops_the_migration() -> None:
    old = {f"k{i}": i for i in range(100)}
    new = Delegate(
        MemoryCache(), fail_writes=True, write_error=lambda key: BackendError("connection lost")
    )
    with pytest.raises(MigrationAborted, match="target store keeps failing") as caught:
        await MigrationHelper.migrate_data(old, new, batch_size=10)
    assert isinstance(caught.value.__cause__, BackendError)
    assert isinstance(caught.value, BackendError)
    # it stopped within the first batch, after the streak (the batch write, then
    # single writes), not after a timeout for each of the 100 keys
    assert len(new.set_many_calls) + len(new.set_calls) == FAILURE_STREAK
    assert caught.value.report.copied == 0


async def test_scattered_backend_errors_do_not_stop_it() -> None:
    bad = [Unstorable() for _ in range(FAILURE_STREAK + 2)]
    old: dict[str, Any] = {}
    for i in range(200):
        old[f"k{i}"] = bad[i // 20] if i % 20 == 0 else i
    new = Delegate(
        MemoryCache(max_size=None),
        bad_values=bad,
        write_error=lambda key: BackendError(f"server refused {key}"),
    )
    report = await MigrationHelper.migrate(old, new, batch_size=50)
    assert report.failed == 10
    assert report.copied == 190


async def test_a_failing_key_listing_stops_with_the_partial_report() -> None:
    inner = MemoryCache(max_size=None)
    await inner.set_many({f"k{i}": i for i in range(10)})
    old = Delegate(inner, listing_error=BackendError("SCAN failed"))
    new = MemoryCache()
    with pytest.raises(MigrationAborted, match="reading the source failed") as caught:
        await MigrationHelper.migrate_data(old, new, batch_size=4)
    assert caught.value.report.copied == 8  # the two full batches before the failure
    assert isinstance(caught.value.__cause__, BackendError)


async def test_keys_listed_twice_are_copied_once() -> None:
    inner = MemoryCache()
    await inner.set_many({"a": 1, "b": 2})
    old = Delegate(inner, listing_extra=["a", "b", "a"])
    new = Delegate(MemoryCache())
    report = await MigrationHelper.migrate(old, new, batch_size=2)
    assert report.results == {"a": True, "b": True}
    written = [key for mapping, _ in new.set_many_calls for key in mapping]
    written += [key for key, _, _ in new.set_calls]
    assert sorted(written) == ["a", "b"]


class Stop(Exception):
    """Raised by a progress callback to stop a migration."""


async def test_an_exception_from_on_progress_propagates() -> None:
    def stop(done: int, total: int | None) -> None:
        if done > 1:
            raise Stop

    new = MemoryCache()
    old = {"a": 1, "b": 2, "c": 3}
    with pytest.raises(Stop):
        await MigrationHelper.migrate_data(old, new, batch_size=1, on_progress=stop)
    assert sorted(new.engine.keys()) == ["a", "b"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key_prefix": 3}, "key_prefix must be a str"),
        ({"batch_size": 0}, "batch_size must be a positive int"),
        ({"batch_size": True}, "batch_size must be a positive int"),
        ({"on_progress": "x"}, "on_progress must be a callable"),
    ],
)
async def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        await MigrationHelper.migrate_data({}, MemoryCache(), **kwargs)


async def test_the_target_must_be_a_cache_of_this_library() -> None:
    with pytest.raises(ConfigurationError, match="new cache must be a cache of this library"):
        await MigrationHelper.migrate_data({"a": 1}, {})  # type: ignore[arg-type]


class Unlistable(Delegate):
    """A store that cannot list its keys (the interface's default)."""

    def iter_keys(self, prefix: str = "") -> Any:
        raise NotImplementedError("Unlistable cannot list its keys")


async def test_a_store_that_cannot_list_its_keys_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="cannot list its keys"):
        await MigrationHelper.migrate_data(Unlistable(MemoryCache()), MemoryCache())


async def test_a_source_that_keeps_failing_stops_the_migration() -> None:
    inner = MemoryCache(max_size=None)
    await inner.set_many({f"k{i}": i for i in range(30)})
    old = Delegate(
        inner,
        bad_read_keys=[f"k{i}" for i in range(10, 30)],
        read_error=lambda key: BackendError("connection reset"),
    )
    new = MemoryCache(max_size=None)
    with pytest.raises(MigrationAborted, match="source store keeps failing") as caught:
        await MigrationHelper.migrate_data(old, new, batch_size=10)
    assert caught.value.report.copied == 10  # the first batch, before the failures
    assert new.size == 10
