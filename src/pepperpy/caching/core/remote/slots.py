"""Redis Cluster hash slots: CRC16 (XMODEM) of the key or of its ``{hash tag}``."""

from __future__ import annotations

from binascii import crc_hqx
from collections.abc import Sequence
from typing import Final

__all__ = ("SLOT_COUNT", "crc16", "group_by_slot", "key_slot")

SLOT_COUNT: Final = 16384


def crc16(data: bytes) -> int:
    """CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), as Redis Cluster uses.

    ``binascii.crc_hqx`` computes exactly this CRC, in C.
    """
    return crc_hqx(data, 0)


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
    return crc_hqx(key, 0) & (SLOT_COUNT - 1)


def group_by_slot(keys: Sequence[bytes]) -> dict[int, list[int]]:
    """The positions of ``keys`` grouped by slot, in first-seen order."""
    groups: dict[int, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key_slot(key), []).append(index)
    return groups
