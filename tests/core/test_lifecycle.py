"""The engine follows the entry lifecycle table, for every (state, event) pair.

A harness drives a real :class:`CacheEngine` for one key (``"k"``) and reads the key's
state back from the engine's public API only; the table is never consulted to decide
what the engine did, only to say what it should have done.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core import MISS, CacheEngine, RemovalCause
from pepperpy.caching.core.lifecycle import (
    EVENT_MEANINGS,
    STATE_MEANINGS,
    TRANSITIONS,
    Effect,
    Event,
    State,
)

KEY = "k"
FILLER = "f"
"""Always stored, never expires: with ``KEY`` stored as well, the cache (of 2) is full."""


@dataclass
class Harness:
    """One engine of capacity 2 (LRU) holding ``FILLER`` and, depending on state, ``KEY``."""

    ttl: float = 5.0
    now: float = 100.0
    engine: CacheEngine = field(default_factory=lambda: CacheEngine(max_size=2, policy="lru"))

    def __post_init__(self) -> None:
        self.engine.set(FILLER, "filler", self.now)

    def state(self) -> State:
        """The key's state, as the engine's public API shows it."""
        engine = self.engine
        if KEY not in engine:
            assert engine.ttl(KEY, self.now) is None
            return State.ABSENT
        if not engine.contains(KEY, self.now):
            assert engine.entry(KEY, self.now) is None
            return State.EXPIRED
        if KEY in engine.deadlines:
            left = engine.ttl(KEY, self.now)
            assert left is not None
            assert left > 0
            return State.EXPIRING
        assert engine.ttl(KEY, self.now) is None
        return State.LIVE

    def apply(self, event: Event) -> Effect:
        """Carry ``event`` out on the engine; what the engine said about ``KEY``."""
        engine, now = self.engine, self.now
        if event is Event.SET:
            return self._removal_effect(engine.set(KEY, "v", now))
        if event is Event.SET_TTL:
            return self._removal_effect(engine.set(KEY, "v", now, self.ttl))
        if event is Event.GET:
            return Effect.MISS if engine.get(KEY, now) is MISS else Effect.HIT
        if event is Event.DELETE:
            return Effect.DELETED if engine.delete(KEY, now) else Effect.NOT_DELETED
        if event is Event.DEADLINE:
            self.now = max(now, engine.deadlines.get(KEY, now))
            return Effect.NONE
        if event is Event.EXPIRE:
            return self._removal_effect(engine.expire(now))
        if event is Event.OTHER_WRITE:
            assert FILLER in engine
            return self._removal_effect(engine.set(FILLER, "filler again", now))
        # EVICTION: make the cache full, make KEY (if stored) the least recently used,
        # then write a new key so that the engine must make room.
        if len(engine) < 2:
            engine.set("g", "second filler", now)
        engine.get(FILLER, now)
        effect = self._removal_effect(engine.set("n", "new", now))
        assert len(engine) == 2
        engine.delete("n", now)
        engine.delete("g", now)
        return effect

    @staticmethod
    def _removal_effect(removals: tuple[object, ...]) -> Effect:
        causes = [r.cause for r in removals if r.key == KEY]  # type: ignore[attr-defined]
        assert len(causes) <= 1
        if not causes:
            return Effect.NONE
        return Effect.EVICTED if causes[0] is RemovalCause.EVICTED else Effect.EXPIRED


def path_to(target: State) -> list[Event]:
    """A shortest list of events that takes a new key to ``target``, found in the table."""
    paths: dict[State, list[Event]] = {State.ABSENT: []}
    queue = deque([State.ABSENT])
    while queue:
        state = queue.popleft()
        for event in Event:
            _, following = TRANSITIONS[state, event]
            if following not in paths:
                paths[following] = [*paths[state], event]
                queue.append(following)
    return paths[target]


def step(harness: Harness, event: Event) -> None:
    """Apply ``event`` and check the effect and the next state against the table."""
    before = harness.state()
    expected_effect, expected_state = TRANSITIONS[before, event]
    effect = harness.apply(event)
    assert (effect, harness.state()) == (expected_effect, expected_state), (before, event)
    assert FILLER in harness.engine


def test_the_table_is_total_and_described() -> None:
    assert set(TRANSITIONS) == {(state, event) for state in State for event in Event}
    assert set(STATE_MEANINGS) == set(State)
    assert set(EVENT_MEANINGS) == set(Event)


def test_every_state_is_reachable_from_absent() -> None:
    for state in State:
        harness = Harness()
        for event in path_to(state):
            step(harness, event)
        assert harness.state() is state


@pytest.mark.parametrize("event", list(Event), ids=lambda e: e.name)
@pytest.mark.parametrize("state", list(State), ids=lambda s: s.name)
def test_every_pair(state: State, event: Event) -> None:
    harness = Harness()
    for earlier in path_to(state):
        step(harness, earlier)
    step(harness, event)


@given(
    events=st.lists(st.sampled_from(list(Event)), max_size=40),
    ttl=st.floats(min_value=1e-3, max_value=1e6),
    start=st.floats(min_value=0.0, max_value=1e6),
)
def test_any_sequence_follows_the_table(events: list[Event], ttl: float, start: float) -> None:
    harness = Harness(ttl=ttl, now=start)
    for event in events:
        step(harness, event)


def test_counters_agree_with_the_effects() -> None:
    """Evictions and expirations reported for the key are the ones the engine counts."""
    harness = Harness()
    for event in [Event.SET, Event.EVICTION, Event.SET_TTL, Event.DEADLINE, Event.EXPIRE]:
        step(harness, event)
    stats = harness.engine.stats
    assert (stats.evictions, stats.expirations) == (1, 1)
