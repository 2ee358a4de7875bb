"""Carrying one round of steps to their nodes: routing, redirections and retries.

:class:`Dispatch` is the loop a cluster client runs, with the IO taken out. It says
what to send to which node (:meth:`~Dispatch.batches`: one pipelined batch per
node); it is told each batch's replies (:meth:`~Dispatch.delivered`) or that its
connection failed (:meth:`~Dispatch.failed`); it follows ``MOVED`` and ``ASK``,
waits out ``TRYAGAIN`` and fail-overs, asks for a fresh slot table when one is due
(:attr:`~Dispatch.refresh`), and gives up by the rule of :func:`~.routing.decide`.
The replies come out in the order of the steps (:meth:`~Dispatch.replies`), error
replies that are not redirections included, for the plan to judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, final

from ..errors import BackendError
from ..resp import ConnectionLost, Reply, encode_command
from .plans import Step
from .routing import ClusterRoutes, Decision, Failure, Redirect, SingleRoute, classify, decide
from .topology import Address, format_address

__all__ = ("ASKING", "Batch", "Dispatch")

ASKING: Final = encode_command((b"ASKING",))

_CONNECTION: Final = Redirect(Failure.CONNECTION)


@final
@dataclass(frozen=True, slots=True)
class Batch:
    """Commands for one node, to be written together: ``payload`` brings ``count``
    replies. ``indices`` are the steps carried; ``asking`` those preceded by ``ASKING``
    (whose ``OK`` is dropped)."""

    address: Address
    payload: bytes
    count: int
    indices: tuple[int, ...]
    asking: frozenset[int]


@final
class Dispatch:
    """One round of ``steps`` through ``routes``, within ``deadline``."""

    __slots__ = (
        "_attempts",
        "_error",
        "_redirect",
        "_replies",
        "_routes",
        "_steps",
        "_unsettled",
        "deadline",
        "delay",
        "refresh",
    )

    def __init__(
        self, steps: Sequence[Step], routes: SingleRoute | ClusterRoutes, deadline: float
    ) -> None:
        self._steps = list(steps)
        self._routes = routes
        self.deadline = deadline
        self._replies: list[Reply] = [None] * len(self._steps)
        self._unsettled: list[int] = list(range(len(self._steps)))
        self._attempts = [0] * len(self._steps)
        self._redirect: dict[int, tuple[Address, bool]] = {}  # step -> (node, asking)
        self._error: BackendError | None = None
        self.delay = 0.0
        """Seconds to wait before sending the next batches."""
        self.refresh = False
        """Whether the slot table should be refreshed before the next batches."""

    @property
    def done(self) -> bool:
        """Whether every step has its final reply, or the round failed."""
        return self._error is not None or not self._unsettled

    def batches(self) -> list[Batch]:
        """What to send now, one batch per node (empty when :attr:`done`)."""
        if self.done:
            return []
        groups: dict[Address, list[int]] = {}
        asking: set[int] = set()
        routes = self._routes
        for index in self._unsettled:
            redirected = self._redirect.pop(index, None)
            if redirected is None:
                address = routes.address_for(self._steps[index].target)
            else:
                address, ask = redirected
                if ask:
                    asking.add(index)
            groups.setdefault(address, []).append(index)
            self._attempts[index] += 1
        self._unsettled = []
        self.delay = 0.0
        self.refresh = False
        batches = []
        for address, indices in groups.items():
            parts = []
            for index in indices:
                if index in asking:
                    parts.append(ASKING)
                parts.append(self._steps[index].payload)
            mine = frozenset(i for i in indices if i in asking)
            batches.append(
                Batch(address, b"".join(parts), len(indices) + len(mine), tuple(indices), mine)
            )
        return batches

    def delivered(self, batch: Batch, replies: Sequence[Reply], now: float) -> None:
        """The replies of ``batch``, in order (``ASKING``'s included)."""
        if len(replies) != batch.count:
            raise ValueError(f"{batch.count} replies expected, got {len(replies)}")
        position = 0
        for index in batch.indices:
            if index in batch.asking:
                position += 1  # ASKING's own reply
            reply = replies[position]
            position += 1
            redirect = classify(reply, batch.address) if self._routes.cluster else None
            if redirect is None:
                self._replies[index] = reply
                continue
            self._retry(index, redirect, now, reply=reply)

    def failed(self, batch: Batch, error: BackendError, now: float) -> None:
        """The connection to ``batch.address`` failed before every reply came."""
        if not isinstance(error, ConnectionLost):
            self._give_up(error)
            return
        for index in batch.indices:
            self._retry(index, _CONNECTION, now, error=error)

    def _retry(
        self,
        index: int,
        redirect: Redirect,
        now: float,
        *,
        reply: Reply = None,
        error: ConnectionLost | None = None,
    ) -> None:
        step = self._steps[index]
        decision: Decision = decide(
            redirect,
            self._attempts[index],
            now,
            self.deadline,
            sent=error.sent if error is not None else True,
            retry_safe=step.retry_safe,
            cluster=self._routes.cluster,
        )
        if not decision.retry:
            if error is not None:
                self._give_up(error)
            else:  # the plan judges the error reply (CLUSTERDOWN after every retry...)
                self._replies[index] = reply
            return
        moved = redirect.failure is Failure.MOVED and redirect.address is not None
        if moved and isinstance(self._routes, ClusterRoutes):
            assert redirect.address is not None
            self._routes.moved(redirect.slot, redirect.address)
        if decision.address is not None:
            self._redirect[index] = (decision.address, decision.asking)
        self._unsettled.append(index)
        self.delay = max(self.delay, decision.delay)
        self.refresh = self.refresh or decision.refresh

    def _give_up(self, error: BackendError) -> None:
        if self._error is None:
            self._error = error
        self._unsettled = []

    def replies(self) -> list[Reply]:
        """Every step's final reply, in order; the error if the round failed."""
        if self._error is not None:
            raise self._error
        if self._unsettled:
            raise RuntimeError("the round is not over")
        return self._replies

    def describe(self, batch: Batch) -> str:
        """Where ``batch`` goes, for messages."""
        return format_address(batch.address)
