"""The Redis-to-Redis copy plans against a model Redis of every type: what each reply
means, and whole copies (restored or rebuilt by type) compared with what they should
leave on the target."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core.remote.copy_plans import (
    SOURCE,
    Contents,
    Dumped,
    KeyCopy,
    RedisCopy,
)
from pepperpy.caching.core.remote.copy_rules import (
    GONE,
    Verdict,
    dump_verdict,
    payload_type,
    remaining_millis,
    restore_verdict,
    server_wide,
)
from pepperpy.caching.core.remote.plans import ANY, drive
from pepperpy.caching.core.remote.slots import key_slot
from pepperpy.caching.core.resp import ErrorReply

from .typed_redis import TypedRedis, Value

# -- one reply at a time ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "meaning"), [(-2, GONE), (0, GONE), (-1, None), (1, 1), (86_400_000, 86_400_000)]
)
def test_pttl_replies(reply: int, meaning: Any) -> None:
    assert remaining_millis(reply) == meaning


@given(st.integers(min_value=-3, max_value=10**12))
def test_no_pttl_reply_becomes_a_restore_ttl_of_zero(reply: int) -> None:
    # RESTORE reads a TTL of 0 as "no expiry": a key with no time left must never get it.
    millis = remaining_millis(reply) if reply >= -2 else GONE
    assert millis is None or millis is GONE or millis > 0


@pytest.mark.parametrize("reply", [b"-1", None, ErrorReply("ERR"), 1.5])
def test_a_pttl_reply_of_another_shape_is_an_error(reply: Any) -> None:
    with pytest.raises(ValueError, match="PTTL"):
        remaining_millis(reply)


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        (b"\x00\x03abc\n\x00", Verdict.DONE),
        (None, Verdict.GONE),
        (ErrorReply("NOPERM this user has no permissions to run the 'dump' command"),
         Verdict.REFUSED),
        (ErrorReply("ERR unknown command 'DUMP', with args beginning with: 'k'"), Verdict.REFUSED),
        (ErrorReply("LOADING Redis is loading the dataset in memory"), Verdict.FAILED),
    ],
)  # fmt: skip
def test_dump_replies(reply: Any, verdict: Verdict) -> None:
    assert dump_verdict(reply) is verdict


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        (b"OK", Verdict.DONE),
        (ErrorReply("BUSYKEY Target key name already exists."), Verdict.EXISTS),
        (ErrorReply("ERR DUMP payload version or checksum are wrong"), Verdict.REFUSED),
        (ErrorReply("ERR Bad data format"), Verdict.REFUSED),
        (ErrorReply("NOPERM this user has no permissions to run the 'restore' command"),
         Verdict.REFUSED),
        (ErrorReply("OOM command not allowed when used memory > 'maxmemory'."), Verdict.FAILED),
        (ErrorReply("ERR Invalid TTL value, must be >= 0"), Verdict.FAILED),
        (None, Verdict.FAILED),
    ],
)  # fmt: skip
def test_restore_replies(reply: Any, verdict: Verdict) -> None:
    assert restore_verdict(reply) is verdict


@pytest.mark.parametrize(
    ("code", "kind"),
    [(0, "string"), (18, "list"), (14, "list"), (16, "hash"), (4, "hash"), (11, "set"),
     (20, "set"), (17, "zset"), (5, "zset"), (15, "stream"), (21, "stream"), (99, "value")],
)  # fmt: skip
def test_payload_types(code: int, kind: str) -> None:
    assert payload_type(bytes([code]) + b"rest") == kind
    assert payload_type(b"") == "value"


# -- whole copies against the model ------------------------------------------------------

names = st.binary(min_size=0, max_size=3) | st.text("ab:{}*é", max_size=3).map(str.encode)
members = st.binary(max_size=4)
scores = st.floats(allow_nan=False) | st.sampled_from([float("inf"), float("-inf"), 0.5])
streams = st.lists(st.lists(members, min_size=2, max_size=4).map(lambda f: f[: len(f) // 2 * 2]),
                   min_size=1, max_size=3)  # fmt: skip
contents = st.one_of(
    st.tuples(st.just("string"), members),
    st.tuples(st.just("hash"), st.dictionaries(members, members, min_size=1, max_size=4)),
    st.tuples(st.just("list"), st.lists(members, min_size=1, max_size=4)),
    st.tuples(st.just("set"), st.sets(members, min_size=1, max_size=4)),
    st.tuples(st.just("zset"), st.dictionaries(members, scores, min_size=1, max_size=4)),
    st.tuples(
        st.just("stream"),
        streams.map(lambda s: [(f"{i + 1}-0".encode(), f) for i, f in enumerate(s)]),
    ),
)
ttls = st.none() | st.sampled_from([0]) | st.integers(1, 10**10)
values = st.builds(lambda c, t: Value(c[0], c[1], t), contents, ttls)


def _run(plans: RedisCopy, keys: list[bytes], source: TypedRedis, target: TypedRedis,
         dry_run: bool, batch: int) -> list[KeyCopy]:  # fmt: skip
    """What the adapter does, with the models as the stores."""
    fates: list[KeyCopy] = []
    for start in range(0, len(keys), batch):
        job = plans.page(keys[start : start + batch], dry_run=dry_run)
        result: Any = None
        try:
            while True:
                store, plan = job.send(result)
                result = drive(plan, (source if store == SOURCE else target).answer)
        except StopIteration as stop:
            fates.extend(stop.value)
    return fates


@given(
    source_keys=st.dictionaries(names, values, max_size=8),
    outside=st.dictionaries(names, values, max_size=2),
    target_keys=st.dictionaries(names, values, max_size=4),
    replace=st.booleans(),
    refusal=st.sampled_from(["none", "dump", "restore"]),
    resp3=st.booleans(),
    dry_run=st.booleans(),
    batch=st.integers(1, 5),
)
def test_a_copy_leaves_the_target_as_it_should(
    source_keys: dict[bytes, Value],
    outside: dict[bytes, Value],
    target_keys: dict[bytes, Value],
    replace: bool,
    refusal: str,
    resp3: bool,
    dry_run: bool,
    batch: int,
) -> None:
    source = TypedRedis(
        {b"old:" + name: value for name, value in source_keys.items()}
        | {b"other:" + name: value for name, value in outside.items()},
        resp3=resp3,
        refuse_dump=refusal == "dump",
    )
    target = TypedRedis(
        {b"new:v2-" + name: value for name, value in target_keys.items()},
        resp3=resp3,
        refuse_restore=refusal == "restore",
    )
    before = copy.deepcopy(target.keys)
    plans = RedisCopy(b"old:", b"new:v2-", replace=replace)
    listed = [key for key in source.keys if key.startswith(b"old:")]  # what SCAN lists

    fates = _run(plans, listed, source, target, dry_run, batch)

    assert sorted(fate.key for fate in fates) == sorted(listed)
    expected = copy.deepcopy(before)
    for fate in fates:
        name = fate.key.removeprefix(b"old:")
        original, written = source_keys[name], b"new:v2-" + name
        if original.millis == 0:  # no time left: skipped, never written forever
            assert fate.verdict is Verdict.GONE
            continue
        if written in before and not replace:
            assert fate.verdict is (Verdict.DONE if dry_run else Verdict.EXISTS)
            continue
        assert fate.verdict is Verdict.DONE, fate
        assert fate.kind == original.kind
        by_type = refusal == "dump" or (refusal == "restore" and not dry_run)
        assert ("rebuilt by type" in fate.note) is by_type
        expected[written] = original
    if not dry_run:
        assert target.keys == expected
    else:
        assert target.keys == before
        assert not any(command[0] in (b"RESTORE", b"SET") for command in target.sent)
    assert plans.refusal is None or refusal != "none"


def test_a_refusal_sends_later_pages_by_type_at_once() -> None:
    source = TypedRedis({b"a": Value("list", [b"1"]), b"b": Value("set", {b"x"})})
    target = TypedRedis(refuse_restore=True)
    plans = RedisCopy()
    _run(plans, [b"a"], source, target, False, 1)
    assert plans.refusal == "RESTORE refused: ERR DUMP payload version or checksum are wrong"
    source.sent.clear()
    (fate,) = _run(plans, [b"b"], source, target, False, 1)
    assert [command[0] for command in source.sent] == [b"TYPE", b"PTTL", b"SMEMBERS"]
    assert fate.note == f"rebuilt by type ({plans.refusal})"
    assert target.keys[b"b"] == Value("set", {b"x"})


def test_a_payload_one_key_cannot_restore_sends_only_that_key_by_type() -> None:
    source = TypedRedis({b"odd": Value("hash", {b"f": b"v"}), b"b": Value("set", {b"x"})})
    target = TypedRedis(unreadable={b"odd"})
    plans = RedisCopy()
    (odd,) = _run(plans, [b"odd"], source, target, False, 1)
    assert odd.note == "rebuilt by type (RESTORE refused: ERR Bad data format)"
    assert plans.refusal is None  # about that key only
    (other,) = _run(plans, [b"b"], source, target, False, 1)
    assert other.note == "restored"
    assert target.keys == source.keys


def test_server_wide_refusals() -> None:
    assert server_wide(ErrorReply("NOPERM this user has no permissions to run the 'restore'"))
    assert server_wide(ErrorReply("ERR DUMP payload version or checksum are wrong"))
    assert server_wide(ErrorReply("ERR unknown command 'DUMP', with args beginning with:"))
    assert not server_wide(ErrorReply("ERR Bad data format"))
    assert not server_wide(ErrorReply("OOM command not allowed"))


def test_large_collections_are_rebuilt_in_commands_of_a_thousand_elements() -> None:
    members = [b"%d" % i for i in range(2500)]
    source = TypedRedis({b"big": Value("list", members, 90_000)})
    target = TypedRedis(refuse_restore=True)
    _run(RedisCopy(), [b"big"], source, target, False, 10)
    pushes = [command for command in target.sent if command[0] == b"RPUSH"]
    assert [len(command) - 2 for command in pushes] == [1000, 1000, 500]
    assert target.keys[b"big"] == Value("list", members, 90_000)
    assert target.sent[-1] == [b"PEXPIRE", b"big", b"90000"]


def test_what_cannot_be_read_by_type_is_reported() -> None:
    source = TypedRedis({b"j": Value("ReJSON-RL", b"{}")}, refuse_dump=True)
    (fate,) = _run(RedisCopy(), [b"j"], source, TypedRedis(), False, 1)
    assert fate == KeyCopy(
        b"j", Verdict.FAILED, "ReJSON-RL", "a ReJSON-RL cannot be copied without DUMP/RESTORE"
    )


def test_a_key_that_vanishes_between_type_and_read_is_gone() -> None:
    plans = RedisCopy()

    def answer(steps: list[Any]) -> list[Any]:  # TYPE says hash; then the key is gone
        return [b"hash"] if len(steps) == 1 else [-2, {}]

    read = drive(plans.read_by_type([b"k"]), answer)
    assert read == [KeyCopy(b"k", Verdict.GONE, "hash")]


def test_cluster_commands_target_the_slot_of_their_own_key() -> None:
    plans = RedisCopy(b"s:", b"{t}:", source_cluster=True, target_cluster=True)
    (first,) = [plans.dump([b"s:k"]).start()]
    assert first is not None
    assert {step.target for step in first} == {key_slot(b"s:k")}
    restore = plans.restore([Dumped(b"s:k", None, b"\x00x")]).start()
    assert restore is not None
    assert restore[0].target == key_slot(b"{t}:k")
    assert RedisCopy().dump([b"k"]).start()[0].target == ANY  # type: ignore[index]


def test_restore_without_replace_is_never_sent_twice() -> None:
    item = Dumped(b"k", 1500, b"\x00x")
    (once,) = RedisCopy().restore([item]).start() or []
    (again,) = RedisCopy(replace=True).restore([item]).start() or []
    assert not once.retry_safe
    assert again.retry_safe
    assert b"REPLACE" in again.payload
    assert b"1500" in again.payload


def test_contents_keep_rebuilding_order() -> None:
    source = TypedRedis({b"z": Value("zset", {b"m": 2.5, b"n": float("inf")})}, resp3=False)
    read = drive(RedisCopy().read_by_type([b"z"]), source.answer)
    assert read == [Contents(b"z", "zset", None, [b"2.5", b"m", b"inf", b"n"])]
