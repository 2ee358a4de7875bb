"""A call's arguments bound to a function's parameters, as Python binds them, but fast.

:class:`ArgumentBinder` gives what ``Signature.bind`` followed by ``apply_defaults``
gives (one value per parameter, in the signature's order) at a fraction of the cost on
the calls that matter: no ``*args`` or ``**kwargs`` in the signature, arguments given
positionally or by keyword. Other calls, and every call Python would refuse, go through
``Signature.bind`` itself, so a bad call raises the very ``TypeError`` that calling the
function would.
"""

from __future__ import annotations

import inspect
from typing import Any, Final

__all__ = ("ArgumentBinder",)

_REQUIRED: Final[Any] = object()
_BY_KEYWORD: Final = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
_POSITIONAL: Final = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_VARIADIC: Final = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


class ArgumentBinder:
    """Binds calls to one signature: :meth:`values` is ``bind`` plus ``apply_defaults``."""

    __slots__ = (
        "_by_keyword",
        "_defaults",
        "_fixed",
        "_positional",
        "_required_from",
        "signature",
    )

    def __init__(self, signature: inspect.Signature) -> None:
        self.signature: Final = signature
        parameters = list(signature.parameters.values())
        self._defaults = tuple(
            _REQUIRED if parameter.default is parameter.empty else parameter.default
            for parameter in parameters
        )
        # Without *args or **kwargs a call maps onto a fixed row of slots.
        self._fixed = all(parameter.kind not in _VARIADIC for parameter in parameters)
        self._positional = sum(parameter.kind in _POSITIONAL for parameter in parameters)
        self._by_keyword = {
            parameter.name: index
            for index, parameter in enumerate(parameters)
            if parameter.kind in _BY_KEYWORD
        }
        # How many parameters without a default there are from each index on.
        required_from = [0] * (len(parameters) + 1)
        for index in range(len(parameters) - 1, -1, -1):
            required_from[index] = required_from[index + 1] + (self._defaults[index] is _REQUIRED)
        self._required_from = tuple(required_from)

    def values(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        """One value per parameter, in order: the argument given or the default.

        A ``*args`` parameter gets the tuple of the extra positional arguments, a
        ``**kwargs`` parameter the dict of the extra keyword arguments.
        """
        given = len(args)
        if self._fixed and given <= self._positional:
            if not kwargs:
                if not self._required_from[given]:
                    return args + self._defaults[given:]
            else:
                slots = [*args, *self._defaults[given:]]
                filled = 0  # parameters without a default that a keyword gave
                for name, value in kwargs.items():
                    index = self._by_keyword.get(name)
                    if index is None or index < given:
                        break  # unknown, positional-only or given twice: Python's error
                    filled += slots[index] is _REQUIRED
                    slots[index] = value
                else:
                    if filled == self._required_from[given]:
                        return tuple(slots)
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return tuple(bound.arguments.values())
