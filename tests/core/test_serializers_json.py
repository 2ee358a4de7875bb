"""JsonSerializer: exact round trips, refusals that name the type and its place."""

from __future__ import annotations

import contextlib
import enum
import json
import math
import platform
from collections import OrderedDict
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core import JsonSerializer, SerializationError, Serializer

# Strings include lone surrogates, which UTF-8 cannot carry.
texts = st.text(st.characters(exclude_categories=()), max_size=20)
json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(texts, children, max_size=5),
    max_leaves=30,
)
# Values JSON might or might not carry: what it cannot must be refused, never altered.
anything = st.recursive(
    json_leaves
    | st.floats()
    | st.binary(max_size=4)
    | st.sampled_from([Decimal(1), 1j, object(), OrderedDict(a=1)]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children)
        | st.frozensets(st.integers(), max_size=3)
        | st.dictionaries(texts | st.integers() | st.booleans() | st.none(), children, max_size=4)
    ),
    max_leaves=20,
)


class Color(enum.IntEnum):
    RED = 1


class Mood(enum.StrEnum):
    HAPPY = "happy"


def exactly(value: Any) -> Any:
    """A form of ``value`` that compares equal only for the same types and float bits."""
    if type(value) is list:
        return ["list", [exactly(item) for item in value]]
    if type(value) is dict:
        return ["dict", [[exactly(k), exactly(v)] for k, v in value.items()]]
    if type(value) is float:
        return ["float", value.hex()]
    return [type(value).__name__, value]


def test_is_a_serializer() -> None:
    assert isinstance(JsonSerializer(), Serializer)


@given(json_values)
def test_round_trip_is_exact(value: Any) -> None:
    serializer = JsonSerializer()
    assert exactly(serializer.loads(serializer.dumps(value))) == exactly(value)


@given(json_values)
def test_output_is_json_any_reader_understands(value: Any) -> None:
    data = JsonSerializer().dumps(value)
    assert isinstance(data, bytes)
    assert exactly(json.loads(data)) == exactly(value)


@given(json_values)
def test_output_is_deterministic(value: Any) -> None:
    assert JsonSerializer().dumps(value) == JsonSerializer().dumps(value)


@given(st.dictionaries(st.text(), json_values, min_size=2, max_size=6))
def test_sort_keys_encodes_equal_dicts_identically(value: dict[str, Any]) -> None:
    reordered = dict(reversed(value.items()))
    sorted_serializer = JsonSerializer(sort_keys=True)
    assert sorted_serializer.dumps(value) == sorted_serializer.dumps(reordered)
    assert sorted_serializer.loads(sorted_serializer.dumps(value)) == value


@given(json_values)
def test_bytes_are_those_of_the_standard_library(value: Any) -> None:
    for sort_keys in (False, True):
        expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
        try:
            expected_bytes = expected.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: ASCII escapes instead
            expected_bytes = json.dumps(value, separators=(",", ":"), sort_keys=sort_keys).encode()
        assert JsonSerializer(sort_keys=sort_keys).dumps(value) == expected_bytes


@pytest.mark.parametrize("broken", [None, lambda *args: 1 / 0, lambda *args: lambda o, i: ["x"]])
def test_without_a_usable_c_encoder_the_plain_encoder_is_used(
    monkeypatch: pytest.MonkeyPatch, broken: Any
) -> None:
    # JSONEncoder.encode builds its own C encoder at each call, so the patch only
    # lasts while the serializer picks its encoder.
    real = json.encoder.c_make_encoder
    with monkeypatch.context() as patch:
        patch.setattr(json.encoder, "c_make_encoder", broken)
        serializer = JsonSerializer(sort_keys=True)
    assert json.encoder.c_make_encoder is real  # JSONEncoder itself works again
    assert serializer.dumps({"b": [1.5, "é"], "a": None}) == '{"a":null,"b":[1.5,"é"]}'.encode()


@pytest.mark.skipif(platform.python_implementation() != "CPython", reason="C accelerator")
def test_cpython_uses_the_prebuilt_c_encoder() -> None:
    for sort_keys in (False, True):
        encode = JsonSerializer(sort_keys=sort_keys)._encode
        assert encode.__qualname__ == "_compact_encoder.<locals>.encode"


