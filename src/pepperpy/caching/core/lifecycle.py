"""The lifecycle of one cache entry, as a table: (state, event) -> (effect, next state).

This is the contract :class:`~pepperpy.caching.CacheEngine` follows for any one key,
written as data. The test suite drives the engine through every pair and checks it
against :data:`TRANSITIONS`, and the documentation draws its state diagram from the
same table, so the three cannot drift apart. Every pair is present: a key in any state
can meet any event.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, final

__all__ = ("EVENT_MEANINGS", "STATE_MEANINGS", "TRANSITIONS", "Effect", "Event", "State")


@final
class State(enum.Enum):
    """Where one key stands in a cache."""

    ABSENT = "absent"
    LIVE = "live"
    EXPIRING = "expiring"
    EXPIRED = "expired"


@final
class Event(enum.Enum):
    """Something that happens to a cache, seen from one key (see :data:`EVENT_MEANINGS`)."""

    SET = "set"
    SET_TTL = "set(ttl)"
    GET = "get"
    DELETE = "delete"
    DEADLINE = "deadline passes"
    EXPIRE = "expire()"
    OTHER_WRITE = "other key written"
    EVICTION = "cache overflows"


@final
class Effect(enum.Enum):
    """What the call that carries an event tells its caller about this key."""

    NONE = "-"
    HIT = "hit"
    MISS = "miss"
    DELETED = "True"
    NOT_DELETED = "False"
    EXPIRED = "Removal(expired)"
    EVICTED = "Removal(evicted)"


STATE_MEANINGS: Final[Mapping[State, str]] = MappingProxyType(
    {
        State.ABSENT: "the key is not stored",
        State.LIVE: "stored without a deadline: reads hit",
        State.EXPIRING: "stored with a deadline still ahead: reads hit",
        State.EXPIRED: (
            "stored, deadline reached: reads miss; memory is held until the entry is reclaimed"
        ),
    }
)
"""A sentence for each state."""

EVENT_MEANINGS: Final[Mapping[Event, str]] = MappingProxyType(
    {
        Event.SET: "``set(key, value, now)`` without a TTL (and no default TTL)",
        Event.SET_TTL: "``set(key, value, now, ttl)`` with a TTL",
        Event.GET: "``get(key, now)``",
        Event.DELETE: "``delete(key, now)``",
        Event.DEADLINE: "``now`` reaches the key's deadline; no call is made",
        Event.EXPIRE: "``expire(now)``: the caller asks for expired entries to be reclaimed",
        Event.OTHER_WRITE: (
            "another key is written without overflowing the cache; each write reclaims "
            "a few expired entries, soonest deadline first"
        ),
        Event.EVICTION: (
            "another key is written to the full cache and the policy would choose this "
            "key; expired entries are reclaimed before any live one is evicted"
        ),
    }
)
"""A sentence for each event, naming the engine call that carries it."""

_A, _L, _X, _E = State.ABSENT, State.LIVE, State.EXPIRING, State.EXPIRED
_NONE, _HIT, _MISS = Effect.NONE, Effect.HIT, Effect.MISS

TRANSITIONS: Final[Mapping[tuple[State, Event], tuple[Effect, State]]] = MappingProxyType(
    {
        (_A, Event.SET): (_NONE, _L),
        (_A, Event.SET_TTL): (_NONE, _X),
        (_A, Event.GET): (_MISS, _A),
        (_A, Event.DELETE): (Effect.NOT_DELETED, _A),
        (_A, Event.DEADLINE): (_NONE, _A),
        (_A, Event.EXPIRE): (_NONE, _A),
        (_A, Event.OTHER_WRITE): (_NONE, _A),
        (_A, Event.EVICTION): (_NONE, _A),
        (_L, Event.SET): (_NONE, _L),
        (_L, Event.SET_TTL): (_NONE, _X),
        (_L, Event.GET): (_HIT, _L),
        (_L, Event.DELETE): (Effect.DELETED, _A),
        (_L, Event.DEADLINE): (_NONE, _L),
        (_L, Event.EXPIRE): (_NONE, _L),
        (_L, Event.OTHER_WRITE): (_NONE, _L),
        (_L, Event.EVICTION): (Effect.EVICTED, _A),
        (_X, Event.SET): (_NONE, _L),
        (_X, Event.SET_TTL): (_NONE, _X),
        (_X, Event.GET): (_HIT, _X),
        (_X, Event.DELETE): (Effect.DELETED, _A),
        (_X, Event.DEADLINE): (_NONE, _E),
        (_X, Event.EXPIRE): (_NONE, _X),
        (_X, Event.OTHER_WRITE): (_NONE, _X),
        (_X, Event.EVICTION): (Effect.EVICTED, _A),
        (_E, Event.SET): (_NONE, _L),
        (_E, Event.SET_TTL): (_NONE, _X),
        (_E, Event.GET): (_MISS, _E),
        (_E, Event.DELETE): (Effect.NOT_DELETED, _A),
        (_E, Event.DEADLINE): (_NONE, _E),
        (_E, Event.EXPIRE): (Effect.EXPIRED, _A),
        (_E, Event.OTHER_WRITE): (Effect.EXPIRED, _A),
        (_E, Event.EVICTION): (Effect.EXPIRED, _A),
    }
)
"""``(state, event) -> (effect, next state)`` for one key of a
:class:`~pepperpy.caching.CacheEngine`."""
