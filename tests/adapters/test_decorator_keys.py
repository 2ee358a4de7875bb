"""The keys of @cached: default keys, templates and key callables, read with key_for.

key_for is plain code (no await), so these tests need no event loop; what reaches the
cache is checked in test_decorator.py, on both runtimes and on every store.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pepperpy.caching import ConfigurationError, InvalidKeyError, InvalidTTLError, cached
from pepperpy.caching.adapters.memory import MemoryCache

from .test_decorator_arguments import POSITIONAL, signatures

CACHE = MemoryCache()
Parameter = inspect.Parameter


# -- the default key


@cached(CACHE)
async def weather(city: str, units: str = "metric", *, days: int = 1) -> str:
    return f"{city} {units} {days}"


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("Lisbon",), {}),
        (("Lisbon", "metric"), {}),
        ((), {"city": "Lisbon"}),
        ((), {"units": "metric", "city": "Lisbon", "days": 1}),
        (("Lisbon",), {"days": 1}),
    ],
)
def test_every_spelling_of_one_call_has_one_key(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    assert weather.key_for(*args, **kwargs) == f"{__name__}.weather('Lisbon', 'metric', days=1)"


def test_different_arguments_have_different_keys() -> None:
    keys = {
        weather.key_for("Lisbon"),
        weather.key_for("Porto"),
        weather.key_for("Lisbon", "imperial"),
        weather.key_for("Lisbon", days=2),
        weather.key_for("1"),
        weather.key_for(1),  # type: ignore[arg-type]
    }
    assert len(keys) == 6


def test_extra_positional_and_keyword_arguments_are_keyed_keywords_sorted() -> None:
    @cached(CACHE)
    async def report(kind: str, *ids: int, **filters: str) -> str:
        return kind

    prefix = f"{__name__}.{report.__qualname__}"
    assert report.key_for("x", 1, 2, b="2", a="1") == f"{prefix}('x', 1, 2, a='1', b='2')"
    assert report.key_for("x", a="1", b="2") == report.key_for("x", b="2", a="1")
    assert report.key_for(kind="x") == f"{prefix}('x')"


def test_a_call_the_function_would_refuse_raises_its_type_error() -> None:
    with pytest.raises(TypeError, match="missing a required argument: 'city'"):
        weather.key_for()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'town'"):
        weather.key_for("Lisbon", town="Lisbon")  # type: ignore[call-arg]


Call = tuple[tuple[Any, ...], dict[str, Any]]


@st.composite
def spellings(draw: st.DrawFn) -> tuple[inspect.Signature, Call, Call]:
    """A signature and two spellings of one call of it (positional or keyword, defaults
    given or left out)."""
    signature = draw(signatures())
    spelled: list[Call] = []
    for _ in range(2):
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        cut = draw(st.integers(0, len(signature.parameters)))  # positional up to here
        for index, parameter in enumerate(signature.parameters.values()):
            value = 7 if parameter.default is parameter.empty else parameter.default
            if parameter.kind is Parameter.VAR_POSITIONAL:
                if index <= cut:
                    args.extend((8, 9))
            elif parameter.kind is Parameter.VAR_KEYWORD:
                kwargs.update(zz=1, yy=2) if draw(st.booleans()) else kwargs.update(yy=2, zz=1)
            elif parameter.default is not parameter.empty and draw(st.booleans()):
                continue  # left out: its default applies
            elif parameter.kind in POSITIONAL and index < cut:
                args.append(value)
            else:
                kwargs[parameter.name] = value
        spelled.append((tuple(args), kwargs))
    return signature, spelled[0], spelled[1]


def with_signature(signature: inspect.Signature) -> Any:
    async def function(*args: Any, **kwargs: Any) -> None: ...

    function.__signature__ = signature  # type: ignore[attr-defined]
    return function


def bound(signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        arguments = signature.bind(*args, **kwargs)
    except TypeError:
        return None
    arguments.apply_defaults()
    return arguments.arguments


@given(spellings())
def test_spellings_of_one_call_share_their_key(
    spelled: tuple[inspect.Signature, Call, Call],
) -> None:
    signature, (args_a, kwargs_a), (args_b, kwargs_b) = spelled
    reference = bound(signature, args_a, kwargs_a)
    assume(reference is not None and reference == bound(signature, args_b, kwargs_b))
    function = cached(CACHE)(with_signature(signature))
    assert function.key_for(*args_a, **kwargs_a) == function.key_for(*args_b, **kwargs_b)


class Plain:
    """A class with the default repr, which holds the object's address."""


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int


class Color(enum.Enum):
    RED = 1


def test_an_argument_whose_repr_holds_an_address_is_refused() -> None:
    @cached(CACHE)
    async def draw(shape: Any, *more: Any) -> None: ...

    with pytest.raises(ConfigurationError, match=r"passed as shape \(<.*Plain object at 0x"):
        draw.key_for(Plain())
    with pytest.raises(ConfigurationError, match=r"passed as more\[1\]"):
        draw.key_for(1, 2, [Plain()])
    with pytest.raises(ConfigurationError, match="function"):
        draw.key_for(len if False else (lambda: None))


