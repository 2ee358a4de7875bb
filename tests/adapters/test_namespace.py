"""Cache namespaces over MemoryCache, on asyncio and trio."""

from __future__ import annotations

import pytest

from pepperpy.caching import Cache, ConfigurationError, MemoryCache

pytestmark = pytest.mark.anyio

AWKWARD = ["ns", "ns*", "nsX", "ns[1]", "n?", "ns\\", "%", "ns-sub", "日本"]


async def test_keys_are_prefixed_in_the_backend() -> None:
    backend = MemoryCache()
    users = Cache(backend, namespace="users")
    await users.set("123", {"name": "Ada"})
    assert await backend.get("users:123") == {"name": "Ada"}
    assert await users.get("123") == {"name": "Ada"}
    assert await users.contains("123")
    assert not await backend.contains("123")


async def test_namespaces_nest() -> None:
    backend = MemoryCache()
    active = Cache(Cache(backend, namespace="users"), namespace="active")
    await active.set("7", True)
    assert backend.engine.keys() == ["users:active:7"]


async def test_clear_removes_exactly_its_own_namespace() -> None:
    backend = MemoryCache(max_size=None)
    views = {name: Cache(backend, namespace=name) for name in AWKWARD}
    for name, view in views.items():
        await view.set_many({f"{name}-{i}": i for i in range(20)})
        await view.set("sub:key", "x")  # keys may contain the separator
    await backend.set("ns", "bare key equal to a namespace")
    await backend.set("nsnokey", "bare key sharing the prefix")
    await Cache(views["ns"], namespace="inner").set("k", "nested")

    await views["ns"].clear()

    assert not [e.key for e in backend.entries() if e.key.startswith("ns:")]
    for name in AWKWARD[1:]:
        assert await views[name].get("sub:key") == "x"
        assert len(await views[name].get_many([f"{name}-{i}" for i in range(20)])) == 20
    assert await backend.get("ns") == "bare key equal to a namespace"
    assert await backend.get("nsnokey") == "bare key sharing the prefix"


async def test_batch_methods_and_ttl_through_a_view() -> None:
    backend = MemoryCache()
    view = Cache(backend, namespace="v")
    await view.set_many({"a": 1, "b": 2}, ttl=30)
    assert await view.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    assert await view.ttl("a") == pytest.approx(30, abs=1)
    assert await view.delete_many(["a", "c"]) == 1
    assert await view.delete("b")
    assert backend.size == 0


async def test_view_stats_count_its_own_lookups() -> None:
    backend = MemoryCache()
    view = Cache(backend, namespace="v")
    other = Cache(backend, namespace="w")
    await view.set("a", 1)
    await view.get("a")
    await view.get("b")
    await other.get("a")
    assert (view.stats.hits, view.stats.misses) == (1, 1)
    assert (other.stats.hits, other.stats.misses) == (0, 1)
    assert view.stats.size == backend.size == 1


async def test_get_or_set_through_a_view() -> None:
    view = Cache(MemoryCache(), namespace="v")
    assert await view.get_or_set("k", lambda: 41 + 1) == 42
    assert await view.backend.get("v:k") == 42


@pytest.mark.parametrize("bad", ["", "a:b", ":", 5, None])
def test_bad_namespaces(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        Cache(MemoryCache(), namespace=bad)  # type: ignore[arg-type]


def test_backend_must_be_a_cache() -> None:
    with pytest.raises(ConfigurationError):
        Cache({}, namespace="x")  # type: ignore[arg-type]


async def test_iter_keys_lists_a_namespace_without_its_prefix() -> None:
    backend = MemoryCache()
    view = Cache(backend, namespace="v")
    await view.set_many({"a1": 1, "a2": 2, "b": 3})
    await backend.set("vv:a1", "foreign")
    assert sorted([k async for k in view.iter_keys()]) == ["a1", "a2", "b"]
    assert sorted([k async for k in view.iter_keys("a")]) == ["a1", "a2"]
    assert sorted([k async for k in backend.iter_keys("v:")]) == ["v:a1", "v:a2", "v:b"]
