"""``NearCache``: the settings of a near cache, checked once when made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, TypeAlias, final

from ..errors import ConfigurationError, InvalidTTLError, TTLTypeError
from ..policies import POLICY_NAMES
from ..ttl import TTL, normalize_ttl

__all__ = ("TRACKING_MODES", "NearCache", "TrackingMode")

TrackingMode: TypeAlias = Literal["bcast", "default"]
"""How the server tracks what the near cache holds (see :class:`NearCache`)."""

TRACKING_MODES: Final = ("bcast", "default")
"""The accepted values of ``NearCache(tracking=...)``."""


@final
@dataclass(frozen=True, slots=True)
class NearCache:
    """How a :class:`~pepperpy.caching.RedisCache` keeps recently read values in process.

    ``max_size`` bounds the number of values kept (an int >= 1); ``policy`` names the
    eviction policy (one of :data:`~pepperpy.caching.POLICY_NAMES`); ``ttl`` is a
    local time-to-live, a safety net on top of the server's invalidations (``None``:
    none; values with a TTL in Redis never outlive it here either).

    ``tracking`` picks what the server remembers: ``"bcast"`` (the default) asks for
    every change under the cache's namespace (the whole database without one), so
    the server keeps nothing per key; ``"default"`` asks for changes to the keys this
    client read, which sends fewer invalidations when the namespace is busy with keys
    this process never reads, at the cost of server memory per key read.

    Wrong values raise :class:`~pepperpy.caching.ConfigurationError` (a ``ttl`` of a
    wrong type or value raises the TTL errors, as everywhere).
    """

    max_size: int = 10_000
    policy: str = "lru"
    ttl: TTL = None
    tracking: TrackingMode = "bcast"

    def __post_init__(self) -> None:
        size = self.max_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigurationError(f"NearCache max_size must be an int >= 1; got {size!r}")
        if not isinstance(self.policy, str) or self.policy not in POLICY_NAMES:
            raise ConfigurationError(
                f"NearCache policy must be one of {', '.join(POLICY_NAMES)}; got {self.policy!r}"
            )
        try:
            seconds = normalize_ttl(self.ttl)
        except (InvalidTTLError, TTLTypeError) as error:
            raise type(error)(f"NearCache {error}") from None
        object.__setattr__(self, "ttl", seconds)
        if self.tracking not in TRACKING_MODES:
            raise ConfigurationError(
                f"NearCache tracking must be 'bcast' or 'default'; got {self.tracking!r}"
            )

    @property
    def seconds(self) -> float | None:
        """The local TTL in seconds (``None``: none)."""
        return self.ttl  # type: ignore[return-value]  # normalized in __post_init__
