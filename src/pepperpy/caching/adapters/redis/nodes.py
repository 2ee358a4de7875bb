"""The connection to each node: opened on first use, replaced once it breaks.

One :class:`NodeLink` per node address, shared by every caller: concurrent first
uses wait for one connection attempt. A connection that ended (closed by the server,
broken, given up as hung) is dropped, and the next call opens a new one; listeners
hear of both (:class:`~pepperpy.caching.core.remote.events.NodeConnected`,
:class:`~pepperpy.caching.core.remote.events.NodeDisconnected`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Final

import anyio

from ...core.errors import BackendError
from ...core.remote.events import (
    NodeConnected,
    NodeDisconnected,
    PushReceived,
    RedisEvent,
    RedisListener,
)
from ...core.remote.topology import Address, format_address
from ...core.resp import ConnectionLost, Push
from .connect import Connector
from .connection import NodeConnection
from .watchdog import Watchdog

__all__ = ("NodeLink", "NodeLinks", "notify")

_log: Final = logging.getLogger("pepperpy.caching")


def notify(listener: RedisListener, event: RedisEvent) -> None:
    """Tell ``listener`` of ``event``; a listener that raises is logged, not obeyed
    (it runs inside whatever task saw the event: a caller, or the watchdog)."""
    try:
        listener(event)
    except Exception:
        _log.exception("a Redis event listener failed on %r", event)


class NodeLink:
    """The shared connection to the node at ``address``, one of ``links``."""

    __slots__ = ("_links", "_lock", "address", "connection")

    def __init__(self, address: Address, links: NodeLinks) -> None:
        self.address = address
        self._links = links
        self._lock = anyio.Lock()
        self.connection: NodeConnection | None = None

    async def connect(self, deadline: float) -> NodeConnection:
        """The open connection, opening one if there is none (within ``deadline``)."""
        connection = self.connection
        if connection is not None and not connection.broken:
            return connection
        with anyio.CancelScope(deadline=deadline) as scope:
            async with self._lock:
                connection = self.connection
                if connection is None or connection.broken:
                    connection = await self._open(deadline)
                return connection
        assert scope.cancelled_caught
        error = ConnectionLost(f"connect on {format_address(self.address)} failed: timed out")
        error.sent = False
        raise error

    async def _open(self, deadline: float) -> NodeConnection:
        listener = self._links.listener
        on_push = None
        if listener is not None:
            address = self.address

            def on_push(push: Push) -> None:
                notify(listener, PushReceived(address, push))

        connection, session = await self._links.connector.open(
            self.address, deadline, on_push=on_push, on_close=self._closed
        )
        connection.watch(self._links.watchdog)
        self.connection = connection
        if listener is not None:
            notify(listener, NodeConnected(self.address, session))
        return connection

    def _closed(self, connection: NodeConnection, error: BackendError) -> None:
        if self.connection is connection:
            self.connection = None
        listener = self._links.listener
        if listener is not None:
            notify(listener, NodeDisconnected(self.address, error))

    async def aclose(self) -> None:
        """Close the connection (the next call opens a new one)."""
        connection, self.connection = self.connection, None
        if connection is not None:
            await connection.aclose()

    def abandon(self) -> None:
        """Forget the connection without closing it (its event loop has ended)."""
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.abandon()


class NodeLinks:
    """A :class:`NodeLink` per address, made on demand.

    ``listener`` hears of connections opened and lost, and of push frames;
    ``watchdog`` (when set) keeps the deadlines of every connection.
    """

    __slots__ = ("_links", "connector", "listener", "watchdog")

    def __init__(self, connector: Connector, listener: RedisListener | None = None) -> None:
        self.connector = connector
        self.listener = listener
        self.watchdog: Watchdog | None = None
        self._links: dict[Address, NodeLink] = {}

    def __getitem__(self, address: Address) -> NodeLink:
        link = self._links.get(address)
        if link is None:
            link = self._links[address] = NodeLink(address, self)
        return link

    def watch(self, watchdog: Watchdog | None) -> None:
        """Hand the deadlines of every connection, now and later, to ``watchdog``."""
        self.watchdog = watchdog
        for link in self:
            if link.connection is not None:
                link.connection.watch(watchdog)

    def __iter__(self) -> Iterator[NodeLink]:
        return iter(list(self._links.values()))

    async def aclose(self) -> None:
        """Close every connection."""
        for link in self:
            await link.aclose()

    def abandon(self) -> None:
        """Forget every connection (their event loop has ended)."""
        for link in self:
            link.abandon()
