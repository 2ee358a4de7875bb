"""Slot tables from CLUSTER SHARDS and CLUSTER SLOTS, in RESP2 and RESP3 shapes."""

from __future__ import annotations

import pytest

from pepperpy.caching.core.errors import BackendError
from pepperpy.caching.core.remote.slots import SLOT_COUNT
from pepperpy.caching.core.remote.topology import (
    UNIX_PORT,
    SlotTable,
    format_address,
    parse_shards,
    parse_slots,
)

QUERIED = ("10.0.0.9", 7000)


def shard(slots: list[int], *nodes: dict[bytes, object]) -> dict[bytes, object]:
    return {b"slots": slots, b"nodes": list(nodes)}


def node(ip: str, port: int, role: str, **extra: object) -> dict[bytes, object]:
    fields: dict[bytes, object] = {b"ip": ip.encode(), b"endpoint": ip.encode(), b"port": port}
    fields[b"role"] = role.encode()
    fields.update({k.replace("_", "-").encode(): v for k, v in extra.items()})
    return fields


RESP3_SHARDS = [
    shard([0, 5460], node("10.0.0.1", 7000, "master"), node("10.0.0.4", 7003, "replica")),
    shard([5461, 10922], node("10.0.0.2", 7001, "master", tls_port=8001)),
    shard(
        [10923, 16383],
        node("?", 7002, "master"),
        node("10.0.0.6", 7005, "replica", health=b"failed"),
    ),
]


def flat(value: object) -> object:
    """The RESP2 shape of a RESP3 map: a flat array of keys and values."""
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in (k, flat(v))]
    if isinstance(value, list):
        return [flat(v) for v in value]
    return value


@pytest.mark.parametrize("reply", [RESP3_SHARDS, flat(RESP3_SHARDS)])
def test_shards_in_either_protocol(reply: object) -> None:
    table = parse_shards(reply, QUERIED)
    assert table.primaries == (("10.0.0.1", 7000), ("10.0.0.2", 7001), ("10.0.0.9", 7002))
    assert table.primary_for(0) == ("10.0.0.1", 7000)
    assert table.primary_for(5461) == ("10.0.0.2", 7001)
    assert table.primary_for(SLOT_COUNT - 1) == ("10.0.0.9", 7002)  # unknown endpoint
    assert table.replicas_of(("10.0.0.1", 7000)) == (("10.0.0.4", 7003),)
    assert table.replicas_of(("10.0.0.9", 7002)) == ()  # the failed replica is left out
    assert table.complete
    assert parse_shards(reply, QUERIED, tls=True).primary_for(5461) == ("10.0.0.2", 8001)


def test_slots() -> None:
    reply = [
        [0, 8191, [b"10.0.0.1", 7000, b"id1"], [b"10.0.0.3", 7002, b"id3"]],
        [8192, 16383, [b"", 7001, b"id2"]],
    ]
    table = parse_slots(reply, QUERIED)
    assert table.primaries == (("10.0.0.1", 7000), ("10.0.0.9", 7001))
    assert table.replicas_of(("10.0.0.1", 7000)) == (("10.0.0.3", 7002),)
    assert table.nodes == (("10.0.0.1", 7000), ("10.0.0.9", 7001), ("10.0.0.3", 7002))


@pytest.mark.parametrize("reply", [None, [None], [[1, 2]], [[0, 5, [b"h", b"notaport"]]]])
def test_nonsense_slots_are_a_backend_error(reply: object) -> None:
    with pytest.raises(BackendError):
        parse_slots(reply, QUERIED)


@pytest.mark.parametrize("reply", [None, [b"x"], [shard([0], node("h", 1, "master"))]])
def test_nonsense_shards_are_a_backend_error(reply: object) -> None:
    with pytest.raises(BackendError):
        parse_shards(reply, QUERIED)


def test_a_moved_slot_and_gaps() -> None:
    table = SlotTable([(0, 99, ("a", 1)), (200, SLOT_COUNT - 1, ("b", 2))])
    assert not table.complete
    assert table.primary_for(150) is None
    moved = table.moved(150, ("c", 3))
    assert moved.primary_for(150) == ("c", 3)
    assert moved.primary_for(149) is None
    assert moved.primary_for(0) == ("a", 1)
    assert table.primary_for(150) is None  # the original is unchanged
    assert moved.ranges() == [
        (0, 99, ("a", 1)),
        (150, 150, ("c", 3)),
        (200, SLOT_COUNT - 1, ("b", 2)),
    ]
    assert moved != table
    assert moved == moved.moved(150, ("c", 3))
    with pytest.raises(BackendError):
        SlotTable([(0, SLOT_COUNT, ("a", 1))])


def test_addresses_print_as_usual() -> None:
    assert format_address(("10.0.0.1", 6379)) == "10.0.0.1:6379"
    assert format_address(("::1", 6379)) == "[::1]:6379"
    assert format_address(("/tmp/redis.sock", UNIX_PORT)) == "/tmp/redis.sock"
