"""The cross-process loading lock, as plans and a pure waiting rule.

Protocol (the one Redis documents for a single instance):

* take: ``SET lock token NX PX lease`` -- the token is random, chosen by the caller;
* renew while the loader runs: a script that sets ``PEXPIRE lock lease`` only if
  the lock still holds the caller's token;
* release: a script that deletes the lock only if it still holds the caller's token
  (compare-and-delete), so a lock that expired and was taken by another process is
  never released by the one that lost it.

A caller that finds the lock taken waits for the value to land, polling with a
growing, jittered interval (:class:`LockWait`), and tries to take the lock again
each time (its holder may have died: the lease runs out). The wait is bounded: past
it, the caller runs the loader itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, final

from ..errors import ConfigurationError
from ..resp import Reply, encode_command
from .aux_keys import lock_key
from .operations import RedisOperations, unexpected_reply
from .plans import ANY, Single
from .slots import key_slot

__all__ = ("RELEASE_SCRIPT", "RENEW_SCRIPT", "LockPlans", "LockWait", "renew_every")

RELEASE_SCRIPT: Final = (
    b"if redis.call('GET', KEYS[1]) == ARGV[1] then "
    b"return redis.call('DEL', KEYS[1]) else return 0 end"
)
RENEW_SCRIPT: Final = (
    b"if redis.call('GET', KEYS[1]) == ARGV[1] then "
    b"return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end"
)


@final
class LockPlans:
    """The lock commands for the loading of ``key`` in the cache of ``ops``."""

    __slots__ = ("_key", "_target")

    def __init__(self, ops: RedisOperations, key: str) -> None:
        self._key = lock_key(ops.space.key(key))
        self._target = key_slot(self._key) if ops.cluster else ANY

    @property
    def key(self) -> bytes:
        """The Redis key of the lock."""
        return self._key

    def take(self, token: bytes, lease_ms: int) -> Single[bool]:
        """``SET lock token NX PX lease``: whether the caller holds the lock now."""
        payload = encode_command((b"SET", self._key, token, b"NX", b"PX", lease_ms))
        # Not resent after an unknown outcome: the second SET NX would find our own lock.
        return Single(payload, self._target, _taken, retry_safe=False)

    def renew(self, token: bytes, lease_ms: int) -> Single[bool]:
        """Extend the lease if the lock is still the caller's; whether it was."""
        payload = encode_command((b"EVAL", RENEW_SCRIPT, 1, self._key, token, lease_ms))
        return Single(payload, self._target, _script_flag("renew"))

    def release(self, token: bytes) -> Single[bool]:
        """Delete the lock if it is still the caller's; whether it was."""
        payload = encode_command((b"EVAL", RELEASE_SCRIPT, 1, self._key, token))
        return Single(payload, self._target, _script_flag("release"))


def _taken(reply: Reply) -> bool:
    if reply == b"OK":
        return True
    if reply is None:
        return False
    raise unexpected_reply(reply, "SET NX (lock)")


def _script_flag(what: str) -> Callable[[Reply], bool]:
    def finish(reply: Reply) -> bool:
        if type(reply) is not int:
            raise unexpected_reply(reply, f"lock {what}")
        return reply == 1

    return finish


@final
class LockWait:
    """When a caller waiting for another process's load looks again, and when it stops.

    Polls start at ``first`` seconds and double up to ``longest``, each scaled by a
    jitter draw in [0.5, 1.5) so that waiters spread out; the wait ends ``max_wait``
    seconds after :meth:`start`.
    """

    __slots__ = ("_deadline", "_interval", "first", "longest", "max_wait")

    def __init__(self, max_wait: float, *, first: float = 0.005, longest: float = 0.1) -> None:
        if isinstance(max_wait, bool) or not isinstance(max_wait, int | float):
            raise ConfigurationError(f"lock wait must be seconds; got {max_wait!r}")
        if not (max_wait > 0 and math.isfinite(max_wait)):
            raise ConfigurationError(f"lock wait must be > 0 and finite; got {max_wait!r}")
        self.max_wait = float(max_wait)
        self.first = first
        self.longest = longest
        self._interval = first
        self._deadline = math.inf

    def start(self, now: float) -> None:
        """The wait begins at ``now``."""
        self._deadline = now + self.max_wait
        self._interval = self.first

    def next_sleep(self, now: float, draw: float) -> float | None:
        """Seconds to sleep before the next look (``draw`` uniform in [0, 1)), or
        ``None``: the wait is over."""
        left = self._deadline - now
        if left <= 0.0:
            return None
        sleep = min(self._interval * (0.5 + draw), left)
        self._interval = min(self._interval * 2.0, self.longest)
        return sleep


def renew_every(lease: float) -> float:
    """How often a holder renews a lease of ``lease`` seconds: a third of it, so two
    renewals can be late before the lease runs out."""
    return lease / 3.0
