"""Plain-text reports for the command line: headings, aligned tables, status words.

Color is used only when the output is a terminal and ``NO_COLOR`` is not set.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Final, TextIO, final

__all__ = ("CheckFailed", "Report", "check", "format_ms")

_CODES: Final = {"bold": "1", "dim": "2", "green": "32", "yellow": "33", "red": "31", "cyan": "36"}
_STATUS_STYLE: Final = {"ok": "green", "skipped": "yellow", "unavailable": "yellow"}


class CheckFailed(Exception):
    """Something the demo shows did not behave as it says it should."""


def check(condition: bool, message: str) -> None:
    """Raise :class:`CheckFailed` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def format_ms(seconds: float) -> str:
    """``seconds`` as milliseconds, with two decimals: ``"20.31 ms"``."""
    return f"{seconds * 1000:.2f} ms"


@final
class Report:
    """Writes a report to ``stream``; ``color=None`` decides from the stream itself."""

    def __init__(self, stream: TextIO, color: bool | None = None) -> None:
        self._stream = stream
        if color is None:
            color = stream.isatty() and not os.environ.get("NO_COLOR")
        self._color = color

    def style(self, text: str, style: str) -> str:
        """``text`` wrapped in the escape codes of ``style`` when color is on."""
        if not self._color:
            return text
        return f"\x1b[{_CODES[style]}m{text}\x1b[0m"

    def line(self, text: str = "", indent: int = 2) -> None:
        """One line, indented."""
        self._stream.write(f"{' ' * indent}{text}".rstrip() + "\n" if text else "\n")

    def title(self, text: str) -> None:
        """A top-level heading, underlined."""
        self.line()
        self.line(self.style(text, "bold"), indent=0)
        self.line("=" * len(text), indent=0)

    def section(self, text: str) -> None:
        """A section heading."""
        self.line()
        self.line(self.style(f"-- {text} ", "cyan") + self.style("-" * (74 - len(text)), "dim"), 0)

    def status(self, word: str) -> str:
        """A status word (``ok``, ``skipped``, ``FAILED`` ...), colored by meaning."""
        return self.style(word, _STATUS_STYLE.get(word, "red"))

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[object]],
        right: Sequence[int] = (),
    ) -> None:
        """Rows under ``headers``, one column each, padded to line up.

        Columns whose index is in ``right`` are right-aligned (numbers).
        """
        cells = [[str(cell) for cell in row] for row in rows]
        widths = [
            max([len(headers[i])] + [len(row[i]) for row in cells]) for i in range(len(headers))
        ]

        def render(row: Sequence[str]) -> str:
            parts = [
                cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                for i, cell in enumerate(row)
            ]
            return "  ".join(parts)

        self.line(self.style(render(headers), "bold"), indent=4)
        for row in cells:
            self.line(render(row), indent=4)
