"""The protocol state of one connection: requests in order, replies matched, pushes
apart, cancellations dropped, breakage contained. Against a scripted peer."""

from __future__ import annotations

import itertools

import hiredis
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from pepperpy.caching.core.errors import BackendError
from pepperpy.caching.core.resp import (
    NEED_DATA,
    ConnectionLost,
    ErrorReply,
    ProtocolViolation,
    Push,
    Request,
    RespConnection,
    encode_command,
)

from ..remote.fake_redis import encode_reply


def get(token: int) -> bytes:
    return encode_command((b"GET", b"%d" % token))


def answer(token: int) -> object:
    """What the scripted peer replies to ``get(token)``: some tokens get an error."""
    return ErrorReply(f"ERR no {token}") if token % 7 == 0 else b"r%d" % token


def events(connection: RespConnection) -> list[object]:
    found = []
    while (event := connection.next_event()) is not NEED_DATA:
        found.append(event)
    return found


def test_one_request_and_a_pipeline() -> None:
    connection = RespConnection()
    one = Request(get(1))
    three = Request(get(2) + get(3) + get(7), count=3)
    connection.send(one)
    connection.send(three)
    assert connection.data_to_send() == get(1) + get(2) + get(3) + get(7)
    assert connection.data_to_send() == b""
    connection.receive_data(b"".join(encode_reply(answer(t)) for t in (1, 2, 3, 7)))
    assert events(connection) == [one, three]
    assert one.result() == b"r1"
    assert three.result() == [b"r2", b"r3", ErrorReply("ERR no 7")]  # errors are values
    assert connection.pending == 0


def test_cancelled_before_it_was_written_it_never_is() -> None:
    connection = RespConnection()
    first, second = Request(get(1)), Request(get(2))
    connection.send(first)
    connection.send(second)
    connection.cancel(first)
    assert connection.data_to_send() == get(2)
    assert not first.sent
    with pytest.raises(BackendError, match="cancelled"):
        first.result()
    connection.receive_data(encode_reply(b"r2"))
    assert events(connection) == [second]
    assert second.result() == b"r2"


def test_cancelled_after_it_was_written_its_reply_is_dropped() -> None:
    connection = RespConnection()
    first, second = Request(get(1)), Request(get(2) + get(3), count=2)
    connection.send(first)
    connection.send(second)
    connection.data_to_send()
    connection.cancel(first)
    connection.cancel(second, BackendError("gone"))
    third = Request(get(4))
    connection.send(third)
    connection.data_to_send()
    connection.receive_data(b"".join(encode_reply(b"r%d" % t) for t in (1, 2, 3, 4)))
    assert events(connection) == [third]  # the others' replies were read and dropped
    assert third.result() == b"r4"
    with pytest.raises(BackendError, match="gone"):
        second.result()


def test_pushes_are_events_of_their_own() -> None:
    connection = RespConnection()
    request = Request(get(1))
    connection.send(request)
    connection.data_to_send()
    push = Push(b"invalidate", ([b"k1", b"k2"],))
    connection.receive_data(encode_reply(push) + encode_reply(b"r1"))
    assert events(connection) == [push, request]


def test_resp2_pubsub_arrays_are_pushes_once_subscribed() -> None:
    connection = RespConnection()
    connection.send_oneway(encode_command((b"SUBSCRIBE", b"ch")))
    connection.enter_subscribed_mode()
    connection.data_to_send()
    connection.receive_data(
        encode_reply([b"subscribe", b"ch", 1], resp3=False)
        + encode_reply([b"message", b"ch", b"hi"], resp3=False)
    )
    assert events(connection) == [Push(b"subscribe", (b"ch", 1)), Push(b"message", (b"ch", b"hi"))]


def test_a_reply_nobody_asked_for_breaks_the_connection() -> None:
    connection = RespConnection()
    queued = Request(get(1))
    connection.send(queued)  # queued, never written
    connection.receive_data(encode_reply(b"surprise"))
    with pytest.raises(ProtocolViolation, match="nobody asked"):
        connection.next_event()
    assert connection.error is not None
    failed = connection.fail(ConnectionLost("closing"))
    assert failed == [queued]
    with pytest.raises(ProtocolViolation):
        queued.result()
    with pytest.raises(ProtocolViolation):  # nothing more is accepted
        connection.send(Request(get(2)))
    with pytest.raises(ProtocolViolation):
        connection.next_event()


