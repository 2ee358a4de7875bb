"""A hypothesis state machine that checks a cache engine and its policy against a model.

Needs hypothesis: install the ``testing`` extra (``pip install
'pepperpy-caching[testing]'``); ``dev`` includes it.

Subclass :class:`CacheEngineMachine`, name the policy and its reference model, and
let pytest collect its ``TestCase``::

    from pepperpy.caching.testing import CacheEngineMachine, LRUModel

    class MyPolicyMachine(CacheEngineMachine):
        policy = MyPolicy           # a policy name, or a callable making a fresh policy
        policy_model = LRUModel     # a callable making a fresh PolicyModel

    TestMyPolicy = MyPolicyMachine.TestCase
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from numbers import Real
from typing import Any, ClassVar, Final, final

from .._lazy import missing_extra

try:
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
except ImportError as exc:
    raise missing_extra(__name__, "testing", exc) from exc

from ..core.engine import CacheEngine
from ..core.entry import MISS, Removal, RemovalCause
from ..core.errors import CacheError, InvalidKeyError, InvalidTTLError, TTLTypeError
from ..core.policies import CachePolicy, make_policy
from ..core.ttl import TTL
from .models import CacheModel, LRUModel, PolicyModel

__all__ = ("CacheEngineMachine",)

# Hypothesis spends most of a machine's time drawing, so a call costs two draws: its
# kind, and one number that picks its arguments from the fixed lists below. A small
# pool makes keys repeat (overwrites, hits, evictions of known keys) and holds awkward
# characters: the separator, glob characters, non-ASCII, the empty key.
_POOL = ("a", "b", "c", "d", "a:b", "*", "[x]", "é", "")
_PREFIXES = ("", "a", "a:", "[", "*", "é", "z")


@final
class _NewObject:
    """Stands for a new object, made when the call runs, so values are told apart by
    identity; ``None`` is drawn too (a stored ``None`` is a hit, not a miss)."""

    def __repr__(self) -> str:
        return "<new object>"


_NEW = _NewObject()
_VALUES = (_NEW, _NEW, _NEW, None)
# The clock moves on a grid of quarter seconds and most TTLs are on it too, so
# deadlines fall exactly on the times the clock reaches. Half the writes have no TTL
# (so the cache fills with live entries and evicts). The odd TTLs: the smallest float
# (the entry expires the instant it is written), a nanosecond, a fraction, a
# timedelta, a long TTL.
_TTLS = (None,) * 8 + (0.5, 1, 2, 3, timedelta(seconds=1), Fraction(1, 3), 5e-324, 1e-9, 7.25, 1e9)
_STEPS = (0.0, 0.25, 0.5, 1.0, 2.0, 5.0)
_LIMITS = (None, 0, 1, 2)
_PICKS = tuple(range(8))
_BAD_KEYS = (1, 2.5, b"a", None, ("a",), ["a"], {"a": 1}, {"a"})
_KEYED_METHODS = ("get", "set", "delete", "contains", "ttl", "entry")
_OUT_OF_RANGE = (0, -1, 0.0, -0.5, math.nan, math.inf, -math.inf, timedelta(0), timedelta(-1))
_MISTYPED = (True, False, "1", b"1", Decimal("1"), [1], 1j)
_BAD_TTLS = _OUT_OF_RANGE + _MISTYPED
_NONE = (None,)

# One call is (kind, target, value, extra); this table gives, for each kind, the
# method that makes and checks it, how often it is drawn, and the choices for its
# arguments. The target is a key, a prefix, a bad key, or, for kinds ending in
# "stored" or "at deadline", a number that picks a stored key (modulo their count);
# "at deadline" first moves the clock to that key's deadline. The extra is a TTL, a
# clock step or an expire() limit.
_Choices = tuple[Any, ...]
_CALL_TABLE: Final[dict[str, tuple[str, int, _Choices, _Choices, _Choices]]] = {
    "get": ("check_get", 3, _POOL, _NONE, _NONE),
    "get stored": ("check_get", 3, _PICKS, _NONE, _NONE),
    "get at deadline": ("check_get", 1, _PICKS, _NONE, _NONE),
    "set": ("check_set", 4, _POOL, _VALUES, _TTLS),
    "set stored": ("check_set", 2, _PICKS, _VALUES, _TTLS),
    "set at deadline": ("check_set", 1, _PICKS, _VALUES, _TTLS),
    "advance": ("advance", 2, _NONE, _NONE, _STEPS),
    "delete": ("check_delete", 1, _POOL, _NONE, _NONE),
    "delete stored": ("check_delete", 1, _PICKS, _NONE, _NONE),
    "expire": ("check_expire", 1, _NONE, _NONE, _LIMITS),
    "inspect": ("check_inspect", 1, _POOL, _NONE, _NONE),
    "inspect stored": ("check_inspect", 1, _PICKS, _NONE, _NONE),
    "next deadline": ("check_next_deadline", 1, _NONE, _NONE, _NONE),
    "delete prefix": ("check_delete_prefix", 1, _PREFIXES, _NONE, _NONE),
    "clear": ("check_clear", 1, _NONE, _NONE, _NONE),
    "reset stats": ("check_reset_stats", 1, _NONE, _NONE, _NONE),
    "bad key": ("check_bad_key", 1, _BAD_KEYS, _KEYED_METHODS, _NONE),
    "bad ttl": ("check_bad_ttl", 1, _POOL, _NONE, _BAD_TTLS),
}


def _decode(drawn: tuple[str, int]) -> tuple[str, Any, Any, Any]:
    kind, number = drawn
    args = []
    for options in _CALL_TABLE[kind][2:]:
        number, index = divmod(number, len(options))
        args.append(options[index])
    return (kind, *args)


_KINDS = [kind for kind, (_, weight, *_) in _CALL_TABLE.items() for _ in range(weight)]
_CALL = st.tuples(st.sampled_from(_KINDS), st.integers(0, 2**20 - 1)).map(_decode)
_CALLS = st.lists(_CALL, min_size=1, max_size=20)


def _ordered(removals: tuple[Removal, ...]) -> list[tuple[str, RemovalCause]]:
    return sorted((r.key, r.cause) for r in removals)


class CacheEngineMachine(RuleBasedStateMachine):
    """Drives a :class:`~pepperpy.caching.CacheEngine` and a
    :class:`~pepperpy.caching.testing.CacheModel` with the same calls and a fake clock.

    Every call must give the same answer on both: same hits and misses, the very
    objects stored, the same removals (a policy that the model cannot predict may
    evict any key the model holds; the model then follows it), never more entries than
    ``max_size``, never an expired value served. After every step the counters, keys,
    deadlines and live entries must match. Bad keys and bad TTLs must raise the
    library's errors and change nothing.

    Each step makes a run of calls, many of them on stored keys or at the exact
    instant of a deadline, so the cache fills up, evicts and expires within a few
    steps. Set ``policy`` (a policy name, or a zero-argument callable returning a fresh
    :class:`~pepperpy.caching.CachePolicy`) and ``policy_model`` (a zero-argument
    callable returning a fresh :class:`~pepperpy.caching.testing.PolicyModel`), then
    use ``TestCase``. Subclasses may add rules of their own that use the ``check_*``
    methods.
    """

    policy: ClassVar[str | Callable[[], CachePolicy]] = "lru"
    """The policy under test, as a name or a callable returning a fresh policy."""
    policy_model: ClassVar[Callable[[], PolicyModel]] = LRUModel
    """A callable returning a fresh reference model of :attr:`policy`."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.engine, self.model = self._build(None, None)

    def _build(self, max_size: int | None, default_ttl: TTL) -> tuple[CacheEngine, CacheModel]:
        cls = type(self)
        policy = cls.policy
        engine = CacheEngine(
            max_size, make_policy(policy if isinstance(policy, str) else policy()), default_ttl
        )
        return engine, CacheModel(max_size, cls.policy_model(), default_ttl)

    @initialize(
        max_size=st.sampled_from([None, 1, 2, 3, 4]),
        default_ttl=st.sampled_from([None, None, None, 1, 2.5, timedelta(seconds=2)]),
    )
    def configure(self, max_size: int | None, default_ttl: TTL) -> None:
        """Build the engine and the model alike."""
        self.engine, self.model = self._build(max_size, default_ttl)

    # -- the rule ------------------------------------------------------------------

    @rule(calls=_CALLS)
    def run(self, calls: list[tuple[str, Any, Any, Any]]) -> None:
        """Make ``calls`` in order on the engine and the model, checking each answer."""
        for kind, target, value, extra in calls:
            if kind.endswith(("stored", "at deadline")):
                target = self._stored_key(target, at_deadline=kind.endswith("deadline"))
                if target is None:
                    continue
            getattr(self, _CALL_TABLE[kind][0])(target, value, extra)

    def _stored_key(self, pick: int, *, at_deadline: bool) -> str | None:
        stored = sorted(self.model.expires if at_deadline else self.model.values)
        if not stored:
            return None
        key: str = stored[pick % len(stored)]
        if at_deadline:
            self.now = max(self.now, self.model.expires[key])
        return key

    # -- checks, one per kind of call: (target, value, extra) ----------------------

    def advance(self, _target: object, _value: object, seconds: float) -> None:
        """Let ``seconds`` pass on the fake clock."""
        self.now += seconds

    def check_get(self, key: str, _value: object = None, _extra: object = None) -> None:
        """``get``: the same value (the very object) or the same miss."""
        expected = self.model.get(key, self.now)
        got = self.engine.get(key, self.now)
        if expected is MISS:
            assert got is MISS, f"get({key!r}) served {got!r}; the model has no live value"
        else:
            assert got is expected, f"get({key!r}) gave {got!r}, the model {expected!r}"
            expires_at = self.engine.deadlines.get(key)
            assert expires_at is None or expires_at > self.now, "served an expired entry"

    def check_set(self, key: str, value: Any, ttl: TTL) -> None:
        """``set``: the same removals, at most one eviction, never above ``max_size``."""
        if value is _NEW:
            value = object()
        got = self.engine.set(key, value, self.now, ttl)
        expected = self.model.set(key, value, self.now, ttl, observed=got)
        self._same_removals(got, expected, f"set({key!r}, ttl={ttl!r})")
        evicted = [r for r in got if r.cause is not RemovalCause.EXPIRED]
        assert len(evicted) <= 1, f"one write evicted {len(evicted)} entries"
        assert all(r.key != key for r in evicted), f"set({key!r}) evicted the key it wrote"
        max_size = self.model.max_size
        assert max_size is None or len(self.engine) <= max_size, "above max_size"

    def check_delete(self, key: str, _value: object = None, _extra: object = None) -> None:
        """``delete``: ``True`` exactly when the key was live."""
        expected = self.model.delete(key, self.now)
        assert self.engine.delete(key, self.now) == expected, f"delete({key!r})"

    def check_expire(self, _target: object, _value: object, limit: int | None) -> None:
        """``expire``: the same entries, soonest deadline first, at most ``limit``."""
        deadlines = dict(self.model.expires)
        got = self.engine.expire(self.now, limit)
        expected = self.model.expire(self.now, limit, observed=got)
        self._same_removals(got, expected, f"expire(limit={limit!r})")
        times = [deadlines[r.key] for r in got]
        assert times == sorted(times), "expire() did not go soonest deadline first"

    def check_inspect(self, key: str, _value: object = None, _extra: object = None) -> None:
        """``contains``, ``ttl`` and ``entry`` agree (and count nothing: the invariant
        compares the counters)."""
        now = self.now
        assert self.engine.contains(key, now) == self.model.contains(key, now)
        assert self.engine.ttl(key, now) == self.model.ttl(key, now), f"ttl({key!r})"
        assert self.engine.entry(key, now) == self.model.entry(key, now), f"entry({key!r})"

    def check_next_deadline(self, *_: object) -> None:
        """``next_deadline``: the earliest deadline stored (stale ones skipped)."""
        assert self.engine.next_deadline() == self.model.next_deadline()

    def check_delete_prefix(self, prefix: str, *_: object) -> None:
        """``delete_prefix``: the same count; glob characters are taken literally."""
        assert self.engine.delete_prefix(prefix) == self.model.delete_prefix(prefix)

    def check_clear(self, *_: object) -> None:
        """``clear``: nothing stored afterwards; the counters stay."""
        self.engine.clear()
        self.model.clear()

    def check_reset_stats(self, *_: object) -> None:
        """``reset_stats``: counters to zero; the entries stay."""
        self.engine.reset_stats()
        self.model.reset_stats()

    def check_bad_key(self, key: Any, method: str, _extra: object = None) -> None:
        """A key that is not a ``str`` raises InvalidKeyError and changes nothing."""
        call = getattr(self.engine, method)
        args = (key, object(), self.now) if method == "set" else (key, self.now)
        self._refused(lambda: call(*args), InvalidKeyError)

    def check_bad_ttl(self, key: str, _value: object, ttl: Any) -> None:
        """A refused TTL raises InvalidTTLError (a bad value) or TTLTypeError (a bad
        type) and changes nothing."""
        numeric = isinstance(ttl, Real | timedelta) and not isinstance(ttl, bool)
        error: type[CacheError] = InvalidTTLError if numeric else TTLTypeError
        self._refused(lambda: self.engine.set(key, object(), self.now, ttl), error)

    def _same_removals(
        self, got: tuple[Removal, ...], expected: tuple[Removal, ...], call: str
    ) -> None:
        assert _ordered(got) == _ordered(expected), (
            f"{call} removed {_ordered(got)}, the model {_ordered(expected)}"
        )
        by_key = {r.key: r.value for r in expected}
        for removal in got:
            assert removal.value is by_key[removal.key], f"{call}: wrong value for {removal.key!r}"

    def _snapshot(self) -> tuple[object, ...]:
        engine = self.engine
        entries = {e.key: (id(e.value), e.expires_at) for e in engine.entries(self.now)}
        return (engine.keys(), dict(engine.deadlines), engine.stats, len(engine.policy), entries)

    def _refused(self, call: Callable[[], object], error: type[CacheError]) -> None:
        before = self._snapshot()
        try:
            call()
        except error:
            pass
        else:
            raise AssertionError(f"expected {error.__name__}, the call returned normally")
        assert self._snapshot() == before, "a refused call changed the engine"

    # -- invariants ----------------------------------------------------------------

    @invariant()
    def agrees_with_model(self) -> None:
        """Size, keys, deadlines, counters and live entries match the model."""
        engine, model, now = self.engine, self.model, self.now
        if model.max_size is not None:
            assert len(engine) <= model.max_size, f"{len(engine)} entries > max_size"
        assert set(engine.keys()) == set(model.keys()), "stored keys differ"
        assert len(engine) == len(model)
        assert len(engine.policy) == len(engine), "the policy tracks other keys"
        assert dict(engine.deadlines) == model.expires, "deadlines differ"
        assert engine.stats == model.stats, f"{engine.stats} != {model.stats}"
        live = {e.key: (e.value, e.expires_at) for e in engine.entries(now)}
        assert all(at is None or at > now for _, at in live.values()), "expired entry listed"
        assert live == {e.key: (e.value, e.expires_at) for e in model.entries(now)}
        assert engine.live_size(now) == len(live), "live_size() disagrees with entries()"
