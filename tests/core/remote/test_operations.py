"""Every cache operation's plan, run against the scripted server and cluster and
compared with a plain dict: replies cut anywhere, pushes slipped in between."""

from __future__ import annotations

import math

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from pepperpy.caching.core.entry import MISS
from pepperpy.caching.core.errors import BackendError, SerializationError
from pepperpy.caching.core.remote.keys import KeySpace
from pepperpy.caching.core.remote.operations import RedisOperations
from pepperpy.caching.core.remote.plans import Rounds, Single
from pepperpy.caching.core.resp import ErrorReply
from pepperpy.caching.core.serializers import JsonSerializer

from .driver import Driver
from .fake_redis import FakeCluster, FakeNode

keys = st.text(alphabet="ab*?[]\\:é", max_size=4)
values = (
    st.none() | st.integers(-5, 5) | st.lists(st.integers(0, 3), max_size=3) | st.text(max_size=3)
)


class OperationsMachine(RuleBasedStateMachine):
    """The plans of one namespaced cache, next to a dict of what it should hold."""

    cluster = False

    @initialize(namespace=st.sampled_from(["ns", "n*", "n[s]", "n\\"]), seed=st.integers(0, 99))
    def start(self, namespace: str, seed: int) -> None:
        if self.cluster:
            self.fake: FakeNode | FakeCluster = FakeCluster.of(3)
            self.nodes = self.fake.nodes  # type: ignore[union-attr]
        else:
            self.fake = FakeNode()
            self.nodes = [self.fake]
        self.driver = Driver(self.fake, seed=seed)
        self.ops = RedisOperations(KeySpace(namespace), JsonSerializer(), cluster=self.cluster)
        self.namespace = namespace
        self.model: dict[str, tuple[object, float]] = {}  # key -> (value, expires at)
        self.now = 0.0
        # A neighbour's keys, which no operation of this cache may touch.
        for node in self.nodes:
            node.data.setdefault(0, {})[namespace.encode() + b"x:k"] = (b"1", math.inf)
        self.hits = self.misses = 0

    def live(self) -> dict[str, object]:
        return {k: v for k, (v, exp) in self.model.items() if exp > self.now}

    @rule(key=keys, value=values, ttl=st.none() | st.sampled_from([0.5, 2.0]))
    def set(self, key: str, value: object, ttl: float | None) -> None:
        self.driver.run(self.ops.set(key, value, ttl))
        self.model[key] = (value, math.inf if ttl is None else self.now + ttl)

    @rule(key=keys)
    def get(self, key: str) -> None:
        expected = self.live().get(key, MISS)
        assert self.driver.run(self.ops.get(key)) == expected
        if expected is MISS:
            self.misses += 1
        else:
            self.hits += 1

    @rule(wanted=st.lists(keys, max_size=6))
    def get_many(self, wanted: list[str]) -> None:
        live = self.live()
        found = {k: live[k] for k in wanted if k in live}
        assert self.driver.run(self.ops.get_many(wanted)) == found
        hits = sum(k in live for k in wanted)
        self.hits += hits
        self.misses += len(wanted) - hits

    @rule(mapping=st.dictionaries(keys, values, max_size=6), ttl=st.none() | st.just(1.0))
    def set_many(self, mapping: dict[str, object], ttl: float | None) -> None:
        self.driver.run(self.ops.set_many(mapping, ttl))
        for key, value in mapping.items():
            self.model[key] = (value, math.inf if ttl is None else self.now + ttl)

    @rule(key=keys)
    def delete(self, key: str) -> None:
        assert self.driver.run(self.ops.delete(key)) == (key in self.live())
        self.model.pop(key, None)

    @rule(wanted=st.lists(keys, max_size=6))
    def delete_many(self, wanted: list[str]) -> None:
        live = self.live()
        assert self.driver.run(self.ops.delete_many(wanted)) == len(set(wanted) & set(live))
        for key in wanted:
            self.model.pop(key, None)

    @rule(key=keys)
    def contains_and_ttl(self, key: str) -> None:
        live = key in self.live()
        assert self.driver.run(self.ops.contains(key)) is live
        left = self.driver.run(self.ops.ttl(key))
        if not live or self.model[key][1] == math.inf:
            assert left is None
        else:
            assert left == pytest.approx(self.model[key][1] - self.now, abs=0.002)

    @rule(prefix=st.text(alphabet="ab*?[", max_size=2))
    def delete_prefix(self, prefix: str) -> None:
        pattern = self.ops.space.match_prefix(prefix)
        gone = {k for k in self.live() if k.startswith(prefix)}
        assert self.driver.run(self.ops.delete_matching(pattern, self.driver.primaries())) == len(
            gone
        )
        for key in gone:
            del self.model[key]

    @rule()
    def scan_and_count(self) -> None:
        walk = self.ops.scan("", self.driver.primaries())
        listed = []
        while (step := walk.step()) is not None:
            (reply,) = self.driver.drive(_one(step, self.driver))
            listed.extend(self.ops.space.user_key(k) for k in walk.feed(reply))
        assert sorted(listed) == sorted(self.live())
        plan = self.ops.count(self.ops.space.match_all(), self.driver.primaries())
        assert self.driver.run(plan) == len(self.live())

    @rule(seconds=st.sampled_from([0.3, 1.1]))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds
        for node in self.nodes:
            node.now = self.now

    @invariant()
    def counters(self) -> None:
        if hasattr(self, "ops"):
            assert (self.ops.hits, self.ops.misses) == (self.hits, self.misses)

    def teardown(self) -> None:
        if not hasattr(self, "ops"):
            return
        self.driver.run(
            self.ops.delete_matching(self.ops.space.match_all(), self.driver.primaries())
        )
        for node in self.nodes:  # exactly the namespace went: the neighbour is intact
            assert set(node.live_keys()) == {self.namespace.encode() + b"x:k"}


