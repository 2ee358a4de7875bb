"""Cutting the byte stream into replies, with hiredis, within bounds.

``hiredis.Reader`` only computes (like numpy), which makes it fit for the core. It
waits patiently for a bulk string of any declared length, so the bound on memory is
kept here: the bytes received since the last complete frame may not exceed
``max_frame_bytes`` (give or take the kilobyte of parsed bytes hiredis keeps until it
compacts its buffer). An array header declaring billions of elements makes hiredis
reserve room for them: where the system refuses, that ends the connection too; where
it grants the address space lazily, only what arrives is ever touched. hiredis itself
refuses malformed input and nesting deeper than a few thousand levels.
"""

from __future__ import annotations

from typing import Final, final

import hiredis

from ..errors import BackendError
from .replies import ErrorReply, Reply

__all__ = ("DEFAULT_MAX_FRAME_BYTES", "NEED_DATA", "FrameReader", "NeedData", "ProtocolViolation")

DEFAULT_MAX_FRAME_BYTES: Final = 512 * 1024 * 1024
"""Redis' own limit on one bulk string (``proto-max-bulk-len``)."""


@final
class NeedData:
    """Type of :data:`NEED_DATA`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = NeedData()
"""Returned when no complete frame has arrived yet."""


class ProtocolViolation(BackendError):
    """The server sent something that is not RESP, or too much of it: the connection
    cannot be trusted any more."""


@final
class FrameReader:
    """Bytes in (:meth:`feed`), complete frames out (:meth:`next_frame`)."""

    __slots__ = ("_limit", "_pending", "_reader")

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        if max_frame_bytes < 1:
            raise ValueError("max_frame_bytes must be positive")
        # notEnoughData: hiredis' default answer, False, is also RESP3's boolean false.
        # replyError: any callable of the message (the stubs ask for an Exception type).
        self._reader = hiredis.Reader(
            replyError=ErrorReply,  # type: ignore[arg-type]
            notEnoughData=NEED_DATA,
        )
        self._limit = max_frame_bytes
        self._pending = 0  # bytes received since the last complete frame (an upper bound)

    def feed(self, data: bytes) -> None:
        """Take ``data``; :class:`ProtocolViolation` past the bound."""
        self._reader.feed(data)
        self._pending += len(data)

    def next_frame(self) -> Reply | NeedData:
        """The next complete frame, or :data:`NEED_DATA`."""
        if not self._pending:  # everything fed was handed out
            return NEED_DATA
        try:
            frame = self._reader.gets()
        except hiredis.ProtocolError as exc:
            raise ProtocolViolation(f"the server broke the protocol: {exc}") from None
        except MemoryError:  # an array header declaring billions of elements
            raise ProtocolViolation("a reply declared more elements than memory holds") from None
        if frame is NEED_DATA:
            if self._pending > self._limit:
                raise ProtocolViolation(
                    f"a reply grew past {self._limit} bytes: the connection is closed"
                )
            return NEED_DATA
        # What is left in hiredis' buffer belongs to later frames; len() bounds it (it
        # may also count up to 1 KiB already parsed, which hiredis discards lazily).
        reader = self._reader
        self._pending = reader.len() if reader.has_data() else 0
        return frame

    @property
    def buffered(self) -> bool:
        """Whether part of a frame has been received but not completed."""
        return bool(self._reader.has_data())
