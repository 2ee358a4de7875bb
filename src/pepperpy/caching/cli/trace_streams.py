"""Opening trace files, compressed or not: gzip and zstd are told by their magic bytes."""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Final, cast

from .._lazy import missing_extra

__all__ = ("SNIFF_BYTES", "TraceError", "compression_of", "head_of", "open_trace")

SNIFF_BYTES: Final = 1 << 16
"""How much of the (decompressed) start of a trace is read to tell its format."""

_GZIP: Final = b"\x1f\x8b"
_ZSTD: Final = b"\x28\xb5\x2f\xfd"


class TraceError(ValueError):
    """A trace file cannot be read as asked."""


def compression_of(path: Path) -> str | None:
    """``"gzip"``, ``"zstd"`` or ``None``, from the first bytes of the file."""
    with path.open("rb") as raw:
        magic = raw.read(4)
    if magic.startswith(_GZIP):
        return "gzip"
    if magic == _ZSTD:
        return "zstd"
    return None


@contextmanager
def open_trace(path: Path) -> Iterator[BinaryIO]:
    """The file's bytes, decompressed when it is gzip or zstd.

    A corrupt or truncated archive raises :class:`TraceError` from inside the ``with``
    block. zstd needs the zstandard package (the ``zstd`` extra): without it this
    raises :class:`TraceError` saying what to install.
    """
    with _open(path) as stream:
        try:
            yield stream
        except (EOFError, zlib.error) as exc:
            raise TraceError(f"{path}: cannot decompress: {exc}") from exc
        except Exception as exc:
            zstandard = sys.modules.get("zstandard")
            if zstandard is not None and isinstance(exc, zstandard.ZstdError):
                raise TraceError(f"{path}: cannot decompress: {exc}") from exc
            raise


def _open(path: Path) -> BinaryIO:
    compression = compression_of(path)
    if compression == "gzip":
        return cast(BinaryIO, gzip.open(path, "rb"))
    if compression == "zstd":
        try:
            import zstandard
        except ImportError as exc:
            raise TraceError(
                f"{path}: {missing_extra('reading a zstd-compressed trace', 'zstd', exc)}"
            ) from exc
        reader = zstandard.ZstdDecompressor().stream_reader(
            path.open("rb"), read_across_frames=True, closefd=True
        )
        return io.BufferedReader(reader)
    return path.open("rb")


def head_of(path: Path) -> bytes:
    """The first :data:`SNIFF_BYTES` bytes of the trace, decompressed."""
    with open_trace(path) as stream:
        return stream.read(SNIFF_BYTES)
