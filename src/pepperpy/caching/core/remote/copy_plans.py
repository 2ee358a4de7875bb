"""Copying keys of every Redis type from one server (or cluster) to another, as plans.

A page of source keys goes through at most four plans, each a round trip or two:

1. :meth:`RedisCopy.dump` (source): ``PTTL`` then ``DUMP`` of each key, pipelined.
   The TTL is read first: a key that expires in between is then missing from the
   DUMP and skipped, never copied without its TTL.
2. :meth:`RedisCopy.restore` (target): ``RESTORE key ttl payload [REPLACE]`` each.
   This is the whole copy for every type, strings included.
3. Where DUMP or RESTORE is refused (another server version refusing the payload,
   the command renamed away or forbidden by an ACL), :meth:`RedisCopy.read_by_type`
   (source) reads ``TYPE``, then ``PTTL`` and the contents (``GET``, ``HGETALL``,
   ``LRANGE``, ``SMEMBERS``, ``ZRANGE ... WITHSCORES``, ``XRANGE``), and
4. :meth:`RedisCopy.rebuild` (target) writes them back with ``SET``, ``HSET``,
   ``RPUSH``, ``SADD``, ``ZADD``, ``XADD`` and ``PEXPIRE``.

:meth:`RedisCopy.page` chains them for a page of keys. A refusal that holds for the
whole server (a forbidden command, a payload of another version) is remembered
(:attr:`RedisCopy.refusal`): later pages skip DUMP/RESTORE and go by type. A rebuilt key is written
with several commands, not atomically: a reader of the target may see it partly
written while the copy runs. A stream is rebuilt from its entries only (its consumer
groups are not copied). The TTL written is what was left when the key was read, so
the copy outlives the original by at most the time the copy took.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, Final, NamedTuple, TypeAlias, final

from ..resp import ErrorReply, Reply, encode_command, encode_key_command
from .commands import pack_rounds
from .copy_rules import (
    GONE,
    TYPES,
    Verdict,
    dump_verdict,
    payload_type,
    remaining_millis,
    restore_verdict,
    server_wide,
)
from .plans import ANY, Rounds, RoundsGenerator, Step
from .slots import key_slot

__all__ = ("SOURCE", "TARGET", "Contents", "CopyJob", "Dumped", "KeyCopy", "RedisCopy")

SOURCE: Final = "source"
TARGET: Final = "target"
RESTORED: Final = "restored"
REBUILT: Final = "rebuilt by type"
WOULD_RESTORE: Final = "would be restored"
WOULD_REBUILD: Final = "would be rebuilt by type"
_EXISTS: Final = "the target already holds this key (copy with replace to overwrite it)"
_READS: Final[dict[str, tuple[bytes, *tuple[bytes | int, ...]]]] = {
    "string": (b"GET",),
    "hash": (b"HGETALL",),
    "list": (b"LRANGE", 0, -1),
    "set": (b"SMEMBERS",),
    "zset": (b"ZRANGE", 0, -1, b"WITHSCORES"),
    "stream": (b"XRANGE", b"-", b"+"),
}
_WRITES: Final = {"hash": b"HSET", "list": b"RPUSH", "set": b"SADD", "zset": b"ZADD"}
_PER_COMMAND: Final = 1000
"""Elements (members, fields with their values...) per rebuilding command."""


@final
class KeyCopy(NamedTuple):
    """The fate of one source key: the verdict, the Redis type (``""`` if unknown),
    and a note (how it was copied, or why it was not)."""

    key: bytes
    verdict: Verdict
    kind: str = ""
    note: str = ""


@final
class Dumped(NamedTuple):
    """A key read by DUMP: its remaining milliseconds (``None``: no expiry) and payload."""

    key: bytes
    millis: int | None
    payload: bytes


@final
class Contents(NamedTuple):
    """A key read by type: ``items`` are the arguments that rebuild it (a string's
    value; a hash's fields and values, a list's elements, a set's members, a sorted
    set's scores and members, in the order its writing command takes them; for a
    stream, each entry as its id followed by its fields and values)."""

    key: bytes
    kind: str
    millis: int | None
    items: list[Reply]


CopyJob: TypeAlias = Generator[tuple[str, Rounds[Any]], Any, list[KeyCopy]]
"""A page's copy (:meth:`RedisCopy.page`): yields ``(store, plan)``, is sent results."""


