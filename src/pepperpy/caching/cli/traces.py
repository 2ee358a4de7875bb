"""Reading request traces from files, in the format their content shows.

Formats: ``text`` (one key per line), ``csv`` and ``tsv`` (the key in one column; see
:mod:`.trace_text`), ``npy`` (a numpy array of ids) and libCacheSim's
``oracleGeneral`` (24-byte binary requests, which also carry object sizes). Any of
them may be gzip- or zstd-compressed. The format is told from the content: the
``.npy`` magic bytes, binary data (a NUL byte, or bytes that are not UTF-8) for
oracleGeneral, a tab or a comma on every line for TSV or CSV, else text.
"""

from __future__ import annotations

import codecs
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .trace_binary import NPY_MAGIC, read_npy, read_oracle_general
from .trace_streams import TraceError, compression_of, head_of
from .trace_text import read_delimited, read_lines, sniff_delimiter

__all__ = ("TRACE_FORMATS", "Trace", "TraceError", "detect_format", "parse_format", "read_trace")

TRACE_FORMATS: Final = ("text", "csv", "tsv", "npy", "oracleGeneral")
"""The trace formats :func:`read_trace` understands."""

_DELIMITED: Final = {"csv": ",", "tsv": "\t"}


@dataclass(frozen=True, slots=True)
class Trace:
    """A trace in memory: the requested keys in order, and what else the file said."""

    keys: list[str]
    """One key per request; requests for the same key share one ``str`` object."""
    distinct: int
    """The number of distinct keys."""
    sizes: array[int] | None = None
    """Each request's object size in bytes, when the format records it (oracleGeneral)."""
    description: str = ""
    """How the file was read: its format, header and key column."""


def parse_format(text: str) -> str:
    """The format named ``text``, in any case (``oraclegeneral`` is ``oracleGeneral``)."""
    for name in TRACE_FORMATS:
        if name.lower() == text.strip().lower():
            return name
    raise TraceError(f"unknown trace format {text!r}; choose one of {', '.join(TRACE_FORMATS)}")


def detect_format(head: bytes, suffix: str = "") -> str:
    """The format of a trace whose (decompressed) first bytes are ``head``.

    Text that no delimiter splits is read as CSV or TSV all the same when the file's
    ``suffix`` says so (``.csv``, ``.tsv``, ``.csv.gz``...).
    """
    if head.startswith(NPY_MAGIC):
        return "npy"
    if b"\x00" in head:
        return "oracleGeneral"
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "oracleGeneral"
    delimiter = sniff_delimiter(text)
    if delimiter is not None:
        return "tsv" if delimiter == "\t" else "csv"
    named = suffix.lower().split(".")[1:2]
    return named[0] if named and named[0] in _DELIMITED else "text"


def read_trace(
    path: Path,
    trace_format: str | None = None,
    column: str | None = None,
    header: bool | None = None,
) -> Trace:
    """Read the trace at ``path``.

    ``trace_format`` is one of :data:`TRACE_FORMATS`, or ``None`` to tell it from the
    content (see the module doc). ``column`` (a 1-based index or a header name) and
    ``header`` (``None`` to detect) apply to CSV and TSV; a text trace accepts column
    1, its only one. Raises :class:`TraceError`, or :class:`OSError` when the file
    cannot be opened.
    """
    if trace_format is None:
        chosen = detect_format(head_of(path), "".join(path.suffixes))
    else:
        chosen = parse_format(trace_format)
    if chosen not in _DELIMITED:
        if header is not None:
            raise TraceError(f"--header and --no-header apply to CSV and TSV traces, not {chosen}")
        if column is not None and not (chosen == "text" and column.strip() == "1"):
            raise TraceError(
                f"--column applies to CSV and TSV traces; this one is {chosen}"
                + (" (one key per line: column 1)" if chosen == "text" else "")
            )
    sizes = None
    if chosen == "npy":
        keys, how = read_npy(path), "a numpy array of ids"
    elif chosen == "oracleGeneral":
        keys, sizes = read_oracle_general(path)
        how = "libCacheSim oracleGeneral binary"
    elif chosen == "text":
        keys, how = read_lines(path)
    else:
        keys, how = read_delimited(path, _DELIMITED[chosen], column, header)
    compression = compression_of(path)
    if compression is not None:
        how += f", {compression}-compressed"
    return _shared(keys, sizes, how)


def _shared(raw: list[str], sizes: array[int] | None, how: str) -> Trace:
    # One str object per distinct key: a trace of millions of requests stays small.
    known: dict[str, str] = {}
    keys = [known.setdefault(key, key) for key in raw]
    return Trace(keys, len(known), sizes, how)
