"""A count-min sketch of 4-bit counters that ages by halving: TinyLFU's memory."""

from __future__ import annotations

from typing import Final, final
from zlib import crc32

__all__ = (
    "BLOCK",
    "INCREMENT",
    "MAX_COUNT",
    "SAMPLE_FACTOR",
    "FrequencySketch",
    "Slots",
    "key_slots",
)

MAX_COUNT: Final = 15
"""Counters saturate here, as 4-bit counters would."""
SAMPLE_FACTOR: Final = 10
"""The counters are halved after this many additions per entry of capacity."""
BLOCK: Final = 64
"""How many counters make a block; a key's counters all lie in one block, one in each quarter."""

INCREMENT: Final = bytes(min(count + 1, MAX_COUNT) for count in range(256))
"""Maps a counter to its value after one increment (saturating at :data:`MAX_COUNT`)."""
_HALVE: Final = bytes(count >> 1 for count in range(256))
_ODD: Final = bytes(range(1, 256, 2))
_MIXED_BITS: Final = (1 << 28) - 1
# An odd 64-bit multiplier (2**64 / golden ratio): multiplied by the key's checksum it
# spreads every checksum bit over the upper bits, where the counter offsets are read.
_MIX: Final = 0x9E3779B97F4A7C15

Slots = tuple[int, int, int, int]
"""Where a key's counters are, as four indices into the table."""


def key_slots(key: str, block_mask: int) -> Slots:
    """The indices of ``key``'s 4 counters in a table of ``block_mask + 1`` blocks.

    Deterministic across processes and runs (CRC-32 of the UTF-8 bytes, unlike
    ``hash()``, which is salted per process), so simulations are reproducible. The
    checksum picks the block; a multiplicative mix of it picks one counter in each
    16-counter quarter of the block, as Caffeine lays out its sketch: a key's counters
    share one cache line.
    """
    checksum = crc32(key.encode("utf-8", "surrogatepass"))
    base = (checksum & block_mask) << 6
    # Bits 36 to 63 of the 64-bit product, cut out once: what is left fits one int
    # digit, so the four offsets cost small-int arithmetic (this runs on every insert).
    mixed = ((checksum + 1) * _MIX >> 36) & _MIXED_BITS
    return (
        base | (mixed >> 24),
        base | 16 | ((mixed >> 16) & 15),
        base | 32 | ((mixed >> 8) & 15),
        base | 48 | (mixed & 15),
    )


@final
class FrequencySketch:
    """Estimates how often each key was seen recently, in a fixed table of counters.

    A count-min sketch (Cormode and Muthukrishnan) of depth 4 whose counters saturate
    at 15, as in TinyLFU (Einziger, Friedman and Manes, 2017) and Caffeine: 16 counters
    per entry of ``capacity`` (rounded up to a power of two), in blocks of 64, each key
    using 4 counters of one block. An estimate is the least of a key's counters, so it
    never falls short of the true count between agings. After ``10 * capacity``
    additions (increments that raised at least one counter) every counter is halved
    (the *reset*), so old popularity fades. One byte holds each counter.
    """

    __slots__ = ("_block_mask", "_table", "additions", "sample_size")

    # The default lets copying and unpickling build it without arguments first (a
    # compiled class runs __init__ then) before its slots are restored.
    def __init__(self, capacity: int = 1) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be positive; got {capacity}")
        blocks = max(1, 1 << (capacity - 1).bit_length() >> 2)
        self._block_mask = blocks - 1
        self._table = bytearray(blocks * BLOCK)
        self.sample_size = SAMPLE_FACTOR * capacity
        """Additions between two resets."""
        self.additions = 0
        """Increments that raised a counter since the last reset (adjusted by it)."""

    def slots(self, key: str) -> Slots:
        """Where ``key``'s counters are in this sketch's table."""
        return key_slots(key, self._block_mask)

    def increment(self, slots: Slots) -> None:
        """Count one more sighting of the key at ``slots`` (unless all counters are full)."""
        table = self._table
        a, b, c, d = slots
        ca, cb, cc, cd = table[a], table[b], table[c], table[d]
        if ca & cb & cc & cd != MAX_COUNT:
            table[a] = INCREMENT[ca]
            table[b] = INCREMENT[cb]
            table[c] = INCREMENT[cc]
            table[d] = INCREMENT[cd]
            self.additions += 1
            if self.additions >= self.sample_size:
                self.reset()

    def frequency(self, slots: Slots) -> int:
        """The estimated count (0 to 15) of the key at ``slots``."""
        table = self._table
        a, b, c, d = slots
        return min(table[a], table[b], table[c], table[d])

    def reset(self) -> None:
        """Halve every counter; the increments since the last reset drop to match."""
        table = self._table
        odd = len(table) - len(table.translate(None, _ODD))
        table[:] = table.translate(_HALVE)
        # Halving drops the odd counters' half units: a quarter of them per key.
        self.additions = (self.additions - (odd >> 2)) >> 1

    def clear(self) -> None:
        """Forget every count."""
        self._table[:] = bytes(len(self._table))
        self.additions = 0

    @property
    def block_mask(self) -> int:
        """The number of blocks minus one, as :func:`key_slots` takes it."""
        return self._block_mask

    @property
    def table(self) -> bytearray:
        """The counters, row after row (a live view, as resets and clears work in place)."""
        return self._table

    def __repr__(self) -> str:
        return f"FrequencySketch(counters={len(self._table)}, additions={self.additions})"