def test_insertion_order_is_kept_by_default() -> None:
    serializer = JsonSerializer()
    assert list(serializer.loads(serializer.dumps({"b": 1, "a": 2}))) == ["b", "a"]


def test_output_is_compact_utf8() -> None:
    data = JsonSerializer().dumps({"name": "café", "tags": [1, 2.5, None, True]})
    assert data == '{"name":"café","tags":[1,2.5,null,true]}'.encode()


def test_lone_surrogates_fall_back_to_ascii_escapes() -> None:
    serializer = JsonSerializer()
    value = {"k": "é\ud800"}
    data = serializer.dumps(value)
    assert data == b'{"k":"\\u00e9\\ud800"}'
    assert serializer.loads(data) == value


def carries_exactly(value: Any) -> bool:
    """The reference answer: is ``value`` made only of what JSON returns unchanged?"""
    if type(value) is float:
        return math.isfinite(value)
    if type(value) in (str, int, bool, type(None)):
        return True
    if type(value) is list:
        return all(map(carries_exactly, value))
    if type(value) is dict:
        return all(type(key) is str for key in value) and all(map(carries_exactly, value.values()))
    return False


@given(anything)
def test_exactly_the_values_json_carries_are_accepted(value: Any) -> None:
    serializer = JsonSerializer()
    if carries_exactly(value):
        assert exactly(serializer.loads(serializer.dumps(value))) == exactly(value)
    else:
        with pytest.raises(SerializationError, match=r"^JsonSerializer cannot encode "):
            serializer.dumps(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ((1, 2), "a value of type tuple at $; JSON has no tuple type"),
        ({"a": [1, {2, 3}]}, "a value of type set at $['a'][1]"),
        ({"a": frozenset()}, "a value of type frozenset at $['a']"),
        ({"a": {1: "x"}}, "a dict key of type int (1) at $['a']"),
        ({None: 1}, "a dict key of type NoneType (None) at $"),
        ({"x": [math.nan]}, "the float nan at $['x'][0]; JSON has no NaN or infinity"),
        ([math.inf], "the float inf at $[0]"),
        ([-math.inf], "the float -inf at $[0]"),
        ([Color.RED], "a value of type tests.core.test_serializers_json.Color at $[0]"),
        ({"m": Mood.HAPPY}, "a value of type tests.core.test_serializers_json.Mood at $['m']"),
        ([np.float64(1.5)], "a value of type numpy.float64 at $[0]"),
        (OrderedDict(a=1), "a value of type collections.OrderedDict at $"),
        (b"raw", "a value of type bytes at $; decode it to text first, or store it with"),
        ([Decimal("1.5")], "a value of type decimal.Decimal at $[0]; use PickleSerializer"),
        (object(), "a value of type object at $"),
    ],
)
def test_refusals_name_the_type_and_where_it_is(value: object, expected: str) -> None:
    with pytest.raises(SerializationError) as info:
        JsonSerializer().dumps(value)
    assert str(info.value).startswith(f"JsonSerializer cannot encode {expected}")


def test_long_keys_are_shortened_in_paths() -> None:
    with pytest.raises(SerializationError) as info:
        JsonSerializer().dumps({"k" * 500: {1}})
    assert "a value of type set at $['kkk" in str(info.value)
    assert len(str(info.value)) < 200


def test_cycles_are_refused_with_their_path() -> None:
    value: dict[str, Any] = {"a": {"b": []}}
    value["a"]["b"].append(value)
    with pytest.raises(SerializationError) as info:
        JsonSerializer().dumps(value)
    assert "circular reference at $['a']['b'][0]" in str(info.value)


def test_a_value_shared_twice_is_not_a_cycle() -> None:
    shared = [1, 2]
    serializer = JsonSerializer()
    assert serializer.loads(serializer.dumps({"a": shared, "b": shared})) == {
        "a": [1, 2],
        "b": [1, 2],
    }


