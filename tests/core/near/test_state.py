"""NearState, case by case: the race, flushes, the gate, TTLs, counters."""

from __future__ import annotations

from pepperpy.caching.core import MISS
from pepperpy.caching.core.near import NearState


def _up(**kwargs: object) -> NearState:
    state = NearState(max_size=10, **kwargs)  # type: ignore[arg-type]
    state.channel_up()
    return state


def test_read_kept_and_served() -> None:
    state = _up()
    token = state.begin("k")
    assert state.finish("k", token, 1, 0.0)
    assert state.lookup("k", 0.0) == 1
    assert state.local_hits == 1
    assert state.pending == 0


def test_invalidation_during_read_drops_its_value() -> None:
    state = _up()
    token = state.begin("k")
    state.invalidate(["k"])
    assert not state.finish("k", token, "old", 0.0)
    assert state.lookup("k", 0.0) is MISS
    assert state.invalidations == 1


def test_invalidation_before_read_does_not_matter() -> None:
    state = _up()
    state.invalidate(["k"])
    token = state.begin("k")
    assert state.finish("k", token, "new", 0.0)


def test_overlapping_reads_each_judged_by_its_start() -> None:
    state = _up()
    first = state.begin("k")
    state.invalidate(["k"])
    second = state.begin("k")
    assert not state.finish("k", first, "old", 0.0)
    assert state.finish("k", second, "new", 0.0)
    assert state.pending == 0


def test_nothing_while_down() -> None:
    state = NearState(max_size=10)
    token = state.begin("k")
    assert token == 0
    assert not state.finish("k", token, 1, 0.0)
    assert state.lookup("k", 0.0) is MISS


def test_channel_lost_flushes_and_rejects_reads_in_flight() -> None:
    state = _up()
    state.finish("a", state.begin("a"), 1, 0.0)
    token = state.begin("b")
    state.channel_lost()
    assert state.lookup("a", 0.0) is MISS
    assert state.flushes == 1
    state.channel_up()
    assert not state.finish("b", token, 2, 0.0)  # begun before the channel came back


def test_server_flush_keeps_the_channel_up() -> None:
    state = _up()
    state.finish("a", state.begin("a"), 1, 0.0)
    token = state.begin("b")
    state.flush()
    assert state.up
    assert state.lookup("a", 0.0) is MISS
    assert not state.finish("b", token, 2, 0.0)
    assert state.finish("b", state.begin("b"), 2, 0.0)


def test_ttl_is_the_shorter_of_local_and_remote() -> None:
    state = _up(ttl=10.0)
    state.finish("a", state.begin("a"), 1, 0.0, ttl=2.0)
    state.finish("b", state.begin("b"), 1, 0.0)
    assert state.lookup("a", 1.9) == 1
    assert state.lookup("a", 2.0) is MISS
    assert state.lookup("b", 9.9) == 1
    assert state.lookup("b", 10.0) is MISS


def test_written_prefix() -> None:
    state = _up()
    state.finish("p:a", state.begin("p:a"), 1, 0.0)
    state.finish("q:a", state.begin("q:a"), 1, 0.0)
    token = state.begin("p:b")
    state.written_prefix("p:")
    assert state.lookup("p:a", 0.0) is MISS
    assert state.lookup("q:a", 0.0) == 1
    assert not state.finish("p:b", token, 2, 0.0)
    state.written_prefix("")
    assert len(state) == 0


def test_stats() -> None:
    state = _up()
    state.finish("a", state.begin("a"), 1, 0.0)
    state.lookup("a", 0.0)
    state.invalidate(["a", "b"])
    stats = state.stats(remote_hits=3, misses=2)
    assert (stats.local_hits, stats.remote_hits, stats.misses) == (1, 3, 2)
    assert (stats.invalidations, stats.flushes, stats.size) == (2, 0, 0)
    assert stats.local_ratio == 1 / 6
