"""A scripted Redis peer for the core's tests: RESP bytes in, RESP bytes out, no sockets.

Like h11's in-memory connection pair: the client side is the real
:class:`~pepperpy.caching.core.resp.RespConnection`, the server side this model of
Redis (a dict, explicit time, the handful of commands a cache sends). A cluster is a
few such nodes with a slot table, slots that migrate (``ASK``) or have moved
(``MOVED``), and nodes that die and get replaced (``CLUSTERDOWN`` in between).
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import hiredis

from pepperpy.caching.core.remote.slots import SLOT_COUNT, key_slot
from pepperpy.caching.core.resp import ErrorReply, Push

__all__ = ["FakeCluster", "FakeNode", "encode_reply", "split_randomly"]


def encode_reply(value: Any, resp3: bool = True) -> bytes:
    """``value`` as a server sends it."""
    if isinstance(value, ErrorReply):
        return b"-%s\r\n" % value.message.encode()
    if isinstance(value, Push):
        items = [value.kind, *value.data]
        head = b">" if resp3 else b"*"
        return head + b"%d\r\n" % len(items) + b"".join(encode_reply(i, resp3) for i in items)
    if value is None:
        return b"_\r\n" if resp3 else b"$-1\r\n"
    if value is True or value is False:
        return (b"#t\r\n" if value else b"#f\r\n") if resp3 else b":%d\r\n" % value
    if isinstance(value, int):
        return b":%d\r\n" % value
    if isinstance(value, str):
        return b"+%s\r\n" % value.encode()
    if isinstance(value, bytes):
        return b"$%d\r\n%s\r\n" % (len(value), value)
    if isinstance(value, dict):
        if resp3:
            body = b"".join(
                encode_reply(k, resp3) + encode_reply(v, resp3) for k, v in value.items()
            )
            return b"%%%d\r\n" % len(value) + body
        flat = [x for kv in value.items() for x in kv]
        return encode_reply(flat, resp3)
    if isinstance(value, list | tuple):
        return b"*%d\r\n" % len(value) + b"".join(encode_reply(v, resp3) for v in value)
    raise TypeError(f"cannot encode {value!r}")


def split_randomly(data: bytes, rng: random.Random) -> Iterator[bytes]:
    """``data`` in pieces cut at random places (every boundary is possible)."""
    start = 0
    while start < len(data):
        end = min(len(data), start + rng.choice([1, 1, 2, 3, 7, 64, 4096]))
        yield data[start:end]
        start = end


@dataclass
class FakeNode:
    """One Redis server: a keyspace per database, explicit time, a client's state."""

    address: tuple[str, int] = ("10.0.0.1", 6379)
    password: str | None = None
    resp3: bool = True  # False: an old server without HELLO
    cluster: FakeCluster | None = None
    data: dict[int, dict[bytes, tuple[bytes, float]]] = field(default_factory=dict)
    now: float = 0.0
    alive: bool = True
    client_ids: int = 0
    received: list[list[bytes]] = field(default_factory=list)

    def connect(self) -> NodeSession:
        """A new connection's server-side state."""
        self.client_ids += 1
        return NodeSession(self, self.client_ids)

    def live_keys(self, db: int = 0) -> dict[bytes, bytes]:
        """The live keys of ``db``."""
        space = self.data.setdefault(db, {})
        return {k: v for k, (v, exp) in space.items() if exp > self.now}


