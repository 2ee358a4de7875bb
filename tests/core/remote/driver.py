"""Running plans synchronously against the scripted peer: the core without any IO.

The driver does what the adapter's runner does, without awaiting: it routes each
round through :class:`~pepperpy.caching.core.remote.dispatch.Dispatch`, sends each
batch as a :class:`~pepperpy.caching.core.resp.Request` on a
:class:`~pepperpy.caching.core.resp.RespConnection`, hands the bytes to a
:class:`~.fake_redis.FakeNode`, and feeds the reply back cut at random places, with
push frames slipped in between.
"""

from __future__ import annotations

import random
from typing import Any, TypeVar

from pepperpy.caching.core.errors import BackendError
from pepperpy.caching.core.remote.dispatch import Dispatch
from pepperpy.caching.core.remote.plans import Plan, Rounds, Single, Step
from pepperpy.caching.core.remote.routing import ClusterRoutes, SingleRoute
from pepperpy.caching.core.remote.session import Session, SessionSettings, handshake
from pepperpy.caching.core.remote.topology import Address, parse_shards, parse_slots
from pepperpy.caching.core.resp import (
    NEED_DATA,
    ConnectionLost,
    ErrorReply,
    Push,
    Request,
    RespConnection,
    encode_command,
)

from .fake_redis import FakeCluster, FakeNode, NodeSession, encode_reply, split_randomly

T = TypeVar("T")

__all__ = ["Driver", "Link"]


class Link:
    """One client connection to a fake node."""

    def __init__(self, node: FakeNode, rng: random.Random, noise: bool) -> None:
        self.node = node
        self.rng = rng
        self.noise = noise
        self.protocol = RespConnection()
        self.server: NodeSession = node.connect()
        self.pushes: list[Push] = []
        self.session: Session | None = None

    def exchange(self, request: Request) -> None:
        """Send ``request`` and feed the server's answer back until it completes."""
        self.protocol.send(request)
        data = self.protocol.data_to_send()
        try:
            answer = self.server.receive(data)
        except ConnectionError:
            answer = None
        if answer is None:
            self.protocol.receive_data(b"")
        else:
            if self.noise and self.rng.random() < 0.3:  # an invalidation slips in first
                answer = encode_reply(Push(b"invalidate", ([b"k"],)), True) + answer
            for chunk in split_randomly(answer, self.rng):
                self.protocol.receive_data(chunk)
                self._drain()
            if not request.done:
                self.protocol.receive_data(b"")
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                event = self.protocol.next_event()
            except BackendError:
                return
            if event is NEED_DATA:
                return
            if isinstance(event, Push):
                self.pushes.append(event)


class Driver:
    """Runs plans on a fake server or cluster, as the adapter's runner would."""

    def __init__(
        self,
        fake: FakeNode | FakeCluster,
        *,
        seed: int = 0,
        noise: bool = True,
        settings: SessionSettings | None = None,
    ) -> None:
        self.fake = fake
        self.rng = random.Random(seed)
        self.noise = noise
        self.settings = settings or SessionSettings()
        self.links: dict[Address, Link] = {}
        self.now = 0.0
        if isinstance(fake, FakeCluster):
            self.routes: SingleRoute | ClusterRoutes = ClusterRoutes((fake.nodes[0].address,))
        else:
            self.routes = SingleRoute(fake.address)

    def node(self, address: Address) -> FakeNode:
        fake = self.fake
        nodes = fake.nodes if isinstance(fake, FakeCluster) else [fake]
        for node in nodes:
            if node.address == address and node.alive:
                return node
        raise ConnectionLost(f"connect on {address} failed: refused")

    def link(self, address: Address) -> Link:
        link = self.links.get(address)
        if link is not None and link.protocol.error is None:
            return link
        link = Link(self.node(address), self.rng, self.noise)
        plan = handshake(self.settings)
        steps = plan.start()
        while steps is not None:
            request = Request(b"".join(s.payload for s in steps), len(steps))
            link.exchange(request)
            replies = request.result()
            steps = plan.advance([replies] if len(steps) == 1 else replies)
        link.session = plan.result()
        self.links[address] = link
        return link

    def refresh(self) -> None:
        assert isinstance(self.routes, ClusterRoutes)
        for address in self.routes.refresh_order():
            try:
                reply = self.call(address, encode_command((b"CLUSTER", b"SHARDS")))
                if isinstance(reply, ErrorReply):
                    table = parse_slots(
                        self.call(address, encode_command((b"CLUSTER", b"SLOTS"))), address
                    )
                else:
                    table = parse_shards(reply, address)
            except BackendError:
                continue
            self.routes.update(table)
            return
        raise BackendError("no node answered")

    def call(self, address: Address, payload: bytes) -> Any:
        request = Request(payload, 1)
        self.link(address).exchange(request)
        return request.result()

    def drive(self, dispatch: Dispatch) -> list[Any]:
        while not dispatch.done:
            if dispatch.refresh:
                self.refresh()
            self.now += dispatch.delay
            for batch in dispatch.batches():
                request = Request(batch.payload, batch.count, dispatch.deadline)
                try:
                    self.link(batch.address).exchange(request)
                    replies = request.result()
                except BackendError as error:
                    dispatch.failed(batch, error, self.now)
                    continue
                dispatch.delivered(batch, [replies] if batch.count == 1 else replies, self.now)
        return dispatch.replies()

    def run(self, plan: Plan[T], timeout: float = 5.0) -> T:
        if isinstance(self.routes, ClusterRoutes) and self.routes.stale:
            self.refresh()
        deadline = self.now + timeout
        if isinstance(plan, Single):
            step = Step(plan.payload, plan.target, retry_safe=plan.retry_safe)
            (reply,) = self.drive(Dispatch([step], self.routes, deadline))
            return plan.finish(reply)
        assert isinstance(plan, Rounds)
        steps = plan.start()
        while steps is not None:
            steps = plan.advance(self.drive(Dispatch(steps, self.routes, deadline)))
        return plan.result()

    def primaries(self) -> tuple[Address, ...]:
        if isinstance(self.routes, ClusterRoutes) and self.routes.table is None:
            self.refresh()
        return self.routes.primaries
