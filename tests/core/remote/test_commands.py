"""The commands planned for batch operations: chunks, rounds, slots, TTLs."""

from __future__ import annotations

import hiredis
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core.errors import BackendError
from pepperpy.caching.core.remote.commands import (
    BATCH_SIZE,
    mget_rounds,
    pttl_seconds,
    scan_command,
    scan_reply,
    unlink_rounds,
    write_rounds,
)
from pepperpy.caching.core.remote.plans import ANY, Step
from pepperpy.caching.core.remote.slots import key_slot

keys_strategy = st.lists(st.binary(min_size=1, max_size=6), max_size=60)


def parse(step: Step) -> list[bytes]:
    reader = hiredis.Reader()
    reader.feed(step.payload)
    command = reader.gets()
    assert reader.gets() is False  # one command per step
    return list(command)


def test_scan() -> None:
    reader = hiredis.Reader()
    reader.feed(scan_command(0, b"a:*"))
    assert reader.gets() == [b"SCAN", b"0", b"MATCH", b"a:*", b"COUNT", b"1000"]
    assert scan_reply([b"17", [b"a", b"b"]]) == (17, [b"a", b"b"])
    for bad in (None, [b"x", []], [b"1"], [b"1", b"notalist"]):
        with pytest.raises(BackendError):
            scan_reply(bad)


def test_pttl() -> None:
    assert pttl_seconds(-2) is None
    assert pttl_seconds(-1) is None
    assert pttl_seconds(1500) == 1.5
    assert pttl_seconds(0) == 0.0


@given(keys_strategy, st.booleans())
def test_mget_rounds_cover_every_key_once(keys: list[bytes], cluster: bool) -> None:
    seen = []
    for round_ in mget_rounds(keys, cluster):
        assert round_
        for positions, step in round_:
            command = parse(step)
            assert command[0] == b"MGET"
            assert command[1:] == [keys[p] for p in positions]
            if cluster:
                assert {key_slot(keys[p]) for p in positions} == {step.target}
            else:
                assert step.target == ANY
            seen.extend(positions)
    assert sorted(seen) == list(range(len(keys)))


def test_mget_rounds_chunk_large_batches() -> None:
    keys = [str(i).encode() for i in range(2 * BATCH_SIZE + 5)]
    rounds = mget_rounds(keys, cluster=False)
    sizes = [len(positions) for round_ in rounds for positions, _ in round_]
    assert sizes == [BATCH_SIZE, BATCH_SIZE, 5]
    assert len(rounds) == 3


@given(keys_strategy, st.booleans(), st.sampled_from([None, 500]))
def test_write_rounds_store_every_pair(
    keys: list[bytes], cluster: bool, millis: int | None
) -> None:
    payloads = [b"v" + k for k in keys]
    stored = {}
    for round_ in write_rounds(keys, payloads, millis, cluster):
        for step in round_:
            command = parse(step)
            if millis is None:
                assert command[0] == b"MSET"
                pairs = list(zip(command[1::2], command[2::2], strict=True))
            else:
                assert command[0] == b"SET"
                assert command[3:] == [b"PX", b"500"]
                pairs = [(command[1], command[2])]
            if cluster:
                assert {key_slot(k) for k, _ in pairs} == {step.target}
            stored.update(pairs)
    assert stored == dict(zip(keys, payloads, strict=True))


def test_pipelined_sets_come_in_rounds_of_batch_size() -> None:
    keys = [str(i).encode() for i in range(BATCH_SIZE + 1)]
    rounds = write_rounds(keys, keys, 10_000, cluster=False)
    assert [len(r) for r in rounds] == [BATCH_SIZE, 1]


@given(keys_strategy, st.booleans())
def test_unlink_rounds_cover_every_key(keys: list[bytes], cluster: bool) -> None:
    removed = []
    for round_ in unlink_rounds(keys, cluster):
        for step in round_:
            command = parse(step)
            assert command[0] == b"UNLINK"
            if cluster:
                assert {key_slot(k) for k in command[1:]} == {step.target}
            removed.extend(command[1:])
    assert sorted(removed) == sorted(keys)
