"""Where an index keeps its vectors: numpy rows in slots, reused after removals.

Each stored vector has a *label* for the graph: its slot in the low 32 bits and, in the
high bits, how many times the slot was freed before. A label is therefore never used
twice, and a search result maps back to its slot with a mask, no lookup table.
"""

from __future__ import annotations

from typing import Any, Final, final

import numpy as np
import numpy.typing as npt

__all__ = ("SLOT_MASK", "SlotStore")

_SLOT_BITS: Final = 32
SLOT_MASK: Final = (1 << _SLOT_BITS) - 1
"""Label -> slot: ``label & SLOT_MASK``."""
_SHIFT: Final = np.uint64(_SLOT_BITS)
_MIN_SLOTS: Final = 16


@final
class SlotStore:
    """Rows of vectors (as given, in one dtype), their keys, metadata and labels.

    ``cosine`` stores ``1 / |row|`` beside each row. Freed slots are reused, latest
    freed first, except while ``hold_freed`` is set (a rebuild is reading rows): then
    they wait until :meth:`release_held`.
    """

    __slots__ = (
        "_free",
        "_held",
        "alive",
        "empty",
        "gen",
        "high",
        "hold_freed",
        "inv_norms",
        "key_of",
        "payload_of",
        "payloads_given",
        "slot_of",
        "vectors",
    )

    def __init__(self, dim: int, dtype: np.dtype[Any], cosine: bool, empty: object) -> None:
        self.empty = empty
        """The payload of slots given none."""
        self.vectors: npt.NDArray[Any] = np.empty((0, dim), dtype)
        self.inv_norms: npt.NDArray[np.float64] | None = np.empty(0) if cosine else None
        self.gen = np.empty(0, np.uint64)
        self.alive = np.empty(0, np.bool_)
        self.key_of: list[str | None] = []
        self.payload_of: list[Any] = []
        """The metadata mapping of the vector in each slot."""
        self.payloads_given = 0
        """Live slots whose payload is not ``empty``: while 0, readers can skip
        ``payload_of`` (a memory access saved per search result)."""
        self.slot_of: dict[str, int] = {}
        self.high = 0
        """How many slots were ever used (every live slot is below it)."""
        self._free: list[int] = []
        self._held: list[int] = []
        self.hold_freed = False

    @classmethod
    def restore(
        cls,
        *,
        vectors: npt.NDArray[Any],
        inv_norms: npt.NDArray[np.float64] | None,
        gen: npt.NDArray[np.uint64],
        keys: list[str | None],
        payloads: list[Any],
        empty: object,
    ) -> SlotStore:
        """A store holding ``vectors`` in slots ``0..len(vectors)-1``; a slot whose key
        is ``None`` is free. The arrays are taken over, not copied."""
        high = len(vectors)
        store = cls(vectors.shape[1], vectors.dtype, inv_norms is not None, empty)
        store.vectors = vectors
        store.inv_norms = inv_norms
        store.gen = gen
        store.alive = np.fromiter((key is not None for key in keys), np.bool_, high)
        store.key_of = keys
        store.payload_of = payloads
        store.payloads_given = sum(p is not None and p is not empty for p in payloads)
        store.slot_of = {key: slot for slot, key in enumerate(keys) if key is not None}
        store.high = high
        store._free = np.flatnonzero(~store.alive)[::-1].tolist()
        return store

    def label(self, slot: int) -> int:
        """The current label of ``slot``."""
        return (int(self.gen[slot]) << _SLOT_BITS) | slot

    def labels(self, slots: npt.NDArray[np.intp]) -> npt.NDArray[np.uint64]:
        """The current labels of ``slots``."""
        return (self.gen[slots] << _SHIFT) | slots.astype(np.uint64)

    def live_slots(self) -> npt.NDArray[np.intp]:
        """Every live slot, ascending."""
        return np.flatnonzero(self.alive[: self.high])

    # -- claiming and freeing ------------------------------------------------------

    def next_slot(self) -> int:
        """The slot the next vector goes to (claims nothing; grows the rows if needed)."""
        if self._free:
            return self._free[-1]
        if self.high == len(self.alive):
            self._grow(self.high + 1)
        return self.high

    def next_slots(self, n: int) -> npt.NDArray[np.intp]:
        """The slots the next ``n`` vectors go to (claims nothing)."""
        free = self._free
        reused = min(n, len(free))
        fresh = n - reused
        if self.high + fresh > len(self.alive):
            self._grow(self.high + fresh)
        slots = np.empty(n, np.intp)
        slots[:reused] = free[len(free) - reused :][::-1]
        slots[reused:] = np.arange(self.high, self.high + fresh)
        return slots

    def claim(self, n: int) -> None:
        """Take the ``n`` slots :meth:`next_slots` (or :meth:`next_slot`) named."""
        reused = min(n, len(self._free))
        del self._free[len(self._free) - reused :]
        self.high += n - reused

    def put(
        self, slot: int, key: str, row: npt.NDArray[Any], inv_norm: float | None, payload: object
    ) -> None:
        """Fill a claimed ``slot``."""
        self.vectors[slot] = row
        if self.inv_norms is not None:
            self.inv_norms[slot] = inv_norm
        self.alive[slot] = True
        self.key_of[slot] = key
        self.payload_of[slot] = payload
        if payload is not self.empty:
            self.payloads_given += 1
        self.slot_of[key] = slot

    def set_payload(self, slot: int, payload: object) -> None:
        """Replace the payload of a live ``slot``."""
        empty = self.empty
        self.payloads_given += (payload is not empty) - (self.payload_of[slot] is not empty)
        self.payload_of[slot] = payload

    def put_many(
        self,
        slots: npt.NDArray[np.intp],
        keys: list[str],
        rows: npt.NDArray[Any],
        inv_norms: npt.NDArray[np.float64] | None,
        payloads: list[Any] | None,
    ) -> None:
        """Fill claimed ``slots``."""
        self.vectors[slots] = rows
        if self.inv_norms is not None:
            self.inv_norms[slots] = inv_norms
        self.alive[slots] = True
        key_of, slot_of, payload_of = self.key_of, self.slot_of, self.payload_of
        empty = self.empty
        for i, (key, slot) in enumerate(zip(keys, slots.tolist(), strict=True)):
            key_of[slot] = key
            slot_of[key] = slot
            payload_of[slot] = empty if payloads is None else payloads[i]
        if payloads is not None:
            self.payloads_given += sum(payload is not empty for payload in payloads)

    def free(self, slots: list[int]) -> None:
        """Empty ``slots`` (their keys must be forgotten by the caller's ``slot_of``)."""
        empty = self.empty
        for slot in slots:
            self.key_of[slot] = None
            if self.payload_of[slot] is not empty:
                self.payloads_given -= 1
            self.payload_of[slot] = None
        index = np.array(slots, np.intp)
        self.alive[index] = False
        self.gen[index] += np.uint64(1)
        (self._held if self.hold_freed else self._free).extend(slots)

    def release_held(self) -> None:
        """Make the slots freed while ``hold_freed`` was set reusable."""
        self.hold_freed = False
        self._free.extend(self._held)
        self._held = []

    def _grow(self, needed: int) -> None:
        """New, larger arrays (new objects: a rebuild reading the old keeps them)."""
        # 1.25x: a full cache needs one row more than its size for a moment (a new
        # vector comes in before the evicted one leaves); doubling would waste half.
        size = max(_MIN_SLOTS, needed, len(self.alive) + len(self.alive) // 4)
        high = self.high

        def grown(old: npt.NDArray[Any], fill: object = 0) -> npt.NDArray[Any]:
            new = np.full((size, *old.shape[1:]), fill, old.dtype)
            new[:high] = old[:high]
            return new

        self.vectors = grown(self.vectors)
        if self.inv_norms is not None:
            self.inv_norms = grown(self.inv_norms)
        self.gen = grown(self.gen)
        self.alive = grown(self.alive, False)
        self.key_of.extend([None] * (size - len(self.key_of)))
        self.payload_of.extend([None] * (size - len(self.payload_of)))

    def __len__(self) -> int:
        return len(self.slot_of)
