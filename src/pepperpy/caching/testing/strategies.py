"""Hypothesis strategies for cache keys, values, TTLs and whole workloads.

Needs hypothesis: install the ``testing`` extra (``pip install
'pepperpy-caching[testing]'``); ``dev`` includes it.
"""

from __future__ import annotations

import math
from datetime import timedelta
from fractions import Fraction
from typing import Any

from .._lazy import missing_extra

try:
    from hypothesis import strategies as st
except ImportError as exc:
    raise missing_extra(__name__, "testing", exc) from exc

from ..core.ttl import MAX_TTL, TTL
from .workload import Operation

__all__ = (
    "cache_keys",
    "cache_values",
    "invalid_ttls",
    "mistyped_ttls",
    "operations",
    "out_of_range_ttls",
    "ttls",
)

# Characters that break naive key handling: the namespace separator, glob
# metacharacters (Redis SCAN MATCH), escapes, whitespace, NUL, and non-ASCII text.
_AWKWARD = ":*?[]^-\\{}!/ \t\n\x00éß中🙂"


def cache_keys(*, min_size: int = 0, max_size: int = 16) -> st.SearchStrategy[str]:
    """Keys as users write them: any text, with awkward characters drawn often.

    ``:``, ``*``, ``?``, ``[`` and other glob or separator characters, NUL and
    non-ASCII letters are favoured; lone surrogates are left out (they cannot be
    encoded, so no remote store can hold them).
    """
    alphabet = st.one_of(st.sampled_from(_AWKWARD), st.characters(codec="utf-8"))
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


def cache_values() -> st.SearchStrategy[Any]:
    """Values every store of the library can hold: JSON-compatible data.

    ``None``, booleans, integers, finite floats, text, and small lists and
    string-keyed dicts of those.
    """
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=8,
    )


def ttls(*, max_seconds: float = 1e9) -> st.SearchStrategy[TTL]:
    """Valid, non-``None`` TTLs of every accepted kind, up to ``max_seconds``.

    Positive ``int`` and ``float`` seconds (down to the smallest positive float, so an
    entry can expire at the very instant it is written), positive ``timedelta`` and
    ``Fraction`` values. Add ``st.none()`` for "no expiry". ``max_seconds`` must be at
    least 0.001.
    """
    if not max_seconds >= 0.001:
        raise ValueError(f"max_seconds must be at least 0.001; got {max_seconds!r}")
    whole = max(1, math.floor(max_seconds))
    return st.one_of(
        st.integers(min_value=1, max_value=whole),
        st.floats(
            min_value=0.0,
            max_value=max_seconds,
            exclude_min=True,
            allow_nan=False,
            allow_infinity=False,
        ),
        st.timedeltas(
            min_value=timedelta(microseconds=1),
            max_value=timedelta(seconds=max(1e-6, min(max_seconds, 1e9))),
        ),
        st.fractions(
            min_value=Fraction(1, 1000),
            max_value=Fraction(max_seconds),
            max_denominator=1000,
        ),
    )


def out_of_range_ttls() -> st.SearchStrategy[Any]:
    """TTLs of an accepted type but refused value (zero, negative, NaN, infinite,
    above :data:`~pepperpy.caching.MAX_TTL`): the library raises
    :class:`~pepperpy.caching.InvalidTTLError` for each."""
    return st.one_of(
        st.integers(max_value=0),
        st.floats(max_value=0.0),
        st.sampled_from([math.nan, math.inf, -math.inf, 1e308, 10**400]),
        st.integers(min_value=int(MAX_TTL) + 1),
        st.floats(min_value=MAX_TTL, exclude_min=True),
        st.timedeltas(max_value=timedelta(0)),
    )


def mistyped_ttls() -> st.SearchStrategy[Any]:
    """TTLs of a refused type (``bool``, text, bytes, ``Decimal``, containers, ...):
    the library raises :class:`~pepperpy.caching.TTLTypeError` for each."""
    return st.one_of(
        st.booleans(),
        st.text(max_size=5),
        st.binary(max_size=5),
        st.decimals(),
        st.lists(st.integers(), max_size=2),
        st.complex_numbers(max_magnitude=10),
        st.builds(object),
    )


def invalid_ttls() -> st.SearchStrategy[Any]:
    """Every kind of invalid TTL: :func:`out_of_range_ttls` and :func:`mistyped_ttls`."""
    return st.one_of(out_of_range_ttls(), mistyped_ttls())


def operations(
    keys: st.SearchStrategy[str] | None = None,
    values: st.SearchStrategy[Any] | None = None,
    ttl: st.SearchStrategy[TTL] | None = None,
    *,
    max_size: int = 60,
) -> st.SearchStrategy[list[Operation]]:
    """Lists of :class:`~pepperpy.caching.testing.Operation`, to replay with
    :func:`~pepperpy.caching.testing.replay`.

    ``keys`` defaults to a small pool (so keys repeat and writes overwrite), ``values``
    to small integers, ``ttl`` to ``None`` or a few whole seconds (so deadlines fall
    exactly on the times the clock is advanced to). Clock steps are 0 to 3 seconds,
    half-seconds included.
    """
    keys = st.sampled_from(["a", "b", "c", "d", "e", "a:1", "*"]) if keys is None else keys
    values = st.integers(0, 9) if values is None else values
    ttl = st.one_of(st.none(), st.integers(1, 4)) if ttl is None else ttl
    steps = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])
    one = st.one_of(
        st.builds(Operation, kind=st.just("get"), key=keys),
        st.builds(Operation, kind=st.just("set"), key=keys, value=values, ttl=ttl),
        st.builds(Operation, kind=st.just("delete"), key=keys),
        st.builds(Operation, kind=st.just("contains"), key=keys),
        st.builds(Operation, kind=st.just("ttl"), key=keys),
        st.builds(Operation, kind=st.just("advance"), seconds=steps),
        st.builds(Operation, kind=st.just("expire"), limit=st.none() | st.integers(0, 3)),
    )
    return st.lists(one, max_size=max_size)
