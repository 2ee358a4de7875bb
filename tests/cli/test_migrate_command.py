"""The ``migrate`` command without a server: arguments, refusals, the progress bar."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pepperpy.caching.cli.__main__ import build_parser, main
from pepperpy.caching.cli.progress import ProgressBar, render

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["migrate", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    for option in ["SRC", "DST", "--namespace", "--target-namespace", "--prefix", "--dry-run"]:
        assert option in out
    assert "--batch-size" in out


def test_batch_size_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["migrate", "redis://a", "redis://b", "--batch-size", "0"])
    assert caught.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["redis://h:6379/0", "redis://h:6379/0"],
        ["redis://h:6379/0", "redis://h:6379", "--namespace", "a", "--target-namespace", "a"],
        ["redis://h/1", "redis://h:6379/1", "--target-namespace", "copy"],  # source: all keys
        ["redis://h/0", "redis://h/0", "--namespace", "a", "--prefix", "a:x"],
    ],
)
def test_copying_into_the_keys_being_read_is_refused(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", *argv]) == 2
    assert "target keys would fall inside the keys being copied" in capsys.readouterr().err


def test_without_the_redis_extra_it_says_what_to_install() -> None:
    script = (
        "import sys\n"
        "sys.modules['hiredis'] = None  # as if the redis extra were not installed\n"
        "from pepperpy.caching.cli.__main__ import main\n"
        "sys.exit(main(['migrate', 'redis://a:1/0', 'redis://b:2/0']))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "pip install 'pepperpy-caching[redis]'" in done.stderr


def test_render_with_and_without_a_total() -> None:
    assert render(0, 200, 0.0, width=10) == "[----------]   0.0%  0/200 keys  0 keys/s"
    assert render(50, 200, 2.0, width=10) == "[##--------]  25.0%  50/200 keys  25 keys/s"
    assert render(200, 200, 4.0, width=10) == "[##########] 100.0%  200/200 keys  50 keys/s"
    assert render(1500, None, 0.5) == "1,500 keys  3,000 keys/s"
    assert render(300, 200, 1.0, width=4) == "[####] 100.0%  300/200 keys  300 keys/s"


def test_progress_bar_redraws_in_place_at_most_ten_times_a_second() -> None:
    now = [0.0]
    stream = io.StringIO()
    bar = ProgressBar(stream, total=100, clock=lambda: now[0])
    for done in range(1, 101):
        now[0] += 0.01
        bar.update(done)
    bar.close()
    frames = stream.getvalue().split("\r")[1:]
    assert 10 <= len(frames) <= 12  # about 1 s of updates, one frame per 0.1 s, plus the last
    assert frames[-1].rstrip("\n").startswith("[" + "#" * 30 + "] 100.0%  100/100 keys")
    assert stream.getvalue().endswith("\n")
