"""Commands as bytes: the fast paths agree with the general encoder, and a server
parses back exactly the arguments."""

from __future__ import annotations

import hiredis
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core.resp import (
    encode_command,
    encode_commands,
    encode_key_command,
    encode_set,
)

arguments = st.binary(max_size=40) | st.integers(-(2**63), 2**63 - 1).map(int)


def parse_all(data: bytes) -> list[list[bytes]]:
    """What a server reads from ``data``: one list of arguments per command."""
    reader = hiredis.Reader()
    reader.feed(data)
    commands = []
    while (command := reader.gets()) is not False:
        commands.append(command)
    return commands


@given(st.lists(arguments, min_size=1, max_size=8))
def test_a_server_reads_back_the_arguments(args: list[bytes | int]) -> None:
    command = (b"CMD", *args)
    expected = [b"CMD", *(a if isinstance(a, bytes) else str(a).encode() for a in args)]
    assert parse_all(encode_command(command)) == [expected]


@given(st.binary(max_size=64), st.sampled_from([b"GET", b"EXISTS", b"PTTL", b"UNLINK"]))
def test_single_key_fast_path(key: bytes, name: bytes) -> None:
    assert encode_key_command(name, key) == encode_command((name, key))


@given(st.binary(max_size=64), st.binary(max_size=200), st.none() | st.integers(1, 2**62))
def test_set_fast_path(key: bytes, payload: bytes, millis: int | None) -> None:
    expected = (b"SET", key, payload) if millis is None else (b"SET", key, payload, b"PX", millis)
    assert encode_set(key, payload, millis) == encode_command(expected)


def test_pipelines_and_text() -> None:
    data = encode_commands([(b"GET", b"a"), ("SET", "é", 3)])
    assert parse_all(data) == [[b"GET", b"a"], [b"SET", "é".encode(), b"3"]]


def test_what_cannot_be_sent() -> None:
    with pytest.raises(ValueError, match="name"):
        encode_command(())
    with pytest.raises(TypeError, match="cannot send"):
        encode_command((b"GET", None))  # type: ignore[arg-type]
