"""What a remote store is sent: key names, SCAN patterns, hash slots, batched commands.

Pure and shared by every executor (asyncio or worker threads, single node or cluster).
"""

from __future__ import annotations

from .commands import (
    BATCH_SIZE,
    SCAN_COUNT,
    Command,
    KeyedCommand,
    chunked,
    get_command,
    mget_rounds,
    pttl_seconds,
    scan_command,
    scan_reply,
    set_command,
    unlink_rounds,
    write_rounds,
)
from .keys import SEPARATOR, KeySpace, encode_key, escape_glob, validate_namespace
from .slots import SLOT_COUNT, crc16, group_by_slot, key_slot

__all__ = (
    "BATCH_SIZE",
    "SCAN_COUNT",
    "SEPARATOR",
    "SLOT_COUNT",
    "Command",
    "KeySpace",
    "KeyedCommand",
    "chunked",
    "crc16",
    "encode_key",
    "escape_glob",
    "get_command",
    "group_by_slot",
    "key_slot",
    "mget_rounds",
    "pttl_seconds",
    "scan_command",
    "scan_reply",
    "set_command",
    "unlink_rounds",
    "validate_namespace",
    "write_rounds",
)