def _one(step: object, driver: Driver) -> object:
    from pepperpy.caching.core.remote.dispatch import Dispatch

    return Dispatch([step], driver.routes, deadline=math.inf)  # type: ignore[list-item]


class ClusterOperationsMachine(OperationsMachine):
    cluster = True


TestOperationsOnOneServer = OperationsMachine.TestCase
TestOperationsOnACluster = ClusterOperationsMachine.TestCase
TestOperationsOnACluster.settings = settings(max_examples=40, stateful_step_count=30)


def test_the_hot_paths_are_single_commands() -> None:
    ops = RedisOperations(KeySpace("ns"), JsonSerializer())
    for plan in (ops.get("k"), ops.set("k", 1), ops.contains("k"), ops.delete("k"), ops.ttl("k")):
        assert isinstance(plan, Single)
    assert isinstance(ops.get_many(["a", "b"]), Single)  # one MGET
    assert isinstance(ops.get_many([str(i) for i in range(1500)]), Rounds)
    cluster = RedisOperations(KeySpace("ns"), JsonSerializer(), cluster=True)
    assert isinstance(cluster.get_many(["a", "b"]), Rounds)  # two slots


def test_bad_input_raises_before_anything_is_planned() -> None:
    ops = RedisOperations(KeySpace("ns"), JsonSerializer())
    with pytest.raises(SerializationError, match="set"):
        ops.set("k", {1, 2})
    with pytest.raises(SerializationError):
        ops.set_many({"a": 1, "b": object()})
    with pytest.raises(TypeError):
        ops.get(3)  # type: ignore[arg-type]


def test_error_replies_fail_the_operation_after_every_reply_was_read() -> None:
    server = FakeNode()
    driver = Driver(server)
    ops = RedisOperations(KeySpace("ns"), JsonSerializer())
    server.data[0] = {b"ns:bad": (b"\x80 not json", math.inf)}
    with pytest.raises(SerializationError):
        driver.run(ops.get("bad"))
    plan = ops.get("k")
    wrongtype = ErrorReply("WRONGTYPE Operation against a key holding the wrong kind")
    with pytest.raises(BackendError, match="WRONGTYPE"):
        plan.finish(wrongtype)
    with pytest.raises(BackendError, match="unexpected reply"):
        plan.finish(12)
