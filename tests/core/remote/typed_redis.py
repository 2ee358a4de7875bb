"""A model Redis holding every type, answering the commands a copy sends.

Enough of Redis for the copy plans: keys of the six types with a TTL in
milliseconds (time stands still), ``DUMP``/``RESTORE`` with a payload of its own
(first byte the RDB type code, as Redis' is), the reading and writing commands of
each type, and replies shaped as RESP2 or RESP3 gives them. It can refuse
``DUMP`` or ``RESTORE`` the way real servers do.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any

import hiredis

from pepperpy.caching.core.remote.plans import Step
from pepperpy.caching.core.resp import ErrorReply, Reply

__all__ = ["CODES", "TypedRedis", "Value"]

CODES = {"string": 0, "list": 18, "set": 2, "zset": 17, "hash": 16, "stream": 19}
WRONGTYPE = ErrorReply("WRONGTYPE Operation against a key holding the wrong kind of value")


@dataclass
class Value:
    """One key: its type, its data, and its milliseconds left (``None``: no expiry)."""

    kind: str
    data: Any
    millis: int | None = None


def _command(payload: bytes) -> list[bytes]:
    reader = hiredis.Reader()
    reader.feed(payload)
    command = reader.gets()
    assert isinstance(command, list), payload
    assert reader.gets() is False, payload
    return command


@dataclass
class TypedRedis:
    """The store; :meth:`answer` replies to a round of steps, in order."""

    keys: dict[bytes, Value] = field(default_factory=dict)
    resp3: bool = True
    refuse_dump: bool = False
    refuse_restore: bool = False
    unreadable: set[bytes] = field(default_factory=set)
    """Keys whose payload RESTORE cannot read (a module's type this server lacks)."""
    sent: list[list[bytes]] = field(default_factory=list)

    def answer(self, steps: list[Step]) -> list[Reply]:
        replies = []
        for step in steps:
            command = _command(step.payload)
            self.sent.append(command)
            name = command[0].decode().lower()
            replies.append(getattr(self, f"_{name}")(*command[1:]))
        return replies

    def _typed(self, key: bytes, kind: str) -> Value | ErrorReply | None:
        value = self.keys.get(key)
        if value is not None and value.kind != kind:
            return WRONGTYPE
        return value

    # -- reads ----------------------------------------------------------------------------

    def _pttl(self, key: bytes) -> int:
        value = self.keys.get(key)
        if value is None:
            return -2
        return -1 if value.millis is None else value.millis

    def _type(self, key: bytes) -> bytes:
        value = self.keys.get(key)
        return b"none" if value is None else value.kind.encode()

    def _exists(self, key: bytes) -> int:
        return int(key in self.keys)

    def _dump(self, key: bytes) -> Reply:
        if self.refuse_dump:
            return ErrorReply("NOPERM this user has no permissions to run the 'dump' command")
        value = self.keys.get(key)
        if value is None:
            return None
        return bytes([CODES[value.kind]]) + pickle.dumps((value.kind, value.data))

    def _get(self, key: bytes) -> Reply:
        value = self._typed(key, "string")
        return value.data if isinstance(value, Value) else value

    def _hgetall(self, key: bytes) -> Reply:
        value = self._typed(key, "hash")
        if isinstance(value, ErrorReply):
            return value
        data = {} if value is None else value.data
        return dict(data) if self.resp3 else [part for pair in data.items() for part in pair]

    def _lrange(self, key: bytes, start: bytes, stop: bytes) -> Reply:
        assert (start, stop) == (b"0", b"-1")
        value = self._typed(key, "list")
        return value if isinstance(value, ErrorReply) else list(value.data if value else [])

    def _smembers(self, key: bytes) -> Reply:
        value = self._typed(key, "set")
        return value if isinstance(value, ErrorReply) else sorted(value.data if value else [])

    def _zrange(self, key: bytes, start: bytes, stop: bytes, withscores: bytes) -> Reply:
        assert (start, stop, withscores.upper()) == (b"0", b"-1", b"WITHSCORES")
        value = self._typed(key, "zset")
        if isinstance(value, ErrorReply):
            return value
        pairs = sorted((value.data if value else {}).items(), key=lambda p: (p[1], p[0]))
        if self.resp3:
            return [[member, score] for member, score in pairs]
        return [part for member, score in pairs for part in (member, repr(score).encode())]

    def _xrange(self, key: bytes, start: bytes, stop: bytes) -> Reply:
        assert (start, stop) == (b"-", b"+")
        value = self._typed(key, "stream")
        if isinstance(value, ErrorReply):
            return value
        return [[entry_id, list(fields)] for entry_id, fields in (value.data if value else [])]

    # -- writes ---------------------------------------------------------------------------

    def _restore(self, key: bytes, ttl: bytes, payload: bytes, *options: bytes) -> Reply:
        if self.refuse_restore:
            return ErrorReply("ERR DUMP payload version or checksum are wrong")
        if key in self.unreadable:
            return ErrorReply("ERR Bad data format")
        if key in self.keys and b"REPLACE" not in options:
            return ErrorReply("BUSYKEY Target key name already exists.")
        kind, data = pickle.loads(payload[1:])
        assert payload[0] == CODES[kind]
        millis = int(ttl)
        self.keys[key] = Value(kind, data, None if millis == 0 else millis)
        return b"OK"

    def _set(self, key: bytes, data: bytes, *options: bytes) -> Reply:
        words = [option.upper() for option in options]
        if b"NX" in words and key in self.keys:
            return None
        millis = int(words[words.index(b"PX") + 1]) if b"PX" in words else None
        self.keys[key] = Value("string", data, millis)
        return b"OK"

    def _unlink(self, key: bytes) -> int:
        return int(self.keys.pop(key, None) is not None)

    def _pexpire(self, key: bytes, millis: bytes) -> int:
        value = self.keys.get(key)
        if value is None:
            return 0
        value.millis = int(millis)
        return 1

    def _collection(self, key: bytes, kind: str, empty: Any) -> Value | ErrorReply:
        value = self._typed(key, kind)
        if value is None:
            value = self.keys[key] = Value(kind, empty)
        return value

    def _hset(self, key: bytes, *pairs: bytes) -> Reply:
        value = self._collection(key, "hash", {})
        if isinstance(value, ErrorReply):
            return value
        value.data.update(zip(pairs[0::2], pairs[1::2], strict=True))
        return len(pairs) // 2

    def _rpush(self, key: bytes, *elements: bytes) -> Reply:
        value = self._collection(key, "list", [])
        if isinstance(value, ErrorReply):
            return value
        value.data.extend(elements)
        return len(value.data)

    def _sadd(self, key: bytes, *members: bytes) -> Reply:
        value = self._collection(key, "set", set())
        if isinstance(value, ErrorReply):
            return value
        value.data.update(members)
        return len(members)

    def _zadd(self, key: bytes, *pairs: bytes) -> Reply:
        value = self._collection(key, "zset", {})
        if isinstance(value, ErrorReply):
            return value
        for score, member in zip(pairs[0::2], pairs[1::2], strict=True):
            value.data[member] = float(score)
        return len(pairs) // 2

    def _xadd(self, key: bytes, entry_id: bytes, *fields: bytes) -> Reply:
        value = self._collection(key, "stream", [])
        if isinstance(value, ErrorReply):
            return value
        value.data.append((entry_id, list(fields)))
        return entry_id
