"""StringSerializer and BytesSerializer: one type each, everything else refused."""

from __future__ import annotations

import contextlib
import enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core import (
    BytesSerializer,
    SerializationError,
    Serializer,
    StringSerializer,
)


class Mood(enum.StrEnum):
    HAPPY = "happy"


def test_both_are_serializers() -> None:
    assert isinstance(StringSerializer(), Serializer)
    assert isinstance(BytesSerializer(), Serializer)


@given(st.text())
def test_text_round_trips_as_utf8(text: str) -> None:
    serializer = StringSerializer()
    data = serializer.dumps(text)
    assert data == text.encode("utf-8")
    assert serializer.loads(data) == text


def test_str_subclasses_are_stored_as_their_text() -> None:
    serializer = StringSerializer()
    value = serializer.loads(serializer.dumps(Mood.HAPPY))
    assert value == "happy"
    assert type(value) is str


@pytest.mark.parametrize(("value", "type_name"), [(b"x", "bytes"), (1, "int"), (None, "NoneType")])
def test_string_serializer_refuses_other_types(value: object, type_name: str) -> None:
    with pytest.raises(SerializationError) as info:
        StringSerializer().dumps(value)
    assert str(info.value) == (
        f"StringSerializer cannot encode a value of type {type_name}; it stores str only"
    )


def test_string_serializer_refuses_lone_surrogates() -> None:
    with pytest.raises(SerializationError, match=r"lone surrogate \(at index 2\)"):
        StringSerializer().dumps("ab\udc80")


@pytest.mark.parametrize(("data", "at"), [(b"\xff", 0), (b"ok\xc3", 2), (b"\xed\xa0\x80", 0)])
def test_string_serializer_refuses_invalid_utf8(data: bytes, at: int) -> None:
    with pytest.raises(SerializationError, match=f"not valid UTF-8 .* at byte {at}"):
        StringSerializer().loads(data)


def test_string_serializer_reads_any_bytes_like_object() -> None:
    assert StringSerializer().loads(bytearray(b"hi")) == "hi"
    assert StringSerializer().loads(memoryview(b"xhi")[1:]) == "hi"


@pytest.mark.parametrize("data", ["text", 3, None])
def test_string_serializer_loads_refuses_what_is_not_bytes(data: object) -> None:
    with pytest.raises(SerializationError, match="expects bytes"):
        StringSerializer().loads(data)  # type: ignore[arg-type]


@given(st.binary())
def test_random_bytes_decode_or_raise_serialization_error(data: bytes) -> None:
    with contextlib.suppress(SerializationError):
        StringSerializer().loads(data)


@given(st.binary())
def test_bytes_pass_through(data: bytes) -> None:
    serializer = BytesSerializer()
    assert serializer.dumps(data) is data
    assert serializer.loads(data) is data


def test_bytes_like_values_are_stored_as_bytes() -> None:
    serializer = BytesSerializer()
    assert serializer.dumps(bytearray(b"ab")) == b"ab"
    assert serializer.dumps(memoryview(b"abcdef")[::2]) == b"ace"
    for data in (bytearray(b"ab"), memoryview(b"ab")):
        value = serializer.loads(data)
        assert value == b"ab"
        assert type(value) is bytes


def test_a_released_memoryview_is_a_serialization_error() -> None:
    view = memoryview(b"ab")
    view.release()
    with pytest.raises(SerializationError, match="cannot read the buffer"):
        BytesSerializer().dumps(view)
    with pytest.raises(SerializationError):
        StringSerializer().loads(view)


@pytest.mark.parametrize(("value", "type_name"), [("text", "str"), (1, "int"), ([1], "list")])
def test_bytes_serializer_refuses_other_types(value: object, type_name: str) -> None:
    with pytest.raises(SerializationError) as info:
        BytesSerializer().dumps(value)
    assert str(info.value).startswith(f"BytesSerializer cannot encode a value of type {type_name};")
    with pytest.raises(SerializationError, match=f"expects bytes, got a value of type {type_name}"):
        BytesSerializer().loads(value)  # type: ignore[arg-type]


def test_reprs() -> None:
    assert repr(StringSerializer()) == "StringSerializer()"
    assert repr(BytesSerializer()) == "BytesSerializer()"
