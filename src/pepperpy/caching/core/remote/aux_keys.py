"""Names of the keys a cache keeps beside its values: locks and tag sets.

They start with a NUL byte and ``pp:``, which no namespaced key can (a namespace is
non-empty and its keys start with it), so they never collide with a value, never
show up in a namespace's key listing, and ``clear()`` of a namespace can find them
by their own literal prefix.
"""

from __future__ import annotations

from typing import Final

from .keys import KeySpace, escape_glob

__all__ = ("AUX_PREFIX", "lock_key", "tag_key", "tag_pattern")

AUX_PREFIX: Final = b"\x00pp:"
"""What every auxiliary key starts with."""


def lock_key(stored: bytes) -> bytes:
    """The lock guarding the loading of the Redis key ``stored``."""
    return AUX_PREFIX + b"lock:" + stored


def tag_key(space: KeySpace, tag: str) -> bytes:
    """The Redis set of the keys of ``space`` written with ``tag``."""
    return AUX_PREFIX + b"tag:" + space.key(tag)


def tag_pattern(space: KeySpace) -> bytes:
    """A ``SCAN MATCH`` pattern for every tag set of ``space`` (a namespace's)."""
    literal = escape_glob("\x00pp:tag:" + (space.namespace or "") + ":")
    return (literal + "*").encode("utf-8", "surrogatepass")
