"""``simulate --max-bytes``: a cache bounded in bytes, fed the object sizes of an
oracleGeneral trace."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest

from pepperpy.caching.cli.__main__ import main
from pepperpy.caching.cli.byte_sizes import format_bytes, parse_byte_sizes
from pepperpy.caching.core.errors import ConfigurationError
from pepperpy.caching.core.simulation_bytes import replay_bytes

IDS = [(index * index) % 89 for index in range(4000)]
SIZES = [100 + (obj * 37) % 900 for obj in IDS]  # one size per object, 100 B to 1 KB


def oracle_general(path: Path, *, compress: bool = False) -> Path:
    data = b"".join(
        struct.pack("<IQIq", t, obj, size, -1)
        for t, (obj, size) in enumerate(zip(IDS, SIZES, strict=True))
    )
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def tables(out: str) -> list[tuple[list[str], dict[str, list[float]]]]:
    """Each printed table: its column heads and the ratios of each row."""
    found = []
    lines = out.splitlines()
    for start, line in enumerate(lines):
        if not line.startswith("policy"):
            continue
        rows = {}
        for row in lines[start + 2 :]:
            if not row.strip() or not row[0].isalpha():
                break
            name, *cells = row.split()
            rows[name] = [float(cell) for cell in cells]
        found.append((line.split()[1:], rows))
    return found


def test_byte_bounded_miss_ratios_of_an_oracle_general_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = oracle_general(tmp_path / "trace.bin.gz", compress=True)
    status = main(["simulate", str(path), "--max-bytes", "10%,16KiB", "--policies", "lru,s3fifo"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "miss ratio by cache size (bytes)" in out
    (heads, by_request), (byte_heads, by_byte) = tables(out)
    working_set = sum(dict(zip(IDS, SIZES, strict=True)).values())
    capacities = [int(working_set * 0.1 + 0.5), 16 * 1024]
    assert heads == byte_heads == [format_bytes(size) for size in capacities]
    assert set(by_request) == {"lru", "s3fifo"}  # no Belady row for objects of many sizes
    keys = [str(obj) for obj in IDS]
    for column, capacity in enumerate(capacities):
        counted = replay_bytes(keys, SIZES, "lru", capacity)
        assert by_request["lru"][column] == pytest.approx(counted.misses / len(keys), abs=5e-5)
        expected = counted.missed_bytes / sum(SIZES)
        assert by_byte["lru"][column] == pytest.approx(expected, abs=5e-5)
    assert by_request["lru"][1] < by_request["lru"][0]  # 16 KiB is more than 10% here


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-bytes", "64MiB", "--sizes", "10"], "not both"),
        (["--max-bytes", "12 parsecs"], "bad cache size '12 parsecs'"),
        (["--max-bytes", "0"], "bad cache size '0'"),
    ],
)
def test_byte_bound_usage_errors(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = oracle_general(tmp_path / "trace.bin")
    assert main(["simulate", str(path), *args]) == 2
    assert message in capsys.readouterr().err


def test_a_trace_without_sizes_cannot_be_bounded_in_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "keys.txt"
    path.write_text("a\nb\na\n")
    assert main(["simulate", str(path), "--max-bytes", "1KB"]) == 2
    err = capsys.readouterr().err
    assert "--max-bytes needs the size of each object" in err
    assert "oracleGeneral traces do" in err


def test_parse_byte_sizes() -> None:
    assert parse_byte_sizes("4096, 1kB,1KiB,1.5MiB,2gb,50%", 1000) == [
        4096, 1000, 1024, 1572864, 2 * 10**9, 500
    ]  # fmt: skip
    assert parse_byte_sizes("1b,1,0.0001%", 10) == [1]
    for bad in ("", "-1", "1.5.5MB", "ten", "1XB", "0%"):
        with pytest.raises(ConfigurationError):
            parse_byte_sizes(bad, 100)


def test_format_bytes() -> None:
    assert [format_bytes(n) for n in (0, 1023, 1024, 1536, 16 * 2**20, 3 * 2**40)] == [
        "0B", "1023B", "1KiB", "1.5KiB", "16MiB", "3TiB"
    ]  # fmt: skip
