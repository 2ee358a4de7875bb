"""The progress bar: what it draws, and only on terminals for the commands."""

from __future__ import annotations

import io

from pepperpy.caching.cli.progress import ProgressBar


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_advance_draws_at_most_ten_times_a_second_then_ends_the_line() -> None:
    now = [0.0]
    stream = FakeTerminal()
    with ProgressBar(stream, 200, clock=lambda: now[0], unit="requests") as bar:
        assert bar.enabled
        now[0] = 1.0
        bar.advance(50)
        bar.advance(1)  # too soon after the last redraw: nothing drawn
        now[0] = 2.0
        bar.advance(149)
    drawn = stream.getvalue()
    assert drawn.count("\r") == 3  # two redraws and the final state
    assert "50/200 requests" in drawn
    assert "200/200 requests" in drawn
    assert drawn.endswith("\n")


def test_not_a_terminal_is_reported_and_nothing_is_drawn_unless_asked() -> None:
    stream = io.StringIO()
    with ProgressBar(stream, 10) as bar:
        assert not bar.enabled
    assert stream.getvalue() == ""
