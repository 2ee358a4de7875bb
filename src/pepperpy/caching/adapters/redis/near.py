"""The near cache's invalidation channels: one connection per primary, kept up by a task.

Each primary gets a connection of its own that does nothing but receive
invalidations (read by a task, so they are taken at once, even while every read is
answered locally):

* ``bcast`` tracking on RESP3: the connection runs ``CLIENT TRACKING on BCAST PREFIX
  <namespace>`` itself and receives ``invalidate`` pushes on the same connection.
  On RESP2 it redirects its own invalidations to itself (``REDIRECT <its id>``) and
  subscribes to ``__redis__:invalidate``.
* ``default`` tracking (per key read): once a node's channel is open, the data
  connection to that node is sent ``CLIENT TRACKING on REDIRECT <the channel>``, so
  the server remembers the keys it reads and tells the channel when one changes. A
  data connection that is lost takes its tracking with it: that flushes and sets
  everything up again, the new connection included.

Whenever a channel, or a data connection to a primary, is lost, or the cluster's
primaries change, the local copy is flushed at once (:meth:`NearState.channel_lost
<pepperpy.caching.core.near.NearState.channel_lost>`) and every channel is set up
again; values are served and kept again only once tracking is confirmed on every
primary. Each channel also subscribes to a channel of its own that :meth:`NearTracker.sync`
publishes on: a message there arrives after every invalidation of a change that
completed before it was published. The same message, every second, is the heartbeat
that notices a silent network (no end of stream, nothing heard): not heard back
within the cache's ``timeout``, the channels are given up like a lost one.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

import anyio
import anyio.abc

from ...core.entry import NearStats
from ...core.errors import BackendError
from ...core.near import NearCache, NearState
from ...core.remote.events import (
    NodeDisconnected,
    PushReceived,
    RedisEvent,
    RedisListener,
    TopologyChanged,
)
from ...core.remote.keys import KeySpace
from ...core.remote.pubsub import (
    INVALIDATE_CHANNEL,
    SubscribeHandshake,
    invalidated_keys,
    pubsub_message,
)
from ...core.remote.session import Tracking
from ...core.remote.topology import Address, format_address
from ...core.resp import ErrorReply, Push, Request, encode_command
from ..clock import Clock
from .connection import NodeConnection
from .nodes import notify
from .runner import Runner

__all__ = ("NearTracker",)

_log: Final = logging.getLogger("pepperpy.caching")

_REDIR_BROKEN: Final = b"tracking-redir-broken"
_BACKOFF: Final = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0)
"""Seconds before each new attempt to set the channels up after a failure."""
_HEARTBEAT: Final = 1.0
"""Seconds between two checks that every channel still hears its server."""
_FIRST_ATTEMPTS: Final = 3
"""Attempts (each interrupted by a change, say) before entering the cache goes on
without the near cache up."""


@dataclass(slots=True)
class _Channel:
    address: Address
    connection: NodeConnection
    client_id: int
    name: bytes


class NearTracker:
    """The near cache of one RedisCache on one event loop: its local copy
    (:attr:`state`) and the task that keeps its invalidation channels.

    It is the cache's Redis listener (``__call__``), forwarding every event to
    ``listener`` too.
    """

    def __init__(
        self,
        settings: NearCache,
        space: KeySpace,
        clock: Clock,
        listener: RedisListener | None = None,
    ) -> None:
        self.state = NearState(settings.max_size, settings.policy, settings.seconds)
        self.clock = clock
        self._bcast = settings.tracking == "bcast"
        self._prefix = space.key("")
        self._listener = listener
        self._token = uuid.uuid4().hex
        self._channels: dict[Address, _Channel] = {}
        self._primaries: frozenset[Address] = frozenset()
        self._restart: anyio.Event | None = None
        self._synced: dict[bytes, anyio.Event] = {}
        self._runner: Runner | None = None

    # -- what the data connections report -----------------------------------------------

    def __call__(self, event: RedisEvent) -> None:
        kind = type(event)
        if kind is NodeDisconnected:
            if event.address in self._primaries:  # type: ignore[union-attr]
                self._lost(f"connection to {format_address(event.address)} lost")  # type: ignore[union-attr]
        elif kind is TopologyChanged:
            if frozenset(event.primaries) != self._primaries:  # type: ignore[union-attr]
                self._lost("the cluster's primaries changed")
        elif kind is PushReceived and event.push.kind == _REDIR_BROKEN:  # type: ignore[union-attr]
            self._lost("the server lost the invalidation channel")
        if self._listener is not None:
            notify(self._listener, event)

    def _lost(self, why: str) -> None:
        if self.state.up:
            _log.info("near cache flushed: %s", why)
        self.state.channel_lost()
        if self._restart is not None:
            self._restart.set()

    # -- the channels ------------------------------------------------------------------

    async def run(
        self, runner: Runner, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Keep the channels up until cancelled (the local copy is served meanwhile).

        Reports ``task_status.started()`` once the channels are first up, or their
        first setup failed (then reads go to Redis until a later attempt succeeds).
        """
        self._runner = runner
        starting = True
        failures = attempts = 0
        try:
            while True:
                restart = self._restart = anyio.Event()
                attempts += 1
                try:
                    await self._open(runner, restart)
                    async with anyio.create_task_group() as group:
                        for channel in self._channels.values():
                            group.start_soon(self._read, channel, restart)
                        if not restart.is_set():
                            self.state.channel_up()
                            failures = 0
                        if starting and (self.state.up or attempts >= _FIRST_ATTEMPTS):
                            starting = False
                            task_status.started()
                        await self._watch(runner, restart)
                        group.cancel_scope.cancel()
                except BackendError as error:
                    failures += 1
                    _log.info("near cache: setting up invalidations failed: %s", error)
                    await self._relearn(runner)
                except Exception:  # a bug here must not cancel the task that entered the cache
                    failures += 1
                    _log.exception("near cache: the invalidation channels failed")
                finally:
                    self.state.channel_lost()
                    await self._close()
                if starting and (failures or attempts >= _FIRST_ATTEMPTS):
                    starting = False
                    task_status.started()
                await anyio.sleep(_BACKOFF[min(failures, len(_BACKOFF) - 1)])
        finally:
            self._runner = None

    async def _watch(self, runner: Runner, restart: anyio.Event) -> None:
        """Until ``restart``: every :data:`_HEARTBEAT` seconds, check that each channel
        still hears what is published to it (a silent network, say a partition, sends
        no end of stream; the server would not be heard either)."""
        while not restart.is_set():
            with anyio.move_on_after(_HEARTBEAT):
                await restart.wait()
            if restart.is_set():
                return
            try:
                heard = await self._echo(runner)
            except BackendError:
                heard = False
            if not heard:
                self._lost("an invalidation channel stopped answering")

    @staticmethod
    async def _relearn(runner: Runner) -> None:
        # A primary that cannot be reached may have been replaced (failover): learn
        # the layout, even if no read comes to make the runner do it.
        with contextlib.suppress(BackendError):
            await runner.refresh()

    async def _open(self, runner: Runner, restart: anyio.Event) -> None:
        deadline = runner.deadline()
        primaries = tuple(await runner.primaries())
        self._primaries = frozenset(primaries)
        for address in primaries:
            if restart.is_set():
                return
            channel = await self._open_channel(runner, address, deadline)
            self._channels[address] = channel
            if not self._bcast:  # the data connection redirects to the new channel
                tracking = Tracking(redirect=channel.client_id).command()
                reply = await runner.call_on(address, encode_command(tracking), deadline)
                _check(reply, "CLIENT TRACKING")

    async def _open_channel(self, runner: Runner, address: Address, deadline: float) -> _Channel:
        connector = runner.links.connector
        connection, session = await connector.open(
            address, deadline, session=replace(connector.session, tracking=None)
        )
        try:
            client_id = session.client_id
            if client_id is None:
                raise BackendError(f"{connection.where}: the server has no CLIENT ID (Redis < 5)")
            resp2 = session.protocol == 2
            if self._bcast:
                prefixes = (self._prefix,) if self._prefix else ()
                tracking = Tracking(
                    bcast=True, prefixes=prefixes, redirect=client_id if resp2 else None
                )
                request = Request(encode_command(tracking.command()), 1, deadline)
                await connection.call(request)
                _check(request.result(), "CLIENT TRACKING")
            name = f"__pepperpy__:near:{self._token}:{format_address(address)}".encode()
            channels = [name, INVALIDATE_CHANNEL] if resp2 else [name]
            await _subscribe(connection, channels, deadline, connector.clock)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await connection.aclose()
            raise
        return _Channel(address, connection, client_id, name)

    async def _read(self, channel: _Channel, restart: anyio.Event) -> None:
        try:
            while True:
                self._take(await channel.connection.next_push())
        except BackendError as error:
            self._lost(str(error))
        except Exception:  # a bug here must not cancel the task that entered the cache
            _log.exception("near cache: reading invalidations failed")
            self._lost("reading invalidations failed")
        finally:
            restart.set()

    def _take(self, push: Push) -> None:
        keys = invalidated_keys(push)
        if keys is None:
            message = pubsub_message(push)
            if message is not None:
                waiter = self._synced.pop(message.data, None)
                if waiter is not None:
                    waiter.set()
            return
        if not keys:
            self.state.flush()
            return
        prefix = self._prefix
        skip = len(prefix)
        mine: list[str] = []
        for key in keys:
            if key.startswith(prefix):
                try:
                    mine.append(key[skip:].decode("utf-8", "surrogatepass"))
                except UnicodeDecodeError:
                    continue  # not a key this cache could have written
        self.state.invalidate(mine)

    async def _close(self) -> None:
        channels, self._channels = list(self._channels.values()), {}
        with anyio.CancelScope(shield=True):
            for channel in channels:
                await channel.connection.aclose()
        for waiter in self._synced.values():
            waiter.set()
        self._synced.clear()

    # -- for tests and for readers that need the latest values -------------------------

    async def sync(self) -> bool:
        """Wait until every invalidation of a change made before this call has been
        taken; ``False`` if the channels are not up (nothing is served then)."""
        runner = self._runner
        if runner is None or not self.state.up:
            return False
        return await self._echo(runner) and self.state.up

    async def _echo(self, runner: Runner) -> bool:
        """Publish to each channel and wait (``timeout`` at most) to hear it back there:
        it then has taken every invalidation sent before. Whether all were heard."""
        deadline = runner.deadline()
        tokens: list[bytes] = []
        try:
            for channel in list(self._channels.values()):
                token = uuid.uuid4().hex.encode()
                self._synced[token] = anyio.Event()
                tokens.append(token)
                payload = encode_command((b"PUBLISH", channel.name, token))
                await runner.call_on(channel.address, payload, deadline)
            with anyio.move_on_after(max(deadline - runner.clock(), 0.0)):
                for token in tokens:
                    waiter = self._synced.get(token)
                    if waiter is not None:
                        await waiter.wait()
                return True
            return False
        finally:
            for token in tokens:
                self._synced.pop(token, None)

    def stats(self, remote_hits: int, misses: int) -> NearStats:
        """The near cache's counters."""
        return self.state.stats(remote_hits, misses)

    @property
    def addresses(self) -> Sequence[Address]:
        """The primaries with an invalidation channel now."""
        return tuple(self._channels)


def _check(reply: object, what: str) -> None:
    if type(reply) is ErrorReply:
        raise BackendError(f"near cache setup ({what}) failed: {reply.message}")


async def _subscribe(
    connection: NodeConnection, channels: list[bytes], deadline: float, clock: Clock
) -> None:
    handshake = SubscribeHandshake(channels, [])
    with anyio.move_on_after(max(deadline - clock(), 0.0)):
        connection.protocol.enter_subscribed_mode()
        await connection.send_oneway(handshake.payload)
        while not handshake.confirmed:
            handshake.feed(await connection.next_push())
    if not handshake.confirmed:
        raise BackendError(f"{connection.where}: subscribing to invalidations timed out")
