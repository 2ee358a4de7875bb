"""NumpySerializer: exact dtype, shape and bits, validated on the way back, no pickle."""

from __future__ import annotations

import pickle
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pepperpy.caching.core import SerializationError, Serializer
from pepperpy.caching.core.serializers import NumpySerializer

dtypes = st.one_of(
    hnp.boolean_dtypes(),
    hnp.integer_dtypes(endianness="?"),
    hnp.unsigned_integer_dtypes(endianness="?"),
    hnp.floating_dtypes(endianness="?", sizes=(16, 32, 64, 128)),
    hnp.complex_number_dtypes(endianness="?"),
    hnp.datetime64_dtypes(endianness="?"),
    hnp.timedelta64_dtypes(endianness="?"),
    hnp.byte_string_dtypes(max_len=8),
    hnp.unicode_string_dtypes(endianness="?", max_len=8),
)
shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
arrays = hnp.arrays(dtypes, shapes)
layouts: list[Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]]] = [
    lambda a: a,
    lambda a: a.T,
    lambda a: np.asfortranarray(a),
    lambda a: a[::2] if a.ndim else a,
    lambda a: a[..., ::-1] if a.ndim else a,
]


def frame(
    dtype_text: bytes,
    shape: tuple[int, ...],
    elements: bytes,
    *,
    magic: bytes = b"PPNA",
    version: int = 1,
    ndim: int | None = None,
) -> bytes:
    """The documented layout, written by hand."""
    head = struct.pack(
        "<4sBBB", magic, version, len(shape) if ndim is None else ndim, len(dtype_text)
    )
    return head + dtype_text + struct.pack(f"<{len(shape)}Q", *shape) + elements


def assert_identical(got: Any, expected: np.ndarray[Any, Any]) -> None:
    assert type(got) is np.ndarray
    assert got.dtype == expected.dtype
    assert got.dtype.str == expected.dtype.str  # byte order included
    assert got.shape == expected.shape
    assert got.tobytes() == expected.tobytes()  # every bit: NaN payloads, -0.0, padding
    assert got.flags.c_contiguous
    assert got.flags.writeable
    assert got.flags.owndata


def test_is_a_serializer() -> None:
    assert isinstance(NumpySerializer(), Serializer)


@given(arrays, st.sampled_from(layouts))
def test_round_trip_keeps_dtype_shape_and_bits(
    array: np.ndarray[Any, Any], layout: Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]]
) -> None:
    view = layout(array)
    serializer = NumpySerializer()
    assert_identical(serializer.loads(serializer.dumps(view)), view)


def test_the_encoding_is_the_documented_layout() -> None:
    array = np.array([[1.5, -2.0]], dtype=">f4")
    assert NumpySerializer().dumps(array) == frame(b">f4", (1, 2), array.tobytes())


@pytest.mark.parametrize(
    "array",
    [
        np.array(3.5),
        np.zeros((0,), dtype="<f8"),
        np.zeros((3, 0, 2), dtype=">i2"),
        np.array([np.nan, -0.0, np.inf]),
        np.array(["2024-02-29T12:00", "NaT"], dtype="datetime64[m]"),
        np.array([1, 2], dtype="timedelta64[25s]"),
        np.frombuffer(b"abcdefgh", dtype="V4"),
        np.array([b"a", b"bcd"]),
        np.array(["é", "\U0001f600x"]),
    ],
)
def test_round_trip_examples(array: np.ndarray[Any, Any]) -> None:
    serializer = NumpySerializer()
    assert_identical(serializer.loads(serializer.dumps(array)), array)


def test_loads_returns_a_new_array_independent_of_the_input() -> None:
    serializer = NumpySerializer()
    data = bytearray(serializer.dumps(np.arange(3)))
    array = serializer.loads(data)
    data[-8:] = bytes(8)
    array[0] = 99
    assert list(array) == [99, 1, 2]


