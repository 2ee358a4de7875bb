"""A Redis Cluster's layout: which primary serves which hash slot.

Built from ``CLUSTER SHARDS`` (Redis 7) or ``CLUSTER SLOTS`` (older servers), in
either protocol's shape (RESP3 maps or RESP2 flat arrays). Pure: parsing and lookups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final, TypeAlias, final

from ..errors import BackendError
from ..resp import Reply
from .slots import SLOT_COUNT

__all__ = ("UNIX_PORT", "Address", "SlotTable", "format_address", "parse_shards", "parse_slots")

UNIX_PORT: Final = -1
"""The port of an :data:`Address` that names a unix socket by its path."""

Address: TypeAlias = tuple[str, int]
"""A node, by host and port (a unix socket by its path and :data:`UNIX_PORT`)."""

_UNKNOWN_HOSTS: Final = frozenset({"", "?"})


def format_address(address: Address) -> str:
    """``host:port``, or the socket path."""
    host, port = address
    if port == UNIX_PORT:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@final
class SlotTable:
    """Which primary owns each slot, and the replicas of each primary.

    ``owners`` maps (start, end) slot ranges, inclusive, to a primary.
    """

    __slots__ = ("_owner", "_primaries", "_replicas")

    def __init__(
        self,
        owners: Iterable[tuple[int, int, Address]],
        replicas: Mapping[Address, Sequence[Address]] | None = None,
    ) -> None:
        primaries: list[Address] = []
        index: dict[Address, int] = {}
        owner = [-1] * SLOT_COUNT
        for start, end, address in owners:
            if not (0 <= start <= end < SLOT_COUNT):
                raise BackendError(f"the cluster reported slots {start}-{end}, out of range")
            position = index.get(address)
            if position is None:
                position = index[address] = len(primaries)
                primaries.append(address)
            owner[start : end + 1] = [position] * (end - start + 1)
        self._owner = owner
        self._primaries = tuple(primaries)
        self._replicas = {a: tuple(r) for a, r in (replicas or {}).items() if a in index}

    def primary_for(self, slot: int) -> Address | None:
        """The primary serving ``slot``, or ``None`` if no node claims it."""
        position = self._owner[slot]
        return None if position < 0 else self._primaries[position]

    @property
    def primaries(self) -> tuple[Address, ...]:
        """Every primary that owns at least one slot, in first-seen order."""
        used = set(self._owner)
        return tuple(a for i, a in enumerate(self._primaries) if i in used)

    def replicas_of(self, primary: Address) -> tuple[Address, ...]:
        """The replicas the cluster reported for ``primary``."""
        return self._replicas.get(primary, ())

    @property
    def nodes(self) -> tuple[Address, ...]:
        """Every node known, primaries first, then replicas."""
        seen = dict.fromkeys(self.primaries)
        for replicas in self._replicas.values():
            seen.update(dict.fromkeys(replicas))
        return tuple(seen)

    @property
    def complete(self) -> bool:
        """Whether every slot has an owner."""
        return -1 not in self._owner

    def moved(self, slot: int, address: Address) -> SlotTable:
        """A copy in which ``slot`` belongs to ``address`` (after a ``MOVED``)."""
        table = SlotTable(())
        primaries = list(self._primaries)
        if address not in primaries:
            primaries.append(address)
        table._owner = self._owner.copy()
        table._owner[slot] = primaries.index(address)
        table._primaries = tuple(primaries)
        table._replicas = self._replicas
        return table

    def ranges(self) -> list[tuple[int, int, Address]]:
        """The table as (start, end, primary) ranges, in slot order."""
        found: list[tuple[int, int, Address]] = []
        owner = self._owner
        start = 0
        for slot in range(1, SLOT_COUNT + 1):
            if slot == SLOT_COUNT or owner[slot] != owner[start]:
                if owner[start] >= 0:
                    found.append((start, slot - 1, self._primaries[owner[start]]))
                start = slot
        return found

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SlotTable):
            return NotImplemented
        return self.ranges() == other.ranges() and {
            a: set(r) for a, r in self._replicas.items()
        } == {a: set(r) for a, r in other._replicas.items()}

    def __hash__(self) -> int:
        return hash(tuple(self.ranges()))

    def __repr__(self) -> str:
        return f"SlotTable({len(self.primaries)} primaries, complete={self.complete})"


# -- parsing ------------------------------------------------------------------------------


def _text(value: Reply) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _fields(value: Reply) -> dict[str, Reply]:
    """A RESP3 map, or a RESP2 flat ``[key, value, ...]`` array, as a dict."""
    if isinstance(value, dict):
        return {_text(k): v for k, v in value.items()}
    if isinstance(value, list) and len(value) % 2 == 0:
        return {_text(value[i]): value[i + 1] for i in range(0, len(value), 2)}
    raise BackendError(f"unexpected cluster description: {value!r:.200}")


def _host(fields: Mapping[str, Reply], queried: Address) -> str:
    for name in ("endpoint", "ip", "hostname"):
        host = _text(fields.get(name, b""))
        if host not in _UNKNOWN_HOSTS:
            return host
    return queried[0]


def parse_shards(reply: Reply, queried: Address, *, tls: bool = False) -> SlotTable:
    """The table in a ``CLUSTER SHARDS`` reply got from ``queried``.

    An unknown endpoint (``""`` or ``"?"``) means the queried host. With ``tls``, a
    node's ``tls-port`` is used when it has one. Failed nodes are left out.
    """
    if not isinstance(reply, list):
        raise BackendError(f"unexpected CLUSTER SHARDS reply: {reply!r:.200}")
    owners: list[tuple[int, int, Address]] = []
    replicas: dict[Address, list[Address]] = {}
    for shard in reply:
        fields = _fields(shard)
        bounds = fields.get("slots") or []
        primary: Address | None = None
        others: list[Address] = []
        for node in fields.get("nodes") or []:
            info = _fields(node)
            if _text(info.get("health", b"online")) == "failed":
                continue
            port = info.get("tls-port") if tls and info.get("tls-port") else info.get("port")
            if not isinstance(port, int):
                continue
            address = (_host(info, queried), port)
            if _text(info.get("role", b"")) == "master":
                primary = address
            else:
                others.append(address)
        if primary is None or not bounds:
            continue
        if not all(isinstance(b, int) for b in bounds) or len(bounds) % 2:
            raise BackendError(f"unexpected slot ranges in CLUSTER SHARDS: {bounds!r:.200}")
        owners.extend((bounds[i], bounds[i + 1], primary) for i in range(0, len(bounds), 2))
        replicas.setdefault(primary, []).extend(others)
    return SlotTable(owners, replicas)


def parse_slots(reply: Reply, queried: Address) -> SlotTable:
    """The table in a ``CLUSTER SLOTS`` reply got from ``queried``."""
    if not isinstance(reply, list):
        raise BackendError(f"unexpected CLUSTER SLOTS reply: {reply!r:.200}")
    owners: list[tuple[int, int, Address]] = []
    replicas: dict[Address, list[Address]] = {}
    for entry in reply:
        if not (isinstance(entry, list) and len(entry) >= 3):
            raise BackendError(f"unexpected CLUSTER SLOTS entry: {entry!r:.200}")
        start, end, *nodes = entry
        addresses: list[Address] = []
        for node in nodes:
            if not (isinstance(node, list) and len(node) >= 2 and isinstance(node[1], int)):
                raise BackendError(f"unexpected CLUSTER SLOTS node: {node!r:.200}")
            host = _text(node[0]) if node[0] is not None else ""
            addresses.append((queried[0] if host in _UNKNOWN_HOSTS else host, node[1]))
        if not (isinstance(start, int) and isinstance(end, int)):
            raise BackendError(f"unexpected CLUSTER SLOTS range: {entry!r:.200}")
        owners.append((start, end, addresses[0]))
        replicas.setdefault(addresses[0], []).extend(addresses[1:])
    return SlotTable(owners, replicas)
