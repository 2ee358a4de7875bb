"""Namespaces, key encoding and literal SCAN patterns."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core import ConfigurationError, InvalidKeyError
from pepperpy.caching.core.remote import KeySpace, encode_key, escape_glob, validate_namespace


@pytest.mark.parametrize("bad", ["", "a:b", ":", "ns:", None, 3, b"ns"])
def test_bad_namespaces_are_configuration_errors(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        validate_namespace(bad)
    if bad is not None:  # KeySpace(None): no namespace at all
        with pytest.raises(ConfigurationError):
            KeySpace(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("good", ["ns", "ns*", "n?", "ns[1]", "a\\b", "é", " "])
def test_namespaces_without_the_separator_are_accepted(good: str) -> None:
    assert validate_namespace(good) == good
    assert KeySpace(good).namespace == good


def test_keys_are_prefixed_with_the_namespace() -> None:
    assert KeySpace("users").key("123") == b"users:123"
    assert KeySpace(None).key("123") == b"123"
    assert KeySpace("s").key("a:b") == b"s:a:b"
    assert KeySpace("s").key("") == b"s:"


@pytest.mark.parametrize("bad", [1, b"k", None, 1.5, ("a",)])
def test_non_str_keys_are_invalid(bad: object) -> None:
    with pytest.raises(InvalidKeyError):
        KeySpace("s").key(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError):
        encode_key(bad)


def test_redis_keys_checks_every_key_before_returning() -> None:
    with pytest.raises(InvalidKeyError):
        KeySpace("s").redis_keys(["a", "b", 3])  # type: ignore[list-item]
    given, stored = KeySpace("s").redis_keys(iter(["a", "b"]))
    assert given == ["a", "b"]
    assert stored == [b"s:a", b"s:b"]


def test_lone_surrogates_round_trip() -> None:
    stored = KeySpace("s").key("\ud800x")
    assert stored.decode("utf-8", "surrogatepass") == "s:\ud800x"


def test_match_all_needs_a_namespace() -> None:
    with pytest.raises(ConfigurationError):
        KeySpace(None).match_all()


@pytest.mark.parametrize(
    ("namespace", "pattern"),
    [
        ("ns", b"ns:*"),
        ("ns*", b"ns\\*:*"),
        ("n?", b"n\\?:*"),
        ("ns[1]", b"ns\\[1\\]:*"),
        ("a\\b", b"a\\\\b:*"),
    ],
)
def test_match_all_escapes_glob_characters(namespace: str, pattern: bytes) -> None:
    assert KeySpace(namespace).match_all() == pattern


def test_match_prefix_is_literal() -> None:
    assert KeySpace("s").match_prefix("a*") == b"s:a\\**"
    assert KeySpace(None).match_prefix("[x") == b"\\[x*"
    with pytest.raises(InvalidKeyError):
        KeySpace("s").match_prefix(3)  # type: ignore[arg-type]


def _redis_glob_to_regex(pattern: str) -> str:
    """Enough of Redis' glob for escaped literals followed by one ``*``."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if char == "*":
            out.append(".*")
        elif char in "?[]":
            raise AssertionError(f"unescaped {char!r} in {pattern!r}")
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


@given(st.text(), st.text())
def test_escaped_text_matches_itself_literally(text: str, other: str) -> None:
    regex = re.compile(_redis_glob_to_regex(escape_glob(text) + "*"), re.DOTALL)
    assert regex.fullmatch(text + other)
    assert bool(regex.fullmatch(other)) == other.startswith(text)
