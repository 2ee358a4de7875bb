"""Where each command goes, and what to do when it comes back refused: pure decisions.

On a single server every command goes to it. On a cluster a command goes to the
primary owning its slot in the :class:`~.topology.SlotTable`, and the server may
answer:

* ``MOVED slot host:port`` -- the slot lives elsewhere for good: update that slot,
  send again there, and refresh the whole table (others have likely moved too);
* ``ASK slot host:port`` -- the slot is migrating and this key is already there:
  send again there once, preceded by ``ASKING``; the table does not change;
* ``TRYAGAIN`` -- a multi-key command during a migration: wait a little, retry;
* ``CLUSTERDOWN`` / ``MASTERDOWN`` -- the cluster cannot serve (a fail-over under
  way): wait, refresh the table, retry;
* ``LOADING`` -- the node is loading its data: wait, retry.

A broken connection to a node is retried on a new one (after a refresh on a
cluster) only if the command had not been written, or can run twice harmlessly.
:func:`decide` is the whole retry rule; it never retries past the deadline.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final, final

from ..resp import ErrorReply, Reply
from .plans import ANY, Target
from .topology import Address, SlotTable

__all__ = (
    "MAX_ATTEMPTS",
    "ClusterRoutes",
    "Decision",
    "Failure",
    "Redirect",
    "SingleRoute",
    "classify",
    "decide",
    "parse_address",
)

MAX_ATTEMPTS: Final = 16
"""Sends of one command at most (redirections included), deadline permitting."""

_BACKOFF_BASE: Final = 0.01
_BACKOFF_CAP: Final = 0.25


@final
class Failure(enum.Enum):
    """Why a command did not get its final reply."""

    MOVED = "MOVED"
    ASK = "ASK"
    TRYAGAIN = "TRYAGAIN"
    CLUSTERDOWN = "CLUSTERDOWN"
    MASTERDOWN = "MASTERDOWN"
    LOADING = "LOADING"
    CONNECTION = "connection"
    """The node could not be reached, or the connection broke."""


_BY_CODE: Final = {f.value: f for f in Failure if f is not Failure.CONNECTION}


@final
@dataclass(frozen=True, slots=True)
class Redirect:
    """A refused command: why, and for MOVED/ASK the slot and node named."""

    failure: Failure
    slot: int = -1
    address: Address | None = None


def parse_address(text: str) -> Address:
    """``host:port`` (IPv6 hosts too: the port is after the last colon)."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def classify(reply: Reply, queried: Address | None = None) -> Redirect | None:
    """What an error reply asks of the client, or ``None`` for a final reply.

    ``MOVED 3999 :6381`` (no host: the cluster does not know its endpoint) means the
    host that was queried.
    """
    if type(reply) is not ErrorReply:
        return None
    code, _, rest = reply.message.partition(" ")
    failure = _BY_CODE.get(code)
    if failure is None:
        return None
    if failure is Failure.MOVED or failure is Failure.ASK:
        slot_text, _, where = rest.partition(" ")
        try:
            host, port = parse_address(where)
            slot = int(slot_text)
        except ValueError:
            return None  # not a redirection we can follow: the plan sees the error
        if not host and queried is not None:
            host = queried[0]
        return Redirect(failure, slot, (host, port))
    return Redirect(failure)


