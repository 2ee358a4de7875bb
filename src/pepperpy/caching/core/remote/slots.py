"""Redis Cluster hash slots: CRC16 (XMODEM) of the key or of its ``{hash tag}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

__all__ = ("SLOT_COUNT", "crc16", "group_by_slot", "key_slot")

SLOT_COUNT: Final = 16384


def _table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_TABLE: Final = _table()


def crc16(data: bytes) -> int:
    """CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), as Redis Cluster uses."""
    crc = 0
    table = _TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc


def key_slot(key: bytes) -> int:
    """The cluster slot of ``key``.

    If the key holds a ``{`` followed later by a ``}`` with at least one byte between
    them, only the bytes between the first ``{`` and the first ``}`` after it are
    hashed (the hash tag), so related keys can share a slot.
    """
    start = key.find(b"{")
    if start != -1:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1 : end]
    return crc16(key) & (SLOT_COUNT - 1)


def group_by_slot(keys: Sequence[bytes]) -> dict[int, list[int]]:
    """The positions of ``keys`` grouped by slot, in first-seen order."""
    groups: dict[int, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key_slot(key), []).append(index)
    return groups