def test_arguments_whose_repr_is_their_data_are_keyed() -> None:
    @cached(CACHE)
    async def draw(shape: object) -> None: ...

    assert draw.key_for(Point(1, 2)).endswith("(Point(x=1, y=2))")
    assert draw.key_for(Color.RED).endswith("(<Color.RED: 1>)")
    assert draw.key_for("meet <here at 0x10>").endswith("('meet <here at 0x10>')")
    assert draw.key_for(len).endswith("(<built-in function len>)")


# -- templates


def test_a_template_is_filled_by_name_with_defaults_applied() -> None:
    @cached(CACHE, key="user:{user_id}:{field}")
    async def load(user_id: int, field: str = "name") -> str:
        return field

    assert load.key_for(3) == "user:3:name"
    assert load.key_for(user_id=3, field="name") == "user:3:name"
    assert load.key_for(3, "email") == "user:3:email"


def test_a_template_may_look_up_attributes_items_conversions_and_specs() -> None:
    @cached(CACHE, key="{{{point.x}}}:{tags[0]}:{name!r}:{n:03d}")
    async def load(point: Point, tags: list[str], name: str, n: int, /) -> None: ...

    assert load.key_for(Point(1, 2), ["a"], "z", 7) == "{1}:a:'z':007"


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("user:{uid}", r"'uid' is not one of its parameters \(user_id, rest, options\)"),
        ("user:{}", "names no parameter"),
        ("user:{0}", "names no parameter"),
        ("user:{ user_id }", "names no parameter"),
        ("user:{user_id", "expected '}' before end of string"),
        ("user:}", "Single '}'"),
        ("user:{user_id.}", "Empty attribute"),
        ("user:{user_id!x}", "Unknown conversion specifier x"),
        ("user:{user_id:{width}}", "format spec of {user_id} holds a field"),
        ("user:{rest}", "'rest' collects extra arguments"),
        ("user:{options}", "'options' collects extra arguments"),
    ],
)
def test_a_bad_template_is_refused_at_decoration_time(template: str, reason: str) -> None:
    async def load(user_id: int, *rest: int, **options: int) -> None: ...

    with pytest.raises(ConfigurationError, match=reason) as caught:
        cached(CACHE, key=template)(load)
    assert template in str(caught.value)


def test_a_template_that_fails_on_a_call_says_so() -> None:
    @cached(CACHE, key="user:{user.id}")
    async def load(user: object) -> None: ...

    with pytest.raises(ConfigurationError, match=r"'user:\{user.id\}' .* could not be filled"):
        load.key_for(Point(1, 2))


# -- key callables


def test_a_key_callable_gets_the_bound_arguments_with_defaults_applied() -> None:
    seen: list[tuple[Any, ...]] = []

    def key(city: str, units: str, *, days: int) -> str:
        seen.append((city, units, days))
        return f"weather:{city}:{units}:{days}"

    @cached(CACHE, key=key)
    async def forecast(city: str, units: str = "metric", *, days: int = 1) -> str:
        return city

    assert forecast.key_for("Lisbon") == "weather:Lisbon:metric:1"
    assert forecast.key_for(units="metric", city="Lisbon") == "weather:Lisbon:metric:1"
    assert seen == [("Lisbon", "metric", 1)] * 2


def test_a_key_callable_that_cannot_take_the_arguments_is_refused_at_decoration_time() -> None:
    async def forecast(city: str, units: str = "metric", *, days: int = 1) -> str:
        return city

    with pytest.raises(ConfigurationError, match=r"forecast\(city: .* key\(city\) cannot"):
        cached(CACHE, key=lambda city: city)(forecast)
    with pytest.raises(ConfigurationError, match="days"):
        cached(CACHE, key=lambda city, units: city)(forecast)
    # What takes them all is fine, by name or not.
    cached(CACHE, key=lambda *args, **kwargs: "k")(forecast)
    cached(CACHE, key=lambda city, units, days: city)(forecast)


def test_a_key_callable_must_return_a_str() -> None:
    @cached(CACHE, key=lambda n: n)
    async def load(n: int) -> int:
        return n

    with pytest.raises(InvalidKeyError, match="returned 3 of type int"):
        load.key_for(3)


# -- what cached() itself checks


def test_bad_arguments_to_cached_are_refused_at_once() -> None:
    with pytest.raises(ConfigurationError, match="CacheBackend"):
        cached({})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="unknown keywords: retries"):
        cached(CACHE, retries=3)  # type: ignore[call-arg]
    with pytest.raises(InvalidTTLError):
        cached(CACHE, ttl=0)
    with pytest.raises(ConfigurationError, match="template str or a callable; got int"):
        cached(CACHE, key=3)  # type: ignore[arg-type]


def test_only_coroutine_functions_are_decorated() -> None:
    def plain(n: int) -> int:
        return n

    async def generator(n: int) -> Any:
        yield n

    for function in (plain, generator, lambda: None):
        with pytest.raises(ConfigurationError, match=r"coroutine functions \(async def\)"):
            cached(CACHE)(function)  # type: ignore[arg-type]
