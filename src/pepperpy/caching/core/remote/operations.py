"""Every cache operation on Redis, as a plan: keys, commands, and what replies mean.

:class:`RedisOperations` is the pure half of a Redis cache: it names keys (the
namespace), encodes values (the serializer), validates TTLs, builds the plan of each
operation, decodes its replies and counts hits and misses. Whoever runs the plans
only moves bytes. Adding an operation is one method here and one short caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, final

from ..entry import MISS, CacheStats
from ..errors import BackendError, SerializationError
from ..resp import ErrorReply, Reply, encode_command, encode_key_command, encode_set
from ..serializers import Serializer
from ..ttl import TTL, normalize_ttl, ttl_to_millis
from .commands import mget_rounds, pttl_seconds, unlink_rounds, write_rounds
from .keys import KeySpace
from .plans import (
    ANY,
    Plan,
    Rounds,
    RoundsGenerator,
    Single,
    Step,
    Target,
    check_replies,
    reply_error,
)
from .scan import ScanWalk
from .slots import key_slot

__all__ = ("RedisOperations", "unexpected_reply")


def unexpected_reply(reply: Reply, what: str) -> BackendError:
    """The error for a reply ``what`` cannot have: an error reply, or a wrong shape."""
    if type(reply) is ErrorReply:
        return reply_error(reply, what)
    return BackendError(f"{what}: unexpected reply {reply!r:.100}")


def _no_slot(key: bytes) -> int:
    return ANY


@final
class RedisOperations:
    """The plans of one cache: its namespace, serializer and default TTL.

    ``cluster`` makes every command target the hash slot of its key, and batches
    split per slot. The counters (``hits``, ``misses``, ``failed_reads``) are the
    cache's statistics.
    """

    __slots__ = (
        "_cluster",
        "_default_ttl",
        "_loads_many",
        "_serializer",
        "_slot",
        "failed_reads",
        "hits",
        "misses",
        "space",
    )

    def __init__(
        self,
        space: KeySpace,
        serializer: Serializer,
        default_ttl: float | None = None,
        *,
        cluster: bool = False,
    ) -> None:
        self.space = space
        self._serializer = serializer
        # A batch decoder where the serializer has one (JsonSerializer does).
        self._loads_many: Callable[[Sequence[bytes]], list[Any]] | None = getattr(
            serializer, "loads_many", None
        )
        self._default_ttl = default_ttl
        self._cluster = cluster
        self._slot = key_slot if cluster else _no_slot
        self.hits = 0
        self.misses = 0
        self.failed_reads = 0

    @property
    def default_ttl(self) -> float | None:
        """Seconds a write without a TTL keeps its key (``None``: for ever)."""
        return self._default_ttl

    @property
    def cluster(self) -> bool:
        """Whether plans target hash slots."""
        return self._cluster

    def stats(self, size: int) -> CacheStats:
        """The counters, with ``size`` as last counted."""
        return CacheStats(hits=self.hits, misses=self.misses, size=size)

    def read_failed(self, lookups: int) -> None:
        """Count a read answered as a miss because the store failed (fail-open)."""
        self.misses += lookups
        self.failed_reads += 1

    # -- values and TTLs -----------------------------------------------------------------

    def dumps(self, value: Any) -> bytes:
        """``value`` as bytes; ``SerializationError`` if the serializer cannot."""
        try:
            return self._serializer.dumps(value)
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(
                f"cannot encode a value of type {type(value).__name__}: {exc}"
            ) from exc

    def loads(self, payload: bytes) -> Any:
        """Stored bytes as a value; ``SerializationError`` if they do not decode."""
        try:
            return self._serializer.loads(payload)
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(f"cannot decode stored data: {exc}") from exc

    def millis(self, ttl: TTL) -> int | None:
        """``PX`` milliseconds for ``ttl`` (the default TTL for ``None``)."""
        seconds = self._default_ttl if ttl is None else normalize_ttl(ttl)
        return None if seconds is None else ttl_to_millis(seconds)

    # -- one key -------------------------------------------------------------------------

    def get(self, key: str) -> Single[Any]:
        """``GET``: the value, or :data:`~pepperpy.caching.MISS`."""
        stored = self.space.key(key)
        target = key_slot(stored) if self._cluster else ANY
        return Single(encode_key_command(b"GET", stored), target, self._got)

    def _got(self, reply: Reply) -> Any:
        if reply is None:
            self.misses += 1
            return MISS
        if type(reply) is not bytes:
            raise unexpected_reply(reply, "GET")
        self.hits += 1
        return self.loads(reply)

    def set(self, key: str, value: Any, ttl: TTL = None) -> Single[None]:
        """``SET key payload [PX ms]``."""
        stored = self.space.key(key)
        millis = self.millis(ttl)
        payload = encode_set(stored, self.dumps(value), millis)
        return Single(payload, self._slot(stored), _ok_set)

    def contains(self, key: str) -> Single[bool]:
        """``EXISTS``."""
        stored = self.space.key(key)
        return Single(encode_key_command(b"EXISTS", stored), self._slot(stored), _positive_exists)

    def delete(self, key: str) -> Single[bool]:
        """``UNLINK`` of one key: whether it existed."""
        stored = self.space.key(key)
        return Single(encode_key_command(b"UNLINK", stored), self._slot(stored), _positive_unlink)

    def ttl(self, key: str) -> Single[float | None]:
        """``PTTL``: seconds left, ``None`` for no expiry or no key."""
        stored = self.space.key(key)
        return Single(encode_key_command(b"PTTL", stored), self._slot(stored), _seconds)

    def publish(self, channel: bytes, message: Any) -> Single[int]:
        """``PUBLISH``: how many clients received the message."""
        payload = encode_command((b"PUBLISH", channel, self.dumps(message)))
        return Single(payload, ANY, _receivers)

    # -- batches -------------------------------------------------------------------------

    def get_many(self, keys: Iterable[str]) -> Plan[dict[str, Any]]:
        """MGETs (per slot on a cluster): the hits among ``keys``."""
        given, stored = self.space.redis_keys(keys)
        rounds = mget_rounds(stored, self._cluster)
        if len(rounds) == 1 and len(rounds[0]) == 1:  # one MGET: replies in key order

            def finish(reply: Reply) -> dict[str, Any]:
                if type(reply) is not list or len(reply) != len(given):
                    raise unexpected_reply(reply, "MGET")
                return self._found(given, reply)

            step = rounds[0][0][1]
            return Single(step.payload, step.target, finish)
        return Rounds(self._get_rounds(given, rounds))

    def _get_rounds(
        self, given: list[str], rounds: list[list[tuple[Sequence[int], Step]]]
    ) -> RoundsGenerator[dict[str, Any]]:
        found: list[Reply] = [None] * len(given)
        for round_ in rounds:
            replies = yield [step for _, step in round_]
            for (positions, _), values in zip(round_, replies, strict=True):
                if type(values) is not list or len(values) != len(positions):
                    raise unexpected_reply(values, "MGET")
                for position, value in zip(positions, values, strict=True):
                    found[position] = value
        return self._found(given, found)

    def _found(self, given: list[str], payloads: list[Reply]) -> dict[str, Any]:
        count = len(payloads)
        misses = payloads.count(None)
        try:
            if self._loads_many is not None:
                if misses:
                    hits = [(k, p) for k, p in zip(given, payloads, strict=True) if p is not None]
                    given, payloads = [k for k, _ in hits], [p for _, p in hits]
                values = self._loads_many(payloads)
                found = dict(zip(given, values, strict=True))
            else:
                loads = self._serializer.loads
                found = {
                    key: loads(payload)
                    for key, payload in zip(given, payloads, strict=True)
                    if payload is not None
                }
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(f"cannot decode stored data: {exc}") from exc
        self.misses += misses
        self.hits += count - misses
        return found

    def set_many(self, mapping: Mapping[str, Any], ttl: TTL = None) -> Rounds[None]:
        """MSETs (no TTL) or pipelined ``SET ... PX`` (TTL), in round trips of about
        a thousand keys. Every value is encoded before anything is sent."""
        given, stored = self.space.redis_keys(mapping)
        millis = self.millis(ttl)
        dumps = self._serializer.dumps
        try:
            payloads = [dumps(mapping[key]) for key in given]
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(f"cannot encode a value: {exc}") from exc
        return Rounds(_checked_rounds(write_rounds(stored, payloads, millis, self._cluster)))

    def delete_many(self, keys: Iterable[str]) -> Plan[int]:
        """UNLINKs (per slot on a cluster): how many of ``keys`` existed."""
        _, stored = self.space.redis_keys(keys)
        rounds = unlink_rounds(stored, self._cluster)
        if len(rounds) == 1 and len(rounds[0]) == 1:
            step = rounds[0][0]
            return Single(step.payload, step.target, _unlinked)
        return Rounds(_unlink(rounds))

    # -- walks over every primary --------------------------------------------------------

    def scan(self, prefix: str, nodes: Sequence[Target]) -> ScanWalk:
        """The walk listing this cache's keys that start with ``prefix`` (literally)."""
        return ScanWalk(self.space.match_prefix(prefix), nodes, unique=True)

    def delete_matching(self, pattern: bytes, nodes: Sequence[Target]) -> Rounds[int]:
        """SCAN + UNLINK of every key matching ``pattern`` on ``nodes``: how many went.

        Each round (a SCAN page, then its UNLINKs) gets its own deadline: a namespace
        of any size takes as long as it takes.
        """
        return Rounds(self._delete_matching(ScanWalk(pattern, nodes)), whole=False)

    def _delete_matching(self, walk: ScanWalk) -> RoundsGenerator[int]:
        total = 0
        while (step := walk.step()) is not None:
            (reply,) = yield [step]
            keys = walk.feed(reply)
            if keys:
                total += yield from _unlink(unlink_rounds(keys, self._cluster))
        return total

    def count(self, pattern: bytes | None, nodes: Sequence[Target]) -> Rounds[int]:
        """How many keys match ``pattern`` (SCAN), or every key (``DBSIZE``, ``None``)."""
        if pattern is None:
            return Rounds(_dbsize(nodes))
        return Rounds(_scan_count(ScanWalk(pattern, nodes)), whole=False)

    def flush(self, nodes: Sequence[Target]) -> Rounds[None]:
        """``FLUSHDB ASYNC`` on every node."""
        return Rounds(_flush(nodes))


