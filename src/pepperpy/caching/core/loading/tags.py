"""Tags: names under which keys are invalidated together, and the bookkeeping rules.

A key carries the tags of its last write (a write without tags clears them). A tag
holds the keys written with it that are still stored. :class:`TagBook` keeps both
directions for an in-process cache; whoever stores the values tells it of every key
removed (deleted, evicted, expired, overwritten), so a tag never names a key that
is gone: no garbage at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, final

from ..errors import InvalidKeyError

__all__ = ("TagBook", "check_tags")

_NONE: frozenset[str] = frozenset()


def check_tags(tags: object) -> frozenset[str]:
    """``tags`` (an iterable of ``str``, not a ``str`` itself) as a frozenset."""
    if isinstance(tags, str | bytes):
        raise InvalidKeyError(
            f"tags must be an iterable of str, such as a tuple; got the string {tags!r}"
            " (write tags=(name,) for one tag)"
        )
    if not tags:
        return _NONE
    try:
        names: frozenset[Any] = frozenset(tags)  # type: ignore[call-overload]
    except TypeError:
        raise InvalidKeyError(
            f"tags must be an iterable of str; got {type(tags).__name__}"
        ) from None
    for name in names:
        if not isinstance(name, str):
            raise InvalidKeyError(f"tags must be str; got {name!r} of type {type(name).__name__}")
    return names


@final
class TagBook:
    """Which keys carry which tags, both ways, always consistent."""

    __slots__ = ("_keys", "_tags")

    def __init__(self) -> None:
        self._tags: dict[str, frozenset[str]] = {}
        self._keys: dict[str, set[str]] = {}

    def __len__(self) -> int:
        """How many keys carry at least one tag."""
        return len(self._tags)

    def tags_of(self, key: str) -> frozenset[str]:
        """The tags ``key`` carries."""
        return self._tags.get(key, _NONE)

    def keys_of(self, tag: str) -> frozenset[str]:
        """The keys carrying ``tag``."""
        return frozenset(self._keys.get(tag, ()))

    def tagged_keys(self) -> list[str]:
        """Every key carrying at least one tag."""
        return list(self._tags)

    def tag_names(self) -> frozenset[str]:
        """Every tag some key carries."""
        return frozenset(self._keys)

    def tag(self, key: str, tags: frozenset[str]) -> None:
        """``key`` was written with ``tags`` (which replace those it carried)."""
        old = self._tags.get(key, _NONE)
        if old == tags:
            return
        for name in old - tags:
            self._unlink(name, key)
        for name in tags - old:
            self._keys.setdefault(name, set()).add(key)
        if tags:
            self._tags[key] = tags
        else:
            del self._tags[key]

    def forget(self, key: str) -> None:
        """``key`` is gone from the store."""
        old = self._tags.pop(key, None)
        if old is not None:
            for name in old:
                self._unlink(name, key)

    def select(self, tags: Iterable[str]) -> set[str]:
        """The keys carrying any of ``tags`` (to be removed; call :meth:`forget` for each)."""
        chosen: set[str] = set()
        for name in tags:
            chosen.update(self._keys.get(name, ()))
        return chosen

    def clear(self) -> None:
        """Every key is gone."""
        self._tags.clear()
        self._keys.clear()

    def _unlink(self, name: str, key: str) -> None:
        members = self._keys[name]
        members.discard(key)
        if not members:
            del self._keys[name]