def test_end_of_stream_fails_the_waiting_requests_saying_which_were_written() -> None:
    connection = RespConnection()
    written, queued = Request(get(1)), Request(get(2))
    connection.send(written)
    connection.data_to_send()
    connection.send(queued)
    connection.receive_data(b"$2\r\nr")  # half a reply, then the end
    assert events(connection) == []
    connection.receive_data(b"")
    with pytest.raises(ConnectionLost):
        connection.next_event()
    assert set(connection.fail(ConnectionLost("x"))) == {written, queued}
    for request, sent in ((written, True), (queued, False)):
        with pytest.raises(ConnectionLost) as info:
            request.result()
        assert info.value.sent is sent
    retry = Request(get(3))
    with pytest.raises(ConnectionLost) as info:
        connection.send(retry)
    assert info.value.sent is False


def test_deadlines_and_silence() -> None:
    connection = RespConnection()
    early, late = Request(get(1), deadline=10.0), Request(get(2), deadline=20.0)
    connection.send(early)
    connection.send(late)
    assert connection.earliest_deadline() == 10.0
    assert connection.latest_deadline() == 20.0
    assert connection.expired(9.9) == []
    assert connection.expired(10.0) == [early]
    assert not connection.stalled(early)  # not written yet: nothing to hear of
    connection.data_to_send()
    assert connection.stalled(early)
    connection.receive_data(b"$2\r\n")  # some bytes: a slow server, not a silent one
    assert not connection.stalled(early)
    assert connection.waiting() == [early, late]
    connection.cancel(early)
    assert connection.earliest_deadline() == 20.0
    assert connection.waiting() == [late]


def test_a_request_goes_to_one_connection_once() -> None:
    connection = RespConnection()
    request = Request(get(1))
    connection.send(request)
    with pytest.raises(ValueError, match="already"):
        connection.send(request)
    with pytest.raises(ValueError, match="at least one"):
        Request(b"", count=0)


class ConnectionMachine(RuleBasedStateMachine):
    """Requests, cancellations, pushes and reply bytes in any order and any pieces:
    every request that completes gets exactly its own replies."""

    @initialize()
    def start(self) -> None:
        self.connection = RespConnection()
        self.tokens = itertools.count(1)
        self.wire = b""  # what the server wrote and the client has not read yet
        self.server = hiredis.Reader()  # the server's view of what was written
        self.expected: dict[int, list[object]] = {}  # id(request) -> its replies
        self.requests: list[Request] = []
        self.cancelled: set[int] = set()
        self.pushes_sent: list[Push] = []
        self.pushes_seen: list[Push] = []
        self.completed: list[Request] = []

    @rule(count=st.integers(1, 3))
    def send(self, count: int) -> None:
        tokens = [next(self.tokens) for _ in range(count)]
        request = Request(b"".join(get(t) for t in tokens), count=count)
        self.expected[id(request)] = [answer(t) for t in tokens]
        self.connection.send(request)
        self.requests.append(request)

    @rule()
    def write(self) -> None:
        """The client writes; the server answers every command it read."""
        self.server.feed(self.connection.data_to_send())
        while (command := self.server.gets()) is not False:
            self.wire += encode_reply(answer(int(command[1])))

    @rule(kind=st.sampled_from([b"invalidate", b"message"]))
    def push(self, kind: bytes) -> None:
        """The server slips a push frame in between two replies."""
        push = Push(kind, ([b"k"],) if kind == b"invalidate" else (b"ch", b"data"))
        self.wire += encode_reply(push)
        self.pushes_sent.append(push)

    @precondition(lambda self: self.wire)
    @rule(size=st.integers(1, 64))
    def deliver(self, size: int) -> None:
        piece, self.wire = self.wire[:size], self.wire[size:]
        self.connection.receive_data(piece)
        for event in events(self.connection):
            if isinstance(event, Push):
                self.pushes_seen.append(event)
            else:
                self.completed.append(event)

    @precondition(lambda self: any(not r.done for r in self.requests))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        live = [r for r in self.requests if not r.done]
        request = data.draw(st.sampled_from(live))
        self.connection.cancel(request)
        self.cancelled.add(id(request))

    @invariant()
    def every_completed_request_has_its_own_replies(self) -> None:
        for request in self.completed:
            assert id(request) not in self.cancelled
            expected = self.expected[id(request)]
            assert request.result() == (expected[0] if request.count == 1 else expected)

    @invariant()
    def pushes_arrive_in_order(self) -> None:
        assert self.pushes_seen == self.pushes_sent[: len(self.pushes_seen)]

    def teardown(self) -> None:
        if not hasattr(self, "connection"):
            return
        self.write()
        self.deliver(len(self.wire) + 1) if self.wire else None
        # Everything written was answered: what is neither cancelled nor done is a bug.
        for request in self.requests:
            assert request.done, request
        assert self.pushes_seen == self.pushes_sent


TestConnectionMachine = ConnectionMachine.TestCase
