"""One Redis connection as a state object, in the style of h11: no IO, no clock.

Requests go in with :meth:`RespConnection.send`; :meth:`~RespConnection.data_to_send`
says what to write (everything queued since the last call, in one piece: whatever
many callers sent meanwhile is pipelined); :meth:`~RespConnection.receive_data` takes
what was read, and :meth:`~RespConnection.next_event` hands out what it completed: a
:class:`Request` with its replies, a :class:`~.replies.Push`, or :data:`NEED_DATA`.

Replies are matched to requests in the order the requests were written. A request
its caller gave up on (:meth:`~RespConnection.cancel`) is never written if it was still
queued; if it was written, its replies are read and dropped when they come, so they
can never reach another request. When the stream breaks (end of file, a protocol
violation, a reply too large), every request still waiting fails with the same
``BackendError`` and the connection accepts nothing more.

Time is an argument: each request carries a deadline (the caller's clock), and the
connection answers which requests are past theirs (:meth:`~RespConnection.expired`)
and whether the server has gone silent on one (:meth:`~RespConnection.stalled`).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Final, TypeAlias, final

from hiredis import PushNotification

from ..errors import BackendError
from .frames import DEFAULT_MAX_FRAME_BYTES, NEED_DATA, FrameReader, NeedData, ProtocolViolation
from .replies import PUBSUB_KINDS, Push, Reply

__all__ = ("NEED_DATA", "ConnectionLost", "Event", "Request", "RespConnection")

# Request states.
NEW: Final = -1
"""Made, not yet given to a connection."""
QUEUED: Final = 0
"""Accepted, not yet handed out by ``data_to_send``."""
SENT: Final = 1
"""Handed out to be written; its replies are awaited."""
DONE: Final = 2
"""Every reply arrived."""
FAILED: Final = 3
"""The connection broke first, or the caller gave up (see ``error``)."""
ABANDONED: Final = 4
"""Written, then given up by its caller: its replies will be read and dropped."""


class ConnectionLost(BackendError):
    """The connection ended (closed by the server, reset, or closed by this side).

    ``sent`` says whether the request it is raised for had been written: one that was
    not can be sent again on another connection without running twice.
    """

    sent: bool = True


@final
class Request:
    """Commands written together, and their replies once they arrive.

    ``payload`` is the encoded commands, ``count`` how many replies they bring,
    ``deadline`` when the caller stops waiting (on the caller's clock). After
    completion ``replies`` holds the reply (``count == 1``) or the list of replies;
    error replies are values there. ``waiter`` is free for the code that moves the
    bytes (what to wake when the request completes).
    """

    __slots__ = ("count", "deadline", "error", "mark", "payload", "replies", "state", "waiter")

    def __init__(self, payload: bytes, count: int = 1, deadline: float = math.inf) -> None:
        if count < 1:
            raise ValueError("a request brings at least one reply")
        self.payload = payload
        self.count = count
        self.deadline = deadline
        self.replies: Reply = None if count == 1 else []
        self.error: BackendError | None = None
        self.state = NEW
        self.mark = 0  # bytes received when it was written; -1: it never was
        self.waiter: object = None

    @property
    def done(self) -> bool:
        """Whether its caller's wait is over (completed, failed, or given up)."""
        return self.state >= DONE

    @property
    def sent(self) -> bool:
        """Whether the request was handed out to be written."""
        return self.state > QUEUED and self.mark >= 0

    def result(self) -> Reply:
        """The reply (or list of replies); the connection's error if it failed."""
        if self.error is not None:
            raise self.error
        return self.replies

    def __repr__(self) -> str:
        state = ("new", "queued", "sent", "done", "failed", "abandoned")[self.state + 1]
        return f"Request({self.payload[:40]!r}, count={self.count}, {state})"


Event: TypeAlias = Request | Push
"""What :meth:`RespConnection.next_event` hands out (besides :data:`NEED_DATA`)."""


@final
class RespConnection:
    """The protocol state of one connection: a FIFO of requests and a reply parser.

    ``max_frame_bytes`` bounds the bytes of one reply (a larger one ends the
    connection with ``BackendError``, so a hostile or broken server cannot make it
    buffer without limit).
    """

    __slots__ = (
        "_eof",
        "_error",
        "_failed",
        "_frames",
        "_outbound",
        "_pending",
        "_received",
        "_subscribed",
    )

    def __init__(self, *, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._frames = FrameReader(max_frame_bytes)
        self._pending: deque[Request] = deque()  # queued or sent, in writing order
        self._outbound: list[Request | bytes] = []  # what data_to_send has not handed out
        self._received = 0
        self._eof = False
        self._error: BackendError | None = None
        self._failed: list[Request] = []  # failed by the stream, not yet handed out
        self._subscribed = False

    # -- state ---------------------------------------------------------------------------

    @property
    def error(self) -> BackendError | None:
        """Why the connection broke, or ``None`` while it is usable."""
        return self._error

    @property
    def pending(self) -> int:
        """How many requests are queued or awaiting replies (abandoned ones included)."""
        return len(self._pending)

    def waiting(self) -> list[Request]:
        """The requests whose callers still wait, oldest first."""
        return [r for r in self._pending if r.state == SENT or r.state == QUEUED]

    # -- sending -------------------------------------------------------------------------

    def send(self, request: Request) -> None:
        """Queue ``request``; its bytes go out with the next :meth:`data_to_send`.

        On a broken connection this raises :class:`ConnectionLost` (``sent`` false:
        nothing was written) or the error that broke it.
        """
        if self._error is not None:
            raise self._unsent(self._error)
        if request.state != NEW:
            raise ValueError(f"{request!r} was already given to a connection")
        request.state = QUEUED
        self._pending.append(request)
        self._outbound.append(request)

    def send_oneway(self, payload: bytes) -> None:
        """Queue commands that bring no reply in this protocol state (``SUBSCRIBE`` on
        RESP3 is confirmed by push frames instead)."""
        if self._error is not None:
            raise self._unsent(self._error)
        self._outbound.append(payload)

    @property
    def has_data_to_send(self) -> bool:
        """Whether :meth:`data_to_send` would return anything."""
        return bool(self._outbound)

    def data_to_send(self) -> bytes:
        """Everything queued since the last call, to be written in one piece."""
        outbound = self._outbound
        if not outbound:
            return b""
        received = self._received
        if len(outbound) == 1:
            item = outbound.pop()
            if type(item) is bytes:
                return item
            assert isinstance(item, Request)
            item.state = SENT
            item.mark = received
            return item.payload
        parts: list[bytes] = []
        for item in outbound:
            if isinstance(item, Request):
                item.state = SENT
                item.mark = received
                parts.append(item.payload)
            else:
                parts.append(item)
        outbound.clear()
        return b"".join(parts)

    def enter_subscribed_mode(self) -> None:
        """From now on, pub/sub arrays are pushes: what a RESP2 connection receives
        once it has subscribed (RESP3 marks them as pushes itself)."""
        self._subscribed = True

    # -- receiving -----------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Take bytes read from the connection; ``b""`` means the peer closed it."""
        if self._error is not None:
            raise self._error
        if not data:
            self._eof = True
            return
        self._received += len(data)
        try:
            self._frames.feed(data)
        except ProtocolViolation as error:
            raise self._broken(error) from None

    def next_event(self) -> Event | NeedData:
        """The next completed :class:`Request` or :class:`Push`, or :data:`NEED_DATA`.

        Raises ``BackendError`` (and the connection is broken) on a protocol violation,
        a reply without a request, or the end of the stream.
        """
        if self._error is not None:
            raise self._error
        while True:
            try:
                frame = self._frames.next_frame()
            except ProtocolViolation as error:
                raise self._broken(error) from None
            if frame is NEED_DATA:
                if self._eof:
                    raise self._broken(ConnectionLost("the server closed the connection"))
                return NEED_DATA
            if type(frame) is PushNotification:
                return Push(frame[0] if frame else b"", tuple(frame[1:]))
            if self._subscribed and type(frame) is list and frame and frame[0] in PUBSUB_KINDS:
                return Push(frame[0], tuple(frame[1:]))
            pending = self._pending
            if not pending or pending[0].state == QUEUED:
                raise self._broken(ProtocolViolation("the server sent a reply nobody asked for"))
            request = pending[0]
            if request.count == 1:
                pending.popleft()
                if request.state == ABANDONED:
                    continue
                request.replies = frame
            else:
                replies = request.replies
                replies.append(frame)
                if len(replies) < request.count:
                    continue
                pending.popleft()
                if request.state == ABANDONED:
                    continue
            request.state = DONE
            return request

    # -- giving up -----------------------------------------------------------------------

    def cancel(self, request: Request, error: BackendError | None = None) -> None:
        """The caller of ``request`` stopped waiting (cancelled, or past its deadline).

        Not written yet: it never will be. Written: its replies are dropped when they
        arrive. ``error`` (if given) is what :meth:`Request.result` raises from now on.
        """
        if request.state == NEW:
            request.state = FAILED
            request.mark = -1
        elif request.state == QUEUED:
            self._pending.remove(request)
            self._outbound.remove(request)
            request.state = FAILED
            request.mark = -1  # never written
        elif request.state == SENT:
            request.state = ABANDONED
        else:
            return
        request.error = error or BackendError("the request was cancelled")

    def fail(self, error: BackendError) -> list[Request]:
        """Break the connection with ``error``: every request still waiting fails.

        Returns the requests failed since the last call, including those failed when
        the stream broke by itself (their callers have to be told). Idempotent.
        """
        if self._error is None:
            self._error = error
        failed = self._failed
        self._failed = []
        for request in self._pending:
            if request.state == QUEUED or request.state == SENT:
                if request.state == QUEUED:
                    request.mark = -1  # never written
                request.state = FAILED
                request.error = self._unsent(self._error) if request.mark < 0 else self._error
                failed.append(request)
        self._pending.clear()
        self._outbound.clear()
        return failed

    @staticmethod
    def _unsent(error: BackendError) -> BackendError:
        """``error`` as seen by a request that was never written."""
        if not isinstance(error, ConnectionLost) or not error.sent:
            return error
        lost = ConnectionLost(str(error))
        lost.sent = False
        lost.__cause__ = error.__cause__
        return lost

    def _broken(self, error: BackendError) -> BackendError:
        failed = self.fail(error)
        self._failed.extend(failed)  # handed out by the next fail()
        return error

    # -- time ----------------------------------------------------------------------------

    def expired(self, now: float) -> list[Request]:
        """The requests still waited for whose deadline is ``now`` or earlier."""
        return [
            r for r in self._pending if (r.state == SENT or r.state == QUEUED) and r.deadline <= now
        ]

    def stalled(self, request: Request) -> bool:
        """Whether ``request`` was written and not one byte has arrived since.

        Asked when its deadline has passed, this tells a server that stopped answering
        (the connection should be given up) from one that is merely slow.
        """
        return request.state in (SENT, ABANDONED) and request.mark == self._received

    def latest_deadline(self) -> float:
        """The latest deadline among the requests still waited for (``-inf``: none)."""
        return max(
            (r.deadline for r in self._pending if r.state == SENT or r.state == QUEUED),
            default=-math.inf,
        )

    def earliest_deadline(self) -> float:
        """The earliest deadline among the requests still waited for (``inf``: none)."""
        return min(
            (r.deadline for r in self._pending if r.state == SENT or r.state == QUEUED),
            default=math.inf,
        )