def _message(reply: Reply) -> str:
    if type(reply) is ErrorReply:
        return reply.message
    return f"unexpected reply {reply!r:.80}"


def _score(score: Reply) -> bytes:
    """A sorted-set score as ZADD takes it (RESP3 sends a double, RESP2 its text)."""
    if type(score) is float:
        return repr(score).encode()  # shortest text that reads back as the same double
    if type(score) is bytes:
        return score
    raise ValueError(f"unexpected score {score!r:.40}")


def _flat(reply: Reply) -> list[Reply]:
    """Pairs as one flat list: a RESP3 map, or a RESP2 flat array as it is."""
    if type(reply) is dict:
        return [part for pair in reply.items() for part in pair]
    if type(reply) is list:
        return reply
    raise ValueError(f"unexpected reply {reply!r:.80}")


def _items(kind: str, reply: Reply) -> list[Reply]:
    """The rebuilding arguments of a ``kind`` from its reading command's reply."""
    if kind == "string":
        if type(reply) is not bytes:
            raise ValueError(f"unexpected reply {reply!r:.80}")
        return [reply]
    if kind == "hash":
        return _flat(reply)
    if kind in ("list", "set"):
        if not isinstance(reply, list | set | frozenset):
            raise ValueError(f"unexpected reply {reply!r:.80}")
        return list(reply)
    if kind == "zset":
        if type(reply) is not list:
            raise ValueError(f"unexpected reply {reply!r:.80}")
        if reply and type(reply[0]) is list:  # RESP3: [[member, score], ...]
            return [part for member, score in reply for part in (_score(score), member)]
        members, scores = reply[0::2], reply[1::2]  # RESP2: member, score, member...
        return [
            part
            for member, score in zip(members, scores, strict=True)
            for part in (_score(score), member)
        ]
    if type(reply) is not list:  # stream: [[id, [field, value, ...]], ...]
        raise ValueError(f"unexpected reply {reply!r:.80}")
    return [[entry[0], *_flat(entry[1])] for entry in reply]


