"""Turning what the OS, TLS or a stream raises into a ``BackendError``.

Messages are scrubbed of secrets, and so is the chained original exception (its
arguments are rewritten in place), because tracebacks print the whole chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeVar

from ...core.errors import BackendError

__all__ = ("backend_error", "scrub", "scrub_exception")

_MASK: Final = "***"

E = TypeVar("E", bound=BackendError)


def scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


def _scrub_value(value: object, secrets: Sequence[str]) -> object:
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
        cleaned = scrub(text, secrets)
        return value if cleaned == text else cleaned.encode()
    return value


def scrub_exception(exc: BaseException, secrets: Sequence[str]) -> None:
    """Rewrite the arguments of ``exc`` and of every exception chained to it."""
    if not secrets:
        return
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        try:
            current.args = tuple(_scrub_value(arg, secrets) for arg in current.args)
            if isinstance(current, OSError):
                if current.strerror:
                    current.strerror = scrub(current.strerror, secrets)
                if isinstance(current.filename, str):
                    current.filename = scrub(current.filename, secrets)
        except (AttributeError, TypeError):  # an exception type with read-only fields
            pass
        notes = getattr(current, "__notes__", None)
        if notes:
            current.__notes__ = [scrub(str(note), secrets) for note in notes]
        current = current.__cause__ or current.__context__


def backend_error(
    exc: BaseException,
    what: str,
    where: str,
    secrets: Sequence[str],
    kind: type[E] = BackendError,  # type: ignore[assignment]
) -> E:
    """A ``kind`` error for ``exc`` (scrubbed), raised while doing ``what`` at ``where``.

    The caller raises it ``from exc``.
    """
    scrub_exception(exc, secrets)
    if isinstance(exc, TimeoutError) and not str(exc):
        detail = "timed out"
    else:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return kind(scrub(f"{what} on {where} failed: {detail}", secrets))
