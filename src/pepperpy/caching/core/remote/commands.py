"""What to send for batches: commands chunked per slot and packed into round trips.

A batch operation becomes rounds of :class:`~.plans.Step` (each round one round trip,
about ``BATCH_SIZE`` keys); on a cluster each multi-key command stays within one
hash slot, and targets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import Final, TypeVar

from ..errors import BackendError
from ..resp import Reply, encode_command, encode_set
from .plans import ANY, Step
from .slots import group_by_slot, key_slot

__all__ = (
    "BATCH_SIZE",
    "SCAN_COUNT",
    "chunked",
    "mget_rounds",
    "pack_rounds",
    "pttl_seconds",
    "scan_command",
    "scan_reply",
    "unlink_rounds",
    "write_rounds",
)

BATCH_SIZE: Final = 1000
"""Keys per MGET/MSET/UNLINK command, and keys per pipelined round trip."""

SCAN_COUNT: Final = 1000
"""The ``COUNT`` hint of each SCAN call."""

T = TypeVar("T")


def chunked(items: Sequence[int], size: int = BATCH_SIZE) -> Iterator[Sequence[int]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _groups(keys: Sequence[bytes], cluster: bool) -> Iterator[tuple[int, Sequence[int]]]:
    """Positions of ``keys`` in chunks that never cross a cluster slot, with the slot
    (:data:`~.plans.ANY` on a single node)."""
    if not cluster:
        for chunk in chunked(range(len(keys))):
            yield ANY, chunk
        return
    for slot, positions in group_by_slot(keys).items():
        for chunk in chunked(positions):
            yield slot, chunk


def pack_rounds(weighted: Iterable[tuple[int, T]]) -> list[list[T]]:
    """Items packed, in order, into rounds touching about ``BATCH_SIZE`` keys each."""
    rounds: list[list[T]] = []
    current: list[T] = []
    weight = 0
    for keys, item in weighted:
        if current and weight + keys > BATCH_SIZE:
            rounds.append(current)
            current, weight = [], 0
        current.append(item)
        weight += keys
    if current:
        rounds.append(current)
    return rounds


def mget_rounds(keys: Sequence[bytes], cluster: bool) -> list[list[tuple[Sequence[int], Step]]]:
    """MGETs covering ``keys``, in round trips; each comes with the positions of the
    keys it reads, so replies can be put back in the caller's order."""
    return pack_rounds(
        (len(chunk), (chunk, Step(encode_command((b"MGET", *map(keys.__getitem__, chunk))), slot)))
        for slot, chunk in _groups(keys, cluster)
    )


def write_rounds(
    keys: Sequence[bytes], payloads: Sequence[bytes], millis: int | None, cluster: bool
) -> list[list[Step]]:
    """Commands storing ``payloads`` under ``keys``, in round trips.

    Without a TTL: MSETs (one per chunk, per slot on a cluster). With one: a
    ``SET key value PX ms`` per key, pipelined (not a transaction).
    """
    if millis is not None:
        return pack_rounds(
            (1, Step(encode_set(key, payload, millis), key_slot(key) if cluster else ANY))
            for key, payload in zip(keys, payloads, strict=True)
        )
    return pack_rounds(
        (
            len(chunk),
            Step(
                encode_command(
                    (b"MSET", *chain.from_iterable((keys[i], payloads[i]) for i in chunk))
                ),
                slot,
            ),
        )
        for slot, chunk in _groups(keys, cluster)
    )


def unlink_rounds(keys: Sequence[bytes], cluster: bool) -> list[list[Step]]:
    """UNLINKs removing ``keys`` (one per chunk, per slot on a cluster), in round trips."""
    return pack_rounds(
        (len(chunk), Step(encode_command((b"UNLINK", *map(keys.__getitem__, chunk))), slot))
        for slot, chunk in _groups(keys, cluster)
    )


def scan_command(cursor: int, match: bytes, count: int = SCAN_COUNT) -> bytes:
    """One SCAN step for the keys matching ``match``."""
    return encode_command((b"SCAN", cursor, b"MATCH", match, b"COUNT", count))


def scan_reply(reply: Reply) -> tuple[int, list[bytes]]:
    """The next cursor and the keys of a SCAN reply (``[b"17", [...]]``)."""
    if not isinstance(reply, list) or len(reply) != 2 or not isinstance(reply[1], list):
        raise BackendError(f"unexpected SCAN reply: {reply!r:.200}")
    try:
        return int(reply[0]), reply[1]
    except (TypeError, ValueError):
        raise BackendError(f"unexpected SCAN cursor: {reply[0]!r:.100}") from None


def pttl_seconds(reply: int) -> float | None:
    """Seconds left from a PTTL reply; ``None`` for no expiry (-1) or no key (-2)."""
    return None if reply < 0 else reply / 1000.0