def test_problems_below_the_recursion_limit_are_found() -> None:
    value: list[Any] = []
    innermost = value
    for _ in range(5000):
        innermost.append([])
        innermost = innermost[0]
    innermost.append((1,))
    with pytest.raises(SerializationError) as info:
        JsonSerializer().dumps(value)
    assert "a value of type tuple at $" + "[0]" * 5001 in str(info.value)


def test_nesting_beyond_the_recursion_limit_is_refused() -> None:
    value: list[Any] = []
    innermost = value
    for _ in range(5000):
        innermost.append([])
        innermost = innermost[0]
    with pytest.raises(SerializationError, match="nested deeper than the interpreter's"):
        JsonSerializer().dumps(value)


def test_ints_too_long_to_convert_are_refused() -> None:
    with pytest.raises(SerializationError, match="a value of type int"):
        JsonSerializer().dumps(10**5000)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff", "not valid UTF-8 (invalid start byte at byte 0)"),
        (b'"\xc3"', "not valid UTF-8"),
        (b"", "not valid JSON"),
        (b"[1,", "not valid JSON"),
        (b"{1: 2}", "not valid JSON"),
        (b"[1] x", "not valid JSON: Extra data"),
        (b"NaN", "cannot decode the data: NaN is not valid JSON"),
        (b"[Infinity]", "Infinity is not valid JSON"),
        (b"-Infinity", "-Infinity is not valid JSON"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),
        (b"[" * 100_000, "nested deeper than the interpreter's recursion limit"),
        (b"1" * 5000, "cannot decode the data: Exceeds the limit (4300 digits)"),
    ],
)
def test_undecodable_data_is_refused(data: bytes, expected: str) -> None:
    with pytest.raises(SerializationError) as info:
        JsonSerializer().loads(data)
    assert expected in str(info.value)


@pytest.mark.parametrize("data", ["{}", None, 12, ["x"]])
def test_loads_refuses_what_is_not_bytes(data: object) -> None:
    with pytest.raises(
        SerializationError, match=f"expects bytes, got a value of type {type(data).__name__}"
    ):
        JsonSerializer().loads(data)  # type: ignore[arg-type]


def test_loads_accepts_any_bytes_like_object() -> None:
    serializer = JsonSerializer()
    assert serializer.loads(bytearray(b"[1]")) == [1]
    assert serializer.loads(memoryview(b"xx[2]")[2:]) == [2]


@given(st.binary())
def test_random_bytes_decode_or_raise_serialization_error(data: bytes) -> None:
    with contextlib.suppress(SerializationError):
        JsonSerializer().loads(data)


def test_repr() -> None:
    assert repr(JsonSerializer()) == "JsonSerializer()"
    assert repr(JsonSerializer(sort_keys=True)) == "JsonSerializer(sort_keys=True)"


# -- decoding a batch ---------------------------------------------------------------------

_payloads = st.one_of(
    json_values.map(JsonSerializer().dumps),
    json_values.map(lambda value: json.dumps(value, indent=1).encode()),  # whitespace
    st.binary(max_size=12),  # mostly not JSON, some not UTF-8, some with NUL
    st.sampled_from([b"[1", b"2]", b"3,4", b'"a', b'b"', b"1 2", b"\x00", b"[0]\x00[1]"]),
)


def _one_by_one(serializer: JsonSerializer, payloads: list[bytes]) -> list[Any]:
    return [serializer.loads(payload) for payload in payloads]


@given(st.lists(_payloads, max_size=8))
def test_a_batch_decodes_as_each_payload_alone(payloads: list[bytes]) -> None:
    serializer = JsonSerializer()
    try:
        expected: list[Any] | str = _one_by_one(serializer, payloads)
    except SerializationError as error:
        expected = str(error)  # the first bad payload, explained
    try:
        decoded: list[Any] | str = serializer.loads_many(payloads)
    except SerializationError as error:
        decoded = str(error)
    assert decoded == expected


def test_fragments_that_would_make_valid_json_together_are_refused() -> None:
    # Joined, these read as [[0,1,2],3,4]: as many values as payloads, all wrong.
    with pytest.raises(SerializationError):
        JsonSerializer().loads_many([b"[0", b"1", b"2]", b"3,4"])
