"""Straightforward transcriptions of the published algorithms, to check the policies.

Each function replays a trace the way its paper or reference simulator does, evicting
before it inserts, with plain lists and dicts instead of the policies' tuned
structures, and returns the number of misses.
"""

from __future__ import annotations

from collections.abc import Sequence

from pepperpy.caching.core.policies.frequency_sketch import FrequencySketch

__all__ = ("s3fifo_misses", "sieve_misses", "tinylfu_misses")


class _Node:
    __slots__ = ("key", "newer", "older", "visited")

    def __init__(self, key: str) -> None:
        self.key = key
        self.visited = False
        self.newer: _Node | None = None
        self.older: _Node | None = None


def sieve_misses(keys: Sequence[str], size: int) -> int:
    """SIEVE as in Zhang et al. (NSDI 2024), Figure 2's pseudocode, on a linked list."""
    nodes: dict[str, _Node] = {}
    head: _Node | None = None  # newest
    tail: _Node | None = None  # oldest
    hand: _Node | None = None
    misses = 0
    for key in keys:
        node = nodes.get(key)
        if node is not None:
            node.visited = True
            continue
        misses += 1
        if len(nodes) == size:
            victim = hand or tail
            assert victim is not None
            while victim.visited:
                victim.visited = False
                victim = victim.newer or tail
                assert victim is not None
            hand = victim.newer
            if victim.newer is not None:
                victim.newer.older = victim.older
            else:
                head = victim.older
            if victim.older is not None:
                victim.older.newer = victim.newer
            else:
                tail = victim.newer
            del nodes[victim.key]
        node = nodes[key] = _Node(key)
        node.older = head
        if head is not None:
            head.newer = node
        head = node
        if tail is None:
            tail = node
    return misses


def s3fifo_misses(keys: Sequence[str], size: int) -> int:
    """S3-FIFO as libCacheSim's ``S3FIFO.c`` runs it (promotion after one hit)."""
    small_size = max(1, int(size * 0.1))
    main_size = size - small_size
    small: list[str] = []
    main: list[str] = []
    ghost: list[str] = []
    freq: dict[str, int] = {}
    has_evicted = False
    misses = 0

    def evict_small() -> bool:
        while small:
            key = small.pop(0)
            if freq[key] >= 1:
                main.append(key)
                freq[key] = 0
            else:
                del freq[key]
                ghost.append(key)
                if len(ghost) > main_size:
                    ghost.pop(0)
                return True
        return False

    def evict_main() -> None:
        while True:
            key = main.pop(0)
            if freq[key] >= 1:
                main.append(key)
                freq[key] = min(freq[key], 3) - 1
            else:
                del freq[key]
                return

    for key in keys:
        if key in freq:
            freq[key] += 1
            continue
        misses += 1
        in_ghost = key in ghost
        if in_ghost:
            ghost.remove(key)
        while len(small) + len(main) >= size:
            has_evicted = True
            if len(main) > main_size or not small:
                evict_main()
            elif not evict_small():
                continue
        freq[key] = 0
        if in_ghost or (not has_evicted and len(small) >= small_size):
            main.append(key)
        else:
            small.append(key)
    return misses


def tinylfu_misses(keys: Sequence[str], size: int) -> int:
    """W-TinyLFU as Caffeine's simulator (``WindowTinyLfuPolicy``) runs it, 1% window,
    with one difference: as for every policy here, room is made before the newcomer
    is counted and joins the window (Caffeine counts it first, then evicts).

    It uses the library's :class:`FrequencySketch`: this checks the segments and the
    admission, not the sketch.
    """
    window_size = size - int(size * 0.99)
    protected_size = int((size - window_size) * 0.8)
    sketch = FrequencySketch(size)
    window: list[str] = []
    probation: list[str] = []
    protected: list[str] = []
    misses = 0
    for key in keys:
        if key in window:
            window.remove(key)
            window.append(key)
        elif key in probation:
            probation.remove(key)
            protected.append(key)
            if len(protected) > protected_size:
                probation.append(protected.pop(0))
        elif key in protected:
            protected.remove(key)
            protected.append(key)
        else:
            misses += 1
            if len(window) + len(probation) + len(protected) >= size:
                if probation and len(window) >= window_size:
                    candidate, victim = window[0], probation[0]
                    candidate_freq = sketch.frequency(sketch.slots(candidate))
                    victim_freq = sketch.frequency(sketch.slots(victim))
                    window.pop(0)
                    if candidate_freq > victim_freq:
                        probation.remove(victim)
                        probation.append(candidate)
                else:
                    next(segment for segment in (probation, protected, window) if segment).pop(0)
            sketch.increment(sketch.slots(key))
            window.append(key)
            if len(window) > window_size:
                probation.append(window.pop(0))
            continue
        sketch.increment(sketch.slots(key))
    return misses
