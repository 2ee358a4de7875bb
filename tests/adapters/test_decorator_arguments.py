"""ArgumentBinder binds every call as Signature.bind + apply_defaults does (the model)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.adapters.decorator_arguments import ArgumentBinder

Parameter = inspect.Parameter


@st.composite
def signatures(draw: st.DrawFn) -> inspect.Signature:
    """Any valid signature: positional-only, positional-or-keyword, *args, keyword-only,
    **kwargs, with defaults wherever Python allows them."""
    parameters: list[Parameter] = []
    defaulted = False  # once a positional parameter has a default, the later ones do too

    def add(kind: Any, may_default: bool = True) -> None:
        nonlocal defaulted
        name = f"p{len(parameters)}"
        has_default = may_default and (draw(st.booleans()) or (defaulted and kind in POSITIONAL))
        if kind in POSITIONAL and has_default:
            defaulted = True
        default = draw(st.integers(-3, 3)) if has_default else Parameter.empty
        parameters.append(Parameter(name, kind, default=default))

    for kind in (Parameter.POSITIONAL_ONLY, Parameter.POSITIONAL_OR_KEYWORD):
        for _ in range(draw(st.integers(0, 3))):
            add(kind)
    if draw(st.booleans()):
        parameters.append(Parameter("rest", Parameter.VAR_POSITIONAL))
    for _ in range(draw(st.integers(0, 3))):
        add(Parameter.KEYWORD_ONLY)
    if draw(st.booleans()):
        parameters.append(Parameter("options", Parameter.VAR_KEYWORD))
    return inspect.Signature(parameters)


POSITIONAL = (Parameter.POSITIONAL_ONLY, Parameter.POSITIONAL_OR_KEYWORD)


@st.composite
def calls(draw: st.DrawFn, signature: inspect.Signature) -> tuple[tuple[int, ...], dict[str, int]]:
    """Calls of ``signature``, valid or not: too few or too many positional arguments,
    keywords that name parameters (positional-only ones too) or nothing at all."""
    names = list(signature.parameters)
    positional = sum(parameter.kind in POSITIONAL for parameter in signature.parameters.values())
    args = tuple(range(10, 10 + draw(st.integers(0, positional + 1))))
    keywords: st.SearchStrategy[str] = st.sampled_from([*names, "rest", "options", "other"])
    if names and draw(st.booleans()):
        keywords = st.sampled_from(names)
    kwargs = draw(st.dictionaries(keywords, st.integers(30, 40), max_size=len(names) + 1))
    return args, kwargs


def model(signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        return ("TypeError", str(exc))
    bound.apply_defaults()
    return tuple(bound.arguments.values())


def bind(binder: ArgumentBinder, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        return binder.values(args, dict(kwargs))
    except TypeError as exc:
        return ("TypeError", str(exc))


@given(st.data())
def test_every_call_binds_as_python_binds_it(data: st.DataObject) -> None:
    signature = data.draw(signatures())
    binder = ArgumentBinder(signature)
    for _ in range(5):
        args, kwargs = data.draw(calls(signature))
        assert bind(binder, args, kwargs) == model(signature, args, kwargs), (args, kwargs)


def test_the_fast_paths_apply_defaults_and_keywords() -> None:
    def f(a: int, /, b: int, c: int = 3, *, d: int, e: int = 5) -> None: ...

    binder = ArgumentBinder(inspect.signature(f))
    assert binder.values((1, 2), {"d": 4}) == (1, 2, 3, 4, 5)
    assert binder.values((1,), {"b": 2, "d": 4, "e": 6, "c": 7}) == (1, 2, 7, 4, 6)

    def g(a: int, b: int = 2) -> None: ...

    binder = ArgumentBinder(inspect.signature(g))
    assert binder.values((1,), {}) == (1, 2)
    assert binder.values((), {"a": 1}) == (1, 2)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "missing a required argument: 'a'"),
        ((1, 2, 3), {}, "too many positional arguments"),
        ((1,), {"a": 1}, "multiple values for argument 'a'"),
        ((1,), {"z": 1}, "got an unexpected keyword argument 'z'"),
    ],
)
def test_a_call_python_refuses_raises_its_type_error(
    args: tuple[int, ...], kwargs: dict[str, int], message: str
) -> None:
    def f(a: int, b: int = 2) -> None: ...

    with pytest.raises(TypeError, match=message):
        ArgumentBinder(inspect.signature(f)).values(args, kwargs)
