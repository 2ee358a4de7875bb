"""Reading trace files: every format, told by content, compressed or not."""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import zstandard

from pepperpy.caching.cli.traces import (
    TRACE_FORMATS,
    TraceError,
    detect_format,
    parse_format,
    read_trace,
)

DATA = Path(__file__).parents[1] / "data"
SRC = str(Path(__file__).resolve().parents[2] / "src")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def oracle_general(requests: Sequence[tuple[int, int]]) -> bytes:
    """libCacheSim oracleGeneral records for (object id, size) requests."""
    return b"".join(
        struct.pack("<IQIq", 1000 + time, obj_id, size, -1)
        for time, (obj_id, size) in enumerate(requests)
    )


REQUESTS = [(7, 100), (2**64 - 1, 4096), (7, 120), (0, 1), (2**64 - 1, 4096)]


# -- text ------------------------------------------------------------------------


def test_the_bundled_cloudphysics_trace() -> None:
    trace = read_trace(DATA / "cloudphysics_114k.npy")
    assert (len(trace.keys), trace.distinct) == (113_872, 48_974)
    assert trace.keys[:3] == ["0", "1", "2"]  # ids numbered by first appearance
    assert trace.sizes is None


def test_text_trace_one_key_per_line(tmp_path: Path) -> None:
    path = write(tmp_path / "trace.txt", "a\nb\n\n  a  \nclé\r\n")
    trace = read_trace(path)
    assert trace.keys == ["a", "b", "a", "clé"]
    assert trace.distinct == 3
    assert trace.keys[0] is trace.keys[2]  # one object per distinct key
    assert trace.description == "text, one key per line"
    assert read_trace(path, column="1").keys == trace.keys  # its one column
    with pytest.raises(TraceError, match="one key per line: column 1"):
        read_trace(path, column="2")
    with pytest.raises(TraceError, match="--header and --no-header apply to CSV and TSV"):
        read_trace(path, header=True)


def test_an_empty_file_is_a_trace_without_requests(tmp_path: Path) -> None:
    for name in ("empty.txt", "empty.csv"):
        trace = read_trace(write(tmp_path / name, ""))
        assert (trace.keys, trace.distinct) == ([], 0)


def test_text_that_is_not_utf8_says_so(tmp_path: Path) -> None:
    path = tmp_path / "trace.txt"
    path.write_bytes(b"caf\xe9\n" * 10)
    with pytest.raises(TraceError, match=r"not UTF-8 text.*--format oracleGeneral"):
        read_trace(path, "text")


# -- CSV and TSV -----------------------------------------------------------------


# (file, the keys read by default, how they were read, the keys of other columns)
COLUMNS = [
    pytest.param(
        'time,key,size\n1,"a,1",10\n2,b,20\n\n3,"a,1",30\n',
        ["a,1", "b", "a,1"],
        "CSV with a header row, keys from column 2 ('key')",
        {"key": ["a,1", "b", "a,1"], "1": ["1", "2", "3"], "3": ["10", "20", "30"]},
        id="a header, and the key column found by its name",
    ),
    pytest.param(
        "when,who\n100,ada\n101,bob\n102,ada\n",
        ["100", "101", "102"],  # no column is named like a key
        "CSV with a header row, keys from column 1 ('when')",
        {"who": ["ada", "bob", "ada"], "2": ["ada", "bob", "ada"]},
        id="a header of unknown names, told by numbers below a word",
    ),
    pytest.param(
        "a,1\nb,2\na,3\n",
        ["a", "b", "a"],
        "CSV with no header row, keys from column 1",
        {"1": ["a", "b", "a"], "2": ["1", "2", "3"]},
        id="a headerless file keeps its first row",
    ),
]


