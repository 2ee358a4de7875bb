"""Reading trace files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pepperpy.caching.cli.traces import TraceError, read_trace

DATA = Path(__file__).parents[1] / "data"


def test_the_bundled_cloudphysics_trace() -> None:
    trace = read_trace(DATA / "cloudphysics_114k.npy")
    assert (len(trace.keys), trace.distinct) == (113_872, 48_974)
    assert trace.keys[:3] == ["0", "1", "2"]  # ids numbered by first appearance


def test_text_trace_one_key_per_line(tmp_path: Path) -> None:
    path = tmp_path / "trace.txt"
    path.write_text("a\nb\n\n  a  \nclé\r\n", encoding="utf-8")
    trace = read_trace(path)
    assert trace.keys == ["a", "b", "a", "clé"]
    assert trace.distinct == 3
    assert trace.keys[0] is trace.keys[2]  # one object per distinct key


def test_csv_trace_by_column(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    path.write_text('time,key,size\n1,"a,1",10\n2,b,20\n\n3,"a,1",30\n', encoding="utf-8")
    assert read_trace(path).keys == ["1", "2", "3"]
    assert read_trace(path, column="key").keys == ["a,1", "b", "a,1"]
    with pytest.raises(TraceError, match="no column 'missing'"):
        read_trace(path, column="missing")


def test_csv_rows_too_short_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    path.write_text("a,b\n1,2\n3\n", encoding="utf-8")
    with pytest.raises(TraceError, match="line 3"):
        read_trace(path, column="b")


def test_empty_csv(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(TraceError, match="empty"):
        read_trace(path)


def test_format_can_be_forced(tmp_path: Path) -> None:
    path = tmp_path / "trace.log"
    path.write_text("k,v\nx,1\n", encoding="utf-8")
    assert read_trace(path).keys == ["k,v", "x,1"]
    assert read_trace(path, "csv").keys == ["x"]
    with pytest.raises(TraceError, match="CSV traces only"):
        read_trace(path, column="k")
    with pytest.raises(TraceError, match="unknown trace format"):
        read_trace(path, "json")


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((2, 2), dtype=np.uint32), "one-dimensional"),
        (np.zeros(3, dtype=np.float64), "integer or string"),
    ],
)
def test_npy_arrays_must_be_flat_ids(tmp_path: Path, array: np.ndarray, message: str) -> None:
    path = tmp_path / "trace.npy"
    np.save(path, array)
    with pytest.raises(TraceError, match=message):
        read_trace(path)


def test_npy_string_ids(tmp_path: Path) -> None:
    path = tmp_path / "trace.npy"
    np.save(path, np.array(["b", "a", "b"]))
    trace = read_trace(path)
    assert (trace.keys, trace.distinct) == (["b", "a", "b"], 2)


def test_npy_with_objects_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trace.npy"
    np.save(path, np.array([1, "a"], dtype=object), allow_pickle=True)
    with pytest.raises(TraceError, match="without objects"):
        read_trace(path)
