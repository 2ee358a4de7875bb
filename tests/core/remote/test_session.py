"""Connection setup: HELLO 3, the RESP2 fallback, AUTH, SELECT, names, tracking."""

from __future__ import annotations

import hiredis
import pytest

from pepperpy.caching.core.errors import BackendError
from pepperpy.caching.core.remote.plans import drive
from pepperpy.caching.core.remote.session import Session, SessionSettings, Tracking, handshake
from pepperpy.caching.core.resp import ErrorReply, encode_command

from .driver import Driver
from .fake_redis import FakeNode


def commands(steps: list[object]) -> list[list[bytes]]:
    reader = hiredis.Reader()
    for step in steps:
        reader.feed(step.payload)  # type: ignore[attr-defined]
    found = []
    while (command := reader.gets()) is not False:
        found.append(command)
    return found


def test_resp3_in_one_round_trip() -> None:
    settings = SessionSettings(username="u", password="p", db=2, client_name="svc")
    sent: list[list[list[bytes]]] = []

    def answer(steps: list[object]) -> list[object]:
        sent.append(commands(steps))
        return [{b"proto": 3, b"id": 42, b"version": b"7.0.0"}, b"OK"]

    session = drive(handshake(settings), answer)
    assert sent == [[[b"HELLO", b"3", b"AUTH", b"u", b"p", b"SETNAME", b"svc"], [b"SELECT", b"2"]]]
    assert session == Session(3, 42, {"proto": 3, "id": 42, "version": b"7.0.0"})


def test_a_password_alone_is_the_default_user() -> None:
    sent: list[list[list[bytes]]] = []

    def answer(steps: list[object]) -> list[object]:
        sent.append(commands(steps))
        return [{b"id": 1}]

    drive(handshake(SessionSettings(password="p")), answer)
    assert sent == [[[b"HELLO", b"3", b"AUTH", b"default", b"p"]]]


@pytest.mark.parametrize(
    "refusal",
    [
        ErrorReply("ERR unknown command 'HELLO', with args beginning with: '3'"),
        ErrorReply("NOPROTO sorry, this protocol version is not supported"),
    ],
)
def test_servers_without_resp3_get_resp2(refusal: ErrorReply) -> None:
    rounds: list[list[list[bytes]]] = []
    settings = SessionSettings(username="u", password="p", db=1, client_name="svc")

    def answer(steps: list[object]) -> list[object]:
        rounds.append(commands(steps))
        if len(rounds) == 1:
            return [refusal, ErrorReply("NOAUTH Authentication required.")]
        return [b"OK", b"OK", b"OK", 7]

    session = drive(handshake(settings), answer)
    assert rounds[1] == [
        [b"AUTH", b"u", b"p"],
        [b"CLIENT", b"SETNAME", b"svc"],
        [b"SELECT", b"1"],
        [b"CLIENT", b"ID"],
    ]
    assert session == Session(2, 7)


def test_resp2_can_be_asked_for_and_old_servers_have_no_client_id() -> None:
    def answer(steps: list[object]) -> list[object]:
        assert commands(steps) == [[b"AUTH", b"p"], [b"CLIENT", b"ID"]]
        return [b"OK", ErrorReply("ERR unknown subcommand 'ID'")]

    assert drive(handshake(SessionSettings(password="p", protocol=2)), answer) == Session(2, None)


def test_refusals_are_backend_errors() -> None:
    with pytest.raises(BackendError, match="WRONGPASS"):
        drive(
            handshake(SessionSettings(password="wrong")),
            lambda steps: [ErrorReply("WRONGPASS invalid username-password pair")],
        )
    with pytest.raises(BackendError, match=r"SELECT.*out of range"):
        drive(
            handshake(SessionSettings(db=99)),
            lambda steps: [{b"id": 1}, ErrorReply("ERR DB index is out of range")],
        )


def test_tracking_commands() -> None:
    assert Tracking().command() == (b"CLIENT", b"TRACKING", b"on")
    assert Tracking(bcast=True, prefixes=(b"ns:", b"x:"), noloop=True).command() == (
        b"CLIENT", b"TRACKING", b"on", b"BCAST", b"PREFIX", b"ns:", b"PREFIX", b"x:", b"NOLOOP",
    )  # fmt: skip
    assert Tracking(redirect=12).command() == (b"CLIENT", b"TRACKING", b"on", b"REDIRECT", 12)
    with pytest.raises(ValueError, match="bcast"):
        Tracking(prefixes=(b"ns:",))


def test_tracking_is_part_of_the_setup_on_both_protocols() -> None:
    tracking = Tracking(bcast=True, prefixes=(b"ns:",))
    for protocol, server in ((3, FakeNode()), (2, FakeNode(resp3=False))):
        driver = Driver(server, settings=SessionSettings(tracking=tracking))
        link = driver.link(server.address)
        assert link.session is not None
        assert link.session.protocol == protocol
        assert [b"CLIENT", b"TRACKING", b"on", b"BCAST", b"PREFIX", b"ns:"] in server.received
        assert encode_command(tracking.command())  # encodable as it is


def test_against_the_scripted_server() -> None:
    server = FakeNode(password="pw")
    driver = Driver(server, settings=SessionSettings(password="pw", db=3))
    link = driver.link(server.address)
    assert link.session == Session(3, 1, link.session.server if link.session else {})
    assert link.server.db == 3
    assert link.server.resp3
    old = FakeNode(resp3=False, password="pw")
    link = Driver(old, settings=SessionSettings(password="pw")).link(old.address)
    assert link.session is not None
    assert link.session.protocol == 2
    assert not link.server.resp3