@pytest.mark.parametrize(("text", "keys", "description", "by_column"), COLUMNS)
def test_header_and_key_column(
    tmp_path: Path, text: str, keys: list[str], description: str, by_column: dict[str, list[str]]
) -> None:
    path = write(tmp_path / "trace.csv", text)
    trace = read_trace(path)
    assert (trace.keys, trace.description) == (keys, description)
    for column, expected in by_column.items():
        assert read_trace(path, column=column).keys == expected, column


def test_header_can_be_forced_either_way(tmp_path: Path) -> None:
    path = write(tmp_path / "trace.csv", "x,y\na,b\nc,d\n")
    assert read_trace(path).keys == ["x", "a", "c"]  # nothing marks "x,y" as a header
    assert read_trace(path, header=True).keys == ["a", "c"]
    assert read_trace(path, header=True, column="y").keys == ["b", "d"]
    assert read_trace(write(tmp_path / "h.csv", "key,op\nk,get\n"), header=False).keys == [
        "key",
        "k",
    ]


def test_bad_columns_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "trace.csv", "time,key\n1,a\n2,b\n")
    with pytest.raises(TraceError, match=r"no column 'missing'; the first row has \['time'"):
        read_trace(path, column="missing")
    with pytest.raises(TraceError, match="numbered from 1"):
        read_trace(path, column="0")
    with pytest.raises(TraceError, match="a name needs a header row"):
        read_trace(path, column="key", header=False)


def test_rows_too_short_are_reported_with_their_line(tmp_path: Path) -> None:
    path = write(tmp_path / "trace.csv", 'a,b\n1,2\n"multi\nline",3\n4\n')
    with pytest.raises(TraceError, match="line 5: no value in column 2"):
        read_trace(path, column="b")


def test_tsv_takes_one_column_not_the_whole_line(tmp_path: Path) -> None:
    path = write(tmp_path / "trace.tsv", 'timestamp\tobj_id\n1\tuser "1"\n2\tb,c\n3\tuser "1"\n')
    trace = read_trace(path)
    assert trace.keys == ['user "1"', "b,c", 'user "1"']  # no quoting in TSV
    assert trace.description == "TSV with a header row, keys from column 2 ('obj_id')"


def test_the_suffix_names_the_delimiter_when_the_content_cannot(tmp_path: Path) -> None:
    assert read_trace(write(tmp_path / "one.csv", '"a,b"\nc\n')).keys == ["a,b", "c"]
    assert read_trace(write(tmp_path / "one.txt", '"a,b"\nc\n')).keys == ['"a,b"', "c"]


# -- oracleGeneral ---------------------------------------------------------------


@pytest.mark.parametrize("compression", [None, "gzip", "zstd"])
@pytest.mark.parametrize("name", ["trace.oracleGeneral", "trace.bin", "trace"])
def test_oracle_general_plain_gzip_and_zstd_told_by_content(
    tmp_path: Path, compression: str | None, name: str
) -> None:
    data = oracle_general(REQUESTS)
    if compression == "gzip":
        data, name = gzip.compress(data), name + ".gz"
    elif compression == "zstd":
        data, name = zstandard.ZstdCompressor().compress(data), name + ".zst"
    path = tmp_path / name
    path.write_bytes(data)
    trace = read_trace(path)
    assert trace.keys == ["7", str(2**64 - 1), "7", "0", str(2**64 - 1)]
    assert trace.distinct == 3
    assert trace.keys[0] is trace.keys[2]
    assert trace.sizes is not None
    assert list(trace.sizes) == [100, 4096, 120, 1, 4096]  # kept for byte-size simulation
    expected = "libCacheSim oracleGeneral binary"
    assert trace.description == (
        expected if compression is None else f"{expected}, {compression}-compressed"
    )


def test_a_large_oracle_general_trace_is_read_across_many_reads(tmp_path: Path) -> None:
    requests = [(index % 1000, index) for index in range(100_001)]
    path = tmp_path / "big.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(oracle_general(requests)))
    trace = read_trace(path)
    assert len(trace.keys) == 100_001
    assert trace.distinct == 1000
    assert trace.keys[-1] == "0"
    assert trace.sizes is not None
    assert trace.sizes[-1] == 100_000


