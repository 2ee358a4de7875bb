"""The interface every cache implements, on the pure and the compiled build alike.

The compiled build compiles the state :class:`CacheBackend` keeps and MemoryCache's
hot path as native classes that Python subclasses: the interface must still refuse
an instance while an abstract method is left unimplemented, and give no instance a
``__dict__`` that a subclass with ``__slots__`` does not ask for.
"""

from __future__ import annotations

from typing import Any

import pytest

from pepperpy.caching import CacheBackend, CacheStats, MemoryCache


class _Complete(CacheBackend[Any]):
    __slots__ = ("values",)

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}

    async def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    async def set(self, key: str, value: Any, ttl: Any = None) -> None:
        self.values[key] = value

    async def contains(self, key: str) -> bool:
        return key in self.values

    async def delete(self, key: str) -> bool:
        return self.values.pop(key, None) is not None

    async def clear(self) -> None:
        self.values.clear()

    async def delete_prefix(self, prefix: str) -> int:
        return 0

    async def ttl(self, key: str) -> float | None:
        return None

    @property
    def stats(self) -> CacheStats:
        raise NotImplementedError


ABSTRACT = sorted(CacheBackend.__abstractmethods__)


def test_the_abstract_methods_are_the_interface() -> None:
    assert ABSTRACT == [
        "clear",
        "contains",
        "delete",
        "delete_prefix",
        "get",
        "set",
        "stats",
        "ttl",
    ]
    assert not MemoryCache.__abstractmethods__


@pytest.mark.parametrize("name", ABSTRACT)
def test_a_backend_missing_an_abstract_method_cannot_be_instantiated(name: str) -> None:
    methods = {other: vars(_Complete)[other] for other in ABSTRACT if other != name}
    incomplete = type("Incomplete", (CacheBackend,), {"__slots__": (), **methods})
    with pytest.raises(TypeError, match=r"abstract class Incomplete .*\b" + name):
        incomplete()


@pytest.mark.parametrize("factory", [_Complete, MemoryCache])
def test_backends_with_slots_keep_no_instance_dict(factory: type[CacheBackend[Any]]) -> None:
    cache = factory()
    assert isinstance(cache, CacheBackend)
    assert not hasattr(cache, "__dict__")
    with pytest.raises(AttributeError):
        cache.typo = 1  # type: ignore[attr-defined]


def test_a_backend_without_slots_has_an_instance_dict() -> None:
    class Plain(_Complete):
        pass

    cache = Plain()
    cache.note = 1  # type: ignore[attr-defined]
    assert vars(cache) == {"note": 1}


def test_memory_caches_are_backends_of_any_value_type() -> None:
    cache = MemoryCache[int]()
    assert isinstance(cache, CacheBackend)
    assert issubclass(MemoryCache, CacheBackend)
