"""Pub/sub: subscriptions on connections of their own, and the messages they receive.

A :class:`Subscription` owns a connection in subscribed state and a task that reads
it into a small buffer, so cancelling the consumer (a timeout around ``anext``)
loses nothing. If the connection is lost, the subscription does not resubscribe
behind the consumer's back (messages published meanwhile would be silently missed):
iteration raises ``BackendError``, and the consumer subscribes again if it wants to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ...core.errors import BackendError
from ...core.remote.pubsub import PubSubMessage, SubscribeHandshake, pubsub_message
from ...core.remote.topology import Address
from .connect import Connector
from .connection import NodeConnection

__all__ = ("Message", "Subscriber", "Subscription", "open_subscriber")

_BUFFER: Final = 256
"""Messages read ahead of the consumer; beyond that, Redis buffers them."""


def _text(name: bytes) -> str:
    try:
        return name.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return name.decode("utf-8", "replace")


class Subscriber:
    """A connection in subscribed state, confirmed by the server."""

    def __init__(self, connection: NodeConnection, early: list[PubSubMessage]) -> None:
        self._connection = connection
        self._early = early

    async def receive(self) -> PubSubMessage:
        """The next message; ``BackendError`` once the connection is lost."""
        while not self._early:
            try:
                push = await self._connection.next_push()
            except BackendError as error:
                raise BackendError(f"the subscription ended: {error}") from error
            message = pubsub_message(push)
            if message is not None:
                return message
        return self._early.pop(0)

    async def aclose(self) -> None:
        """Close the connection (which ends the subscriptions)."""
        await self._connection.aclose()


async def open_subscriber(
    connector: Connector,
    address: Address,
    channels: list[bytes],
    patterns: list[bytes],
    deadline: float,
) -> Subscriber:
    """A new connection to ``address``, subscribed and confirmed by ``deadline``."""
    handshake = SubscribeHandshake(channels, patterns)
    connection, _ = await connector.open(address, deadline)
    try:
        with anyio.fail_after(max(deadline - connector.clock(), 0.0)):
            connection.protocol.enter_subscribed_mode()
            await connection.send_oneway(handshake.payload)
            while not handshake.confirmed:
                handshake.feed(await connection.next_push())
    except TimeoutError:
        await connection.aclose()
        raise BackendError(f"subscribe on {connection.where} failed: timed out") from None
    except BaseException:
        await connection.aclose()
        raise
    return Subscriber(connection, handshake.early)


@dataclass(frozen=True, slots=True)
class Message:
    """One received message: its ``channel``, its ``data`` (deserialized with the
    cache's serializer), and for :meth:`RedisCache.psubscribe` the ``pattern`` that
    matched (``None`` otherwise)."""

    channel: str
    data: Any
    pattern: str | None = None


class Subscription:
    """An async context manager and async iterator of :class:`Message`.

    Entering returns once the server has confirmed every channel and pattern, so a
    message published after that is received. Leaving closes the connection.
    """

    def __init__(
        self,
        open_subscriber: Callable[[], Awaitable[Subscriber]],
        loads: Callable[[bytes], Any],
    ) -> None:
        self._open = open_subscriber
        self._loads = loads
        self._subscriber: Subscriber | None = None
        self._task_group: TaskGroup | None = None
        self._receive: MemoryObjectReceiveStream[PubSubMessage | BackendError] | None = None
        self._error: BackendError | None = None

    async def __aenter__(self) -> Self:
        if self._subscriber is not None:
            raise RuntimeError("this subscription is already open")
        subscriber = await self._open()
        send, receive = anyio.create_memory_object_stream[PubSubMessage | BackendError](_BUFFER)
        task_group = anyio.create_task_group()
        try:
            await task_group.__aenter__()
        except BaseException:
            await subscriber.aclose()
            raise
        task_group.start_soon(self._pump, subscriber, send)
        self._subscriber, self._task_group, self._receive = subscriber, task_group, receive
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        subscriber, task_group, receive = self._subscriber, self._task_group, self._receive
        self._subscriber = self._task_group = self._receive = None
        if task_group is None or subscriber is None or receive is None:
            return
        task_group.cancel_scope.cancel()
        try:
            # The body's own exception is not handed to the task group (which would
            # wrap it in an ExceptionGroup): it propagates as it is.
            await task_group.__aexit__(None, None, None)
        finally:
            receive.close()
            await subscriber.aclose()

    @staticmethod
    async def _pump(
        subscriber: Subscriber, send: MemoryObjectSendStream[PubSubMessage | BackendError]
    ) -> None:
        async with send:
            try:
                while True:
                    await send.send(await subscriber.receive())
            except BackendError as error:
                await send.send(error)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Message:
        if self._error is not None:
            raise self._error
        if self._receive is None:
            raise RuntimeError("use the subscription inside 'async with'")
        try:
            item = await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None
        if isinstance(item, BackendError):
            self._error = item
            raise item
        pattern = None if item.pattern is None else _text(item.pattern)
        return Message(_text(item.channel), self._loads(item.data), pattern)
