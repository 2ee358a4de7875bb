"""The shape of every source: an old cache read batch by batch."""

from __future__ import annotations

import abc
from collections.abc import AsyncGenerator

from ..items import SourceItem

__all__ = ("Source",)


class Source(abc.ABC):
    """An old cache, read in batches of :class:`SourceItem`.

    ``total`` is how many keys the source held when it was opened, where that is
    known cheaply, else ``None``.
    """

    total: int | None = None

    @abc.abstractmethod
    def batches(self, size: int) -> AsyncGenerator[list[SourceItem], None]:
        """Items in batches of at most ``size``; each key once."""
