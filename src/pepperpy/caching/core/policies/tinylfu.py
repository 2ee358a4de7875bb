"""W-TinyLFU: a small LRU window, a segmented LRU main area and a frequency sketch."""

from __future__ import annotations

from collections import OrderedDict
from typing import Final, final

from ..errors import ConfigurationError
from .base import AccessRecorder, check_capacity
from .frequency_sketch import INCREMENT, MAX_COUNT, FrequencySketch, Slots, key_slots

__all__ = ("TinyLFUPolicy",)

_MAIN_SHARE: Final = 0.99
_PROTECTED_SHARE: Final = 0.8
_UNBOUNDED_SKETCH: Final = 64
"""Capacity the sketch is sized for when the policy has none (it then never admits)."""


@final
class TinyLFUPolicy:
    """Admits a key to the main area only if it is used more often than the key it evicts.

    W-TinyLFU (Einziger, Friedman and Manes, 2017), laid out as Caffeine lays it out:

    * a *window*, an LRU of 1% of the capacity, where every new key starts;
    * the *main* area, a segmented LRU of the other 99%: *probation* (keys not hit since
      they left the window, and keys demoted from protected) and *protected* (up to 80%
      of the main area); a hit in probation moves the key to protected, whose least
      recently used key then moves back to probation if protected is over its share;
    * a :class:`FrequencySketch` that counts every insert and hit, halving all counts
      after every ``10 * capacity`` additions.

    A full cache makes room before a new key joins the window. If the window is full,
    its least recently used key (the *candidate*) competes with probation's least
    recently used key (the *victim*): the candidate moves to probation only if the
    sketch says it is used more often (ties keep the victim) and the victim leaves;
    otherwise the candidate is refused admission and leaves (:meth:`last_rejected`
    then says so, and a cache counts it as a rejection). The key being written is
    never the one that leaves. With no duel to run, probation's least recently used
    key leaves, or failing one the protected or window key used least recently. When
    the cache is not full, a window overflow moves the candidate to probation as is.

    Unlike Caffeine, the window does not adapt its size, there is no doorkeeper in front
    of the sketch, and a warm candidate that loses is never admitted at random (Caffeine
    does so with probability 1/128 against hash flooding; keys here are hashed with a
    fixed CRC-32, which an adversary could target).

    ``max_size`` is the capacity of the cache; a cache built on this policy supplies
    it through :meth:`bind_capacity`. Without one (an unbounded cache, or a policy used
    on its own) every key stays in the window and evictions follow LRU order. Every
    operation is O(1).
    """

    __slots__ = (
        "_block_mask",
        "_capacity",
        "_increment",
        "_probation",
        "_protected",
        "_protected_size",
        "_rejected",
        "_sketch",
        "_table",
        "_window",
        "_window_size",
    )

    def __init__(self, max_size: object = None) -> None:
        # Keys map to their sketch slots in whichever segment holds them.
        self._window: OrderedDict[str, Slots] = OrderedDict()
        self._probation: OrderedDict[str, Slots] = OrderedDict()
        self._protected: OrderedDict[str, Slots] = OrderedDict()
        self._rejected = False
        self._size_for(check_capacity(max_size))

    def _size_for(self, capacity: int | None) -> None:
        self._capacity = capacity
        if capacity is None:
            self._window_size = self._protected_size = 1 << 62
            self._sketch = FrequencySketch(_UNBOUNDED_SKETCH)
        else:
            main = int(capacity * _MAIN_SHARE)
            self._window_size = capacity - main
            self._protected_size = int(main * _PROTECTED_SHARE)
            self._sketch = FrequencySketch(capacity)
        self._block_mask = self._sketch.block_mask
        self._increment = self._sketch.increment
        self._table = self._sketch.table

    def bind_capacity(self, max_size: object) -> None:
        """Size the segments and the sketch for ``max_size`` keys (``None``: unbounded)."""
        if len(self):
            raise ConfigurationError("bind_capacity() on a policy that already tracks keys")
        self._size_for(check_capacity(max_size))

    @property
    def capacity(self) -> int | None:
        """The capacity the segments are sized for, or ``None``."""
        return self._capacity

    @property
    def sketch(self) -> FrequencySketch:
        """The frequency sketch (read it, do not feed it)."""
        return self._sketch

    def record_insert(self, key: str) -> None:
        """Count ``key`` and put it in the window; an overflow moves the window's least
        recently used key to probation (the cache had room: no duel)."""
        slots = key_slots(key, self._block_mask)
        self._increment(slots)
        window = self._window
        window[key] = slots
        if len(window) > self._window_size:
            candidate, candidate_slots = window.popitem(False)
            self._probation[candidate] = candidate_slots

    def record_access(self, key: str) -> None:
        """Count a hit on ``key`` and refresh its place in its segment."""
        protected = self._protected
        slots = protected.get(key)
        if slots is not None:
            protected.move_to_end(key)
        elif (slots := self._window.get(key)) is not None:
            self._window.move_to_end(key)
        else:
            slots = self._probation.pop(key)
            protected[key] = slots
            if len(protected) > self._protected_size:
                demoted, demoted_slots = protected.popitem(False)
                self._probation[demoted] = demoted_slots
        # FrequencySketch.increment, inlined: this is every hit's cost.
        table = self._table
        a, b, c, d = slots
        ca, cb, cc, cd = table[a], table[b], table[c], table[d]
        if ca & cb & cc & cd != MAX_COUNT:
            table[a] = INCREMENT[ca]
            table[b] = INCREMENT[cb]
            table[c] = INCREMENT[cc]
            table[d] = INCREMENT[cd]
            sketch = self._sketch
            sketch.additions += 1
            if sketch.additions >= sketch.sample_size:
                sketch.reset()

    def record_remove(self, key: str) -> None:
        """Forget ``key`` (the sketch keeps its count)."""
        if self._protected.pop(key, None) is None and self._probation.pop(key, None) is None:
            del self._window[key]

    def pop_victim(self) -> str:
        """Let the window's candidate and the probation victim compete; forget and
        return the loser (see the class documentation)."""
        window, probation = self._window, self._probation
        self._rejected = False
        if probation and len(window) >= self._window_size:
            # The candidate leaves the window whichever way the duel goes.
            candidate, candidate_slots = window.popitem(False)
            victim = next(iter(probation))
            table = self._table
            a, b, c, d = candidate_slots
            w, x, y, z = probation[victim]
            if min(table[a], table[b], table[c], table[d]) > min(
                table[w], table[x], table[y], table[z]
            ):
                del probation[victim]
                probation[candidate] = candidate_slots
                return victim
            self._rejected = True
            return candidate
        for segment in (probation, self._protected, window):
            if segment:
                return segment.popitem(False)[0]
        raise LookupError("pop_victim() on an empty policy")

    def last_rejected(self) -> bool:
        """Whether the last :meth:`pop_victim` refused the window's candidate admission
        to the main area (rather than evicting from it)."""
        return self._rejected

    def clear(self) -> None:
        """Forget every key and every count: the policy starts afresh."""
        self._window.clear()
        self._probation.clear()
        self._protected.clear()
        self._rejected = False
        self._sketch.clear()

    def access_recorder(self) -> AccessRecorder:
        """:meth:`record_access`."""
        return self.record_access

    def segment_of(self, key: str) -> str:
        """Where ``key`` is: ``"window"``, ``"probation"``, ``"protected"`` or ``"absent"``."""
        if key in self._window:
            return "window"
        if key in self._probation:
            return "probation"
        return "protected" if key in self._protected else "absent"

    def frequency(self, key: str) -> int:
        """The sketch's estimate (0 to 15) of how often ``key`` was seen lately."""
        return self._sketch.frequency(key_slots(key, self._block_mask))

    def __len__(self) -> int:
        return len(self._window) + len(self._probation) + len(self._protected)

    def __repr__(self) -> str:
        return (
            f"TinyLFUPolicy(capacity={self._capacity}, window={len(self._window)}, "
            f"probation={len(self._probation)}, protected={len(self._protected)})"
        )
