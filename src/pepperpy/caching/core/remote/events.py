"""What a Redis client tells its listeners: connections, topology, pushes.

A near cache builds on these: it must flush what it holds when the connection that
carries its invalidations is lost (it may have missed some), start tracking again
when a connection opens, and follow the cluster's primaries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias, final

from ..errors import BackendError
from ..resp import Push
from .session import Session
from .topology import Address

__all__ = (
    "NodeConnected",
    "NodeDisconnected",
    "PushReceived",
    "RedisEvent",
    "RedisListener",
    "TopologyChanged",
)


@final
@dataclass(frozen=True, slots=True)
class NodeConnected:
    """A connection to ``address`` opened and ran its handshake (``session``)."""

    address: Address
    session: Session


@final
@dataclass(frozen=True, slots=True)
class NodeDisconnected:
    """The connection to ``address`` ended (closed, broken, or given up as hung)."""

    address: Address
    error: BackendError | None


@final
@dataclass(frozen=True, slots=True)
class TopologyChanged:
    """The cluster's slot table changed; ``primaries`` are the primaries now."""

    primaries: tuple[Address, ...]


@final
@dataclass(frozen=True, slots=True)
class PushReceived:
    """A push frame (an ``invalidate``, a message...) arrived on a connection to
    ``address`` outside a subscription."""

    address: Address
    push: Push


RedisEvent: TypeAlias = NodeConnected | NodeDisconnected | TopologyChanged | PushReceived
"""Any of the events above."""

RedisListener: TypeAlias = Callable[[RedisEvent], None]
"""Called with each event synchronously, by whichever task saw it (keep it short)."""
