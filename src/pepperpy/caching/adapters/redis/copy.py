"""Copying keys of every type between two RedisCaches: the core's copy plans, run.

The plans (:mod:`~pepperpy.caching.core.remote.copy_plans`) decide everything: what
to send, what each reply means, when to copy by type. This runs them on the source
and the target in turn, a page of keys at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final, final

from ...core.remote.copy_plans import Contents, Dumped, KeyCopy, RedisCopy
from ...core.remote.copy_rules import Verdict, payload_type
from ...core.remote.scan import ScanWalk
from .cache import RedisCache

__all__ = ("RedisCopier",)

_WOULD_RESTORE: Final = "would be restored"
_WOULD_REBUILD: Final = "would be rebuilt by type"


@final
class RedisCopier:
    """Copies the keys of ``source`` (its namespace) into ``target`` (its namespace),
    with ``prefix`` in front of each; ``replace`` overwrites keys the target holds."""

    def __init__(
        self, source: RedisCache, target: RedisCache, prefix: str = "", *, replace: bool = False
    ) -> None:
        self._source = source
        self._target = target
        self.plans = RedisCopy(
            source._ops.space.key(""),
            target._ops.space.key(prefix),
            replace=replace,
            source_cluster=source._ops.cluster,
            target_cluster=target._ops.cluster,
        )

    async def pages(self, size: int) -> AsyncIterator[list[bytes]]:
        """The source's keys (full Redis names), ``size`` at a time, by SCAN; each
        listed once."""
        source = self._source
        walk = ScanWalk(source._ops.space.match_prefix(""), await source._nodes(), unique=True)
        keys: list[bytes] = []
        while (page := await source._page(walk)) is not None:
            keys.extend(page)
            while len(keys) >= size:
                yield keys[:size]
                keys = keys[size:]
        if keys:
            yield keys

    def source_key(self, stored: bytes) -> str:
        """The key a caller of the source cache uses for ``stored`` (bytes that are not
        UTF-8 kept as lone surrogates, so that every name stays distinct)."""
        space = self._source._ops.space
        try:
            return space.user_key(stored)
        except UnicodeDecodeError:
            cut = len(space.key(""))
            return stored[cut:].decode("utf-8", "surrogateescape")

    async def copy(self, keys: list[bytes], *, dry_run: bool = False) -> list[KeyCopy]:
        """Copy ``keys`` (or, with ``dry_run``, read them only); the fate of each."""
        plans = self.plans
        done: list[KeyCopy] = []
        by_type: list[bytes] = []
        if plans.refusal is not None:  # DUMP/RESTORE was refused before: by type at once
            by_type = keys
        else:
            payloads: list[Dumped] = []
            for item in await self._source._execute(plans.dump(keys)):
                if isinstance(item, Dumped):
                    payloads.append(item)
                elif item.verdict is Verdict.REFUSED:
                    by_type.append(item.key)
                else:
                    done.append(item)
            if dry_run:
                done.extend(
                    KeyCopy(item.key, Verdict.DONE, payload_type(item.payload), _WOULD_RESTORE)
                    for item in payloads
                )
            elif payloads:
                for copied in await self._target._execute(plans.restore(payloads)):
                    if copied.verdict is Verdict.REFUSED:
                        by_type.append(copied.key)
                    else:
                        done.append(copied)
        if by_type:
            contents: list[Contents] = []
            for read in await self._source._execute(plans.read_by_type(by_type)):
                if isinstance(read, Contents):
                    contents.append(read)
                else:
                    done.append(read)
            if dry_run:
                done.extend(
                    KeyCopy(item.key, Verdict.DONE, item.kind, _WOULD_REBUILD) for item in contents
                )
            elif contents:
                rebuilt: list[KeyCopy] = await self._target._execute(plans.rebuild(contents))
                done.extend(rebuilt)
        return done