@final
@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a failed command: ``retry`` it after ``delay`` seconds (to
    ``address`` if given, with ``ASKING`` first if ``asking``), after refreshing the
    slot table if ``refresh``."""

    retry: bool
    delay: float = 0.0
    refresh: bool = False
    address: Address | None = None
    asking: bool = False


_GIVE_UP: Final = Decision(False)


def _backoff(attempt: int) -> float:
    return float(min(_BACKOFF_CAP, _BACKOFF_BASE * 2.0 ** max(attempt - 1, 0)))


def decide(
    redirect: Redirect,
    attempt: int,
    now: float,
    deadline: float,
    *,
    sent: bool = True,
    retry_safe: bool = True,
    cluster: bool = True,
) -> Decision:
    """The retry rule for a command that failed with ``redirect`` on its ``attempt``-th
    send (1 for the first).

    ``sent`` and ``retry_safe`` matter for broken connections only: a command that
    may have run is sent again only if running it twice is harmless. A single
    server gets one retry on a new connection (the old one had gone stale: the
    server restarted, or dropped an idle client); a cluster keeps retrying, after a
    refresh, while a fail-over completes.
    """
    if attempt >= MAX_ATTEMPTS or now >= deadline:
        return _GIVE_UP
    failure = redirect.failure
    if failure is Failure.MOVED:
        return Decision(True, refresh=cluster, address=redirect.address)
    if failure is Failure.ASK:
        return Decision(True, address=redirect.address, asking=True)
    if failure is Failure.CONNECTION:
        if sent and not retry_safe:
            return _GIVE_UP
        if not cluster:
            return Decision(True) if attempt == 1 else _GIVE_UP
        delay = _backoff(attempt)
    elif failure is Failure.CLUSTERDOWN or failure is Failure.MASTERDOWN:
        delay = _backoff(attempt + 2)
    else:  # TRYAGAIN, LOADING
        delay = _backoff(attempt)
    if now + delay >= deadline:
        return _GIVE_UP
    refresh = failure is not Failure.TRYAGAIN and failure is not Failure.LOADING
    return Decision(True, delay=delay, refresh=refresh and cluster)


@final
class SingleRoute:
    """Every command to the one server."""

    __slots__ = ("address",)

    cluster: Final = False

    def __init__(self, address: Address) -> None:
        self.address = address

    def address_for(self, target: Target) -> Address:
        """The server, whatever the target."""
        return self.address

    @property
    def primaries(self) -> tuple[Address, ...]:
        """The server itself."""
        return (self.address,)


@final
class ClusterRoutes:
    """The slot table a cluster client routes by, and how it learns of changes.

    ``seeds`` are the nodes to ask for the table until one is known (the startup
    nodes). :meth:`update` installs a new table and says whether the set of
    primaries changed (what a near cache must hear of); :meth:`moved` patches one
    slot after a ``MOVED``, and marks the table stale.
    """

    __slots__ = ("_seeds", "stale", "table")

    cluster: Final = True

    def __init__(self, seeds: tuple[Address, ...]) -> None:
        if not seeds:
            raise ValueError("a cluster needs at least one node to start from")
        self._seeds = seeds
        self.table: SlotTable | None = None
        self.stale = True

    def address_for(self, target: Target) -> Address:
        """The node for ``target``: the slot's primary, the node itself, or any node."""
        if isinstance(target, tuple):
            return target
        table = self.table
        if table is not None:
            if target != ANY:
                owner = table.primary_for(target)
                if owner is not None:
                    return owner
            primaries = table.primaries
            if primaries:
                return primaries[target % len(primaries)] if target != ANY else primaries[0]
        return self._seeds[0]

    @property
    def primaries(self) -> tuple[Address, ...]:
        """The primaries of the table (the seeds before one is known)."""
        if self.table is None or not self.table.primaries:
            return self._seeds
        return self.table.primaries

    def refresh_order(self) -> list[Address]:
        """The nodes to ask for a fresh table, in order: the known ones, then the seeds."""
        known = list(self.table.nodes) if self.table is not None else []
        return list(dict.fromkeys([*known, *self._seeds]))

    def update(self, table: SlotTable) -> bool:
        """Install ``table``; whether the primaries or slot owners changed."""
        changed = self.table is None or table != self.table
        self.table = table
        self.stale = not table.complete
        return changed

    def moved(self, slot: int, address: Address) -> None:
        """``slot`` now lives on ``address``."""
        if self.table is not None:
            self.table = self.table.moved(slot, address)
        self.stale = True
