"""What to send: the Redis commands for each cache operation, batched and chunked.

Everything here is a plain function of its arguments. A *command* is a tuple of
arguments as Redis receives them (``("SET", key, payload, "PX", 1500)``). A batch
operation becomes rounds of commands (each round one round trip, about ``BATCH_SIZE``
keys), and, on a cluster, each multi-key command touches a single hash slot.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import Final, TypeAlias, TypeVar

from ..ttl import ttl_to_millis
from .slots import group_by_slot

__all__ = (
    "BATCH_SIZE",
    "SCAN_COUNT",
    "Command",
    "KeyedCommand",
    "chunked",
    "get_command",
    "mget_rounds",
    "pttl_seconds",
    "scan_command",
    "scan_reply",
    "set_command",
    "unlink_rounds",
    "write_rounds",
)

Command: TypeAlias = tuple[str | bytes | int, ...]
"""One Redis command, as its name (a ``str``) and arguments."""

KeyedCommand: TypeAlias = tuple[list[int], Command]
"""A multi-key read and the positions (in the caller's key list) of the keys it reads."""

BATCH_SIZE: Final = 1000
"""Keys per MGET/MSET/UNLINK command, and keys per pipelined round trip."""

T = TypeVar("T")

SCAN_COUNT: Final = 1000
"""The ``COUNT`` hint of each SCAN call."""


def chunked(items: Sequence[int], size: int = BATCH_SIZE) -> Iterator[Sequence[int]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _groups(keys: Sequence[bytes], cluster: bool) -> Iterator[Sequence[int]]:
    """Positions of ``keys`` in chunks that never cross a cluster slot."""
    if not cluster:
        yield from chunked(range(len(keys)))
        return
    for positions in group_by_slot(keys).values():
        yield from chunked(positions)


def _rounds(weighted: Iterable[tuple[int, T]]) -> list[list[T]]:
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


def get_command(key: bytes) -> Command:
    """GET one key."""
    return ("GET", key)


def set_command(key: bytes, payload: bytes, ttl: float | None) -> Command:
    """SET one key, with ``PX`` milliseconds rounded up when ``ttl`` (seconds) is given."""
    if ttl is None:
        return ("SET", key, payload)
    return ("SET", key, payload, "PX", ttl_to_millis(ttl))


def mget_rounds(keys: Sequence[bytes], cluster: bool) -> list[list[KeyedCommand]]:
    """MGETs covering ``keys``, grouped in round trips; each MGET comes with the
    positions of the keys it reads, so replies can be put back in order."""
    commands: list[tuple[int, KeyedCommand]] = []
    for positions in _groups(keys, cluster):
        chunk = list(positions)
        command: Command = ("MGET", *(keys[i] for i in chunk))
        commands.append((len(chunk), (chunk, command)))
    return _rounds(commands)


def write_rounds(
    keys: Sequence[bytes], payloads: Sequence[bytes], ttl: float | None, cluster: bool
) -> list[list[Command]]:
    """Commands storing ``payloads`` under ``keys``, grouped in round trips.

    Without a TTL: MSETs (one per chunk, per slot on a cluster). With one: a
    ``SET key value PX ms`` per key, pipelined (not a transaction).
    """
    if ttl is not None:
        millis = ttl_to_millis(ttl)
        return _rounds(
            (1, ("SET", key, payload, "PX", millis))
            for key, payload in zip(keys, payloads, strict=True)
        )
    commands: list[tuple[int, Command]] = []
    for positions in _groups(keys, cluster):
        pairs = ((keys[i], payloads[i]) for i in positions)
        commands.append((len(positions), ("MSET", *chain.from_iterable(pairs))))
    return _rounds(commands)


def unlink_rounds(keys: Sequence[bytes], cluster: bool) -> list[list[Command]]:
    """UNLINKs removing ``keys`` (one per chunk, per slot on a cluster), in round trips."""
    return _rounds(
        (len(positions), ("UNLINK", *(keys[i] for i in positions)))
        for positions in _groups(keys, cluster)
    )


def scan_command(cursor: int, match: bytes, count: int = SCAN_COUNT) -> Command:
    """One SCAN step for the keys matching ``match``."""
    return ("SCAN", cursor, "MATCH", match, "COUNT", count)


def scan_reply(reply: object) -> tuple[int, list[bytes]]:
    """The next cursor and the keys of a SCAN reply (raw ``[b"17", [...]]`` or parsed)."""
    if not isinstance(reply, list | tuple) or len(reply) != 2:
        raise ValueError(f"not a SCAN reply: {reply!r}")
    cursor, keys = reply
    return int(cursor), list(keys)


def pttl_seconds(reply: int) -> float | None:
    """Seconds left from a PTTL reply; ``None`` for no expiry (-1) or no key (-2)."""
    return None if reply < 0 else reply / 1000.0
