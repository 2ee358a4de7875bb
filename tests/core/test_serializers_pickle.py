"""PickleSerializer: signed pickles, and nothing unsigned is ever unpickled."""

from __future__ import annotations

import hmac
import pickle
import sys
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core import (
    ConfigurationError,
    PickleSerializer,
    SerializationError,
    Serializer,
)
from pepperpy.caching.core.serializers import MIN_SECRET_BYTES

SECRET = b"s" * 32
OTHER_SECRET = b"o" * 32

# Set by Exploit's payload when it runs: proof that unpickling happened.
ran: list[str] = []


def _record_run(note: str) -> None:
    ran.append(note)


class Exploit:
    """Unpickling this calls a function, as ``os.system`` would be called by an attack."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_record_run, ("exploit ran",))


@dataclass(frozen=True)
class Point:
    x: int
    y: int


@pytest.fixture(autouse=True)
def _clean_runs() -> None:
    ran.clear()


@pytest.fixture
def unpickled(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every payload handed to ``pickle.loads`` while the test runs."""
    calls: list[bytes] = []
    real_loads = pickle.loads

    def spy(data: Any, /, **kwargs: Any) -> Any:
        calls.append(bytes(data))
        return real_loads(data, **kwargs)

    monkeypatch.setattr(pickle, "loads", spy)
    return calls


def test_is_a_serializer() -> None:
    assert isinstance(PickleSerializer(SECRET), Serializer)


@pytest.mark.parametrize(
    "value",
    [None, 1, {1, 2}, (1, "a"), b"\x00\xff", Point(1, 2), {"nested": [Point(3, 4), frozenset()]}],
)
def test_round_trip(value: object) -> None:
    serializer = PickleSerializer(SECRET)
    assert serializer.loads(serializer.dumps(value)) == value


@given(st.recursive(st.integers() | st.text() | st.binary(), st.lists))
def test_round_trip_property(value: object) -> None:
    serializer = PickleSerializer(SECRET)
    assert serializer.loads(serializer.dumps(value)) == value


def test_str_secret_is_its_utf8_bytes() -> None:
    assert PickleSerializer("é" * 16).loads(PickleSerializer(("é" * 16).encode()).dumps(7)) == 7


@pytest.mark.parametrize("secret", [b"", b"x" * 31, "x" * 31, "é" * 15, bytearray(20)])
def test_short_secrets_are_refused(secret: bytes | str) -> None:
    with pytest.raises(ConfigurationError, match=f"at least {MIN_SECRET_BYTES} bytes long"):
        PickleSerializer(secret)


def test_secret_length_counts_utf8_bytes_not_characters() -> None:
    PickleSerializer("é" * 16)  # 32 bytes
    PickleSerializer(bytearray(32))
    with pytest.raises(ConfigurationError):
        PickleSerializer("é" * 15 + "x")  # 16 characters, 31 bytes


@pytest.mark.parametrize("secret", [None, 123, ["x" * 32], memoryview(b"x" * 32)])
def test_secrets_of_other_types_are_refused(secret: object) -> None:
    with pytest.raises(ConfigurationError, match="must be bytes or str"):
        PickleSerializer(secret)  # type: ignore[arg-type]


def test_a_str_secret_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="not valid UTF-8"):
        PickleSerializer("\ud800" * 32)


def test_the_secret_never_shows_in_repr_or_errors() -> None:
    secret = "correct horse battery staple 0123456789"
    serializer = PickleSerializer(secret, fallback_secrets=[b"old " * 8])
    for text in (repr(serializer), str(serializer)):
        assert "horse" not in text
        assert "old" not in text
        assert secret.encode().hex() not in text
    assert repr(serializer) == (
        "PickleSerializer(secret=<hidden>, fallback_secrets=<1 hidden>, protocol=5)"
    )
    with pytest.raises(ConfigurationError) as info:
        PickleSerializer("horse" * 2)
    assert "horse" not in str(info.value)


def test_the_payload_used_below_really_executes_when_trusted() -> None:
    # Control for the tests below: with the right secret, loading runs the payload.
    serializer = PickleSerializer(SECRET)
    serializer.loads(serializer.dumps(Exploit()))
    assert ran == ["exploit ran"]


def test_a_payload_signed_with_another_secret_is_refused_and_never_runs(
    unpickled: list[bytes],
) -> None:
    forged = PickleSerializer(OTHER_SECRET).dumps(Exploit())
    with pytest.raises(SerializationError, match="signature does not match"):
        PickleSerializer(SECRET).loads(forged)
    assert ran == []
    assert unpickled == []


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_an_unsigned_pickle_is_refused_and_never_runs(
    protocol: int, unpickled: list[bytes]
) -> None:
    with pytest.raises(SerializationError, match="does not carry its signature"):
        PickleSerializer(SECRET).loads(pickle.dumps(Exploit(), protocol))
    assert ran == []
    assert unpickled == []


