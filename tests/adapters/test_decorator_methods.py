"""@cached on methods, class methods and static methods: what is bound, what is keyed.

The default key leaves the receiver (``self``, ``cls``) out, so instances share results;
``key=`` can put instance state back in. Decorator orders @cached cannot see through are
refused with ConfigurationError the first time the method is used.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

import pytest

from pepperpy.caching import ConfigurationError, MemoryCache, cached

pytestmark = pytest.mark.anyio


class Repo:
    """Every run of a method is recorded in ``runs``, whatever the instance."""

    runs: ClassVar[list[str]] = []
    cache: ClassVar[MemoryCache] = MemoryCache()

    def __init__(self, tenant: str = "acme") -> None:
        self.tenant = tenant

    @cached(cache, ttl=60)
    async def load(self, user_id: int, field: str = "name") -> str:
        """Load one field of a user."""
        self.runs.append(f"load {user_id} {field}")
        return f"{self.tenant}:{user_id}.{field}"

    @cached(cache, key="{self.tenant}:user:{user_id}")
    async def load_for_tenant(self, user_id: int) -> str:
        self.runs.append(f"tenant {self.tenant} {user_id}")
        return f"{self.tenant}:{user_id}"

    @cached(cache)
    @classmethod
    async def make(cls, n: int) -> str:
        cls.runs.append(f"make {n}")
        return f"{cls.__name__}:{n}"

    @cached(cache)
    @staticmethod
    async def double(n: int) -> int:
        Repo.runs.append(f"double {n}")
        return 2 * n


class SubRepo(Repo):
    pass


@pytest.fixture
async def fresh_repo() -> None:
    """Each test starts with nothing cached and no runs."""
    await Repo.cache.clear()
    Repo.runs.clear()


@pytest.mark.usefixtures("fresh_repo")
async def test_instances_share_a_method_result_the_receiver_left_out_of_the_key() -> None:
    first, second = Repo("acme"), Repo("globex")
    assert await first.load(1) == "acme:1.name"
    assert await second.load(1) == "acme:1.name"  # documented: the key has no self
    assert await Repo.load(second, user_id=1, field="name") == "acme:1.name"
    assert Repo.runs == ["load 1 name"]
    key = f"{__name__}.Repo.load(1, 'name')"
    assert first.load.key_for(1) == second.load.key_for(user_id=1) == key
    assert Repo.load.key_for(first, 1, "name") == key


@pytest.mark.usefixtures("fresh_repo")
async def test_instance_state_goes_in_the_key_through_key() -> None:
    acme, globex = Repo("acme"), Repo("globex")
    assert await acme.load_for_tenant(1) == "acme:1"
    assert await globex.load_for_tenant(1) == "globex:1"
    assert await acme.load_for_tenant(user_id=1) == "acme:1"
    assert Repo.runs == ["tenant acme 1", "tenant globex 1"]
    assert globex.load_for_tenant.key_for(1) == "globex:user:1"


@pytest.mark.usefixtures("fresh_repo")
async def test_invalidate_through_an_instance_or_the_class() -> None:
    repo = Repo()
    await repo.load(2)
    assert await repo.load.invalidate(2) is True
    assert await repo.load.invalidate(2) is False
    await repo.load(2, "email")
    assert await Repo.load.invalidate(repo, user_id=2, field="email") is True
    await repo.load(2)
    assert Repo.runs == ["load 2 name", "load 2 email", "load 2 name"]


@pytest.mark.usefixtures("fresh_repo")
async def test_a_class_method_binds_the_class_and_leaves_it_out_of_the_key() -> None:
    assert await Repo.make(1) == "Repo:1"
    assert await Repo().make(1) == "Repo:1"
    assert await SubRepo.make(1) == "Repo:1"  # the key has no cls: subclasses share it
    assert Repo.runs == ["make 1"]
    assert SubRepo.make.key_for(n=1) == Repo.make.key_for(1) == f"{__name__}.Repo.make(1)"
    assert await SubRepo.make.invalidate(1) is True


@pytest.mark.usefixtures("fresh_repo")
async def test_a_static_method_keys_every_argument() -> None:
    assert await Repo.double(2) == 4
    assert await Repo().double(2) == 4
    assert await Repo.double(3) == 6
    assert Repo.runs == ["double 2", "double 3"]
    assert Repo().double.key_for(2) == f"{__name__}.Repo.double(2)"
    assert await Repo.double.invalidate(n=3) is True


def test_every_form_is_a_coroutine_function_with_the_original_signature() -> None:
    repo = Repo()
    forms: list[tuple[Callable[..., Any], str]] = [
        (repo.load, "(user_id: 'int', field: 'str' = 'name') -> 'str'"),
        (Repo.load, "(self, user_id: 'int', field: 'str' = 'name') -> 'str'"),
        (Repo.make, "(n: 'int') -> 'str'"),
        (repo.make, "(n: 'int') -> 'str'"),
        (Repo.double, "(n: 'int') -> 'int'"),
        (repo.double, "(n: 'int') -> 'int'"),
    ]
    for form, signature in forms:
        assert inspect.iscoroutinefunction(form), form
        assert str(inspect.signature(form)) == signature, form
        assert inspect.iscoroutinefunction(form.invalidate), form  # type: ignore[attr-defined]
    assert repo.load.__name__ == Repo.load.__name__ == "load"
    assert repo.load.__qualname__ == "Repo.load"
    assert repo.load.__doc__ == Repo.load.__doc__ == "Load one field of a user."
    assert repo.load.__self__ is repo  # type: ignore[attr-defined]
    assert "cached bound method Repo.load" in repr(repo.load)


@pytest.mark.usefixtures("fresh_repo")
async def test_wrapped_is_the_original_function() -> None:
    repo = Repo()
    original = Repo.__dict__["load"].__wrapped__
    assert Repo.load.__wrapped__ is original
    assert repo.load.__wrapped__ == original.__get__(repo)  # bound, as a method would be
    assert await repo.load.__wrapped__(5) == "acme:5.name"
    assert await repo.load.__wrapped__(5) == "acme:5.name"
    assert Repo.runs == ["load 5 name"] * 2  # the original skips the cache
    assert not await repo.load.invalidate(5)


class Outer:
    class Inner:
        @cached(MemoryCache())
        async def value(self, n: int) -> int:
            return n

    def factory(self) -> Callable[[int], Coroutine[Any, Any, int]]:
        @cached(MemoryCache())
        async def local(n: int) -> int:  # in a method's body, not a class body
            return n

        return local


async def test_nested_classes_bind_and_local_functions_do_not() -> None:
    assert await Outer.Inner().value(3) == 3
    assert Outer.Inner().value.key_for(3).endswith("Outer.Inner.value(3)")
    local = Outer().factory()
    assert await local(4) == 4
    assert local.key_for(4).endswith("Outer.factory.<locals>.local(4)")  # type: ignore[attr-defined]


async def test_an_already_bound_method_is_cached_as_a_function() -> None:
    class Service:
        async def fetch(self, n: int) -> int:
            return n

    fetch = cached(MemoryCache())(Service().fetch)
    assert await fetch(7) == 7
    assert fetch.key_for(7).endswith("Service.fetch(7)")


def _passthrough(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await function(*args, **kwargs)

    return wrapper


async def test_decorators_above_cached_in_a_class_body_are_refused_on_first_use() -> None:
    class Refused:
        @classmethod
        @cached(MemoryCache())
        async def by_class(cls, n: int) -> int:
            return n

        @staticmethod
        @cached(MemoryCache())
        async def by_static(n: int) -> int:
            return n

        @_passthrough
        @cached(MemoryCache())
        async def by_other(self, n: int) -> int:
            return n

    message = "must be its outermost decorator"
    with pytest.raises(ConfigurationError, match=message):
        await Refused.by_class(1)
    with pytest.raises(ConfigurationError, match=message):
        await Refused.by_static(1)
    with pytest.raises(ConfigurationError, match=message):
        await Refused().by_other(1)


def test_a_class_body_function_without_a_receiver_parameter_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="no first positional parameter"):

        class Refused:
            @cached(MemoryCache())
            async def nothing(*, n: int) -> int:
                return n
