"""One stream to one Redis node, shared by every task that sends on it.

Nothing runs in the background to move bytes. A caller queues its request in the
protocol state (:class:`~pepperpy.caching.core.resp.connection.RespConnection`) and then either
*leads* or *follows*:

* If nobody is reading, it becomes the leader: it writes everything queued (its own
  request and whatever others queued meanwhile, in one write), reads, hands each
  completed request to its caller, writes again what was queued while it read, and
  so on until its own request completes. Then it hands the reading to the oldest caller
  still waiting. Sequential use costs one write and one read per command, like a
  bare socket; concurrent callers are pipelined (auto-pipelining).
* Otherwise it waits to be woken: its request completed, or it is its turn to read.

Deadlines. When the cache is entered (``async with``) a :class:`~.watchdog.Watchdog`
keeps them and the leader reads without a timer; otherwise the leader reads under a
cancel scope whose deadline is the earliest of the waiting requests. Either way, at
a deadline :meth:`NodeConnection.settle` decides: the overdue requests fail with
``BackendError``, and if the server has sent nothing at all since the oldest of them
was written, the connection is given up as hung (every request on it fails, the
next call opens a new one). A leader whose own request failed so returns when the
next bytes arrive, or the connection is given up shortly after.

Cancellation never breaks the stream. A pending cancellation is raised before
anything is written; large writes are shielded (a half-written command would put
the stream out of step), and so is every write under the leader's scope. A
cancelled reader only stops reading: the protocol drops the replies of requests
whose callers left. The one exception: a caller cancelled while a small write waits
for room in a full send buffer (the server is not reading) ends the connection,
since how much was written is unknown.
"""

from __future__ import annotations

import contextlib
import math
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final

import anyio
import anyio.abc
import anyio.lowlevel

from ...core.errors import BackendError
from ...core.resp import NEED_DATA, ConnectionLost, Push, Request, RespConnection
from ..clock import Clock
from .errors import backend_error
from .watchdog import Watchdog

__all__ = ("STREAM_ERRORS", "DeadlineExceeded", "NodeConnection")

STREAM_ERRORS: Final = (
    OSError,
    ssl.SSLError,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
)
"""What reading or writing a stream raises when the connection breaks."""

_RECEIVE_SIZE: Final = 65536
_SMALL_WRITE: Final = 8192
"""Writes up to this size go out unshielded: they fit in any send buffer with room."""
_DONE: Final = 2  # Request.state from DONE on: the caller's wait is over
_GRACE: Final = 0.1
"""Seconds at most that a leader past its deadline waits for the next bytes."""


class DeadlineExceeded(BackendError):
    """A request's deadline passed before its reply came."""


def _wake(request: Request) -> None:
    waiter = request.waiter
    if waiter is not None:
        waiter.set()  # type: ignore[attr-defined]


