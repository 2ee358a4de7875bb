"""The retry rule and cluster routes: pure decisions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core.remote.plans import ANY
from pepperpy.caching.core.remote.routing import (
    MAX_ATTEMPTS,
    ClusterRoutes,
    Failure,
    Redirect,
    SingleRoute,
    classify,
    decide,
    parse_address,
)
from pepperpy.caching.core.remote.topology import SlotTable
from pepperpy.caching.core.resp import ErrorReply


def test_classify() -> None:
    assert classify(b"value") is None
    assert classify(ErrorReply("WRONGTYPE Operation against a key")) is None
    assert classify(ErrorReply("MOVED 3999 10.0.0.2:6381")) == Redirect(
        Failure.MOVED, 3999, ("10.0.0.2", 6381)
    )
    assert classify(ErrorReply("ASK 12 [::1]:7000")) == Redirect(Failure.ASK, 12, ("::1", 7000))
    # No host: the cluster does not know its own endpoint; the node asked is meant.
    assert classify(ErrorReply("MOVED 1 :7001"), ("10.0.0.1", 7000)) == Redirect(
        Failure.MOVED, 1, ("10.0.0.1", 7001)
    )
    assert classify(ErrorReply("MOVED nonsense")) is None  # the plan sees the error
    for code in ("TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "LOADING"):
        assert classify(ErrorReply(f"{code} whatever")) == Redirect(Failure(code))
    assert parse_address("h:1") == ("h", 1)


redirects = st.sampled_from(
    [Redirect(f) for f in Failure if f not in (Failure.MOVED, Failure.ASK)]
    + [Redirect(Failure.MOVED, 5, ("b", 2)), Redirect(Failure.ASK, 5, ("c", 3))]
)


@given(
    redirects,
    st.integers(1, MAX_ATTEMPTS + 2),
    st.floats(0, 10),
    st.floats(0, 10),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_never_past_the_deadline_nor_twice_when_unsafe(
    redirect: Redirect,
    attempt: int,
    now: float,
    deadline: float,
    sent: bool,
    retry_safe: bool,
    cluster: bool,
) -> None:
    decision = decide(
        redirect, attempt, now, deadline, sent=sent, retry_safe=retry_safe, cluster=cluster
    )
    if decision.retry:
        assert now + decision.delay < deadline
        assert attempt < MAX_ATTEMPTS
        if redirect.failure is Failure.CONNECTION:
            assert not sent or retry_safe  # a command that may have run runs twice only if harmless
            assert cluster or attempt == 1  # one reconnection on a single server
        if redirect.failure in (Failure.MOVED, Failure.ASK):
            assert decision.address == redirect.address
            assert decision.delay == 0
            assert decision.asking == (redirect.failure is Failure.ASK)
        if not cluster:
            assert not decision.refresh


def test_waits_grow_and_refresh_when_the_cluster_is_down() -> None:
    waits = [decide(Redirect(Failure.CLUSTERDOWN), n, 0.0, 100.0).delay for n in range(1, 8)]
    assert waits == sorted(waits)
    assert waits[-1] <= 0.25
    assert decide(Redirect(Failure.CLUSTERDOWN), 1, 0.0, 100.0).refresh
    assert not decide(Redirect(Failure.TRYAGAIN), 1, 0.0, 100.0).refresh
    assert decide(Redirect(Failure.MOVED, 1, ("a", 1)), 1, 0.0, 100.0).refresh


def test_single_route() -> None:
    route = SingleRoute(("h", 1))
    assert (
        route.address_for(ANY) == route.address_for(77) == route.address_for(("x", 2)) == ("h", 1)
    )
    assert route.primaries == (("h", 1),)
    assert not route.cluster


def test_cluster_routes_learn_and_patch() -> None:
    routes = ClusterRoutes((("seed", 1),))
    assert routes.stale
    assert routes.primaries == (("seed", 1),)
    assert routes.address_for(5) == ("seed", 1)  # nothing known yet: ask the seed
    table = SlotTable([(0, 8191, ("a", 1)), (8192, 16383, ("b", 2))])
    assert routes.update(table) is True
    assert not routes.stale
    assert routes.update(SlotTable(table.ranges())) is False  # the same layout
    assert routes.address_for(0) == ("a", 1)
    assert routes.address_for(9000) == ("b", 2)
    assert routes.address_for(("c", 3)) == ("c", 3)
    assert routes.address_for(ANY) == ("a", 1)
    routes.moved(0, ("b", 2))
    assert routes.address_for(0) == ("b", 2)
    assert routes.stale
    assert routes.refresh_order() == [("a", 1), ("b", 2), ("seed", 1)]
    with pytest.raises(ValueError, match="at least one node"):
        ClusterRoutes(())
