"""Running plans: each step to its node, redirections and retries as the core decides.

The runner reads the clock, sends, waits and sleeps; every decision (which node,
whether to retry, when to refresh the slot table) comes from the core's
:class:`~pepperpy.caching.core.remote.dispatch.Dispatch` and routes. One command on
an open connection (the common case) takes a short path: route, send, finish.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, TypeVar

import anyio

from ...core.errors import BackendError
from ...core.remote.dispatch import Batch, Dispatch
from ...core.remote.events import RedisListener, TopologyChanged
from ...core.remote.plans import Plan, Rounds, Single, Step, Target
from ...core.remote.routing import ClusterRoutes, SingleRoute, classify
from ...core.remote.topology import Address, SlotTable, parse_shards, parse_slots
from ...core.resp import ErrorReply, Reply, Request, encode_command
from ..clock import Clock
from .connection import DeadlineExceeded
from .nodes import NodeLinks, notify

__all__ = ("Runner",)

T = TypeVar("T")

_SHARDS: Final = encode_command((b"CLUSTER", b"SHARDS"))
_SLOTS: Final = encode_command((b"CLUSTER", b"SLOTS"))
_REFRESH_INTERVAL: Final = 0.05
"""Seconds between two slot-table refreshes at least (MOVED storms during a reshard)."""


class Runner:
    """Runs plans for one cache on one event loop, within ``timeout`` each."""

    __slots__ = (
        "_clock",
        "_last_refresh",
        "_listener",
        "_only",
        "_refreshing",
        "_tls",
        "links",
        "routes",
        "timeout",
        "where",
    )

    def __init__(
        self,
        routes: SingleRoute | ClusterRoutes,
        links: NodeLinks,
        *,
        clock: Clock,
        timeout: float,
        where: str,
        listener: RedisListener | None = None,
    ) -> None:
        self.routes = routes
        self.links = links
        self._clock = clock
        self.timeout = timeout
        self.where = where
        self._listener = listener
        self._tls = links.connector.tls is not None
        self._refreshing: anyio.Event | None = None
        self._last_refresh = -float("inf")
        self._only = links[routes.primaries[0]]  # the server, when there is one

    @property
    def clock(self) -> Clock:
        """The runtime's clock every deadline is read on."""
        return self._clock

    def deadline(self) -> float:
        """``timeout`` from now, on the runtime's clock."""
        return self._clock() + self.timeout

    # -- plans ---------------------------------------------------------------------------

    async def run(self, plan: Plan[T]) -> T:
        """The result of ``plan``."""
        if type(plan) is Single:
            return await self.single(plan)
        assert isinstance(plan, Rounds)
        return await self.rounds(plan)

    async def single(self, plan: Single[T]) -> T:
        """One command: the short path."""
        deadline = self._clock() + self.timeout
        routes = self.routes
        if routes.cluster:
            if routes.stale:  # type: ignore[union-attr]
                await self._refresh(deadline, force=routes.table is None)  # type: ignore[union-attr]
            address = routes.address_for(plan.target)
            link = self.links[address]
        else:
            link = self._only
            address = link.address
        request = Request(plan.payload, 1, deadline)
        try:
            connection = link.connection
            if connection is None or connection.broken:
                connection = await link.connect(deadline)
            await connection.call(request)
            if request.error is not None:
                raise request.error
            reply = request.replies
        except BackendError as error:
            reply = await self._again(plan, address, error, None, deadline)
        else:
            if type(reply) is ErrorReply and routes.cluster and classify(reply) is not None:
                reply = await self._again(plan, address, None, reply, deadline)
        return plan.finish(reply)

    async def pipelined(self, payload: bytes, count: int, target: Target) -> list[Reply] | None:
        """Commands for one node written together (``count`` replies): the short path
        of a small batch. ``None`` when they need the retry rule (no open connection,
        a lost one, a cluster redirection): run them as a plan then. ``BackendError``
        when the deadline passed."""
        routes = self.routes
        if routes.cluster:
            if routes.stale:  # type: ignore[union-attr]
                return None
            link = self.links[routes.address_for(target)]
        else:
            link = self._only
        connection = link.connection
        if connection is None or connection.broken:
            return None
        request = Request(payload, count, self._clock() + self.timeout)
        await connection.call(request)
        error = request.error
        if error is not None:
            if isinstance(error, DeadlineExceeded):
                raise error
            return None
        replies = request.replies
        assert type(replies) is list
        if routes.cluster:
            for reply in replies:
                if type(reply) is ErrorReply and classify(reply) is not None:
                    return None
        return replies

    async def _again(
        self,
        plan: Single[Any],
        address: Address,
        error: BackendError | None,
        reply: Reply,
        deadline: float,
    ) -> Reply:
        """The first send of a single command failed or was redirected: the retry rule."""
        dispatch = Dispatch(
            [Step(plan.payload, plan.target, retry_safe=plan.retry_safe)], self.routes, deadline
        )
        (batch,) = dispatch.batches()
        if error is None:
            dispatch.delivered(batch, [reply], self._clock())
        else:
            dispatch.failed(batch, error, self._clock())
        (final,) = await self._drive(dispatch)
        return final

    async def rounds(self, plan: Rounds[T]) -> T:
        """Every round of ``plan``; ``timeout`` bounds the whole plan unless it says
        each round has its own."""
        deadline = self._clock() + self.timeout
        try:
            steps = plan.start()
            while steps is not None:
                now = self._clock()
                if not plan.whole:
                    deadline = now + self.timeout
                elif now >= deadline:
                    raise DeadlineExceeded("timed out")
                replies = await self._drive(Dispatch(steps, self.routes, deadline))
                steps = plan.advance(replies)
        except DeadlineExceeded as error:
            plan.close()
            raise BackendError(
                f"{self.where}: the operation did not complete within {self.timeout} s (timed out)"
            ) from error
        except BaseException:
            plan.close()
            raise
        return plan.result()

    async def call_on(self, target: Target, payload: bytes, deadline: float) -> Reply:
        """One command to ``target``, with the retry rule."""
        (reply,) = await self._drive(Dispatch([Step(payload, target)], self.routes, deadline))
        return reply

    # -- rounds ---------------------------------------------------------------------------

    async def _drive(self, dispatch: Dispatch) -> list[Reply]:
        while not dispatch.done:
            if dispatch.refresh:
                try:
                    await self._refresh(dispatch.deadline, force=False)
                except BackendError:
                    if not isinstance(self.routes, ClusterRoutes) or self.routes.table is None:
                        raise
                    # A table is known: retry by it; the next failures will say more.
            if dispatch.delay:
                await anyio.sleep(dispatch.delay)
            batches = dispatch.batches()
            if len(batches) == 1:
                await self._send(dispatch, batches[0])
            else:
                async with anyio.create_task_group() as group:
                    for batch in batches:
                        group.start_soon(self._send, dispatch, batch)
        return dispatch.replies()

    async def _send(self, dispatch: Dispatch, batch: Batch) -> None:
        request = Request(batch.payload, batch.count, dispatch.deadline)
        try:
            link = self.links[batch.address]
            connection = link.connection
            if connection is None or connection.broken:
                connection = await link.connect(dispatch.deadline)
            await connection.call(request)
            replies = request.result()
        except BackendError as error:
            dispatch.failed(batch, error, self._clock())
            return
        dispatch.delivered(batch, [replies] if batch.count == 1 else replies, self._clock())

    # -- the cluster's layout -------------------------------------------------------------

    async def primaries(self) -> Sequence[Address]:
        """The nodes that hold data: the server, or every primary of the cluster."""
        routes = self.routes
        if isinstance(routes, ClusterRoutes) and routes.table is None:
            await self._refresh(self._clock() + self.timeout)
        return routes.primaries

    async def refresh(self) -> None:
        """Learn the cluster's slot table again now (nothing on a single server)."""
        await self._refresh(self._clock() + self.timeout)

    async def _refresh(self, deadline: float, *, force: bool = True) -> None:
        """Learn the slot table (once at a time; at most every few milliseconds)."""
        routes = self.routes
        if not isinstance(routes, ClusterRoutes):
            return
        if self._refreshing is not None:
            with anyio.move_on_after(max(deadline - self._clock(), 0.0)):
                await self._refreshing.wait()
            return
        if not force and self._clock() - self._last_refresh < _REFRESH_INTERVAL:
            return
        done = self._refreshing = anyio.Event()
        try:
            table = await self._fetch_table(routes, deadline)
        finally:
            self._refreshing = None
            self._last_refresh = self._clock()
            done.set()
        if table is not None and routes.update(table) and self._listener is not None:
            notify(self._listener, TopologyChanged(routes.primaries))

    async def _fetch_table(self, routes: ClusterRoutes, deadline: float) -> SlotTable | None:
        errors: list[BackendError] = []
        for address in routes.refresh_order():
            try:
                reply = await self._ask(address, _SHARDS, deadline)
                if type(reply) is ErrorReply:  # before Redis 7
                    reply = await self._ask(address, _SLOTS, deadline)
                    if type(reply) is ErrorReply:
                        raise BackendError(f"CLUSTER SLOTS: Redis replied {reply.message}")
                    table = parse_slots(reply, address)
                else:
                    table = parse_shards(reply, address, tls=self._tls)
            except BackendError as error:
                errors.append(error)
                if self._clock() >= deadline:
                    break
                continue
            if table.primaries:
                return table
        if routes.table is None:
            detail = f": {errors[-1]}" if errors else ""
            raise BackendError(f"{self.where}: no node of the cluster answered{detail}")
        return None

    async def _ask(self, address: Address, payload: bytes, deadline: float) -> Reply:
        link = self.links[address]
        connection = await link.connect(deadline)
        request = Request(payload, 1, deadline)
        await connection.call(request)
        return request.result()

    # -- closing ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close every connection."""
        await self.links.aclose()

    def abandon(self) -> None:
        """Forget every connection (their event loop has ended)."""
        self.links.abandon()
