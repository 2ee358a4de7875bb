"""A loopback TCP proxy for the tests: delays and counts what goes through; and a fake
server that answers with a script.

It runs in the test's own event loop (asyncio or trio), on anyio streams.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
import anyio.abc
from anyio.abc import SocketAttribute

__all__ = ["Proxy", "proxy_to", "serve_script"]


class Proxy:
    """What the proxy does to the bytes, adjustable while it runs."""

    def __init__(self, port: int, delay: tuple[float, float], seed: int) -> None:
        self.port = port
        self.delay = delay
        self.rng = random.Random(seed)
        self.writes_from_clients = 0  # chunks the clients wrote
        self.connections = 0

    async def _pump(
        self, source: anyio.abc.ByteStream, sink: anyio.abc.ByteStream, upstream: bool
    ) -> None:
        try:
            while True:
                data = await source.receive()
                if upstream:
                    self.writes_from_clients += 1
                low, high = self.delay
                if high:
                    await anyio.sleep(self.rng.uniform(low, high))
                await sink.send(data)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass
        finally:
            await anyio.aclose_forcefully(sink)

    async def handle(self, client: anyio.abc.ByteStream, target: int) -> None:
        self.connections += 1
        async with client:  # closed even if cancelled while connecting onwards
            server = await anyio.connect_tcp("127.0.0.1", target)
            async with server, anyio.create_task_group() as group:
                group.start_soon(self._pump, client, server, True)
                group.start_soon(self._pump, server, client, False)


@asynccontextmanager
async def proxy_to(
    target: int, delay: tuple[float, float] = (0.0, 0.0), seed: int = 0
) -> AsyncIterator[Proxy]:
    """A proxy on a free loopback port forwarding to ``target``."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    proxy = Proxy(listener.extra(SocketAttribute.local_port), delay, seed)

    async def handle(client: anyio.abc.SocketStream) -> None:
        await proxy.handle(client, target)

    async with _serving(listener, handle):
        yield proxy


@asynccontextmanager
async def serve_script(
    answer: bytes, *, then: bytes = b"", repeat: bool = False
) -> AsyncIterator[int]:
    """A fake server on a free port: it answers any HELLO like Redis 7 would, then sends
    ``answer`` to the next command and ``then`` (forever, with ``repeat``)."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(SocketAttribute.local_port)
    hello = b"%2\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:1\r\n"

    async def handle(client: anyio.abc.SocketStream) -> None:
        async with client:
            try:
                data = await client.receive()
                if b"HELLO" in data:
                    await client.send(hello)
                    data = await client.receive()
                await client.send(answer)
                while repeat:
                    await client.send(then)
                if then:
                    await client.send(then)
                await anyio.sleep_forever()
            except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                pass

    async with _serving(listener, handle):
        yield port


@asynccontextmanager
async def _serving(
    listener: anyio.abc.SocketListener,
    handle: Callable[[anyio.abc.SocketStream], Awaitable[None]],
) -> AsyncIterator[None]:
    """``listener`` serving connections with ``handle`` for the duration."""
    async with listener, anyio.create_task_group() as group:
        group.start_soon(listener.serve, handle)
        try:
            yield
        finally:
            group.cancel_scope.cancel()