class NodeConnection:
    """A connection shared by concurrent callers (see the module's description).

    ``where`` names the node in messages; ``on_push`` receives push frames (without
    one they are kept for :meth:`next_push`); ``on_close`` is told once when the
    connection ends, with the error that ended it.
    """

    __slots__ = (
        "_checkpoint",
        "_clock",
        "_leader",
        "_on_close",
        "_on_push",
        "_overdue",
        "_protocol",
        "_pushes",
        "_scope",
        "_secrets",
        "_stream",
        "_watchdog",
        "broken",
        "grace",
        "where",
    )

    def __init__(
        self,
        stream: anyio.abc.ByteStream,
        protocol: RespConnection,
        *,
        where: str,
        clock: Clock,
        secrets: tuple[str, ...] = (),
        on_push: Callable[[Push], None] | None = None,
        on_close: Callable[[NodeConnection, BackendError], None] | None = None,
        checkpoint: Callable[[], Awaitable[None]] = anyio.lowlevel.checkpoint_if_cancelled,
    ) -> None:
        self._stream = stream
        self._protocol = protocol
        self.where = where
        self._clock = clock
        self._secrets = secrets
        self._on_push = on_push
        self._on_close = on_close
        self._pushes: deque[Push] = deque()
        self._leader: Request | None = None
        self._scope: anyio.CancelScope | None = None
        self._watchdog: Watchdog | None = None
        self._overdue: tuple[Request, float] | None = None
        self._checkpoint = checkpoint
        self.broken = False
        """Whether the connection has ended (a new one is needed)."""
        self.grace = _GRACE

    def __repr__(self) -> str:
        return f"NodeConnection({self.where!r}, pending={self._protocol.pending})"

    @property
    def protocol(self) -> RespConnection:
        """The protocol state (for tests and for setting up subscriptions)."""
        return self._protocol

    def watch(self, watchdog: Watchdog | None) -> None:
        """Let ``watchdog`` keep this connection's deadlines (``None``: keep them here)."""
        if self._watchdog is not None:
            self._watchdog.forget(self)
        self._watchdog = watchdog
        if watchdog is not None and not self.broken:
            watchdog.watch(self)

    # -- calls ---------------------------------------------------------------------------

    def call(self, request: Request) -> Awaitable[None]:
        """Send ``request``; awaiting the result returns once the request is over:
        :meth:`Request.result` then gives its replies or raises its ``BackendError``.

        A plain method that returns the coroutine to await: each level of coroutines
        costs on every resumption, and a command resumes twice (after its write,
        after its read).
        """
        self._protocol.send(request)
        watchdog = self._watchdog
        if watchdog is None:
            scope = self._scope
            if scope is not None and request.deadline < scope.deadline:
                scope.deadline = request.deadline  # the leader watches every deadline
        elif request.deadline < watchdog.target:
            watchdog.wake_by(request.deadline)
        if self._leader is not None:
            return self._follow(request)
        return self._lead(request)

    async def _follow(self, request: Request) -> None:
        while True:
            waiter = anyio.Event()
            request.waiter = waiter
            try:
                await waiter.wait()
            except BaseException:
                if not request.done:
                    self._protocol.cancel(request)
                self._hand_over()  # the reading may have been handed to this caller
                raise
            if request.done:
                return
            if self._leader is None:  # handed the reading
                await self._lead(request)
                return

    async def _lead(self, request: Request) -> None:
        """Write and read for every caller until ``request`` is over.

        Watched (the cache is entered), the loop runs here without a timer; otherwise
        :meth:`_lead_scoped` runs it under a cancel scope.
        """
        protocol = self._protocol
        stream = self._stream
        checkpoint = self._checkpoint
        self._leader = request
        try:
            if self._watchdog is None:
                await self._lead_scoped(request)
                return
            while True:
                if protocol.has_data_to_send:
                    # A cancellation already pending is raised here, before anything
                    # is taken out of the queue; the write below does not wait unless
                    # the send buffer is full.
                    await checkpoint()
                    data = protocol.data_to_send()
                    if len(data) > _SMALL_WRITE:
                        await self._write_large(data)
                    else:
                        try:
                            await stream.send(data)
                        except STREAM_ERRORS as exc:
                            raise self._lost(exc, "write") from exc
                        except anyio.get_cancelled_exc_class():
                            # Only a full send buffer lets a cancellation in here: how
                            # much was written is unknown, the stream cannot be trusted.
                            await self._kill(self._lost(ConnectionError("interrupted"), "write"))
                            raise
                try:
                    data = await stream.receive(_RECEIVE_SIZE)
                except anyio.EndOfStream:
                    data = b""
                except STREAM_ERRORS as exc:
                    raise self._read_failed(exc) from exc
                protocol.receive_data(data)
                while (event := protocol.next_event()) is not NEED_DATA:
                    if type(event) is Request:
                        if event.waiter is not None:
                            event.waiter.set()  # type: ignore[attr-defined]
                    else:
                        self._push(event)  # type: ignore[arg-type]
                if request.state >= _DONE:
                    return
        except BackendError as error:
            await self._kill(error)
        except BaseException:
            if not request.done:
                protocol.cancel(request)
            raise
        finally:
            self._leader = None
            self._scope = None
            if protocol.pending:
                self._hand_over()

    async def _lead_scoped(self, request: Request) -> None:
        """The leader's loop under a cancel scope that ends at the earliest deadline."""
        protocol = self._protocol
        while not request.done:
            deadline = request.deadline
            if protocol.pending > 1:
                deadline = min(deadline, protocol.earliest_deadline())
            with anyio.CancelScope(deadline=deadline) as scope:
                self._scope = scope
                while not request.done:
                    data = protocol.data_to_send()
                    if data:
                        await self._write(data, scope)
                    await self._read()
            if scope.cancelled_caught:
                await self.settle(self._clock())

    def _hand_over(self) -> None:
        """Wake the oldest waiting caller to lead, if nobody leads."""
        if self._leader is not None or not self._protocol.pending or self.broken:
            return
        for request in self._protocol.waiting():
            if request.waiter is not None:
                _wake(request)
                return

    # -- writing and reading -------------------------------------------------------------

    async def _write_large(self, data: bytes) -> None:
        """Write a large batch shielded, by the latest deadline waiting (watched mode)."""
        with anyio.CancelScope(deadline=self._protocol.latest_deadline()) as scope:
            await self._write(data, scope)

    async def _write(self, data: bytes, scope: anyio.CancelScope) -> None:
        # Shielded from the callers' cancellation (a half-written command would put
        # the stream out of step). The scope's own deadline still applies, moved to the
        # latest one waiting: a write that cannot finish by then means the server is
        # not reading, and a write it interrupts ends the connection.
        protocol = self._protocol
        several = protocol.pending > 1
        if several:
            scope.deadline = max(scope.deadline, protocol.latest_deadline())
        scope.shield = True
        try:
            await self._stream.send(data)
        except STREAM_ERRORS as exc:
            raise self._lost(exc, "write") from exc
        except anyio.get_cancelled_exc_class():
            await self._kill(self._hung("could not write within the deadline"))
            raise
        finally:
            scope.shield = False
            if several:
                scope.deadline = protocol.earliest_deadline()

    async def _read(self) -> None:
        """Read once and hand out every event it completed."""
        try:
            data = await self._stream.receive(_RECEIVE_SIZE)
        except anyio.EndOfStream:
            data = b""
        except STREAM_ERRORS as exc:
            raise self._read_failed(exc) from exc
        self._dispatch(data)

    def _read_failed(self, exc: BaseException) -> BackendError:
        error = self._protocol.error
        if self.broken and error is not None:  # closed under the reader: hung, or aclose
            return error
        return self._lost(exc, "read")

    def _dispatch(self, data: bytes) -> None:
        """Feed ``data`` to the protocol; wake the callers of what it completed."""
        protocol = self._protocol
        protocol.receive_data(data)
        while (event := protocol.next_event()) is not NEED_DATA:
            if type(event) is Request:
                _wake(event)
            else:
                assert isinstance(event, Push)
                self._push(event)

    def _push(self, push: Push) -> None:
        if self._on_push is None:
            self._pushes.append(push)
        else:
            self._on_push(push)

    # -- deadlines -------------------------------------------------------------------------

    async def settle(self, now: float) -> float:
        """Fail the requests past their deadline at ``now``; give the connection up if
        the server went silent. Returns when the next deadline falls (``inf``: none)."""
        if self.broken:
            if self._watchdog is not None:
                self._watchdog.forget(self)
            return math.inf
        protocol = self._protocol
        overdue = self._overdue
        if overdue is not None:
            request, give_up_at = overdue
            if self._leader is not request:
                self._overdue = None  # the leader got its bytes and returned
            elif now >= give_up_at:
                await self._kill(self._hung("the server stopped sending"))
                return math.inf
        for request in protocol.expired(now):
            if protocol.stalled(request):
                await self._kill(self._hung("the server sent nothing within the deadline"))
                return math.inf
            protocol.cancel(request, DeadlineExceeded(f"{self.where}: timed out"))
            _wake(request)
            if request is self._leader and self._watchdog is not None:
                self._overdue = (request, now + self.grace)
        upcoming = protocol.earliest_deadline()
        if self._overdue is not None:
            upcoming = min(upcoming, self._overdue[1])
        return upcoming

    # -- subscriptions -------------------------------------------------------------------

    async def send_oneway(self, payload: bytes) -> None:
        """Write commands that bring no reply here (``SUBSCRIBE``: pushes confirm it)."""
        self._protocol.send_oneway(payload)
        with anyio.CancelScope() as scope:
            try:
                await self._write(self._protocol.data_to_send(), scope)
            except BackendError as error:
                await self._kill(error)
                raise

    async def next_push(self) -> Push:
        """The next push frame (for a connection nobody else reads: a subscription)."""
        while not self._pushes:
            try:
                await self._read()
            except BackendError as error:
                await self._kill(error)
                raise
        return self._pushes.popleft()

    # -- ending --------------------------------------------------------------------------

    def _lost(self, exc: BaseException, what: str) -> ConnectionLost:
        return backend_error(exc, what, self.where, self._secrets, ConnectionLost)

    def _hung(self, why: str) -> BackendError:
        return DeadlineExceeded(f"{self.where}: timed out; {why}, the connection is closed")

    async def _kill(self, error: BackendError) -> None:
        for request in self._protocol.fail(error):
            _wake(request)
        if self.broken:
            return
        self.broken = True
        if self._watchdog is not None:
            self._watchdog.forget(self)
        with anyio.CancelScope(shield=True), contextlib.suppress(*STREAM_ERRORS):
            await anyio.aclose_forcefully(self._stream)
        if self._on_close is not None:
            self._on_close(self, error)

    async def aclose(self) -> None:
        """Close the connection; requests still waiting fail with ``BackendError``."""
        await self._kill(ConnectionLost(f"{self.where}: the connection was closed"))

    def abandon(self) -> None:
        """Forget the connection without closing it (its event loop has ended)."""
        self.broken = True
        self._protocol.fail(ConnectionLost(f"{self.where}: the event loop ended"))
