"""The rules every cache applies to keys and namespaces, in one place.

Keys are ``str``; a namespace is a non-empty ``str`` without the separator, and
``Cache(backend, namespace="users")`` stores key ``"1"`` as ``"users:1"`` on every
backend.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from .errors import ConfigurationError, InvalidKeyError

__all__ = (
    "SEPARATOR",
    "bad_key",
    "check_key",
    "check_keys",
    "check_prefix",
    "validate_namespace",
)

SEPARATOR: Final = ":"
"""Joins a namespace and a key (namespace ``users`` stores key ``1`` as ``users:1``)."""


def bad_key(key: object) -> InvalidKeyError:
    """The error for a key that is not a ``str`` (to raise)."""
    return InvalidKeyError(f"cache keys must be str; got {key!r} of type {type(key).__name__}")


def check_key(key: object) -> str:
    """``key`` if it is a ``str``, else :class:`~pepperpy.caching.InvalidKeyError`."""
    if not isinstance(key, str):
        raise bad_key(key)
    return key


def check_keys(keys: Iterable[object]) -> list[str]:
    """``keys`` as a list, after checking every one is a ``str`` (before any is used)."""
    checked = list(keys)
    for key in checked:
        if not isinstance(key, str):
            raise bad_key(key)
    return checked  # type: ignore[return-value]


def check_prefix(prefix: object) -> str:
    """``prefix`` if it is a ``str``, else :class:`~pepperpy.caching.InvalidKeyError`."""
    if not isinstance(prefix, str):
        raise InvalidKeyError(f"a key prefix must be str; got {type(prefix).__name__}")
    return prefix


def validate_namespace(namespace: object) -> str:
    """Return ``namespace`` if it is usable, else raise ``ConfigurationError``.

    A namespace is a non-empty ``str`` without the separator ``":"``.
    """
    if not isinstance(namespace, str):
        raise ConfigurationError(
            f"namespace must be a str; got {namespace!r} of type {type(namespace).__name__}"
        )
    if not namespace:
        raise ConfigurationError("namespace must not be empty")
    if SEPARATOR in namespace:
        raise ConfigurationError(
            f"namespace must not contain {SEPARATOR!r} (it separates namespace and key);"
            f" got {namespace!r}"
        )
    return namespace