@final
class RedisCopy:
    """The plans that copy keys whose names start with ``source_prefix`` to keys
    starting with ``target_prefix`` instead (the rest of the name kept).

    ``replace`` overwrites keys the target holds already (``RESTORE ... REPLACE``);
    without it such keys are left alone and reported. ``source_cluster`` and
    ``target_cluster`` make commands target hash slots.
    """

    __slots__ = (
        "_cut",
        "_source_cluster",
        "_target_cluster",
        "_target_prefix",
        "refusal",
        "replace",
    )

    def __init__(
        self,
        source_prefix: bytes = b"",
        target_prefix: bytes = b"",
        *,
        replace: bool = False,
        source_cluster: bool = False,
        target_cluster: bool = False,
    ) -> None:
        self._cut = len(source_prefix)
        self._target_prefix = target_prefix
        self.replace = replace
        self._source_cluster = source_cluster
        self._target_cluster = target_cluster
        self.refusal: str | None = None
        """Why DUMP/RESTORE cannot be used (set by the first refusal), or ``None``."""

    def target_key(self, key: bytes) -> bytes:
        """Where the source key ``key`` is written."""
        return self._target_prefix + key[self._cut :]

    def _source(self, key: bytes) -> int:
        return key_slot(key) if self._source_cluster else ANY

    def _target(self, key: bytes) -> int:
        return key_slot(key) if self._target_cluster else ANY

    def _refused(self, reply: ErrorReply, command: str) -> str:
        note = f"{command} refused: {reply.message}"
        if self.refusal is None and server_wide(reply):
            self.refusal = note
        return note

    # -- a page of keys, from end to end -------------------------------------------------

    def page(self, keys: Sequence[bytes], *, dry_run: bool = False) -> CopyJob:
        """The whole copy of ``keys``: a generator that yields ``(store, plan)``
        (``store`` is ``"source"`` or ``"target"``), is sent each plan's result, and
        returns the fate of every key. With ``dry_run`` only the source is read."""
        done: list[KeyCopy] = []
        by_type: dict[bytes, str] = {}  # key -> why it goes by type
        if self.refusal is not None:  # DUMP/RESTORE was refused before: by type at once
            by_type = dict.fromkeys(keys, self.refusal)
        else:
            payloads: list[Dumped] = []
            dumped: list[Dumped | KeyCopy] = yield SOURCE, self.dump(keys)
            for item in dumped:
                if isinstance(item, Dumped):
                    payloads.append(item)
                elif item.verdict is Verdict.REFUSED:
                    by_type[item.key] = item.note
                else:
                    done.append(item)
            if dry_run:
                done.extend(
                    KeyCopy(item.key, Verdict.DONE, payload_type(item.payload), WOULD_RESTORE)
                    for item in payloads
                )
            elif payloads:
                restored: list[KeyCopy] = yield TARGET, self.restore(payloads)
                for copied in restored:
                    if copied.verdict is Verdict.REFUSED:
                        by_type[copied.key] = copied.note
                    else:
                        done.append(copied)
        if by_type:
            contents: list[Contents] = []
            read: list[Contents | KeyCopy] = yield SOURCE, self.read_by_type(list(by_type))
            for entry in read:
                if isinstance(entry, Contents):
                    contents.append(entry)
                else:
                    done.append(entry)
            if dry_run:
                done.extend(
                    KeyCopy(entry.key, Verdict.DONE, entry.kind, WOULD_REBUILD)
                    for entry in contents
                )
            elif contents:
                rebuilt: list[KeyCopy] = yield TARGET, self.rebuild(contents)
                done.extend(
                    fate._replace(note=f"{fate.note} ({by_type[fate.key]})")
                    if fate.verdict is Verdict.DONE
                    else fate
                    for fate in rebuilt
                )
        return done

    # -- 1. DUMP --------------------------------------------------------------------------

    def dump(self, keys: Sequence[bytes]) -> Rounds[list[Dumped | KeyCopy]]:
        """Source plan: each key's TTL and DUMP payload, or its fate (gone, failed,
        or ``REFUSED``: to be read by type)."""
        return Rounds(self._dump(keys), whole=False)

    def _dump(self, keys: Sequence[bytes]) -> RoundsGenerator[list[Dumped | KeyCopy]]:
        found: list[Dumped | KeyCopy] = []
        for page in pack_rounds((1, key) for key in keys):
            steps = []
            for key in page:
                target = self._source(key)
                steps.append(Step(encode_key_command(b"PTTL", key), target))
                steps.append(Step(encode_key_command(b"DUMP", key), target))
            replies = yield steps
            for index, key in enumerate(page):
                found.append(self._dumped(key, replies[2 * index], replies[2 * index + 1]))
        return found

    def _dumped(self, key: bytes, ttl: Reply, payload: Reply) -> Dumped | KeyCopy:
        verdict = dump_verdict(payload)
        if verdict is Verdict.REFUSED:
            return KeyCopy(key, verdict, "", self._refused(payload, "DUMP"))
        if verdict is Verdict.GONE:
            return KeyCopy(key, verdict)
        if verdict is Verdict.FAILED:
            return KeyCopy(key, verdict, "", f"DUMP: {_message(payload)}")
        try:
            millis = remaining_millis(ttl)
        except ValueError:
            return KeyCopy(key, Verdict.FAILED, "", f"PTTL: {_message(ttl)}")
        if millis is GONE:
            return KeyCopy(key, Verdict.GONE)
        return Dumped(key, millis, payload)

    # -- 2. RESTORE -----------------------------------------------------------------------

    def restore(self, dumped: Sequence[Dumped]) -> Rounds[list[KeyCopy]]:
        """Target plan: ``RESTORE`` of each payload with the TTL it had left."""
        return Rounds(self._restore(dumped), whole=False)

    def _restore_step(self, item: Dumped) -> Step:
        key = self.target_key(item.key)
        ttl = 0 if item.millis is None else item.millis  # RESTORE: 0 means no expiry
        command: tuple[bytes | int, ...] = (b"RESTORE", key, ttl, item.payload)
        if self.replace:
            command += (b"REPLACE",)
        # Without REPLACE a second RESTORE after an unknown outcome says BUSYKEY:
        # not worth the wrong report, so it is never sent twice.
        return Step(encode_command(command), self._target(key), retry_safe=self.replace)

    def _restore(self, dumped: Sequence[Dumped]) -> RoundsGenerator[list[KeyCopy]]:
        done: list[KeyCopy] = []
        for page in pack_rounds((1, item) for item in dumped):
            replies = yield [self._restore_step(item) for item in page]
            for item, reply in zip(page, replies, strict=True):
                kind = payload_type(item.payload)
                verdict = restore_verdict(reply)
                if verdict is Verdict.DONE:
                    done.append(KeyCopy(item.key, verdict, kind, RESTORED))
                elif verdict is Verdict.EXISTS:
                    done.append(KeyCopy(item.key, verdict, kind, _EXISTS))
                elif verdict is Verdict.REFUSED:
                    done.append(KeyCopy(item.key, verdict, kind, self._refused(reply, "RESTORE")))
                else:
                    done.append(KeyCopy(item.key, verdict, kind, f"RESTORE: {_message(reply)}"))
        return done

    # -- 3. reading by type ---------------------------------------------------------------

    def read_by_type(self, keys: Sequence[bytes]) -> Rounds[list[Contents | KeyCopy]]:
        """Source plan: each key's type, then its TTL and contents (or its fate)."""
        return Rounds(self._read_by_type(keys), whole=False)

    def _read_by_type(self, keys: Sequence[bytes]) -> RoundsGenerator[list[Contents | KeyCopy]]:
        found: list[Contents | KeyCopy] = []
        for page in pack_rounds((1, key) for key in keys):
            types = yield [Step(encode_command((b"TYPE", key)), self._source(key)) for key in page]
            readable: list[tuple[bytes, str]] = []
            for key, reply in zip(page, types, strict=True):
                kind = reply.decode("ascii", "replace") if type(reply) is bytes else ""
                if kind == "none":
                    found.append(KeyCopy(key, Verdict.GONE))
                elif kind in TYPES:
                    readable.append((key, kind))
                elif kind:
                    note = f"a {kind} cannot be copied without DUMP/RESTORE"
                    found.append(KeyCopy(key, Verdict.FAILED, kind, note))
                else:
                    found.append(KeyCopy(key, Verdict.FAILED, "", f"TYPE: {_message(reply)}"))
            if not readable:
                continue
            steps = []
            for key, kind in readable:
                target = self._source(key)
                steps.append(Step(encode_command((b"PTTL", key)), target))
                name, *arguments = _READS[kind]
                steps.append(Step(encode_command((name, key, *arguments)), target))
            replies = yield steps
            for index, (key, kind) in enumerate(readable):
                found.append(self._contents(key, kind, replies[2 * index], replies[2 * index + 1]))
        return found

    def _contents(self, key: bytes, kind: str, ttl: Reply, reply: Reply) -> Contents | KeyCopy:
        if reply is None or reply == [] or reply == {}:
            if kind != "stream" or reply is None:
                return KeyCopy(key, Verdict.GONE, kind)
            return KeyCopy(key, Verdict.FAILED, kind, "an empty stream cannot be rebuilt by type")
        if type(reply) is ErrorReply:  # WRONGTYPE: it changed while being copied
            name = _READS[kind][0].decode()
            return KeyCopy(key, Verdict.FAILED, kind, f"{name}: {reply.message}")
        try:
            millis = remaining_millis(ttl)
            items = _items(kind, reply)
        except ValueError as exc:
            return KeyCopy(key, Verdict.FAILED, kind, str(exc))
        if millis is GONE:
            return KeyCopy(key, Verdict.GONE, kind)
        return Contents(key, kind, millis, items)

    # -- 4. rebuilding ------------------------------------------------------------------

    def rebuild(self, contents: Sequence[Contents]) -> Rounds[list[KeyCopy]]:
        """Target plan: each key written back from its contents, with its TTL."""
        return Rounds(self._rebuild(contents), whole=False)

    def _rebuild(self, contents: Sequence[Contents]) -> RoundsGenerator[list[KeyCopy]]:
        done: dict[int, KeyCopy] = {}
        pending = list(range(len(contents)))
        collections = [i for i in pending if contents[i].kind != "string"]
        if collections and not self.replace:  # SET NX checks strings by itself
            keys = [self.target_key(contents[i].key) for i in collections]
            exists = yield [
                Step(encode_command((b"EXISTS", key)), self._target(key)) for key in keys
            ]
            for index, reply in zip(collections, exists, strict=True):
                if reply != 0:
                    item = contents[index]
                    verdict = Verdict.EXISTS if type(reply) is int else Verdict.FAILED
                    note = _EXISTS if type(reply) is int else f"EXISTS: {_message(reply)}"
                    done[index] = KeyCopy(item.key, verdict, item.kind, note)
            pending = [i for i in pending if i not in done]
        weighted = ((max(1, len(contents[i].items)), i) for i in pending)
        for page in pack_rounds(weighted):
            steps: list[Step] = []
            spans: list[tuple[int, int]] = []
            for index in page:
                start = len(steps)
                steps.extend(self._writes(contents[index]))
                spans.append((index, len(steps) - start))
            replies = yield steps
            position = 0
            for index, count in spans:
                item = contents[index]
                mine = replies[position : position + count]
                position += count
                done[index] = self._rebuilt(item, mine)
        return [done[i] for i in range(len(contents))]

    def _rebuilt(self, item: Contents, replies: list[Reply]) -> KeyCopy:
        for reply in replies:
            if type(reply) is ErrorReply:
                return KeyCopy(item.key, Verdict.FAILED, item.kind, _message(reply))
        if item.kind == "string" and replies[0] is None:  # SET NX: the key exists
            return KeyCopy(item.key, Verdict.EXISTS, item.kind, _EXISTS)
        return KeyCopy(item.key, Verdict.DONE, item.kind, REBUILT)

    def _writes(self, item: Contents) -> list[Step]:
        key = self.target_key(item.key)
        target = self._target(key)
        if item.kind == "string":
            command: list[bytes | int] = [b"SET", key, item.items[0]]
            if item.millis is not None:
                command += [b"PX", item.millis]
            if not self.replace:
                command.append(b"NX")
            return [Step(encode_command(tuple(command)), target, retry_safe=self.replace)]
        steps = []
        if self.replace:
            steps.append(Step(encode_command((b"UNLINK", key)), target))
        # Appends (RPUSH, XADD) land twice if sent twice: never retried.
        appends = item.kind in ("list", "stream")
        if item.kind == "stream":
            for entry in item.items:
                steps.append(Step(encode_command((b"XADD", key, *entry)), target, retry_safe=False))
        else:
            name = _WRITES[item.kind]
            per = _PER_COMMAND * (2 if item.kind in ("hash", "zset") else 1)
            for start in range(0, len(item.items), per):
                chunk = item.items[start : start + per]
                payload = encode_command((name, key, *chunk))
                steps.append(Step(payload, target, retry_safe=not appends))
        if item.millis is not None:
            steps.append(Step(encode_command((b"PEXPIRE", key, item.millis)), target))
        return steps
