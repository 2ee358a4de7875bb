"""The commands planned for batch operations: chunks, rounds, slots, TTLs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core.remote import (
    BATCH_SIZE,
    get_command,
    key_slot,
    mget_rounds,
    pttl_seconds,
    scan_command,
    scan_reply,
    set_command,
    unlink_rounds,
    write_rounds,
)

keys_strategy = st.lists(st.binary(min_size=1, max_size=6), max_size=60)


def test_single_key_commands() -> None:
    assert get_command(b"k") == ("GET", b"k")
    assert set_command(b"k", b"v", None) == ("SET", b"k", b"v")
    assert set_command(b"k", b"v", 1.5) == ("SET", b"k", b"v", "PX", 1500)
    # A tiny TTL never becomes 0 ms (which Redis refuses) or "no expiry".
    assert set_command(b"k", b"v", 0.0001) == ("SET", b"k", b"v", "PX", 1)
    assert set_command(b"k", b"v", 0.0011) == ("SET", b"k", b"v", "PX", 2)


def test_scan() -> None:
    assert scan_command(0, b"a:*") == ("SCAN", 0, "MATCH", b"a:*", "COUNT", 1000)
    assert scan_reply([b"17", [b"a", b"b"]]) == (17, [b"a", b"b"])
    assert scan_reply((0, [])) == (0, [])


def test_pttl() -> None:
    assert pttl_seconds(-2) is None
    assert pttl_seconds(-1) is None
    assert pttl_seconds(1500) == 1.5
    assert pttl_seconds(0) == 0.0


@given(keys_strategy, st.booleans())
def test_mget_rounds_cover_every_key_once(keys: list[bytes], cluster: bool) -> None:
    rounds = mget_rounds(keys, cluster)
    seen = []
    for round_ in rounds:
        assert round_
        for positions, command in round_:
            assert command[0] == "MGET"
            assert list(command[1:]) == [keys[p] for p in positions]
            if cluster:
                assert len({key_slot(keys[p]) for p in positions}) == 1
            seen.extend(positions)
    assert sorted(seen) == list(range(len(keys)))


def test_mget_rounds_chunk_large_batches() -> None:
    keys = [str(i).encode() for i in range(2 * BATCH_SIZE + 5)]
    rounds = mget_rounds(keys, cluster=False)
    sizes = [len(positions) for round_ in rounds for positions, _ in round_]
    assert sizes == [BATCH_SIZE, BATCH_SIZE, 5]
    assert len(rounds) == 3


@given(keys_strategy, st.booleans(), st.sampled_from([None, 0.5]))
def test_write_rounds_store_every_pair(keys: list[bytes], cluster: bool, ttl: float | None) -> None:
    payloads = [b"v" + k for k in keys]
    stored = {}
    for round_ in write_rounds(keys, payloads, ttl, cluster):
        assert sum(len(c) for c in round_) > 0
        for command in round_:
            if ttl is None:
                assert command[0] == "MSET"
                pairs = list(zip(command[1::2], command[2::2], strict=True))
                if cluster:
                    assert len({key_slot(k) for k, _ in pairs}) == 1  # type: ignore[arg-type]
            else:
                assert command[0] == "SET"
                assert command[3:] == ("PX", 500)
                pairs = [(command[1], command[2])]
            stored.update(pairs)
    assert stored == dict(zip(keys, payloads, strict=True))


def test_pipelined_sets_come_in_rounds_of_batch_size() -> None:
    keys = [str(i).encode() for i in range(BATCH_SIZE + 1)]
    rounds = write_rounds(keys, keys, 10.0, cluster=False)
    assert [len(r) for r in rounds] == [BATCH_SIZE, 1]


@given(keys_strategy, st.booleans())
def test_unlink_rounds_cover_every_key(keys: list[bytes], cluster: bool) -> None:
    removed = []
    for round_ in unlink_rounds(keys, cluster):
        for command in round_:
            assert command[0] == "UNLINK"
            if cluster:
                assert len({key_slot(k) for k in command[1:]}) == 1  # type: ignore[arg-type]
            removed.extend(command[1:])
    assert sorted(removed) == sorted(keys)  # type: ignore[type-var]
