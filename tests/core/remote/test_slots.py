"""Cluster hash slots: CRC16 and hash tags, against redis-py's implementation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core.remote import SLOT_COUNT, crc16, group_by_slot, key_slot

redis_crc = pytest.importorskip("redis.crc")


def test_crc16_check_value() -> None:
    # The XMODEM check value, and the example of the Redis Cluster specification.
    assert crc16(b"123456789") == 0x31C3
    assert key_slot(b"123456789") == 0x31C3 % SLOT_COUNT


@pytest.mark.parametrize(
    ("key", "same_as"),
    [
        (b"{user1000}.following", b"user1000"),
        (b"foo{bar}{zap}", b"bar"),
        (b"foo{{bar}}zap", b"{bar"),
        (b"foo{}{bar}", b"foo{}{bar}"),
        (b"{}", b"{}"),
        (b"a{b", b"a{b"),
        (b"a}b{c}", b"c"),
    ],
)
def test_hash_tags(key: bytes, same_as: bytes) -> None:
    assert key_slot(key) == crc16(same_as) % SLOT_COUNT


@given(st.binary(max_size=64) | st.text(alphabet="ab{}", max_size=12).map(str.encode))
def test_matches_redis_py(key: bytes) -> None:
    assert key_slot(key) == redis_crc.key_slot(key)
    assert 0 <= key_slot(key) < SLOT_COUNT


@given(st.lists(st.binary(max_size=8), max_size=50))
def test_group_by_slot_partitions_positions(keys: list[bytes]) -> None:
    groups = group_by_slot(keys)
    positions = sorted(p for group in groups.values() for p in group)
    assert positions == list(range(len(keys)))
    for slot, group in groups.items():
        assert all(key_slot(keys[p]) == slot for p in group)
        assert group == sorted(group)
