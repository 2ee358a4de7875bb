"""Telling a closed reader (``pepperpy-cache demo | head``) from a real failure."""

from __future__ import annotations

__all__ = ("is_broken_pipe",)


def is_broken_pipe(exc: BaseException) -> bool:
    """Whether ``exc`` is a :class:`BrokenPipeError`, alone or as the only kind of
    error in an exception group (a write from inside a task group)."""
    if isinstance(exc, BaseExceptionGroup):
        _, rest = exc.split(BrokenPipeError)
        return rest is None
    return isinstance(exc, BrokenPipeError)