def test_binary_data_of_the_wrong_length_is_not_oracle_general(tmp_path: Path) -> None:
    path = tmp_path / "trace.bin"
    path.write_bytes(oracle_general(REQUESTS) + b"\x00\x01\x02")
    with pytest.raises(TraceError, match=r"123 bytes is not a whole number of 24-byte"):
        read_trace(path)


def test_a_corrupt_archive_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "trace.gz"
    path.write_bytes(gzip.compress(oracle_general(REQUESTS * 100))[:60])
    with pytest.raises(TraceError, match="cannot decompress"):
        read_trace(path, "oracleGeneral")


def test_without_zstandard_a_zst_trace_names_the_extra(tmp_path: Path) -> None:
    path = tmp_path / "trace.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(oracle_general(REQUESTS)))
    code = (
        "import sys\n"
        "sys.modules['zstandard'] = None  # as if the extra were not installed\n"
        "from pathlib import Path\n"
        "from pepperpy.caching.cli.traces import TraceError, read_trace\n"
        "try:\n"
        "    read_trace(Path(sys.argv[1]))\n"
        "except TraceError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    assert "pip install 'pepperpy-caching[zstd]'" in done.stdout


# -- npy -------------------------------------------------------------------------


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


def test_npy_string_ids_and_a_gzipped_npy(tmp_path: Path) -> None:
    path = tmp_path / "trace.npy"
    np.save(path, np.array(["b", "a", "b"]))
    trace = read_trace(path)
    assert (trace.keys, trace.distinct) == (["b", "a", "b"], 2)
    packed = tmp_path / "ids.npy.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    assert read_trace(packed).keys == ["b", "a", "b"]


def test_npy_with_objects_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trace.npy"
    np.save(path, np.array([1, "a"], dtype=object), allow_pickle=True)
    with pytest.raises(TraceError, match="without objects"):
        read_trace(path)


def test_column_and_header_are_refused_for_binary_formats() -> None:
    with pytest.raises(TraceError, match="--column applies to CSV and TSV traces; this one is npy"):
        read_trace(DATA / "cloudphysics_114k.npy", column="1")
    with pytest.raises(TraceError, match="apply to CSV and TSV traces, not npy"):
        read_trace(DATA / "cloudphysics_114k.npy", header=False)


# -- telling formats apart -------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "suffix", "expected"),
    [
        (b"\x93NUMPY\x01\x00", "", "npy"),
        (oracle_general(REQUESTS), ".csv", "oracleGeneral"),  # the content wins
        (b"\xff\xfe\xfa" * 10, "", "oracleGeneral"),  # not UTF-8
        (b"a\tb\nc\td\n", "", "tsv"),
        (b"a,b\nc,d\ne\n", "", "csv"),
        (b"a,b\nc\nd\n", "", "text"),
        (b"user:1\nuser:2\n", "", "text"),
        (b"user:1\nuser:2\n", ".tsv.gz", "tsv"),
        ("clé,x\n".encode() * 3 + b"cl\xc3", "", "csv"),  # cut mid-character
        (b"", "", "text"),
    ],
)
def test_detect_format(head: bytes, suffix: str, expected: str) -> None:
    assert detect_format(head, suffix) == expected


def test_format_can_be_forced_in_any_case(tmp_path: Path) -> None:
    path = write(tmp_path / "trace.log", "k,v\nx,1\n")
    assert read_trace(path).keys == ["x"]  # CSV, and a word above a number: a header
    assert read_trace(path, "text").keys == ["k,v", "x,1"]
    assert read_trace(path, "CSV", header=False).keys == ["k", "x"]
    assert [parse_format(name.upper()) for name in TRACE_FORMATS] == list(TRACE_FORMATS)
    with pytest.raises(TraceError, match="unknown trace format 'json'"):
        read_trace(path, "json")
