"""Opening a connection: the stream (TCP, TLS or a unix socket) and its handshake.

Streams speak anyio only, so the same code serves asyncio and trio: a
:class:`~.socket_stream.SocketByteStream` over the socket, with anyio's ``TLSStream`` on
top for TLS. A host given as an IP address is connected to directly; a host name is
resolved first, which both runtimes do in a worker thread (the one place a thread may
be used: connecting, never a command).
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

import anyio
import anyio.abc
import anyio.lowlevel
from anyio.streams.tls import TLSStream

from ...core.errors import BackendError
from ...core.remote.plans import Rounds
from ...core.remote.session import Session, SessionSettings, handshake
from ...core.remote.topology import UNIX_PORT, Address, format_address
from ...core.resp import DEFAULT_MAX_FRAME_BYTES, ConnectionLost, Push, Request, RespConnection
from ..clock import Clock
from .connection import STREAM_ERRORS, NodeConnection
from .errors import backend_error, scrub
from .socket_stream import open_tcp, open_unix

__all__ = ("Connector", "run_on")

_CONNECT_ERRORS: Final = (*STREAM_ERRORS, anyio.EndOfStream)


async def run_on(connection: NodeConnection, plan: Rounds[Session], deadline: float) -> Session:
    """Run a plan whose every step goes to ``connection`` (its handshake)."""
    steps = plan.start()
    while steps is not None:
        request = Request(b"".join(s.payload for s in steps), len(steps), deadline)
        await connection.call(request)
        replies = request.result()
        steps = plan.advance([replies] if len(steps) == 1 else replies)
    return plan.result()


@dataclass(frozen=True, slots=True)
class Connector:
    """How to open a connection to any node of one cache.

    ``connect_timeout`` bounds opening the stream and the handshake (and never goes
    past the caller's deadline).
    """

    session: SessionSettings
    tls: ssl.SSLContext | None
    connect_timeout: float
    keepalive: bool
    secrets: tuple[str, ...]
    clock: Clock
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    checkpoint: Callable[[], Awaitable[None]] = anyio.lowlevel.checkpoint_if_cancelled
    """``checkpoint_if_cancelled`` of the running backend, bound once (it runs before
    every write, and the generic one looks the backend up on each call)."""

    async def open(
        self,
        address: Address,
        deadline: float,
        *,
        on_push: Callable[[Push], None] | None = None,
        on_close: Callable[[NodeConnection, BackendError], None] | None = None,
        session: SessionSettings | None = None,
    ) -> tuple[NodeConnection, Session]:
        """A connection to ``address``, set up; ``ConnectionLost`` (``sent`` false)
        when it cannot be opened, ``BackendError`` when the handshake fails."""
        where = format_address(address)
        limit = min(deadline, self.clock() + self.connect_timeout)
        stream: anyio.abc.ByteStream | None = None
        with anyio.CancelScope(deadline=limit):
            try:
                stream = await self._stream(address)
            except _CONNECT_ERRORS as exc:
                raise self._unreachable(exc, where) from exc
            connection = NodeConnection(
                stream,
                RespConnection(max_frame_bytes=self.max_frame_bytes),
                where=where,
                clock=self.clock,
                secrets=self.secrets,
                on_push=on_push,
                on_close=on_close,
                checkpoint=self.checkpoint,
            )
            try:
                agreed = await run_on(connection, handshake(session or self.session), limit)
            except BackendError as error:
                await connection.aclose()
                if isinstance(error, ConnectionLost):
                    raise self._unreachable(error, where) from error
                raise BackendError(scrub(str(error), self.secrets)) from None
            except BaseException:
                await connection.aclose()
                raise
            return connection, agreed
        if stream is not None:
            with anyio.CancelScope(shield=True):
                await anyio.aclose_forcefully(stream)
        raise self._unreachable(TimeoutError(), where)

    async def _stream(self, address: Address) -> anyio.abc.ByteStream:
        host, port = address
        if port == UNIX_PORT:
            return await open_unix(host)
        stream = await open_tcp(host, port, keepalive=self.keepalive)
        if self.tls is None:
            return stream
        try:
            return await TLSStream.wrap(
                stream,
                server_side=False,
                hostname=host,
                ssl_context=self.tls,
                # Redis closes TLS connections without close_notify.
                standard_compatible=False,
            )
        except BaseException:
            await anyio.aclose_forcefully(stream)
            raise

    def _unreachable(self, exc: BaseException, where: str) -> ConnectionLost:
        error = backend_error(exc, "connect", where, self.secrets, ConnectionLost)
        error.sent = False
        return error
