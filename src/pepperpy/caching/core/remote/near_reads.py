"""The reads of a near cache: each key's value with what is left of its life.

A value kept in process must not outlive the key in Redis, and the server's
invalidation for an expired key comes only once Redis reclaims it (lazily, or by its
sampling expiry cycle), which can be long after the deadline. So a near read asks
``GET`` and ``PTTL`` together, pipelined to the key's node, and the local copy keeps
the value no longer than the server will.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ..entry import MISS, Miss
from ..resp import Reply, encode_key_command
from .operations import RedisOperations, unexpected_reply
from .plans import ANY, Rounds, RoundsGenerator, Step, Target
from .slots import key_slot

__all__ = ("NearRead", "near_read", "near_reads", "one_read")

NearRead = tuple[Any | Miss, float | None]
"""A key's value (or ``MISS``) and the seconds left before it expires (``None``: never)."""

_ROUND: Final = 512
"""Keys per round trip (two commands each)."""


def near_reads(ops: RedisOperations, keys: Sequence[str]) -> Rounds[list[NearRead]]:
    """``GET`` + ``PTTL`` of every key, in order; hits and misses counted on ``ops``."""
    _, stored = ops.space.redis_keys(keys)
    return Rounds(_reads(ops, stored))


def one_read(ops: RedisOperations, key: str) -> tuple[bytes, Target]:
    """``GET`` + ``PTTL`` of one key as one payload (two replies), and its target: the
    short path of a near read (:func:`near_read` decodes the replies)."""
    stored = ops.space.key(key)
    target = key_slot(stored) if ops.cluster else ANY
    return encode_key_command(b"GET", stored) + encode_key_command(b"PTTL", stored), target


def near_read(ops: RedisOperations, replies: list[Reply]) -> NearRead:
    """The value and TTL left from the two replies of :func:`one_read`."""
    return _read(ops, replies[0], replies[1])


def _reads(ops: RedisOperations, stored: list[bytes]) -> RoundsGenerator[list[NearRead]]:
    found: list[NearRead] = []
    cluster = ops.cluster
    for start in range(0, len(stored), _ROUND):
        steps: list[Step] = []
        for key in stored[start : start + _ROUND]:
            target = key_slot(key) if cluster else ANY
            steps.append(Step(encode_key_command(b"GET", key), target))
            steps.append(Step(encode_key_command(b"PTTL", key), target))
        replies = yield steps
        for index in range(0, len(replies), 2):
            found.append(_read(ops, replies[index], replies[index + 1]))
    return found


def _read(ops: RedisOperations, payload: Reply, pttl: Reply) -> NearRead:
    if payload is None:
        ops.misses += 1
        return MISS, None
    if type(payload) is not bytes:
        raise unexpected_reply(payload, "GET")
    if type(pttl) is not int:
        raise unexpected_reply(pttl, "PTTL")
    ops.hits += 1
    value = ops.loads(payload)
    if pttl == -1:
        return value, None
    return value, max(pttl, 0) / 1000.0  # -2: gone since the GET, keep nothing
