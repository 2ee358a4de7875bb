"""Redis key names: namespaces, key encoding and literal SCAN patterns.

A namespace ``"users"`` stores key ``"123"`` under ``b"users:123"``. Keys are encoded
as UTF-8; lone surrogates (which a ``str`` may hold) are kept with ``surrogatepass``,
so every ``str`` maps to exactly one Redis key and back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, final

from ..errors import ConfigurationError
from ..keys import SEPARATOR, bad_key, validate_namespace

__all__ = ("SEPARATOR", "KeySpace", "encode_key", "escape_glob", "validate_namespace")

_ONLY_STR: Final = frozenset({str})
_GLOB_SPECIAL: Final = frozenset("*?[]\\")
# Redis' glob (stringmatchlen) gives these a meaning; a backslash makes any of them literal.


def encode_key(key: object) -> bytes:
    """The bytes of a ``str`` key; any other type raises ``InvalidKeyError``."""
    if type(key) is not str and not isinstance(key, str):
        raise bad_key(key)
    return key.encode("utf-8", "surrogatepass")


def escape_glob(text: str) -> str:
    """``text`` with every glob character of Redis' ``MATCH`` made literal."""
    if not _GLOB_SPECIAL.intersection(text):
        return text
    return "".join("\\" + char if char in _GLOB_SPECIAL else char for char in text)


@final
class KeySpace:
    """Where one cache's keys live in Redis: an optional namespace prefix.

    Pure: it builds names and patterns, it sends nothing.
    """

    __slots__ = ("_prefix", "_prefix_text", "namespace")

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = None if namespace is None else validate_namespace(namespace)
        self._prefix_text = "" if namespace is None else namespace + SEPARATOR
        self._prefix = self._prefix_text.encode("utf-8", "surrogatepass")

    def __repr__(self) -> str:
        return f"KeySpace(namespace={self.namespace!r})"

    def key(self, key: str) -> bytes:
        """The Redis key for ``key``; ``InvalidKeyError`` if it is not a ``str``."""
        if type(key) is str:
            return self._prefix + key.encode("utf-8", "surrogatepass")
        return self._prefix + encode_key(key)

    def redis_keys(self, keys: Iterable[str]) -> tuple[list[str], list[bytes]]:
        """The given keys (as a list, in order) and their Redis keys.

        Every key is checked before anything is returned, so a bad key anywhere in
        ``keys`` raises before any of them is used.
        """
        given = list(keys)
        prefix = self._prefix
        if _ONLY_STR.issuperset(map(type, given)):  # the common case, checked in C
            return given, [prefix + key.encode("utf-8", "surrogatepass") for key in given]
        return given, [self.key(key) for key in given]

    def user_key(self, stored: bytes) -> str:
        """The key a caller uses for the Redis key ``stored`` (the namespace removed)."""
        return stored[len(self._prefix) :].decode("utf-8", "surrogatepass")

    def match_all(self) -> bytes:
        """A ``SCAN MATCH`` pattern for every key of this namespace, and nothing else.

        Raises ``ConfigurationError`` without a namespace: that pattern would match
        the whole database.
        """
        if self.namespace is None:
            raise ConfigurationError("a cache without a namespace owns no key pattern")
        return self.match_prefix("")

    def match_prefix(self, prefix: str) -> bytes:
        """A ``SCAN MATCH`` pattern for the keys (of this namespace) starting with ``prefix``.

        ``prefix`` is matched literally.
        """
        encode_key(prefix)  # same type check as a key
        literal = escape_glob(self._prefix_text + prefix)
        return (literal + "*").encode("utf-8", "surrogatepass")
