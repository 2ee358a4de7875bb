"""Plans of the single-key operations with a rule of their own on the server side:
``add`` (``SET NX``), ``incr`` (``INCRBY``), ``expire`` (``PEXPIRE``), ``touch``
(``TOUCH``), and the read of a value with its time left (``GET`` + ``PTTL``, one round).

None of ``add``, ``incr`` may be sent twice when it is unknown whether it ran: a
second ``INCRBY`` adds twice, a second ``SET NX`` finds the first one's value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..entry import MISS
from ..errors import ConfigurationError, NotAnIntegerError, SerializationError
from ..resp import ErrorReply, Reply, encode_command, encode_key_command
from ..ttl import TTL, normalize_ttl, ttl_to_millis
from .commands import pttl_seconds
from .operations import RedisOperations, unexpected_reply
from .plans import ANY, Rounds, RoundsGenerator, Single, Step
from .slots import key_slot

__all__ = ("add", "expire", "get_with_ttl", "incr", "touch")


def _slot(ops: RedisOperations, stored: bytes) -> int:
    return key_slot(stored) if ops.cluster else ANY


def add(ops: RedisOperations, key: str, value: Any, ttl: TTL = None) -> Single[bool]:
    """``SET key payload NX [PX ms]``: whether the value was stored (the key was absent)."""
    stored = ops.space.key(key)
    millis = ops.millis(ttl)
    command: tuple[bytes | int, ...] = (b"SET", stored, ops.dumps(value), b"NX")
    if millis is not None:
        command += (b"PX", millis)
    return Single(encode_command(command), _slot(ops, stored), _added, retry_safe=False)


def _added(reply: Reply) -> bool:
    if reply == b"OK":
        return True
    if reply is None:
        return False
    raise unexpected_reply(reply, "SET NX")


def incr(ops: RedisOperations, key: str, delta: int = 1) -> Single[int]:
    """``INCRBY key delta``: the new value. A missing key counts from 0 (and gets no TTL).

    Only a serializer that stores an integer as its decimal digits (JSON, the
    default) can read what Redis writes back; any other is refused here.
    """
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise TypeError(f"incr delta must be an int; got {delta!r}")
    try:
        digits = ops.dumps(0) == b"0" and ops.loads(b"0") == 0
    except SerializationError:
        digits = False
    if not digits:
        raise ConfigurationError(
            "incr needs a serializer that stores integers as their digits (json, the default);"
            " this cache's serializer does not"
        )
    stored = ops.space.key(key)

    def finish(reply: Reply) -> int:
        if type(reply) is int:
            return reply
        if type(reply) is ErrorReply and "not an integer" in reply.message:
            raise NotAnIntegerError(
                f"incr: the value of {key!r} is not an integer (or is out of 64-bit range)"
            )
        raise unexpected_reply(reply, "INCRBY")

    payload = encode_command((b"INCRBY", stored, delta))
    return Single(payload, _slot(ops, stored), finish, retry_safe=False)


def expire(ops: RedisOperations, key: str, ttl: TTL) -> Single[bool]:
    """``PEXPIRE key ms``: whether the key existed (and now expires in ``ttl``)."""
    seconds = normalize_ttl(ttl)
    if seconds is None:
        raise ConfigurationError("expire needs a TTL; to keep a key for ever, set it again")
    stored = ops.space.key(key)
    payload = encode_command((b"PEXPIRE", stored, ttl_to_millis(seconds)))
    return Single(payload, _slot(ops, stored), _one("PEXPIRE"))


def touch(ops: RedisOperations, key: str) -> Single[bool]:
    """``TOUCH key``: resets the key's idle time (what Redis' LRU evicts by); whether
    it existed."""
    stored = ops.space.key(key)
    return Single(encode_key_command(b"TOUCH", stored), _slot(ops, stored), _one("TOUCH"))


def _one(what: str) -> Callable[[Reply], bool]:
    def finish(reply: Reply) -> bool:
        if type(reply) is not int:
            raise unexpected_reply(reply, what)
        return reply > 0

    return finish


def get_with_ttl(ops: RedisOperations, key: str) -> Rounds[tuple[Any, float | None]]:
    """``GET`` and ``PTTL`` in one round: the value (or :data:`MISS`) and its seconds left.

    Counted as one lookup (a hit or a miss).
    """
    stored = ops.space.key(key)
    target = _slot(ops, stored)
    return Rounds(_get_with_ttl(ops, stored, target))


def _get_with_ttl(
    ops: RedisOperations, stored: bytes, target: int
) -> RoundsGenerator[tuple[Any, float | None]]:
    value, left = yield [
        Step(encode_key_command(b"GET", stored), target),
        Step(encode_key_command(b"PTTL", stored), target),
    ]
    if value is None:
        ops.misses += 1
        return MISS, None
    if type(value) is not bytes:
        raise unexpected_reply(value, "GET")
    if type(left) is not int:
        raise unexpected_reply(left, "PTTL")
    ops.hits += 1
    return ops.loads(value), pttl_seconds(left)
