"""Uniform random eviction with an injected, seeded generator."""

from __future__ import annotations

import random as _random
from typing import final

from ..errors import ConfigurationError

__all__ = ("RandomPolicy",)


@final
class RandomPolicy:
    """Evicts a key chosen uniformly at random.

    ``rng`` is a :class:`random.Random` (used as given), an ``int`` seed, or ``None``
    for the fixed seed 0: the same inputs always give the same evictions, and the
    process-wide generator of :mod:`random` is never touched. Keys live in a list with
    an index, so insert, remove (swap with the last) and choice are all O(1).
    """

    __slots__ = ("_index", "_keys", "_random", "_rng")

    def __init__(self, rng: object = None) -> None:
        if rng is None or (isinstance(rng, int) and not isinstance(rng, bool)):
            rng = _random.Random(0 if rng is None else rng)
        elif not isinstance(rng, _random.Random):
            raise ConfigurationError(
                f"rng must be a random.Random, an int seed or None; got {type(rng).__name__}"
            )
        self._rng = rng
        self._random = rng.random
        self._keys: list[str] = []
        self._index: dict[str, int] = {}

    def __getstate__(self) -> tuple[_random.Random, list[str], dict[str, int]]:
        """The generator itself, not its bound ``random`` method: ``copy.deepcopy``
        treats a built-in method as atomic, so a copy would draw from the original."""
        return (self._rng, self._keys, self._index)

    def __setstate__(self, state: tuple[_random.Random, list[str], dict[str, int]]) -> None:
        self._rng, self._keys, self._index = state
        self._random = self._rng.random

    def record_insert(self, key: str) -> None:
        """Track ``key``."""
        self._index[key] = len(self._keys)
        self._keys.append(key)

    def record_access(self, key: str) -> None:
        """Nothing: random eviction ignores reads."""

    def record_remove(self, key: str) -> None:
        """Forget ``key`` by moving the last key into its slot."""
        position = self._index.pop(key)
        last = self._keys.pop()
        if last != key:
            self._keys[position] = last
            self._index[last] = position

    def pop_victim(self) -> str:
        """Forget and return a uniformly chosen key."""
        # random() * n is uniform enough for any n below 2**53 and cheaper than randrange.
        victim = self._keys[int(self._random() * len(self._keys))]
        self.record_remove(victim)
        return victim

    def clear(self) -> None:
        """Forget every key."""
        self._keys.clear()
        self._index.clear()

    def access_recorder(self) -> None:
        """``None``: hits never change a random choice."""

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"RandomPolicy(tracked={len(self._keys)})"
