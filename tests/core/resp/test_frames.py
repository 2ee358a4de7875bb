"""Cutting bytes into replies within bounds: hostile input ends the connection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core.resp import NEED_DATA, ErrorReply, FrameReader, ProtocolViolation

from ..remote.fake_redis import encode_reply

replies = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.binary(max_size=30)
    | st.text(alphabet="abcXYZ ", min_size=1, max_size=10).map(lambda t: ErrorReply("ERR " + t)),
    lambda children: st.lists(children, max_size=4),
    max_leaves=12,
)


@given(st.lists(replies, min_size=1, max_size=6), st.data())
def test_replies_split_at_every_boundary_come_out_whole(
    values: list[object], data: st.DataObject
) -> None:
    stream = b"".join(encode_reply(v, resp3=True) for v in values)
    cuts = sorted(data.draw(st.sets(st.integers(1, max(len(stream) - 1, 1)), max_size=8)))
    reader = FrameReader()
    got = []
    start = 0
    for end in [*cuts, len(stream)]:
        reader.feed(stream[start:end])
        start = end
        while (frame := reader.next_frame()) is not NEED_DATA:
            got.append(frame)
    assert got == values


def test_resp3_false_is_not_mistaken_for_no_data() -> None:
    reader = FrameReader()
    reader.feed(b"#f\r\n")
    assert reader.next_frame() is False
    assert reader.next_frame() is NEED_DATA


@pytest.mark.parametrize(
    "hostile",
    [
        b"?what\r\n",  # not a type byte
        b"$-5\r\n",  # negative bulk length
        b"*-7\r\n",
        b"*9223372036854775807\r\n",  # an array nobody could hold
        b"$99999999999999999999\r\n",
        b":12ab\r\n",
        b"*1\r\n" * 20_000 + b":1\r\n",  # endless nesting
    ],
)
def test_hostile_input_is_a_protocol_violation(hostile: bytes) -> None:
    reader = FrameReader()
    reader.feed(hostile)
    with pytest.raises(ProtocolViolation):
        reader.next_frame()


def test_an_absurd_bulk_is_refused_once_the_bound_is_passed() -> None:
    """hiredis would wait for the 100 GB: the reader refuses past its bound instead."""
    reader = FrameReader(max_frame_bytes=10_000)
    reader.feed(b"$100000000000\r\n")
    assert reader.next_frame() is NEED_DATA
    for _ in range(9):
        reader.feed(b"x" * 1000)
        assert reader.next_frame() is NEED_DATA
    reader.feed(b"x" * 1000)
    with pytest.raises(ProtocolViolation, match="10000 bytes"):
        reader.next_frame()


def test_a_huge_array_of_small_items_is_bounded_too() -> None:
    reader = FrameReader(max_frame_bytes=4_000)
    reader.feed(b"*2000000000\r\n")
    for _ in range(996):  # 13 + 996 * 4 bytes: within the bound
        reader.feed(b":1\r\n")
        assert reader.next_frame() is NEED_DATA
    reader.feed(b":1\r\n" * 2)
    with pytest.raises(ProtocolViolation):
        reader.next_frame()


def test_the_bound_is_per_frame() -> None:
    """Many replies, each within the bound, never trip it, however many arrive."""
    reader = FrameReader(max_frame_bytes=100)
    one = encode_reply(b"v" * 60)
    for _ in range(1000):
        reader.feed(one)
        assert reader.next_frame() == b"v" * 60
    reader.feed(one * 5)  # several complete frames in one piece: each is within bounds
    assert [reader.next_frame() for _ in range(5)] == [b"v" * 60] * 5
    assert not reader.buffered


def test_billions_of_declared_elements_end_the_connection_either_way() -> None:
    """hiredis reserves room for the declared elements: the system refuses (then at
    once) or grants address space lazily (then at the bound, having touched little)."""
    reader = FrameReader(max_frame_bytes=100_000)
    reader.feed(b"*4000000000\r\n")

    def feed_until_refused() -> None:
        for _ in range(100):
            reader.feed(b":1\r\n" * 1000)
            reader.next_frame()

    with pytest.raises(ProtocolViolation):
        feed_until_refused()