class Sub(np.ndarray):  # type: ignore[type-arg]
    pass


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.array([object()]), "dtype object: its elements are not plain bytes"),
        (np.array(["a"], dtype=np.dtypes.StringDType()), "dtype StringDType(): its elements"),
        (np.zeros(2, dtype="i4,f8"), "structured dtypes are not supported"),
        (np.zeros(2, dtype="V0"), "its elements have no size"),
        (np.ma.array([1, 2], mask=[0, 1]), "a value of type numpy.ma.MaskedArray;"),
        (np.zeros(2).view(Sub), "a value of type tests.core.test_serializers_numpy.Sub;"),
        (np.float64(1.0), "numpy.float64; it stores numpy.ndarray only (pass numpy.asarray(x)"),
        ([1.0, 2.0], "a value of type list; it stores numpy.ndarray only"),
    ],
)
def test_refusals_name_what_cannot_be_stored(value: object, expected: str) -> None:
    with pytest.raises(SerializationError) as info:
        NumpySerializer().dumps(value)
    assert str(info.value).startswith("NumpySerializer cannot encode ")
    assert expected in str(info.value)


ELEMENTS = np.arange(2, dtype="<f8").tobytes()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "shorter than the header"),
        (b"PPNA\x01\x01", "shorter than the header"),
        (b"\x80\x05" + pickle.dumps(np.arange(2))[2:], "does not start with the NumpySerializer"),
        (frame(b"<f8", (2,), ELEMENTS, magic=b"\x93NUM"), "does not start with"),
        (frame(b"<f8", (2,), ELEMENTS, version=2), "unknown format version 2"),
        (frame(b"<f8", (1,) * 65, ELEMENTS[:8]), "65 dimensions is more than numpy supports"),
        (frame(b"<f8", (2,), b"", ndim=3), "shorter than its header says"),
        (frame(b"|O8", (2,), ELEMENTS), "unsupported dtype b'|O8'"),
        (frame(b"<i4,<f8", (1,), bytes(12)), "unsupported dtype"),
        (frame(b"[('a', '<i4')]", (1,), bytes(4)), "unsupported dtype"),
        (frame(b"|f8", (2,), ELEMENTS), "unsupported dtype b'|f8'"),
        (frame(b"<u1", (2,), bytes(2)), "unsupported dtype b'<u1'"),
        (frame(b"<V8", (2,), bytes(16)), "unsupported dtype"),
        (frame(b"|S0", (2,), b""), "unsupported dtype"),
        (frame(b"<f3", (2,), bytes(6)), "unknown dtype b'<f3'"),
        (frame(b"\xff\xfe", (2,), ELEMENTS), "unsupported dtype"),
        (frame(b"<f8", (2,), ELEMENTS[:-1]), "needs 16 bytes of elements, found 15"),
        (frame(b"<f8", (2,), ELEMENTS + b"\x00"), "needs 16 bytes of elements, found 17"),
        (frame(b"<f8", (3, 2**40), ELEMENTS), "needs"),
        (frame(b"<f8", (0, 2**63), b""), "Maximum allowed dimension exceeded"),
        (frame(b"<f8", (0, 2**62, 2**62), b""), "array is too big"),
        (frame(b"|b1", (3,), b"\x00\x01\x02"), "a boolean element is neither 0 nor 1"),
    ],
)
def test_malformed_data_is_refused(data: bytes, expected: str) -> None:
    with pytest.raises(SerializationError) as info:
        NumpySerializer().loads(data)
    assert str(info.value).startswith("NumpySerializer cannot decode the data: ")
    assert expected in str(info.value)


@pytest.mark.parametrize("data", ["PPNA", None, np.arange(3)])
def test_loads_refuses_what_is_not_bytes(data: object) -> None:
    with pytest.raises(SerializationError, match="expects bytes"):
        NumpySerializer().loads(data)  # type: ignore[arg-type]


@given(st.binary(max_size=120))
def test_random_bytes_decode_or_raise_serialization_error(data: bytes) -> None:
    for candidate in (data, b"PPNA\x01" + data):
        try:
            result = NumpySerializer().loads(candidate)
        except SerializationError:
            continue
        assert type(result) is np.ndarray


@given(arrays, st.data())
def test_damaged_encodings_decode_or_raise_serialization_error(
    array: np.ndarray[Any, Any], data: st.DataObject
) -> None:
    encoded = bytearray(NumpySerializer().dumps(array))
    if data.draw(st.booleans(), label="truncate"):
        del encoded[data.draw(st.integers(0, len(encoded) - 1), label="at") :]
    else:
        index = data.draw(st.integers(0, len(encoded) - 1), label="index")
        encoded[index] = data.draw(st.integers(0, 255), label="byte")
    try:
        result = NumpySerializer().loads(bytes(encoded))
    except SerializationError:
        return
    assert type(result) is np.ndarray


def test_repr() -> None:
    assert repr(NumpySerializer()) == "NumpySerializer()"