@dataclass
class NodeSession:
    """The server side of one connection."""

    node: FakeNode
    client_id: int
    db: int = 0
    resp3: bool = False
    authed: bool = False
    asking: bool = False
    subscribed: bool = False
    reader: Any = field(default_factory=hiredis.Reader)
    pushes: list[Push] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.authed = self.node.password is None

    def receive(self, data: bytes) -> bytes:
        """The bytes the server writes back for ``data`` (pushes queued first)."""
        self.reader.feed(data)
        out = []
        while (command := self.reader.gets()) is not False:
            self.node.received.append(command)
            reply = self.execute([bytes(a) for a in command])
            if reply is not _NO_REPLY:
                out.append(encode_reply(reply, self.resp3))
        return b"".join(out)

    def execute(self, args: list[bytes]) -> Any:
        name = args[0].upper()
        node = self.node
        if not node.alive:
            raise ConnectionError("the node is down")
        if name == b"HELLO":
            if not node.resp3:
                return ErrorReply("ERR unknown command 'HELLO', with args beginning with: '3'")
            if len(args) > 2 and args[2].upper() == b"AUTH":
                if args[4].decode() != node.password:
                    return ErrorReply("WRONGPASS invalid username-password pair")
                self.authed = True
            if not self.authed:
                return ErrorReply(
                    "NOAUTH HELLO must be called with the client already authenticated"
                )
            self.resp3 = int(args[1]) == 3
            return {b"server": b"redis", b"version": b"7.0.0", b"proto": 3, b"id": self.client_id}
        if name == b"AUTH":
            if args[-1].decode() != node.password:
                return ErrorReply("WRONGPASS invalid username-password pair")
            self.authed = True
            return "OK"
        if not self.authed:
            return ErrorReply("NOAUTH Authentication required.")
        if name == b"SELECT":
            self.db = int(args[1])
            return "OK"
        if name == b"CLIENT":
            sub = args[1].upper()
            if sub == b"ID":
                return self.client_id
            return "OK"  # SETNAME, TRACKING
        if name == b"PING":
            return "PONG"
        if name in (b"SUBSCRIBE", b"PSUBSCRIBE"):
            kind = b"subscribe" if name == b"SUBSCRIBE" else b"psubscribe"
            self.subscribed = True
            for i, channel in enumerate(args[1:], 1):
                self.pushes.append(Push(kind, (channel, i)))
            return _NO_REPLY
        if node.cluster is not None:
            return node.cluster.execute(self, name, args)
        return self.keyspace(name, args)

    def keyspace(self, name: bytes, args: list[bytes]) -> Any:
        node = self.node
        space = node.data.setdefault(self.db, {})
        now = node.now

        def live(key: bytes) -> bytes | None:
            found = space.get(key)
            if found is None or found[1] <= now:
                space.pop(key, None)
                return None
            return found[0]

        if name == b"GET":
            return live(args[1])
        if name == b"SET":
            expires = math.inf
            if len(args) == 5 and args[3].upper() == b"PX":
                expires = now + int(args[4]) / 1000
            space[args[1]] = (args[2], expires)
            return "OK"
        if name == b"MGET":
            return [live(k) for k in args[1:]]
        if name == b"MSET":
            for i in range(1, len(args), 2):
                space[args[i]] = (args[i + 1], math.inf)
            return "OK"
        if name in (b"UNLINK", b"DEL"):
            removed = 0
            for key in args[1:]:
                if live(key) is not None:
                    del space[key]
                    removed += 1
            return removed
        if name == b"EXISTS":
            return sum(live(k) is not None for k in args[1:])
        if name == b"PTTL":
            value = live(args[1])
            if value is None:
                return -2
            expires = space[args[1]][1]
            return -1 if expires == math.inf else math.ceil((expires - now) * 1000)
        if name == b"SCAN":
            return self._scan(space, now, args)
        if name == b"DBSIZE":
            return len(node.live_keys(self.db))
        if name == b"FLUSHDB":
            space.clear()
            return "OK"
        if name == b"PUBLISH":
            return 0
        return ErrorReply(f"ERR unknown command '{name.decode()}'")

    def _scan(self, space: dict[bytes, tuple[bytes, float]], now: float, args: list[bytes]) -> Any:
        # The cursor is the position, in hash order, of the last key returned: every key
        # present for the whole walk is listed, whatever is deleted meanwhile.
        cursor = int(args[1])
        pattern = args[args.index(b"MATCH") + 1] if b"MATCH" in args else b"*"
        count = int(args[args.index(b"COUNT") + 1]) if b"COUNT" in args else 10
        ordered = sorted((_position(k), k) for k, (_, e) in space.items() if e > now)
        page = [(h, k) for h, k in ordered if h > cursor][:count]
        following = page[-1][0] if len(page) == count else 0
        return [str(following).encode(), [k for _, k in page if _glob(pattern, k)]]


def _position(key: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(key, digest_size=7).digest(), "big") + 1


_NO_REPLY: Any = object()


def _glob(pattern: bytes, key: bytes) -> bool:
    translated = []
    i = 0
    text = pattern.decode("latin-1")
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            translated.append("[" + text[i + 1] + "]" if text[i + 1] != "]" else "]")
            i += 2
            continue
        translated.append(char)
        i += 1
    return fnmatch.fnmatchcase(key.decode("latin-1"), "".join(translated))


