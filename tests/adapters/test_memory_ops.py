"""MemoryCache's add, incr, expire, touch and tags, on asyncio and trio, with a fake clock."""

from __future__ import annotations

import pytest

from pepperpy.caching import (
    Cache,
    ConfigurationError,
    InvalidKeyError,
    MemoryCache,
    NotAnIntegerError,
)

from .clocks import FakeClock

pytestmark = pytest.mark.anyio


def tagged_keys(cache: MemoryCache) -> set[str]:
    """What the cache's tag bookkeeping still names (it must never name a gone key)."""
    book = cache._book
    return set() if book is None else set(book.tagged_keys())


async def test_add() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    assert await cache.add("k", 1, ttl=10)
    assert not await cache.add("k", 2)
    assert await cache.get("k") == 1
    clock.advance(11)
    assert await cache.add("k", 3)  # an expired key holds nothing
    assert await cache.get("k") == 3


async def test_incr_counts_keeps_the_ttl_and_refuses_other_values() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    assert await cache.incr("n") == 1
    assert await cache.ttl("n") is None
    await cache.set("t", 5, ttl=10)
    clock.advance(4)
    assert await cache.incr("t", -7) == -2
    assert await cache.ttl("t") == pytest.approx(6.0)  # the TTL runs on
    for value in ("5", 1.5, True, None):
        await cache.set("x", value)
        with pytest.raises(NotAnIntegerError):
            await cache.incr("x")
        assert await cache.get("x", "gone") == value  # left as it was
    with pytest.raises(TypeError):
        await cache.incr("n", 1.0)  # type: ignore[arg-type]
    assert await cache.incr("n", 2**70) == 2**70 + 1  # Python ints have no 64-bit bound


async def test_expire_and_touch() -> None:
    clock = FakeClock()
    cache = MemoryCache(max_size=2, clock=clock)
    await cache.set("a", 1)
    assert await cache.expire("a", 5)
    assert await cache.ttl("a") == pytest.approx(5.0)
    assert not await cache.expire("missing", 5)
    with pytest.raises(ConfigurationError):
        await cache.expire("a", None)
    await cache.set("b", 2)
    hits = cache.stats.hits
    assert await cache.touch("a")  # a is now the most recently used
    assert cache.stats.hits == hits  # not a hit
    assert not await cache.touch("missing")
    await cache.set("c", 3)  # evicts the least recently used: b
    assert await cache.contains("a")
    assert not await cache.contains("b")
    assert await cache.ttl("a") == pytest.approx(5.0)  # touch left the TTL alone
    clock.advance(6)
    assert not await cache.touch("a")


async def test_tags_and_their_bookkeeping() -> None:
    clock = FakeClock()
    cache = MemoryCache(max_size=3, clock=clock)
    await cache.set("u1", 1, tags=("user:1", "all"))
    await cache.set("u1p", 2, tags=["user:1"])
    await cache.set("u2", 3, ttl=5, tags=("user:2", "all"))
    assert await cache.invalidate_tags("user:1") == 2
    assert await cache.get_many(["u1", "u1p", "u2"]) == {"u2": 3}
    assert tagged_keys(cache) == {"u2"}
    assert await cache.invalidate_tags("nobody") == 0
    assert await cache.invalidate_tags() == 0

    await cache.set("u2", 4)  # rewritten without tags: out of its tags
    assert tagged_keys(cache) == set()
    assert await cache.invalidate_tags("user:2", "all") == 0
    assert await cache.get("u2") == 4

    await cache.set("a", 1, tags=("t",))
    await cache.set("b", 1, tags=("t",))
    await cache.set("c", 1, tags=("t",))
    await cache.set("d", 1, tags=("t",))  # evicts one: it leaves its tag
    assert len(tagged_keys(cache)) == 3
    assert await cache.delete("d")
    assert "d" not in tagged_keys(cache)
    await cache.set("e", 1, ttl=1, tags=("t",))
    clock.advance(2)
    assert "e" in tagged_keys(cache)  # expired, not reclaimed yet: still stored
    assert await cache.invalidate_tags("nothing-else") == 0
    await cache.set("z", 0)  # a write reclaims what expired, and the book hears of it
    assert cache.stats.expirations == 1
    assert "e" not in tagged_keys(cache)
    await cache.incr("n")  # may evict one more tagged key: it leaves its tag
    live = tagged_keys(cache)
    assert live <= {"a", "b", "c"}
    assert await cache.invalidate_tags("t") == len(live)
    await cache.set("p:1", 1, tags=("p",))
    await cache.set("q", 1, tags=("p",))
    assert await cache.delete_prefix("p:") == 1
    assert tagged_keys(cache) == {"q"}
    assert await cache.delete_many(["q"]) == 1
    assert tagged_keys(cache) == set()
    await cache.set("r", 1, tags=("p",))
    await cache.clear()
    assert tagged_keys(cache) == set()
    with pytest.raises(InvalidKeyError):
        await cache.set("k", 1, tags="p")  # type: ignore[arg-type]
    await cache.set_many({"s": 1})
    assert tagged_keys(cache) == set()


async def test_tags_keep_through_incr_and_expire() -> None:
    cache = MemoryCache()
    await cache.set("n", 1, tags=("counters",))
    await cache.incr("n")
    assert await cache.expire("n", 30)
    assert await cache.invalidate_tags("counters") == 1


async def test_namespaces_over_memory_keep_their_own_tags() -> None:
    store = MemoryCache()
    users, teams = Cache(store, namespace="users"), Cache(store, namespace="teams")
    await users.set("1", "ada", tags=("t",))
    await teams.set("1", "core", tags=("t",))
    assert await users.invalidate_tags("t") == 1
    assert await teams.get("1") == "core"
    assert await users.add("n", 1)
    assert await users.incr("n", 2) == 3
    assert await store.get("users:n") == 3
    assert await users.expire("n", 10)
    assert await users.touch("n")
    assert await teams.invalidate_tags("t") == 1


async def test_copies_and_pickles_carry_independent_tags() -> None:
    import copy
    import pickle

    cache = MemoryCache()
    await cache.set("a", 1, tags=("t",))
    for twin in (copy.copy(cache), copy.deepcopy(cache), pickle.loads(pickle.dumps(cache))):
        assert await twin.invalidate_tags("t") == 1
        assert await twin.get("a") is None
    assert await cache.get("a") == 1  # the original keeps its key and its tag
    assert await cache.invalidate_tags("t") == 1


async def test_tags_are_given_by_keyword_only() -> None:
    cache: MemoryCache[int] = MemoryCache()
    with pytest.raises(TypeError):
        await cache.set("k", 1, None, ("t",))  # type: ignore[call-arg]
    await cache.set("k", 1, None, tags=("t",))
    assert await cache.invalidate_tags("t") == 1
