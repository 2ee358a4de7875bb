"""The near cache's rules, without IO: its settings, and what its local copy may keep.

A near cache keeps values read from a remote store in process and drops them when
the store says they changed (Redis ``CLIENT TRACKING``). Whoever moves the bytes
tells :class:`NearState` what happened (a read began, a reply came, an invalidation
arrived, the channel went down or came up) and asks it what may be served.
"""

from __future__ import annotations

from .settings import TRACKING_MODES, NearCache
from .state import NearState

__all__ = ("TRACKING_MODES", "NearCache", "NearState")
