"""Redis as a cache, decided in the core: keys, plans, connection setup, cluster routing.

Pure: nothing here performs IO. Each cache operation becomes a plan
(:mod:`.plans`, :mod:`.operations`) that whoever moves the bytes carries out on
:class:`~pepperpy.caching.core.resp.connection.RespConnection` objects; cluster routing and the
retry rule (:mod:`.routing`) are decisions the runner follows.

Importing :mod:`.keys` and :mod:`.slots` needs nothing but the standard library; the
rest needs ``hiredis`` (the ``redis`` extra) and is loaded on first use.
"""

from __future__ import annotations

from .keys import SEPARATOR, KeySpace, encode_key, escape_glob, validate_namespace
from .slots import SLOT_COUNT, crc16, group_by_slot, key_slot

__all__ = (
    "SEPARATOR",
    "SLOT_COUNT",
    "KeySpace",
    "crc16",
    "encode_key",
    "escape_glob",
    "group_by_slot",
    "key_slot",
    "validate_namespace",
)
