"""The ``simulate`` command, end to end."""

from __future__ import annotations

import io
import re
import struct
import sys
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from pepperpy.caching.cli.__main__ import main
from pepperpy.caching.cli.simulate import parse_policies, parse_sizes
from pepperpy.caching.core.errors import ConfigurationError

CLOUDPHYSICS = Path(__file__).parents[1] / "data" / "cloudphysics_114k.npy"


def lru_miss_ratio(keys: Sequence[str], size: int) -> float:
    order: OrderedDict[str, None] = OrderedDict()
    misses = 0
    for key in keys:
        if key in order:
            order.move_to_end(key)
            continue
        misses += 1
        order[key] = None
        if len(order) > size:
            order.popitem(last=False)
    return misses / len(keys)


def run_simulate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["simulate", *args])
    out, err = capsys.readouterr()
    return status, out, err


def table(out: str) -> tuple[list[int], dict[str, list[float]]]:
    """The sizes of the header and the ratios of each row of the printed table."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("policy"))
    sizes = [int(cell.replace(",", "")) for cell in lines[start].split()[1:]]
    rows = {}
    for line in lines[start + 2 :]:
        if not line.strip() or not line[0].isalpha() or " " not in line.strip():
            break
        name, *cells = line.split()
        rows[name] = [float(cell) for cell in cells]
    return sizes, rows


def test_simulate_the_cloudphysics_trace(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_simulate(
        capsys, str(CLOUDPHYSICS), "--sizes", "1%,10%", "--policies", "lru,S3FIFO"
    )
    assert status == 0
    assert err == ""  # no progress bar when stderr is not a terminal
    assert "(a numpy array of ids): 113,872 requests, 48,974 distinct keys" in out
    sizes, rows = table(out)
    assert sizes == [490, 4897]
    assert list(rows) == ["lru", "s3fifo", "belady"]
    keys = [str(id_) for id_ in np.load(CLOUDPHYSICS).tolist()]
    for column, size in enumerate(sizes):
        assert rows["lru"][column] == pytest.approx(lru_miss_ratio(keys, size), abs=5e-5)
        assert rows["belady"][column] <= min(rows["lru"][column], rows["s3fifo"][column])
    assert rows["lru"][1] < rows["lru"][0]  # a bigger cache misses less


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "long.txt"
    path.write_text("\n".join(str(index * 31 % 5000) for index in range(100_000)))
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    status, out, _ = run_simulate(capsys, str(path), "--sizes", "1%,2%,3%", "--policies", "fifo")
    assert status == 0
    drawn = terminal.getvalue()
    assert "\r[" in drawn
    assert "100.0%" in drawn
    assert "6/6 runs" in drawn  # 3 sizes x (fifo + belady), 100,000 requests each
    assert re.search(r"[\d,]+ requests/s", drawn)
    assert drawn.endswith("\n")  # the final state stays, on its own line
    assert "requests/s" not in out


def test_text_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = [f"user:{(index * index) % 41}" for index in range(2000)]
    path = tmp_path / "requests.txt"
    path.write_text("\n".join(keys) + "\n", encoding="utf-8")
    status, out, _ = run_simulate(capsys, str(path), "--sizes", "5,20", "--policies", "lru")
    assert status == 0
    sizes, rows = table(out)
    assert sizes == [5, 20]
    assert rows["lru"] == [pytest.approx(lru_miss_ratio(keys, s), abs=5e-5) for s in sizes]


def test_csv_trace_by_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = [f"k{(index * 7) % 13}" for index in range(500)]
    path = tmp_path / "requests.csv"
    lines = ["timestamp,object,size"] + [f"{i},{key},100" for i, key in enumerate(keys)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, out, _ = run_simulate(
        capsys, str(path), "--column", "object", "--sizes", "50%", "--policies", "lru,sieve"
    )
    assert status == 0
    sizes, rows = table(out)
    assert sizes == [7]  # half of 13 distinct keys, rounded
    assert rows["lru"] == [pytest.approx(lru_miss_ratio(keys, 7), abs=5e-5)]
    assert set(rows) == {"lru", "sieve", "belady"}


def test_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "trace.txt"
    path.write_text("\n".join(str(index % 17 * index % 23) for index in range(3000)))
    plot = tmp_path / "curves.png"
    status, out, _ = run_simulate(
        capsys, str(path), "--sizes", "2,4,8,16", "--policies", "lru,tinylfu", "--plot", str(plot)
    )
    assert status == 0
    assert f"written to {plot}" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.txt"], "No such file"),
        ([str(CLOUDPHYSICS), "--sizes", "0"], "bad cache size '0'"),
        ([str(CLOUDPHYSICS), "--sizes", "x%"], "bad cache size 'x%'"),
        ([str(CLOUDPHYSICS), "--policies", "lru,clock"], "unknown policies ['clock']"),
        ([str(CLOUDPHYSICS), "--column", "id"], "CSV and TSV traces"),
        ([str(CLOUDPHYSICS), "--format", "text", "--column", "2"], "column 1"),
    ],
)
def test_input_errors_exit_with_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_simulate(capsys, *args)
    assert status == 2
    assert out == ""
    assert err.startswith("pepperpy-cache simulate: error:")
    assert message in err


def test_empty_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("\n\n")
    status, _, err = run_simulate(capsys, str(path))
    assert status == 2
    assert "no requests" in err


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    for option in ("--sizes", "--policies", "--format", "--column", "--plot"):
        assert option in help_text
    assert "default 1%,5%,10%,25%" in help_text
    assert "s3fifo,tinylfu" in help_text


def test_parse_sizes() -> None:
    assert parse_sizes("1%,10%, 1000", 48_974) == [490, 4897, 1000]
    assert parse_sizes("0.001%,1,1", 100) == [1]
    for bad in ("", "-5", "1.5", "0%", "inf%", "nan%"):
        with pytest.raises(ConfigurationError):
            parse_sizes(bad, 100)


def test_parse_policies() -> None:
    assert parse_policies("LRU, tinylfu,lru") == ["lru", "tinylfu"]
    with pytest.raises(ConfigurationError):
        parse_policies(" , ")


def test_csv_with_timestamps_first_uses_the_key_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [f"k{(index * 7) % 13}" for index in range(500)]
    path = tmp_path / "requests.csv"
    lines = ["timestamp,obj_id,size"] + [f"{1000 + i},{key},100" for i, key in enumerate(keys)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, out, err = run_simulate(capsys, str(path), "--sizes", "7", "--policies", "lru")
    assert status == 0
    assert err == ""
    assert "keys from column 2 ('obj_id')" in out
    _, rows = table(out)
    assert rows["lru"] == [pytest.approx(lru_miss_ratio(keys, 7), abs=5e-5)]


def test_a_trace_of_distinct_requests_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "requests.csv"
    rows = ["timestamp,obj_id"] + [f"{1000 + i},k{i % 5}" for i in range(50)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    status, out, err = run_simulate(
        capsys, str(path), "--column", "1", "--sizes", "5", "--policies", "lru"
    )
    assert status == 0
    assert err.startswith("pepperpy-cache simulate: warning: every request in the trace is")
    assert "choose it with --column" in err
    _, table_rows = table(out)
    assert table_rows["lru"] == [1.0]
    status, _, err = run_simulate(
        capsys, str(path), "--column", "obj_id", "--sizes", "5", "--policies", "lru"
    )
    assert status == 0
    assert err == ""


def test_an_oracle_general_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = [(index * index) % 97 for index in range(3000)]
    path = tmp_path / "trace.oracleGeneral.bin"
    path.write_bytes(b"".join(struct.pack("<IQIq", t, i, 512, -1) for t, i in enumerate(ids)))
    status, out, _ = run_simulate(
        capsys, str(path), "--sizes", "10,40", "--policies", "lru", "--format", "oraclegeneral"
    )
    assert status == 0
    assert "(libCacheSim oracleGeneral binary): 3,000 requests" in out
    sizes, rows = table(out)
    keys = [str(i) for i in ids]
    assert rows["lru"] == [pytest.approx(lru_miss_ratio(keys, size), abs=5e-5) for size in sizes]


def test_an_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", str(CLOUDPHYSICS), "--format", "json"])
    assert exit_info.value.code == 2
    assert "unknown trace format 'json'" in capsys.readouterr().err


def test_the_plot_axis_spans_the_ratios_shown() -> None:
    from pepperpy.caching.cli.miss_ratio_plot import draw_plot, miss_ratio_limits
    from pepperpy.caching.core.simulation import SimulationResult

    results = [
        SimulationResult("lru", 10, 1000, 700),
        SimulationResult("lru", 100, 1000, 640),
        SimulationResult("s3fifo", 10, 1000, 690),
        SimulationResult("s3fifo", 100, 1000, 610),
    ]
    low, high = draw_plot(results, "t").axes[0].get_ylim()
    assert (low, high) == pytest.approx(miss_ratio_limits([0.7, 0.64, 0.69, 0.61]))
    assert 0.5 < low < 0.61
    assert 0.7 < high < 0.8
    assert miss_ratio_limits([0.0, 1.0]) == (0.0, 1.0)
    assert miss_ratio_limits([0.5, 0.5]) == pytest.approx((0.495, 0.505))
