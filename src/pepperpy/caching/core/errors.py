"""The library's exceptions: one root, and a written contract of who raises what.

* :class:`CacheError` is the root: ``except CacheError`` catches everything the
  library raises on purpose.
* :class:`ConfigurationError` — a constructor or setting was given a value it cannot
  use (a bad ``max_size``, an unknown policy name, an empty namespace). It is also a
  :class:`ValueError`.
* :class:`InvalidKeyError` — a key that is not a ``str``. Also a :class:`TypeError`.
* :class:`InvalidTTLError` — a TTL that is zero, negative, NaN or infinite (also a
  :class:`ValueError`); :class:`TTLTypeError` — a TTL of a type that is not
  ``None``, ``int``, ``float`` or ``timedelta`` (``bool`` included; also a
  :class:`TypeError`).
* :class:`SerializationError` — a value could not be encoded, or stored bytes could
  not be decoded or failed their signature check.
* :class:`BackendError` — the store itself failed (connection lost, timeout, server
  error). The original exception is chained as ``__cause__``.
* :class:`NotAnIntegerError` — ``incr`` found a value that is not an integer. Also a
  :class:`TypeError`.
* :class:`InvalidVectorError` — a vector a vector cache cannot store or search with:
  wrong shape or dimension, NaN or infinite values, a zero vector under the cosine
  metric, non-numeric data. Also a :class:`ValueError`.
* :class:`SnapshotError` — a saved vector cache could not be written or read: the
  file system failed (the ``OSError`` is the ``__cause__``), or the file is not one,
  has an unknown format version, is truncated or corrupt.

Whatever a cache raises for bad input, the cache is left unchanged.
"""

from __future__ import annotations

__all__ = (
    "BackendError",
    "CacheError",
    "ConfigurationError",
    "InvalidKeyError",
    "InvalidTTLError",
    "InvalidVectorError",
    "NotAnIntegerError",
    "SerializationError",
    "SnapshotError",
    "TTLTypeError",
)


class CacheError(Exception):
    """Root of every exception the library raises on purpose."""


class ConfigurationError(CacheError, ValueError):
    """A setting or constructor argument has a value the library cannot use."""


class InvalidKeyError(CacheError, TypeError):
    """A cache key is not a ``str``."""


class InvalidTTLError(CacheError, ValueError):
    """A TTL is zero, negative, NaN or infinite."""


class TTLTypeError(CacheError, TypeError):
    """A TTL is of a type other than ``None``, ``int``, ``float`` or ``timedelta``."""


class SerializationError(CacheError):
    """A value could not be encoded, or stored data could not be decoded or verified."""


class BackendError(CacheError):
    """The storage backend failed; the original exception is the ``__cause__``."""


class NotAnIntegerError(CacheError, TypeError):
    """``incr`` found a stored value that is not an integer (or is out of 64-bit range)."""


class InvalidVectorError(CacheError, ValueError):
    """A vector has the wrong shape or dimension, non-finite values, or (under the cosine
    metric) no direction at all: the zero vector."""


class SnapshotError(CacheError):
    """A saved file could not be written or read, or is not a whole, intact file of a
    format version this library reads."""
