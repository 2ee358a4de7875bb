"""The plans of add, incr, expire, touch, the loading lock and tags: what they send and
what their replies mean (the real server runs them in the adapter tests)."""

from __future__ import annotations

import random

import hiredis
import pytest

from pepperpy.caching.core.entry import MISS
from pepperpy.caching.core.errors import BackendError, ConfigurationError
from pepperpy.caching.core.remote import atomic
from pepperpy.caching.core.remote.aux_keys import lock_key, tag_key, tag_pattern
from pepperpy.caching.core.remote.keys import KeySpace
from pepperpy.caching.core.remote.lock import (
    RELEASE_SCRIPT,
    RENEW_SCRIPT,
    LockPlans,
    LockWait,
    renew_every,
)
from pepperpy.caching.core.remote.operations import RedisOperations
from pepperpy.caching.core.remote.plans import ANY, Rounds, Step, drive
from pepperpy.caching.core.remote.slots import key_slot
from pepperpy.caching.core.remote.tags import TAG_SCRIPT, invalidate_tags, tagged_set
from pepperpy.caching.core.resp import ErrorReply
from pepperpy.caching.core.serializers import JsonSerializer, PickleSerializer


def ops(cluster: bool = False, serializer: object = None) -> RedisOperations:
    return RedisOperations(
        KeySpace("ns"),
        serializer or JsonSerializer(),  # type: ignore[arg-type]
        None,
        cluster=cluster,
    )


def parsed(payload: bytes) -> list[bytes]:
    reader = hiredis.Reader()
    reader.feed(payload)
    command = reader.gets()
    assert isinstance(command, list)
    return command


def test_add_is_set_nx_and_never_resent() -> None:
    plan = atomic.add(ops(), "k", {"a": 1}, 2.5)
    assert parsed(plan.payload) == [b"SET", b"ns:k", b'{"a":1}', b"NX", b"PX", b"2500"]
    assert not plan.retry_safe
    assert plan.finish(b"OK") is True
    assert plan.finish(None) is False
    with pytest.raises(BackendError):
        plan.finish(ErrorReply("ERR boom"))


def test_incr_is_incrby_with_a_clear_error_on_other_values() -> None:
    plan = atomic.incr(ops(cluster=True), "n", -3)
    assert parsed(plan.payload) == [b"INCRBY", b"ns:n", b"-3"]
    assert plan.target == key_slot(b"ns:n")
    assert not plan.retry_safe
    assert plan.finish(7) == 7
    with pytest.raises(atomic.NotAnIntegerError, match="'n' is not an integer"):
        plan.finish(ErrorReply("ERR value is not an integer or out of range"))
    with pytest.raises(TypeError):
        atomic.incr(ops(), "n", 1.5)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="digits"):
        atomic.incr(ops(serializer=PickleSerializer(secret=b"k" * 32)), "n")


def test_expire_and_touch() -> None:
    plan = atomic.expire(ops(), "k", 0.0001)
    assert parsed(plan.payload) == [b"PEXPIRE", b"ns:k", b"1"]  # rounded up, never 0
    assert plan.finish(1) is True
    assert plan.finish(0) is False
    with pytest.raises(ConfigurationError):
        atomic.expire(ops(), "k", None)
    plan = atomic.touch(ops(), "k")
    assert parsed(plan.payload) == [b"TOUCH", b"ns:k"]
    assert plan.finish(1) is True
    assert plan.finish(0) is False


def test_get_with_ttl_is_one_round_and_one_lookup() -> None:
    o = ops(cluster=True)
    sent: list[list[Step]] = []

    def answer(replies: list[object]) -> object:
        def reply(steps: list[Step]) -> list[object]:
            sent.append(steps)
            return replies

        return reply

    assert drive(atomic.get_with_ttl(o, "k"), answer([b"[1]", 1500])) == ([1], 1.5)  # type: ignore[arg-type]
    assert drive(atomic.get_with_ttl(o, "k"), answer([b"2", -1])) == (2, None)  # type: ignore[arg-type]
    assert drive(atomic.get_with_ttl(o, "k"), answer([None, -2])) == (MISS, None)  # type: ignore[arg-type]
    assert len(sent) == 3
    assert all(len(steps) == 2 for steps in sent)
    assert {step.target for steps in sent for step in steps} == {key_slot(b"ns:k")}
    assert (o.hits, o.misses) == (2, 1)


