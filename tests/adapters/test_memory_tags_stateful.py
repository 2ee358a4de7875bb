"""MemoryCache's tags against a model, under eviction and expiry: a tag never names a
gone key, and invalidating removes exactly the live keys carrying the tags.

MemoryCache's methods never yield to the event loop, so the machine runs each
coroutine to its end with ``send(None)``, without a loop.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from pepperpy.caching import MemoryCache

from .clocks import FakeClock

T = TypeVar("T")

keys = st.sampled_from("abcdefg")
tag_sets = st.frozensets(st.sampled_from(["t1", "t2", "t3"]), max_size=2)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    raise AssertionError("a MemoryCache method yielded to the event loop")


class TaggedCache(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.cache = MemoryCache(max_size=4, clock=self.clock)
        self.tags: dict[str, frozenset[str]] = {}  # the model: tags of each written key

    def live(self) -> set[str]:
        return {key for key in "abcdefg" if run(self.cache.contains(key))}

    @rule(key=keys, tags=tag_sets, ttl=st.none() | st.sampled_from([1.0, 5.0]))
    def write(self, key: str, tags: frozenset[str], ttl: float | None) -> None:
        run(self.cache.set(key, 1, ttl, tags=tags))
        self.tags[key] = tags

    @rule(key=keys)
    def delete(self, key: str) -> None:
        run(self.cache.delete(key))

    @rule(key=keys)
    def bump(self, key: str) -> None:
        if run(self.cache.contains(key)):
            run(self.cache.incr(key))  # keeps the key's tags
        else:
            run(self.cache.incr(key))
            self.tags[key] = frozenset()

    @rule(seconds=st.sampled_from([0.5, 2.0]))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(tags=tag_sets)
    def invalidate(self, tags: frozenset[str]) -> None:
        expected = {key for key in self.live() if self.tags.get(key, frozenset()) & tags}
        assert run(self.cache.invalidate_tags(*tags)) == len(expected)
        assert not (self.live() & expected)

    @invariant()
    def tags_name_only_stored_keys(self) -> None:
        book = self.cache._book
        stored = set(self.cache.engine.keys())
        if book is not None:
            assert set(book.tagged_keys()) <= stored
            for key in book.tagged_keys():
                assert book.tags_of(key) == self.tags[key]


TestTaggedCache = TaggedCache.TestCase
