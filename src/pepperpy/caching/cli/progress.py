"""A one-line progress bar for long commands, redrawn in place on a terminal."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, Self, TextIO

__all__ = ("ProgressBar", "render")

_MIN_INTERVAL: Final = 0.1
"""Seconds between redraws: more often only costs terminal output."""


def render(
    done: int,
    total: int | None,
    elapsed: float,
    width: int = 30,
    unit: str = "keys",
    run_length: int | None = None,
) -> str:
    """The bar for ``done`` of ``total`` items after ``elapsed`` seconds.

    With ``total`` unknown, only the count and the rate are shown. When the work is
    runs of ``run_length`` items each (a trace replayed once per policy and size), the
    count is of whole runs done, and the rate still of items.
    """
    rate = done / elapsed if elapsed > 0 else 0.0
    tail = f"{rate:,.0f} {unit}/s"
    if total is None or total <= 0:
        return f"{done:,} {unit}  {tail}"
    fraction = min(done / total, 1.0)
    filled = int(fraction * width)
    bar = "#" * filled + "-" * (width - filled)
    if run_length:
        count = f"{done // run_length:,}/{-(-total // run_length):,} runs"
    else:
        count = f"{done:,}/{total:,} {unit}"
    return f"[{bar}] {fraction:6.1%}  {count}  {tail}"


class ProgressBar:
    """Draws :func:`render` on ``stream``, at most ten times a second.

    ``enabled`` says whether ``stream`` is a terminal; callers draw only then, so
    piped or captured output stays clean. ``run_length`` counts whole runs of that
    many units (see :func:`render`). Report progress with :meth:`update` (the
    count so far) or :meth:`advance` (units just done); :meth:`close`, or leaving the
    ``with`` block, draws the final state and ends the line.
    """

    def __init__(
        self,
        stream: TextIO,
        total: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        unit: str = "keys",
        run_length: int | None = None,
    ) -> None:
        self._stream = stream
        self._total = total
        self._clock = clock
        self._unit = unit
        self._run_length = run_length
        self._start = clock()
        self._last_draw = float("-inf")
        self._done = 0
        self._width = 0
        self._drawn = False
        self.enabled = stream.isatty()
        """Whether ``stream`` is a terminal."""

    def update(self, done: int, total: int | None = None) -> None:
        """Record progress; redraw if the last redraw is old enough."""
        self._done = done
        if total is not None:
            self._total = total
        now = self._clock()
        if now - self._last_draw >= _MIN_INTERVAL:
            self._draw(now)

    def advance(self, units: int) -> None:
        """Count ``units`` more done."""
        self.update(self._done + units)

    def close(self) -> None:
        """Draw the final state and move to the next line."""
        self._draw(self._clock())
        self._stream.write("\n")
        self._stream.flush()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._drawn:
            self.close()

    def _draw(self, now: float) -> None:
        self._last_draw = now
        self._drawn = True
        line = render(
            self._done, self._total, now - self._start, unit=self._unit, run_length=self._run_length
        )
        pad = " " * max(self._width - len(line), 0)  # erase what a longer line left
        self._width = len(line)
        self._stream.write(f"\r{line}{pad}")
        self._stream.flush()