# -- finishing functions: one reply in, the operation's result out ----------------------


def _ok_set(reply: Reply) -> None:
    if reply != b"OK":
        raise unexpected_reply(reply, "SET")


def _integer(reply: Reply, what: str) -> int:
    if type(reply) is not int:
        raise unexpected_reply(reply, what)
    return reply


def _positive_exists(reply: Reply) -> bool:
    return _integer(reply, "EXISTS") > 0


def _positive_unlink(reply: Reply) -> bool:
    return _integer(reply, "UNLINK") > 0


def _unlinked(reply: Reply) -> int:
    return _integer(reply, "UNLINK")


def _seconds(reply: Reply) -> float | None:
    return pttl_seconds(_integer(reply, "PTTL"))


def _receivers(reply: Reply) -> int:
    return _integer(reply, "PUBLISH")


# -- round generators ---------------------------------------------------------------------


def _checked_rounds(rounds: list[list[Step]]) -> RoundsGenerator[None]:
    for round_ in rounds:
        replies = yield round_
        check_replies(replies, "write")


def _unlink(rounds: list[list[Step]]) -> RoundsGenerator[int]:
    total = 0
    for round_ in rounds:
        replies = yield round_
        total += sum(_integer(reply, "UNLINK") for reply in replies)
    return total


def _dbsize(nodes: Sequence[Target]) -> RoundsGenerator[int]:
    if not nodes:
        return 0
    replies = yield [Step(encode_command((b"DBSIZE",)), node) for node in nodes]
    return sum(_integer(reply, "DBSIZE") for reply in replies)


def _scan_count(walk: ScanWalk) -> RoundsGenerator[int]:
    total = 0
    while (step := walk.step()) is not None:
        (reply,) = yield [step]
        total += len(walk.feed(reply))
    return total


def _flush(nodes: Sequence[Target]) -> RoundsGenerator[None]:
    if not nodes:
        return
    replies = yield [Step(encode_command((b"FLUSHDB", b"ASYNC")), node) for node in nodes]
    check_replies(replies, "FLUSHDB ASYNC")
