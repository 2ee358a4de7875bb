"""The serializer a store uses, from what its ``serializer=`` argument was given."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ConfigurationError
from .base import Serializer
from .bytes_serializer import BytesSerializer
from .json_serializer import JsonSerializer
from .string_serializer import StringSerializer

__all__ = ("SERIALIZER_NAMES", "resolve_serializer")


def _numpy() -> Serializer:
    try:
        from .numpy_serializer import NumpySerializer
    except ImportError as exc:
        raise ConfigurationError(
            "the 'numpy' serializer needs numpy: pip install 'pepperpy-caching[numpy]'"
        ) from exc
    return NumpySerializer()


_FACTORIES: dict[str, Callable[[], Serializer]] = {
    "json": JsonSerializer,
    "string": StringSerializer,
    "bytes": BytesSerializer,
    "numpy": _numpy,
}

SERIALIZER_NAMES: tuple[str, ...] = tuple(_FACTORIES)
"""The names accepted wherever a serializer is taken, besides a serializer object."""


def resolve_serializer(spec: Serializer | str | None) -> Serializer:
    """The serializer for ``spec``: None gives a fresh :class:`JsonSerializer`, a name
    (case-insensitive, one of :data:`SERIALIZER_NAMES`) a fresh instance of that
    serializer, and an object with ``dumps`` and ``loads`` is returned as it is.

    ``"pickle"`` is refused by name: a pickle serializer needs a secret, so construct
    ``PickleSerializer(secret=...)`` and pass it.

    Raises :class:`~pepperpy.caching.ConfigurationError` for an unknown name, a class
    instead of an instance, or an object that is not a serializer.
    """
    if spec is None:
        return JsonSerializer()
    if isinstance(spec, str):
        name = spec.strip().lower()
        factory = _FACTORIES.get(name)
        if factory is not None:
            return factory()
        if name == "pickle":
            raise ConfigurationError(
                "pickle cannot be chosen by name: it must be signed with a secret; pass "
                "PickleSerializer(secret=...) with a secret of at least 32 bytes"
            )
        raise ConfigurationError(
            f"unknown serializer {spec!r}; choose one of {', '.join(SERIALIZER_NAMES)} "
            "or pass a Serializer object"
        )
    if isinstance(spec, type):
        raise ConfigurationError(
            f"serializer must be an instance, not the class {spec.__qualname__}; "
            f"pass {spec.__qualname__}()"
        )
    if isinstance(spec, Serializer):
        return spec
    raise ConfigurationError(
        f"serializer must be None, a name ({', '.join(SERIALIZER_NAMES)}) or an object "
        f"with dumps() and loads(); got a value of type {type(spec).__qualname__}"
    )
