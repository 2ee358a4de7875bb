"""The byte stream over a non-blocking socket, against anyio listeners (no Redis)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import anyio.abc
import pytest

from pepperpy.caching.adapters.redis.socket_stream import SocketByteStream, open_tcp, open_unix

pytestmark = pytest.mark.anyio


async def _echo(stream: anyio.abc.SocketStream) -> None:
    async with stream:
        try:
            while True:
                await stream.send(await stream.receive())
        except (anyio.EndOfStream, anyio.BrokenResourceError):
            pass


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with anyio.create_task_group() as group:
        group.start_soon(listener.serve, _echo)
        yield port
        group.cancel_scope.cancel()
    await listener.aclose()


async def _receive_exactly(stream: SocketByteStream, size: int) -> bytes:
    received = bytearray()
    while len(received) < size:
        received += await stream.receive()
    return bytes(received)


async def test_round_trip_by_address_and_by_name(echo_port: int) -> None:
    for host in ("127.0.0.1", "localhost"):
        stream = await open_tcp(host, echo_port, keepalive=True)
        async with stream:
            sock = stream.extra(anyio.abc.SocketAttribute.raw_socket)
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
            assert stream.extra(anyio.abc.SocketAttribute.remote_address)[1] == echo_port
            await stream.send(b"ping")
            assert await _receive_exactly(stream, 4) == b"ping"


async def test_a_write_larger_than_the_send_buffer_waits_and_arrives_whole(
    echo_port: int,
) -> None:
    payload = bytes(range(256)) * 40_000  # 10 MB: more than any socket buffer holds
    stream = await open_tcp("127.0.0.1", echo_port, keepalive=False)
    async with stream, anyio.create_task_group() as group:
        group.start_soon(stream.send, payload)
        echoed = await _receive_exactly(stream, len(payload))
    assert echoed == payload


async def test_end_of_stream_when_the_peer_closes() -> None:
    async def close_at_once(peer: anyio.abc.SocketStream) -> None:
        await peer.aclose()

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with anyio.create_task_group() as group:
        group.start_soon(listener.serve, close_at_once)
        async with await open_tcp("127.0.0.1", port, keepalive=False) as stream:
            with pytest.raises(anyio.EndOfStream):
                await stream.receive()
        group.cancel_scope.cancel()
    await listener.aclose()


async def test_closing_wakes_a_waiting_reader(echo_port: int) -> None:
    stream = await open_tcp("127.0.0.1", echo_port, keepalive=False)
    outcome: list[type[BaseException]] = []

    async def read() -> None:
        try:
            await stream.receive()
        except anyio.ClosedResourceError as exc:
            outcome.append(type(exc))

    async with anyio.create_task_group() as group:
        group.start_soon(read)
        await anyio.wait_all_tasks_blocked()
        await stream.aclose()
    assert outcome == [anyio.ClosedResourceError]
    with pytest.raises(anyio.ClosedResourceError):
        await stream.send(b"x")
    await stream.aclose()  # closing twice is harmless


async def test_a_cancelled_receive_consumes_nothing(echo_port: int) -> None:
    async with await open_tcp("127.0.0.1", echo_port, keepalive=False) as stream:
        with anyio.move_on_after(0.05):
            await stream.receive()
        await stream.send(b"after")
        assert await _receive_exactly(stream, 5) == b"after"


async def test_refused_connection_raises_os_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        await open_tcp("127.0.0.1", port, keepalive=False)


async def test_bad_receive_size_is_refused(echo_port: int) -> None:
    async with await open_tcp("127.0.0.1", echo_port, keepalive=False) as stream:
        with pytest.raises(ValueError, match="positive"):
            await stream.receive(0)


async def test_unix_socket(tmp_path: Path) -> None:
    path = tmp_path / "echo.sock"
    listener = await anyio.create_unix_listener(path)
    async with anyio.create_task_group() as group:
        group.start_soon(listener.serve, _echo)
        async with await open_unix(str(path)) as stream:
            await stream.send(b"over unix")
            assert await _receive_exactly(stream, 9) == b"over unix"
        group.cancel_scope.cancel()
    await listener.aclose()
