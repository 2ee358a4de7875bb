"""The decisions of a Redis-to-Redis copy, one reply at a time: pure functions.

* What a ``PTTL`` reply means for the copy (:func:`remaining_millis`): ``RESTORE``
  takes a TTL of ``0`` as "no expiry", so a key with 0 ms left must count as gone,
  never be written forever.
* What a ``DUMP`` or ``RESTORE`` reply means (:func:`dump_verdict`,
  :func:`restore_verdict`): the payload, the key gone, the target already holding
  the key, a refusal that type-aware copying can work around (another server version
  refusing the payload, a command renamed away or forbidden by an ACL), or a failure.
* Which Redis type a ``DUMP`` payload holds (:func:`payload_type`): its first byte is
  the RDB type code, so a restored key's type is known without asking.
"""

from __future__ import annotations

import enum
from typing import Final, final

from ..resp import ErrorReply, Reply

__all__ = (
    "GONE",
    "TYPES",
    "Gone",
    "Verdict",
    "dump_verdict",
    "payload_type",
    "refused",
    "remaining_millis",
    "restore_verdict",
    "server_wide",
)


@final
class Gone(enum.Enum):
    """The key expired or was deleted before it could be read."""

    GONE = "gone"


GONE: Final = Gone.GONE

TYPES: Final = ("string", "list", "set", "zset", "hash", "stream")
"""The Redis types a copy can rebuild from their contents when ``RESTORE`` cannot be used."""

# RDB type codes (Redis' rdb.h) of what DUMP writes, by the Redis type they hold.
_RDB_TYPES: Final = {
    0: "string",
    1: "list",
    10: "list",
    14: "list",
    18: "list",
    2: "set",
    11: "set",
    20: "set",
    3: "zset",
    5: "zset",
    12: "zset",
    17: "zset",
    4: "hash",
    9: "hash",
    13: "hash",
    16: "hash",
    22: "hash",
    23: "hash",
    24: "hash",
    25: "hash",
    15: "stream",
    19: "stream",
    21: "stream",
    6: "module",
    7: "module",
}


def remaining_millis(reply: Reply) -> int | Gone | None:
    """What a ``PTTL`` reply says: milliseconds left (``> 0``), ``None`` for no
    expiry, or :data:`GONE` (no key, or no time left). ``ValueError`` for a reply
    ``PTTL`` cannot give."""
    if type(reply) is not int:
        raise ValueError(f"unexpected PTTL reply: {reply!r:.100}")
    if reply == -1:
        return None
    if reply > 0:
        return reply
    return GONE  # -2: no key; 0: expiring now (RESTORE would read 0 as "forever")


def payload_type(payload: bytes) -> str:
    """The Redis type a ``DUMP`` payload holds (``"value"`` when its code is unknown)."""
    return _RDB_TYPES.get(payload[0], "value") if payload else "value"


@final
class Verdict(enum.Enum):
    """What one reply of a copy means for its key."""

    DONE = "done"
    """Read (DUMP) or written (RESTORE, or a rebuilding command)."""
    GONE = "gone"
    """The key no longer exists on the source."""
    EXISTS = "exists"
    """The target holds the key already and the copy was not asked to replace it."""
    REFUSED = "refused"
    """DUMP/RESTORE cannot be used here: copy by type instead."""
    FAILED = "failed"
    """Anything else; the reply says why."""


# Error replies meaning "this server will not do DUMP/RESTORE for us", not "this key
# is bad": the payload comes from another RDB version (or is damaged), the command is
# renamed away (``rename-command``) or forbidden for this user by an ACL.
_REFUSALS: Final = (
    "payload version or checksum are wrong",
    "bad data format",
    "unknown command",
)


def refused(reply: ErrorReply) -> bool:
    """Whether ``reply`` refuses DUMP/RESTORE themselves, so that copying by type may
    still work."""
    if reply.code == "NOPERM":
        return True
    message = reply.message.lower()
    return any(part in message for part in _REFUSALS)


def server_wide(reply: ErrorReply) -> bool:
    """Whether a refusal (see :func:`refused`) holds for every key of the server: a
    forbidden or unknown command, a payload of another RDB version. A payload in a
    format the server cannot read (``Bad data format``: a module's type the target
    lacks) is about that key only."""
    return refused(reply) and "bad data format" not in reply.message.lower()


def dump_verdict(reply: Reply) -> Verdict:
    """What a ``DUMP`` reply means: a payload (DONE), no key, a refusal, or a failure."""
    if type(reply) is bytes:
        return Verdict.DONE
    if reply is None:
        return Verdict.GONE
    if type(reply) is ErrorReply and refused(reply):
        return Verdict.REFUSED
    return Verdict.FAILED


def restore_verdict(reply: Reply) -> Verdict:
    """What a ``RESTORE`` reply means: written, the key exists, a refusal, a failure."""
    if reply == b"OK":
        return Verdict.DONE
    if type(reply) is ErrorReply:
        if reply.code == "BUSYKEY":
            return Verdict.EXISTS
        if refused(reply):
            return Verdict.REFUSED
    return Verdict.FAILED
