"""The near cache's rules against a model of a server and its invalidation channel.

The system: a :class:`NearState`. The model: the server's values, the invalidations
sent but not yet delivered, and the reads in flight (each answered by the server at
some moment between its start and its end). Invalidations are delivered in any
order relative to read replies, as on a connection of their own.

What must hold: a value served locally is the server's current value, unless an
invalidation of that key is still on its way (the staleness window); nothing is
served while the channel is down; once every invalidation is delivered, every value
kept is the server's current one.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
)

from pepperpy.caching.core import MISS
from pepperpy.caching.core.near import NearState

KEYS = st.sampled_from(["a", "b", "c"])
VALUES = st.integers(0, 3)
FLUSH = "*"  # an invalidation of everything (FLUSHDB)


@dataclass
class Read:
    key: str
    token: int
    answered: bool = False
    value: object = MISS


class NearMachine(RuleBasedStateMachine):
    reads = Bundle("reads")

    def __init__(self) -> None:
        super().__init__()
        self.state = NearState(max_size=2, policy="lru")
        self.server: dict[str, int] = {}
        self.in_transit: list[str] = []  # invalidations sent, not delivered
        self.up = False
        self.now = 0.0

    @initialize()
    def start(self) -> None:
        # Most runs start tracked, with a value under every key: the states where
        # a mistake would show.
        self.channel_up()
        for value, key in enumerate(("a", "b", "c")):
            self.server[key] = value

    # -- the channel ----------------------------------------------------------------

    @rule()
    def channel_up(self) -> None:
        self.state.channel_up()
        self.up = True

    @rule()
    def channel_lost(self) -> None:
        self.state.channel_lost()
        self.up = False
        self.in_transit.clear()  # what was on its way is lost with the channel

    def _changed(self, key: str) -> None:
        if self.up:
            self.in_transit.append(key)

    # -- the server ------------------------------------------------------------------

    @rule(key=KEYS, value=VALUES)
    def other_client_writes(self, key: str, value: int) -> None:
        self.server[key] = value
        self._changed(key)

    @rule(key=KEYS)
    def other_client_deletes(self, key: str) -> None:
        if self.server.pop(key, None) is not None:
            self._changed(key)

    @rule()
    def server_flushes(self) -> None:
        self.server.clear()
        self._changed(FLUSH)

    @precondition(lambda self: self.in_transit)
    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(self.in_transit) - 1))
        key = self.in_transit.pop(index)
        if key == FLUSH:
            self.state.flush()
        else:
            self.state.invalidate([key])

    # -- writes through this cache ---------------------------------------------------

    @rule(key=KEYS, value=VALUES)
    def write_through(self, key: str, value: int) -> None:
        self.server[key] = value
        self._changed(key)  # the server echoes this client's own writes
        self.state.written([key])

    @rule()
    def clear_through(self) -> None:
        for key in list(self.server):
            self._changed(key)
        self.server.clear()
        self.state.written_prefix("")

    # -- reads -----------------------------------------------------------------------

    @rule(target=reads, key=KEYS)
    def start_read(self, key: str) -> Read:
        return Read(key, self.state.begin(key))

    @rule(read=reads)
    def server_answers(self, read: Read) -> None:
        if not read.answered:
            read.answered = True
            read.value = self.server.get(read.key, MISS)

    @rule(read=consumes(reads), fail=st.booleans())
    def reply_arrives(self, read: Read, fail: bool) -> None:
        if not read.answered:
            read.answered = True
            read.value = self.server.get(read.key, MISS)
        value = MISS if fail else read.value
        self.state.finish(read.key, read.token, value, self.now, 5.0)

    @rule(key=KEYS, value=VALUES, delivered=st.booleans(), answered_first=st.booleans())
    def read_raced_by_a_write(
        self, key: str, value: int, delivered: bool, answered_first: bool
    ) -> None:
        """The classic race in one step: a write lands around the read's answer, and
        its invalidation arrives before or after the reply."""
        token = self.state.begin(key)
        if answered_first:
            answer = self.server.get(key, MISS)
            self.other_client_writes(key, value)
        else:
            self.other_client_writes(key, value)
            answer = self.server.get(key, MISS)
        if delivered and key in self.in_transit:
            self.in_transit.remove(key)
            self.state.invalidate([key])
        self.state.finish(key, token, answer, self.now, None)

    @rule(key=KEYS, value=VALUES, lost=st.booleans())
    def read_spanning_a_flush(self, key: str, value: int, lost: bool) -> None:
        """A read answered before the channel was lost (or the server flushed) and
        taken after: a change in between may never be reported."""
        token = self.state.begin(key)
        answer = self.server.get(key, MISS)
        if lost:
            self.channel_lost()
            self.other_client_writes(key, value)
            self.channel_up()
        else:
            self.server_flushes()
            if FLUSH in self.in_transit:  # sent only while tracked
                self.in_transit.remove(FLUSH)
                self.state.flush()
        self.state.finish(key, token, answer, self.now, None)

    @rule(key=KEYS)
    def local_read(self, key: str) -> None:
        value = self.state.lookup(key, self.now)
        if value is MISS:
            return
        assert self.up, "served while the channel was down"
        assert (
            value == self.server.get(key, MISS)
            or key in self.in_transit
            or (FLUSH in self.in_transit)
        ), f"served {value!r} for {key!r}, the server holds {self.server.get(key)!r}"

    @rule(seconds=st.sampled_from([0.5, 3.0, 10.0]))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds

    # -- invariants -------------------------------------------------------------------

    @invariant()
    def settled_copy_is_current(self) -> None:
        if self.in_transit:
            return
        for key in ("a", "b", "c"):
            value = self.state.lookup(key, self.now)
            if value is not MISS:
                assert value == self.server.get(key), (key, value, self.server)

    @invariant()
    def nothing_kept_while_down(self) -> None:
        if not self.up:
            assert len(self.state) == 0

    @invariant()
    def bounded(self) -> None:
        assert len(self.state) <= 2


NearMachine.TestCase.settings = settings(stateful_step_count=40)
TestNearState = NearMachine.TestCase
