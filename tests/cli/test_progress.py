"""The progress bar draws on terminals only."""

from __future__ import annotations

import io

from pepperpy.caching.cli.progress import ProgressBar


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_draws_on_a_terminal_then_erases_its_line() -> None:
    stream = FakeTerminal()
    with ProgressBar(200, stream, "work") as bar:
        assert bar.enabled
        bar(50)
        bar(1)  # same percentage: nothing redrawn
        bar(149)
    drawn = stream.getvalue()
    assert drawn.count("\r") == 3
    assert "work [#######.......................]  25%" in drawn
    assert "100%" in drawn
    assert drawn.endswith("\r\x1b[2K")


def test_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with ProgressBar(10, stream) as bar:
        bar(10)
    assert not bar.enabled
    assert stream.getvalue() == ""
