"""A byte stream straight over a non-blocking socket, for TCP and unix connections.

anyio's own socket streams pay for generality on every call: on asyncio a send ends
with a shielded checkpoint (one more turn of the event loop per command) and each
receive pauses and resumes the transport's reading; both runtimes take a lock-like
guard and look the backend up. A Redis connection has one writer and one reader at a
time (the leader of :class:`~.connection.NodeConnection`), so it can do with much less:
a write goes straight to the socket and only waits when the send buffer is full; a
read first waits until the socket is readable (``anyio.wait_readable``, the one
yield per command, which is also the checkpoint), then takes what is there. This
halves the cost per command on asyncio and trio alike, and it is still anyio only.
TLS runs on top of it through anyio's ``TLSStream``.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import anyio
import anyio.abc
import anyio.lowlevel

__all__ = ("SocketByteStream", "open_tcp", "open_unix")

_WAIT_ERRORS: Final = (BlockingIOError, InterruptedError)

Wait = Callable[[socket.socket], Awaitable[None]]


class SocketByteStream(anyio.abc.ByteStream):
    """An anyio byte stream over a connected non-blocking socket it owns.

    Meant for one sending task and one receiving task at a time; a send returns as
    soon as the kernel took every byte (it is no checkpoint then), a receive always
    waits for readability first (it is always a checkpoint).
    """

    __slots__ = ("_closed", "_sock", "_wait_readable", "_wait_writable")

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._closed = False
        backend = anyio.lowlevel.current_token().backend_class
        # Bound once: the module-level functions look the backend up on every call.
        self._wait_readable: Wait = backend.wait_readable
        self._wait_writable: Wait = backend.wait_writable

    @property
    def extra_attributes(self) -> Mapping[Any, Callable[[], Any]]:
        sock = self._sock
        return {
            anyio.abc.SocketAttribute.raw_socket: lambda: sock,
            anyio.abc.SocketAttribute.family: lambda: sock.family,
            anyio.abc.SocketAttribute.local_address: sock.getsockname,
            anyio.abc.SocketAttribute.remote_address: sock.getpeername,
        }

    async def receive(self, max_bytes: int = 65536) -> bytes:
        """Wait until the socket is readable, then return what it holds (at most
        ``max_bytes``); ``anyio.EndOfStream`` once the peer has closed."""
        if max_bytes < 1:
            raise ValueError("max_bytes must be a positive integer")
        sock = self._sock
        while True:
            if self._closed:
                raise anyio.ClosedResourceError
            await self._wait_readable(sock)
            try:
                data = sock.recv(max_bytes)
            except _WAIT_ERRORS:
                continue  # woken without data (spurious readiness)
            except OSError as exc:
                raise self._broken(exc) from exc
            if not data:
                raise anyio.EndOfStream
            return data

    async def send(self, item: bytes) -> None:
        """Write all of ``item``, waiting only while the send buffer is full."""
        sock = self._sock
        if self._closed:
            raise anyio.ClosedResourceError
        try:
            sent = sock.send(item)  # the usual case: the kernel takes it all at once
        except _WAIT_ERRORS:
            sent = 0
        except OSError as exc:
            raise self._broken(exc) from exc
        if sent == len(item):
            return
        view = memoryview(item)[sent:]
        while view:
            if self._closed:
                raise anyio.ClosedResourceError
            try:
                sent = sock.send(view)
            except _WAIT_ERRORS:
                await self._wait_writable(sock)
                continue
            except OSError as exc:
                raise self._broken(exc) from exc
            view = view[sent:]

    async def send_eof(self) -> None:
        """Shut the sending side down (the peer reads end of stream)."""
        if not self._closed:
            self._sock.shutdown(socket.SHUT_WR)

    async def aclose(self) -> None:
        """Close the socket; a task waiting on it gets ``anyio.ClosedResourceError``."""
        if self._closed:
            return
        self._closed = True
        anyio.notify_closing(self._sock)
        self._sock.close()

    def _broken(self, exc: OSError) -> BaseException:
        if self._closed:
            return anyio.ClosedResourceError()
        return exc


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _connect(sock: socket.socket, address: Any) -> None:
    sock.setblocking(False)
    try:
        sock.connect(address)
    except _WAIT_ERRORS:
        await anyio.wait_writable(sock)
        error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            raise OSError(error, os.strerror(error)) from None


async def open_tcp(host: str, port: int, *, keepalive: bool) -> SocketByteStream:
    """A stream to ``host:port``. An IP address is connected to directly; a host name
    is resolved (in a worker thread, by anyio) and its addresses tried in order."""
    if _is_ip_address(host):
        family = int(socket.AF_INET6 if ":" in host else socket.AF_INET)
        candidates: list[tuple[int, Any]] = [(family, (host, port))]
    else:
        found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        candidates = [(int(info[0]), info[4]) for info in found]
    failure: OSError | None = None
    for family, address in candidates:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            await _connect(sock, address)
        except BaseException as exc:
            sock.close()
            if not isinstance(exc, OSError):
                raise
            failure = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if keepalive:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return SocketByteStream(sock)
    raise failure if failure is not None else OSError(f"no address found for {host!r}")


async def open_unix(path: str) -> SocketByteStream:
    """A stream to the unix socket at ``path``."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        await _connect(sock, path)
    except BaseException:
        sock.close()
        raise
    return SocketByteStream(sock)