def test_every_single_byte_change_is_refused(unpickled: list[bytes]) -> None:
    serializer = PickleSerializer(SECRET)
    data = serializer.dumps(Exploit())
    for index in range(len(data)):
        for flip in (0x01, 0x80):
            tampered = bytearray(data)
            tampered[index] ^= flip
            with pytest.raises(SerializationError):
                serializer.loads(bytes(tampered))
    assert ran == []
    assert unpickled == []


def test_truncated_or_extended_data_is_refused(unpickled: list[bytes]) -> None:
    serializer = PickleSerializer(SECRET)
    data = serializer.dumps(Exploit())
    for end in range(len(data)):
        with pytest.raises(SerializationError):
            serializer.loads(data[:end])
    with pytest.raises(SerializationError):
        serializer.loads(data + b"\x00")
    with pytest.raises(SerializationError):
        serializer.loads(data[:4] + data[5:] + data[4:5])
    assert ran == []
    assert unpickled == []


def test_the_signature_is_checked_in_constant_time_before_unpickling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[str] = []
    real_compare = hmac.compare_digest
    real_loads = pickle.loads

    def compare(a: Any, b: Any) -> bool:
        events.append("compare_digest")
        return real_compare(a, b)

    def loads(data: Any, /, **kwargs: Any) -> Any:
        events.append("pickle.loads")
        return real_loads(data, **kwargs)

    serializer = PickleSerializer(SECRET)
    data = serializer.dumps([1])
    monkeypatch.setattr(hmac, "compare_digest", compare)
    monkeypatch.setattr(pickle, "loads", loads)
    assert serializer.loads(data) == [1]
    assert events == ["compare_digest", "pickle.loads"]


@given(st.binary(max_size=200))
def test_random_bytes_are_refused_with_serialization_error(data: bytes) -> None:
    serializer = PickleSerializer(SECRET)
    for candidate in (data, b"pps\x01" + data):
        with pytest.raises(SerializationError):
            serializer.loads(candidate)


@given(st.binary(min_size=32, max_size=64).filter(lambda s: s != SECRET), st.integers())
def test_signatures_made_with_other_secrets_are_refused(other_secret: bytes, value: int) -> None:
    forged = PickleSerializer(other_secret).dumps(value)
    with pytest.raises(SerializationError, match="signature does not match"):
        PickleSerializer(SECRET).loads(forged)


@pytest.mark.parametrize("data", ["text", None, 5])
def test_loads_refuses_what_is_not_bytes(data: object) -> None:
    with pytest.raises(SerializationError, match="expects bytes"):
        PickleSerializer(SECRET).loads(data)  # type: ignore[arg-type]


def test_loads_accepts_bytearray_and_memoryview() -> None:
    serializer = PickleSerializer(SECRET)
    data = serializer.dumps("v")
    assert serializer.loads(bytearray(data)) == "v"
    assert serializer.loads(memoryview(data)) == "v"


def test_rotation_reads_entries_signed_with_a_fallback_secret() -> None:
    old = PickleSerializer(OTHER_SECRET)
    rotated = PickleSerializer(SECRET, fallback_secrets=[OTHER_SECRET])
    assert rotated.loads(old.dumps("written before")) == "written before"
    # New entries are signed with the new secret only.
    with pytest.raises(SerializationError):
        old.loads(rotated.dumps("written after"))
    assert PickleSerializer(SECRET).loads(rotated.dumps("written after")) == "written after"


def test_fallback_secrets_are_validated() -> None:
    with pytest.raises(ConfigurationError, match="a collection of secrets, not a single"):
        PickleSerializer(SECRET, fallback_secrets="x" * 32)
    with pytest.raises(ConfigurationError, match="fallback secret must be at least"):
        PickleSerializer(SECRET, fallback_secrets=[b"short"])


@pytest.mark.parametrize("protocol", [-1, pickle.HIGHEST_PROTOCOL + 1, True, "5", 5.0])
def test_bad_protocols_are_refused(protocol: object) -> None:
    with pytest.raises(ConfigurationError, match="protocol must be an int"):
        PickleSerializer(SECRET, protocol=protocol)  # type: ignore[arg-type]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_every_protocol_round_trips(protocol: int) -> None:
    serializer = PickleSerializer(SECRET, protocol=protocol)
    assert serializer.loads(serializer.dumps({"p": protocol})) == {"p": protocol}


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(threading.Lock(), "_thread.lock"), (lambda: 1, "function"), ((x for x in ()), "generator")],
)
def test_unpicklable_values_are_refused_naming_their_type(value: object, type_name: str) -> None:
    with pytest.raises(SerializationError) as info:
        PickleSerializer(SECRET).dumps({"key": value})
    assert str(info.value).startswith("PickleSerializer cannot encode a value of type dict: ")
    assert type_name in str(info.value)


def test_signed_data_that_no_longer_unpickles_is_a_serialization_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A class renamed between the deploy that wrote the entry and the one reading it.
    class Renamed:
        pass

    Renamed.__qualname__ = "Renamed"
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "Renamed", Renamed, raising=False)
    serializer = PickleSerializer(SECRET)
    data = serializer.dumps(Renamed())
    monkeypatch.delattr(module, "Renamed")
    with pytest.raises(SerializationError, match="verified the signature but could not unpickle"):
        serializer.loads(data)
