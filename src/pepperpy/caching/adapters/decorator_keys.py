"""The cache key of a call of a ``@cached`` function: by default, from a template, or ``key()``.

Each builder is made once, when the function is decorated, and checks there all that
can be checked without a call. Then it turns a call's ``(args, kwargs)`` into a ``str``
key, from the arguments bound to the function's parameters with the defaults applied,
so that every spelling of one call (positionally or by keyword, a default given or
left out) has one key.
"""

from __future__ import annotations

import inspect
import re
import string
from collections.abc import Callable
from typing import Any, Final

from ..core.errors import ConfigurationError, InvalidKeyError
from .decorator_arguments import ArgumentBinder

__all__ = ("CallableKey", "DefaultKey", "KeyBuilder", "TemplateKey")

KeyBuilder = Callable[[tuple[Any, ...], dict[str, Any]], str]
"""Turns a call's ``(args, kwargs)`` into its cache key."""

_Parameter = inspect.Parameter
_VARIADIC: Final = (_Parameter.VAR_POSITIONAL, _Parameter.VAR_KEYWORD)
_POSITIONAL: Final = (_Parameter.POSITIONAL_ONLY, _Parameter.POSITIONAL_OR_KEYWORD)

# CPython's default reprs hold the object's address: ``<Conn object at 0x7f...>``,
# ``<function f at 0x7f...>``. The reprs of these types are their data, never an address.
_ADDRESS: Final = re.compile(r" at 0x[0-9a-fA-F]+>")
_PLAIN: Final = frozenset({str, int, float, bool, bytes, type(None)})


def _described(function: Callable[..., Any]) -> str:
    return f"{function.__qualname__}{inspect.signature(function)}"


class DefaultKey:
    """``module.qualname(arguments)``, the arguments written with :func:`repr`.

    In the signature's order: positional parameters as values, keyword-only ones as
    ``name=value``, extra positional arguments as values, extra keywords as
    ``name=value`` sorted by name. ``skip_first`` leaves the first parameter out
    (``self`` or ``cls``). An argument whose repr holds an object address is refused
    with :class:`ConfigurationError`: addresses differ from one process to the next, and
    are reused once an object is gone, so such a key could return one object's result
    for another.
    """

    __slots__ = (
        "_binder",
        "_fill",
        "_function",
        "_labels",
        "_names",
        "_prefix",
        "_start",
        "_variadic",
    )

    def __init__(
        self, function: Callable[..., Any], binder: ArgumentBinder, *, skip_first: bool
    ) -> None:
        parameters = list(binder.signature.parameters.values())
        self._function = function
        self._binder = binder
        self._prefix = f"{function.__module__}.{function.__qualname__}("
        self._start = 1 if skip_first else 0
        self._names = tuple(parameter.name for parameter in parameters)
        self._labels = tuple(
            f"{parameter.name}=" if parameter.kind is _Parameter.KEYWORD_ONLY else ""
            for parameter in parameters
        )
        self._variadic = tuple(parameter.kind in _VARIADIC for parameter in parameters)
        # Without *args or **kwargs, the whole key is one format: "mod.f({!r}, b={!r})".
        self._fill: Callable[..., str] | None = None
        if not any(self._variadic):
            fields = ", ".join(f"{label}{{!r}}" for label in self._labels[self._start :])
            escaped = self._prefix.replace("{", "{{").replace("}", "}}")
            self._fill = f"{escaped}{fields})".format

    def __call__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        values = self._binder.values(args, kwargs)
        if self._fill is not None:
            key = self._fill(*values[self._start :])
        else:
            key = self._prefix + ", ".join(self._variadic_texts(values)) + ")"
        if " at 0x" in key:  # rare: then see whether an argument's repr is an address
            self._refuse_addresses(values)
        return key

    def _variadic_texts(self, values: tuple[Any, ...]) -> list[str]:
        texts: list[str] = []
        for index in range(self._start, len(values)):
            value = values[index]
            if not self._variadic[index]:
                texts.append(self._labels[index] + repr(value))
            elif isinstance(value, tuple):  # *args
                texts.extend(map(repr, value))
            else:  # **kwargs
                texts.extend(f"{name}={value[name]!r}" for name in sorted(value))
        return texts

    def _refuse_addresses(self, values: tuple[Any, ...]) -> None:
        for index in range(self._start, len(values)):
            name, value = self._names[index], values[index]
            if not self._variadic[index]:
                named = [(name, value)]
            elif isinstance(value, tuple):
                named = [(f"{name}[{at}]", item) for at, item in enumerate(value)]
            else:
                named = [(f"{name}[{key!r}]", item) for key, item in value.items()]
            for label, item in named:
                text = repr(item)
                if type(item) not in _PLAIN and _ADDRESS.search(text):
                    raise ConfigurationError(
                        f"the default cache key of {self._function.__qualname__} would hold "
                        f"the address of the object passed as {label} ({text}), which "
                        "changes from one process to the next and is reused after the "
                        "object is gone; give that argument's type a __repr__ that says "
                        "what makes it distinct, or pass key= to @cached (a template such "
                        "as 'user:{user_id}' or a callable)"
                    )


def _split_field(field: str) -> tuple[str, str]:
    """``("user", ".id")`` for ``"user.id"``: the name, then the lookups after it."""
    cut = min((at for at in (field.find("."), field.find("[")) if at >= 0), default=len(field))
    return field[:cut], field[cut:]


