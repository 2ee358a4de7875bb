"""Saved vector caches on disk: an atomic write and a checked read.

Blocking file IO, called in a worker thread by :class:`VectorCache`. The bytes come
from and go to the core's format (:mod:`pepperpy.caching.core.vectors.snapshot`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from os import PathLike
from pathlib import Path

from ..core.errors import ConfigurationError, SnapshotError
from ..core.policies import CachePolicy, make_policy
from ..core.vectors import VectorStore
from ..core.vectors.snapshot import StoreState, decode, encode

__all__ = ("read_snapshot", "write_snapshot")


def write_snapshot(path: str | PathLike[str], state: StoreState) -> None:
    """Write ``state`` to ``path`` atomically: to a temporary file in the same
    directory, flushed to disk, then renamed over ``path``. On any failure the
    temporary file is removed and ``path`` is left as it was."""
    chunks = encode(state)  # SerializationError for metadata JSON cannot carry
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as exc:
        raise SnapshotError(f"cannot write {str(target)!r}: {exc}") from exc
    try:
        with os.fdopen(handle, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise SnapshotError(f"cannot write {str(target)!r}: {exc}") from exc
        raise
    _sync_directory(target.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable, where the platform allows it."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def read_snapshot(
    path: str | PathLike[str],
    *,
    now: float,
    policy: CachePolicy | str | None,
    threads: int,
) -> VectorStore:
    """The store saved at ``path``, its TTLs counted on from ``now``; SnapshotError
    for a file that cannot be read or is not a whole, intact saved cache."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SnapshotError(f"cannot read {str(path)!r}: {exc}") from exc
    state = decode(data)
    del data
    if policy is None and state.policy is None:
        raise ConfigurationError(
            f"{str(path)!r} was saved from a cache with a policy object of its own: "
            "pass policy= to load it"
        )
    if policy is not None:
        make_policy(policy)  # the caller's own mistake is a ConfigurationError
    try:
        return VectorStore.restore(state, now, policy=policy, threads=threads)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise SnapshotError(f"{str(path)!r} is not a consistent saved cache: {exc}") from None
