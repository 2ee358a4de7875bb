"""What both worker-thread executors share: running redis-py's sync client in threads.

Each call runs in an anyio worker thread, at most ``max_threads`` at once (a
``CapacityLimiter`` of the executor's own), under one ``anyio.fail_after``. When the
deadline passes or the caller is cancelled, the thread is abandoned: the caller gets
control back at once, while the thread finishes its exchange (bounded by the socket
timeout) and returns its connection, in sync or closed, to redis-py's pool.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from redis.exceptions import ResponseError

from ...core.errors import BackendError
from ...core.remote import Command
from .errors import backend_error
from .executor import Connection, RawMessage, Subscriber, pubsub_message, subscribe_commands

__all__ = ("ThreadRunner", "ThreadSubscriber", "exchange", "open_thread_subscriber")

T = TypeVar("T")


class ThreadRunner:
    """Runs blocking calls in worker threads under the deadline; maps their errors."""

    def __init__(
        self, *, timeout: float, where: str, secrets: Sequence[str], max_threads: int
    ) -> None:
        self.timeout = timeout
        self._where = where
        self._secrets = tuple(secrets)
        self._limiter = anyio.CapacityLimiter(max_threads)

    def fail(self, exc: BaseException, what: str = "command") -> BackendError:
        """The ``BackendError`` for ``exc``."""
        return backend_error(exc, what, self._where, self._secrets)

    async def run(self, what: str, func: Callable[..., T], *args: Any) -> T:
        """``func(*args)`` in a worker thread, within the deadline."""
        try:
            with anyio.fail_after(self.timeout):
                return await anyio.to_thread.run_sync(
                    func, *args, limiter=self._limiter, abandon_on_cancel=True
                )
        except Exception as exc:
            raise self.fail(exc, what) from exc


def exchange(conn: Connection, commands: Sequence[Command]) -> list[Any]:
    """Send ``commands`` on ``conn`` and read every reply (blocking).

    Error replies are read too, so the connection stays in sync; the first one is
    raised after the last reply. Any other failure closes the connection.
    """
    try:
        if len(commands) == 1:
            conn.send_packed_command(conn.pack_command(*commands[0]), check_health=False)
        else:
            conn.send_packed_command(conn.pack_commands(commands), check_health=False)
        replies: list[Any] = []
        error: ResponseError | None = None
        for _ in commands:
            try:
                replies.append(conn.read_response())
            except ResponseError as exc:
                replies.append(exc)
                error = error or exc
    except BaseException:
        conn.disconnect()
        raise
    if error is not None:
        raise error
    return replies


class ThreadSubscriber(Subscriber):
    """A subscribed sync connection, read in a worker thread of its own."""

    def __init__(
        self,
        conn: Connection,
        early: list[RawMessage],
        fail: Callable[[BaseException], BackendError],
    ) -> None:
        self._conn = conn
        self._early = early
        self._fail = fail
        self._limiter = anyio.CapacityLimiter(1)
        self._broken = False

    def _read(self) -> RawMessage:
        while True:
            message = pubsub_message(self._conn.read_response(push_request=True))
            if message is not None:
                return message

    async def receive(self) -> RawMessage:
        if self._early:
            return self._early.pop(0)
        if self._broken:
            raise self._fail(ConnectionError("the subscription's connection is closed"))
        try:
            return await anyio.to_thread.run_sync(
                self._read, limiter=self._limiter, abandon_on_cancel=True
            )
        except Exception as exc:
            self._close()
            raise self._fail(exc) from exc
        except BaseException:
            # The abandoned thread may still be reading: close the socket under it
            # (which wakes it), so no two threads ever read this connection.
            self._close()
            raise

    def _close(self) -> None:
        self._broken = True
        with contextlib.suppress(Exception):  # closing: nothing more to do
            self._conn.disconnect()

    async def aclose(self) -> None:
        self._close()


def _subscribe(conn: Connection, commands: list[Command], confirmations: int) -> list[RawMessage]:
    conn.connect()
    conn.send_packed_command(conn.pack_commands(commands))
    early: list[RawMessage] = []
    while confirmations:
        message = pubsub_message(conn.read_response(push_request=True))
        if message is None:
            confirmations -= 1
        else:
            early.append(message)
    return early


async def open_thread_subscriber(
    conn: Connection,
    channels: Sequence[bytes],
    patterns: Sequence[bytes],
    runner: ThreadRunner,
) -> ThreadSubscriber:
    """Connect ``conn`` (made with no socket timeout), subscribe, await confirmations."""
    commands, confirmations = subscribe_commands(channels, patterns)
    try:
        early = await runner.run("subscribe", _subscribe, conn, commands, confirmations)
    except BaseException:
        conn.disconnect()  # wakes a thread still waiting for confirmations
        raise
    return ThreadSubscriber(conn, early, lambda exc: runner.fail(exc, "subscription"))