class _Probe:
    """Stands for any argument when a template is tried out at decoration time."""

    def __getattr__(self, name: str) -> _Probe:
        return self

    def __getitem__(self, key: object) -> _Probe:
        return self

    def __format__(self, spec: str) -> str:
        return ""


class TemplateKey:
    """A :meth:`str.format` template filled from the parameters by name.

    ``"user:{user_id}"``, ``"{self.tenant}:user:{user_id}"`` or ``"item:{item[id]}"``:
    each field names a parameter of the function (attribute and index lookups, a
    conversion and a format spec may follow). Checked when decorating: the template's
    syntax, that every field names a parameter, and that none of them is ``*args`` or
    ``**kwargs`` (they have no single value; use a key callable there).
    """

    __slots__ = ("_binder", "_fill", "_function", "_template")

    def __init__(self, template: str, function: Callable[..., Any], binder: ArgumentBinder):
        self._template = template
        self._function = function
        self._binder = binder
        parameters = list(binder.signature.parameters.values())
        index = {parameter.name: at for at, parameter in enumerate(parameters)}
        pieces: list[str] = []
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError as exc:
            raise self._refused(str(exc)) from exc
        for literal, field, spec, conversion in parsed:
            pieces.append(literal.replace("{", "{{").replace("}", "}}"))
            if field is None:
                continue
            root, rest = _split_field(field)
            if not root.isidentifier():
                raise self._refused(
                    f"the field {{{field}}} names no parameter; name one, as in "
                    f"{{{parameters[0].name if parameters else 'user_id'}}}"
                )
            if root not in index:
                names = ", ".join(parameter.name for parameter in parameters) or "none"
                raise self._refused(f"{root!r} is not one of its parameters ({names})")
            if parameters[index[root]].kind in _VARIADIC:
                raise self._refused(
                    f"{root!r} collects extra arguments and has no single value; "
                    "use a key callable for it"
                )
            if spec and "{" in spec:
                raise self._refused(f"the format spec of {{{field}}} holds a field")
            pieces.append(
                "{"
                + str(index[root])
                + rest
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
        self._fill = "".join(pieces).format
        try:
            self._fill(*[_Probe()] * len(parameters))
        except ValueError as exc:
            raise self._refused(str(exc)) from exc

    def __call__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        values = self._binder.values(args, kwargs)
        try:
            return self._fill(*values)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"the key template {self._template!r} of {self._function.__qualname__} "
                f"could not be filled: {type(exc).__name__}: {exc}"
            ) from exc

    def _refused(self, reason: str) -> ConfigurationError:
        return ConfigurationError(
            f"key template {self._template!r} of {_described(self._function)}: {reason}"
        )


class CallableKey:
    """``key(...)`` called with the call's arguments bound, defaults applied.

    Positional parameters are passed positionally and keyword-only ones by keyword,
    whichever way the function was called, so the key function sees every value and
    need not repeat the function's defaults. Checked when decorating: that ``key``
    can take those arguments.
    """

    __slots__ = ("_all_positional", "_binder", "_function", "_key", "_keyword_names", "_shape")

    def __init__(
        self, key: Callable[..., object], function: Callable[..., Any], binder: ArgumentBinder
    ) -> None:
        self._key = key
        self._function = function
        self._binder = binder
        parameters = list(binder.signature.parameters.values())
        self._shape = tuple(parameter.kind for parameter in parameters)
        self._all_positional = all(kind in _POSITIONAL for kind in self._shape)
        self._keyword_names = tuple(
            parameter.name if parameter.kind is _Parameter.KEYWORD_ONLY else ""
            for parameter in parameters
        )
        self._check()

    def __call__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        call_args, call_kwargs = self._canonical(self._binder.values(args, kwargs))
        key = self._key(*call_args, **call_kwargs)
        if not isinstance(key, str):
            raise InvalidKeyError(
                f"key= of {self._function.__qualname__} returned {key!r} of type "
                f"{type(key).__name__}; cache keys must be str"
            )
        return key

    def _canonical(self, values: tuple[Any, ...]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The call that passes ``values``: positionally where it can, by keyword else."""
        if self._all_positional:
            return values, {}
        call_args: list[Any] = []
        call_kwargs: dict[str, Any] = {}
        for kind, name, value in zip(self._shape, self._keyword_names, values, strict=True):
            if kind is _Parameter.VAR_POSITIONAL:
                call_args.extend(value)
            elif kind is _Parameter.VAR_KEYWORD:
                call_kwargs.update(value)
            elif kind is _Parameter.KEYWORD_ONLY:
                call_kwargs[name] = value
            else:
                call_args.append(value)
        return tuple(call_args), call_kwargs

    def _check(self) -> None:
        try:
            accepts = inspect.signature(self._key)
        except (TypeError, ValueError):
            return  # a callable without a signature (some builtins): nothing to check
        marker = object()
        probe: list[object] = []
        for parameter in self._binder.signature.parameters.values():
            if parameter.kind is _Parameter.VAR_POSITIONAL:
                probe.append((marker, marker))
            elif parameter.kind is _Parameter.VAR_KEYWORD:
                probe.append({"__extra_keyword__": marker})
            else:
                probe.append(marker)
        call_args, call_kwargs = self._canonical(tuple(probe))
        try:
            accepts.bind(*call_args, **call_kwargs)
        except TypeError as exc:
            raise ConfigurationError(
                f"key= of {_described(self._function)} must take the parameters of the "
                f"function (positional ones positionally, keyword-only ones by keyword); "
                f"key{accepts} cannot: {exc}"
            ) from exc
