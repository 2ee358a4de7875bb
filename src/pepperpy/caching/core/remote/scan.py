"""SCAN as a cursor loop over every primary: the walk that clear and iter_keys share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import final

from ..resp import Reply
from .commands import SCAN_COUNT, scan_command, scan_reply
from .plans import Step, Target

__all__ = ("ScanWalk",)


@final
class ScanWalk:
    """The SCAN calls listing the keys matching ``pattern`` on each of ``nodes``.

    :meth:`step` is the next call (``None`` once every node's cursor came back to 0),
    :meth:`feed` takes its reply and returns the page's keys. With ``unique``, a key
    SCAN lists twice (it may, while the keyspace is rehashed) is returned once.
    """

    __slots__ = ("_count", "_cursor", "_nodes", "_pattern", "_seen", "_started")

    def __init__(
        self,
        pattern: bytes,
        nodes: Sequence[Target],
        *,
        unique: bool = False,
        count: int = SCAN_COUNT,
    ) -> None:
        self._pattern = pattern
        self._nodes = list(nodes)
        self._cursor = 0
        self._started = False
        self._count = count
        self._seen: set[bytes] | None = set() if unique else None

    def step(self) -> Step | None:
        """The next SCAN call, or ``None`` when the walk is over."""
        if not self._nodes:
            return None
        return Step(scan_command(self._cursor, self._pattern, self._count), self._nodes[0])

    def feed(self, reply: Reply) -> list[bytes]:
        """The keys of the page ``reply`` (to the last :meth:`step`)."""
        cursor, keys = scan_reply(reply)
        if cursor == 0:
            self._nodes.pop(0)
        self._cursor = cursor
        seen = self._seen
        if seen is None:
            return keys
        fresh = [key for key in keys if key not in seen]
        seen.update(fresh)
        return fresh
