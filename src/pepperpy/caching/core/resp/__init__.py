"""The Redis protocol (RESP2 and RESP3) as a sans-IO state machine.

Bytes and requests in, bytes and events out: nothing here reads a socket, a clock or
awaits. :class:`RespConnection` matches replies to requests in order and yields push
frames as their own events; :mod:`.encoding` turns commands into bytes; replies are
parsed by ``hiredis.Reader`` within a bound on memory.
"""

from __future__ import annotations

from .connection import ConnectionLost, Event, Request, RespConnection
from .encoding import Command, encode_command, encode_commands, encode_key_command, encode_set
from .frames import DEFAULT_MAX_FRAME_BYTES, NEED_DATA, FrameReader, NeedData, ProtocolViolation
from .replies import ErrorReply, Push, Reply, error_code

__all__ = (
    "DEFAULT_MAX_FRAME_BYTES",
    "NEED_DATA",
    "Command",
    "ConnectionLost",
    "ErrorReply",
    "Event",
    "FrameReader",
    "NeedData",
    "ProtocolViolation",
    "Push",
    "Reply",
    "Request",
    "RespConnection",
    "encode_command",
    "encode_commands",
    "encode_key_command",
    "encode_set",
    "error_code",
)
