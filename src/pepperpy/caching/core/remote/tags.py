"""Tags on Redis: a set per tag naming the keys written with it.

``set(key, value, tags=...)`` is one round: the ``SET`` (to the key's slot) and, for
each tag, a script on the tag's set (to the set's slot: on a cluster they may differ,
and nothing here needs them together). The script adds the key and keeps the set
alive exactly as long as its longest-lived member could be:

* a member without TTL makes the set persistent;
* a new set takes the member's TTL;
* an existing set with a TTL has it raised to the member's, never lowered.

So a tag set whose keys all expired expires with them: removed keys leave their name
in a set only until the set's own TTL runs out. Keys without TTL that are deleted
one by one leave their name until :func:`invalidate_tags` of the tag (or ``clear()``
of the namespace) removes the set.

``invalidate_tags`` reads the sets (``SMEMBERS``), unlinks their keys (per slot), and
removes from each set only the members it read (``SREM``, not ``DEL``), so a key
tagged while the invalidation runs keeps its tag. It returns how many keys existed.

A rewrite without a tag does not take the key out of the tag's set (there is no
index from keys to tags, which would be more to keep and more garbage): a key keeps
its tags until their sets go.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from ..resp import Reply, encode_command, encode_set
from ..ttl import TTL
from .aux_keys import tag_key
from .commands import BATCH_SIZE, unlink_rounds
from .operations import RedisOperations, unexpected_reply
from .plans import ANY, Rounds, RoundsGenerator, Step, check_replies
from .slots import key_slot

__all__ = ("TAG_SCRIPT", "invalidate_tags", "tagged_set")

TAG_SCRIPT: Final = b"""\
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SADD', KEYS[1], ARGV[1])
local ms = tonumber(ARGV[2])
if ms < 0 then
  redis.call('PERSIST', KEYS[1])
elseif existed == 0 then
  redis.call('PEXPIRE', KEYS[1], ms)
else
  local left = redis.call('PTTL', KEYS[1])
  if left >= 0 and left < ms then redis.call('PEXPIRE', KEYS[1], ms) end
end
return 1
"""


def _target(ops: RedisOperations, stored: bytes) -> int:
    return key_slot(stored) if ops.cluster else ANY


def tagged_set(
    ops: RedisOperations, key: str, value: Any, ttl: TTL, tags: frozenset[str]
) -> Rounds[None]:
    """``SET`` of ``key`` and its addition to the set of each of ``tags``, in one round."""
    stored = ops.space.key(key)
    millis = ops.millis(ttl)
    steps = [Step(encode_set(stored, ops.dumps(value), millis), _target(ops, stored))]
    for tag in sorted(tags):
        set_key = tag_key(ops.space, tag)
        command = (b"EVAL", TAG_SCRIPT, 1, set_key, stored, -1 if millis is None else millis)
        steps.append(Step(encode_command(command), _target(ops, set_key)))
    return Rounds(_written(steps))


def _written(steps: list[Step]) -> RoundsGenerator[None]:
    replies = yield steps
    check_replies(replies, "tagged SET")


def invalidate_tags(ops: RedisOperations, tags: Iterable[str]) -> Rounds[int]:
    """Remove every key written with any of ``tags``: how many existed."""
    set_keys = [tag_key(ops.space, tag) for tag in sorted(set(tags))]
    return Rounds(_invalidate(ops, set_keys))


def _invalidate(ops: RedisOperations, set_keys: list[bytes]) -> RoundsGenerator[int]:
    if not set_keys:
        return 0
    replies = yield [
        Step(encode_command((b"SMEMBERS", set_key)), _target(ops, set_key)) for set_key in set_keys
    ]
    read: list[list[bytes]] = [_members(reply) for reply in replies]
    keys = list(dict.fromkeys(member for members in read for member in members))
    total = 0
    for round_ in unlink_rounds(keys, ops.cluster):
        unlinked = yield round_
        for reply in unlinked:
            if type(reply) is not int:
                raise unexpected_reply(reply, "UNLINK")
            total += reply
    removals = [
        Step(
            encode_command((b"SREM", set_key, *members[start : start + BATCH_SIZE])),
            _target(ops, set_key),
        )
        for set_key, members in zip(set_keys, read, strict=True)
        for start in range(0, len(members), BATCH_SIZE)
    ]
    if removals:
        check_replies((yield removals), "SREM")
    return total


def _members(reply: Reply) -> list[bytes]:
    if isinstance(reply, set | frozenset):  # RESP3 answers SMEMBERS with a set
        reply = list(reply)
    if type(reply) is not list or not all(type(m) is bytes for m in reply):
        raise unexpected_reply(reply, "SMEMBERS")
    return reply
