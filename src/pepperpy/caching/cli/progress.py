"""A one-line progress bar for long commands, drawn on a terminal only."""

from __future__ import annotations

from typing import TextIO

__all__ = ("ProgressBar",)


class ProgressBar:
    """Counts units of work done out of ``total`` and redraws a bar on ``stream``.

    Draws only when ``stream`` is a terminal, so piped or captured output stays clean;
    redraws only when the shown percentage changes. Use it as a context manager (the
    line is erased on exit) and call it with the units just done.
    """

    __slots__ = ("_done", "_label", "_shown", "_stream", "_total", "enabled")

    def __init__(self, total: int, stream: TextIO, label: str = "") -> None:
        self._total = max(total, 1)
        self._stream = stream
        self._label = label
        self._done = 0
        self._shown = -1
        self.enabled = stream.isatty()
        """Whether anything is drawn."""

    def __call__(self, units: int) -> None:
        """Count ``units`` more done."""
        self._done += units
        if not self.enabled:
            return
        percent = min(100, self._done * 100 // self._total)
        if percent != self._shown:
            self._shown = percent
            filled = percent * 30 // 100
            bar = "#" * filled + "." * (30 - filled)
            self._stream.write(f"\r{self._label} [{bar}] {percent:3d}%")
            self._stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.enabled and self._shown >= 0:
            self._stream.write("\r\x1b[2K")
            self._stream.flush()