def test_lock_plans() -> None:
    plans = LockPlans(ops(), "k")
    assert plans.key == lock_key(b"ns:k") == b"\x00pp:lock:ns:k"
    take = plans.take(b"tok", 3000)
    assert parsed(take.payload) == [b"SET", plans.key, b"tok", b"NX", b"PX", b"3000"]
    assert not take.retry_safe
    assert take.finish(b"OK") is True
    assert take.finish(None) is False
    assert parsed(plans.renew(b"tok", 3000).payload) == [
        b"EVAL", RENEW_SCRIPT, b"1", plans.key, b"tok", b"3000"
    ]  # fmt: skip
    release = plans.release(b"tok")
    assert parsed(release.payload) == [b"EVAL", RELEASE_SCRIPT, b"1", plans.key, b"tok"]
    assert release.finish(1) is True
    assert release.finish(0) is False
    assert LockPlans(ops(cluster=True), "k").take(b"t", 1).target == key_slot(plans.key)
    assert renew_every(3.0) == 1.0


def test_lock_wait_backs_off_and_ends() -> None:
    wait = LockWait(1.0, first=0.01, longest=0.08)
    wait.start(100.0)
    rng = random.Random(1)
    now, sleeps = 100.0, []
    while (sleep := wait.next_sleep(now, rng.random())) is not None:
        sleeps.append(sleep)
        now += sleep
    assert abs(now - 101.0) < 1e-9  # never sleeps past the bound
    assert all(0.005 <= s <= 0.12 for s in sleeps[:-1])
    assert max(sleeps) <= 0.12
    with pytest.raises(ConfigurationError):
        LockWait(0)


def test_tag_key_names() -> None:
    space = KeySpace("ns")
    assert tag_key(space, "user:1") == b"\x00pp:tag:ns:user:1"
    assert tag_pattern(space) == b"\x00pp:tag:ns:*"
    assert tag_pattern(KeySpace("n*")) == b"\x00pp:tag:n\\*:*"


def test_tagged_set_is_one_round_over_the_slots_of_key_and_tags() -> None:
    o = ops(cluster=True)
    plan = tagged_set(o, "k", 1, 10, frozenset({"b", "a"}))
    steps = plan.start()
    assert steps is not None
    assert len(steps) == 3
    assert parsed(steps[0].payload) == [b"SET", b"ns:k", b"1", b"PX", b"10000"]
    assert steps[0].target == key_slot(b"ns:k")
    for step, tag in zip(steps[1:], ("a", "b"), strict=True):
        set_key = b"\x00pp:tag:ns:" + tag.encode()
        assert parsed(step.payload) == [b"EVAL", TAG_SCRIPT, b"1", set_key, b"ns:k", b"10000"]
        assert step.target == key_slot(set_key)
    assert plan.advance([b"OK", 1, 1]) is None
    no_ttl = tagged_set(o, "k", 1, None, frozenset({"a"})).start()
    assert no_ttl is not None
    assert parsed(no_ttl[1].payload)[-1] == b"-1"
    failing = tagged_set(o, "k", 1, None, frozenset({"a"}))
    failing.start()
    with pytest.raises(BackendError):
        failing.advance([b"OK", ErrorReply("ERR script")])


def test_invalidate_tags_unlinks_the_members_and_removes_only_them() -> None:
    o = ops(cluster=True)
    plan: Rounds[int] = invalidate_tags(o, ["a", "b", "a"])
    first = plan.start()
    assert first is not None
    assert [parsed(s.payload) for s in first] == [
        [b"SMEMBERS", b"\x00pp:tag:ns:a"],
        [b"SMEMBERS", b"\x00pp:tag:ns:b"],
    ]
    unlinks = plan.advance([[b"ns:x", b"ns:y"], {b"ns:y", b"ns:z"}])  # RESP2 list, RESP3 set
    assert unlinks is not None
    unlinked = sorted(k for s in unlinks for k in parsed(s.payload)[1:])
    assert unlinked == [b"ns:x", b"ns:y", b"ns:z"]  # each key once
    assert all(s.target == key_slot(parsed(s.payload)[1]) for s in unlinks)
    removals = plan.advance([1] * len(unlinks))
    assert removals is not None
    assert sorted(parsed(s.payload)[0] for s in removals) == [b"SREM", b"SREM"]
    assert plan.advance([2, 2]) is None
    assert plan.result() == len(unlinks)
    empty = invalidate_tags(o, [])
    assert empty.start() is None
    assert empty.result() == 0


def test_invalidating_tags_nobody_used_sends_no_unlink() -> None:
    plan = invalidate_tags(ops(), ["a"])
    assert plan.start() is not None
    assert plan.advance([[]]) is None
    assert plan.result() == 0
    assert ANY == -1