@dataclass
class FakeCluster:
    """Primaries (and their replicas) owning slot ranges, with migrations and fail-overs."""

    nodes: list[FakeNode]
    owner: list[int] = field(default_factory=list)  # slot -> index into nodes
    migrating: dict[int, int] = field(default_factory=dict)  # slot -> target node index
    down: set[int] = field(default_factory=set)  # node indices the cluster sees as failed

    def __post_init__(self) -> None:
        for node in self.nodes:
            node.cluster = self
        if not self.owner:
            per = SLOT_COUNT // len(self.nodes) + 1
            self.owner = [min(slot // per, len(self.nodes) - 1) for slot in range(SLOT_COUNT)]

    @classmethod
    def of(cls, count: int) -> FakeCluster:
        return cls([FakeNode(address=(f"10.0.0.{i + 1}", 7000 + i)) for i in range(count)])

    def index(self, node: FakeNode) -> int:
        return self.nodes.index(node)

    def owner_of(self, slot: int) -> FakeNode:
        return self.nodes[self.owner[slot]]

    def execute(self, session: NodeSession, name: bytes, args: list[bytes]) -> Any:
        me = self.index(session.node)
        asking, session.asking = session.asking, False
        if name == b"ASKING":
            session.asking = True
            return "OK"
        if name == b"CLUSTER":
            sub = args[1].upper()
            if sub == b"SHARDS":
                return self.shards()
            if sub == b"SLOTS":
                return self.slots()
            return ErrorReply("ERR unknown subcommand")
        if self.down & {self.owner[s] for s in range(0, SLOT_COUNT, 512)}:
            return ErrorReply("CLUSTERDOWN The cluster is down")
        keys = _keys_of(name, args)
        if keys:
            slots = {key_slot(k) for k in keys}
            if len(slots) > 1:
                return ErrorReply("CROSSSLOT Keys in request don't hash to the same slot")
            (slot,) = slots
            owner = self.owner[slot]
            target = self.migrating.get(slot)
            if owner != me and not (asking and target == me):
                host, port = self.nodes[owner].address
                return ErrorReply(f"MOVED {slot} {host}:{port}")
            if owner == me and target is not None:
                present = [k for k in keys if k in session.node.live_keys(session.db)]
                if len(present) < len(keys):
                    if present:
                        return ErrorReply("TRYAGAIN Multiple keys request during rehashing of slot")
                    host, port = self.nodes[target].address
                    return ErrorReply(f"ASK {slot} {host}:{port}")
        return session.keyspace(name, args)

    def _ranges(self) -> list[tuple[int, int, int]]:
        ranges: list[tuple[int, int, int]] = []
        start = 0
        for slot in range(1, SLOT_COUNT + 1):
            if slot == SLOT_COUNT or self.owner[slot] != self.owner[start]:
                ranges.append((start, slot - 1, self.owner[start]))
                start = slot
        return ranges

    def shards(self) -> list[dict[bytes, Any]]:
        by_node: dict[int, list[int]] = {}
        for start, end, owner in self._ranges():
            by_node.setdefault(owner, []).extend([start, end])
        return [
            {
                b"slots": slots,
                b"nodes": [
                    {
                        b"id": b"%040d" % owner,
                        b"port": self.nodes[owner].address[1],
                        b"ip": self.nodes[owner].address[0].encode(),
                        b"endpoint": self.nodes[owner].address[0].encode(),
                        b"role": b"master",
                        b"health": b"failed" if owner in self.down else b"online",
                    }
                ],
            }
            for owner, slots in by_node.items()
        ]

    def slots(self) -> list[list[Any]]:
        return [
            [start, end, [self.nodes[o].address[0].encode(), self.nodes[o].address[1], b"id"]]
            for start, end, o in self._ranges()
        ]

    def migrate(self, slot: int, to: int, keys: Sequence[bytes] = ()) -> None:
        """Start moving ``slot`` to node ``to``; ``keys`` already moved."""
        source = self.owner_of(slot)
        self.migrating[slot] = to
        for key in keys:
            value = source.data.setdefault(0, {}).pop(key, None)
            if value is not None:
                self.nodes[to].data.setdefault(0, {})[key] = value

    def finish_migration(self, slot: int) -> None:
        to = self.migrating.pop(slot)
        source = self.owner_of(slot)
        space = source.data.setdefault(0, {})
        for key in [k for k in space if key_slot(k) == slot]:
            self.nodes[to].data.setdefault(0, {})[key] = space.pop(key)
        self.owner[slot] = to

    def fail_over(self, dead: int, successor: FakeNode) -> None:
        """Replace node ``dead`` by ``successor`` (its replica, with the same data)."""
        successor.data = self.nodes[dead].data
        successor.cluster = self
        self.nodes[dead].alive = False
        self.nodes[dead] = successor
        self.down.discard(dead)


def _keys_of(name: bytes, args: list[bytes]) -> list[bytes]:
    if name in (b"GET", b"SET", b"EXISTS", b"PTTL"):
        return [args[1]]
    if name in (b"MGET", b"UNLINK", b"DEL"):
        return args[1:]
    if name == b"MSET":
        return args[1::2]
    return []


Answer = Callable[[bytes], bytes]
