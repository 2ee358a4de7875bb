"""What the serializers cost, next to the raw stdlib and numpy calls a user would make.

Run from the repository root::

    PYTHONPATH=src python benchmarks/serializers.py [--repeat 5]

For each value it prints the CPU time (best of the repeats) of ``dumps`` and of
``loads`` in ns, and their ratio to the peer: ``json.dumps(v).encode()`` /
``json.loads(b)`` for JSON, unsigned ``pickle.dumps(v, 5)`` / ``pickle.loads(b)`` for
signed pickle, and ``numpy.save`` / ``numpy.load`` to a BytesIO (the .npy format) for
arrays. CPU time rather than wall time, so that other work on a shared machine
disturbs the figures less.
"""

from __future__ import annotations

import argparse
import io
import json
import pickle
import time
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

from pepperpy.caching import JsonSerializer, PickleSerializer
from pepperpy.caching.core.serializers import NumpySerializer

__all__ = ("main",)

RECORD = {
    "id": 123,
    "name": "alice",
    "email": "alice@example.com",
    "active": True,
    "score": 3.5,
    "tags": ["a", "b", "c"],
}
RECORDS = [dict(RECORD, id=i) for i in range(100)]
INTS = list(range(10_000))
RNG = np.random.default_rng(0)
EMBEDDING = RNG.random(1536, dtype=np.float32)
MATRIX = RNG.random((1000, 1000))


def _ns(call: Callable[[], object], repeat: int) -> float:
    timer = timeit.Timer(call, timer=time.process_time)
    number, _ = timer.autorange()
    return min(timer.repeat(number=number, repeat=repeat)) / number * 1e9


def _npy_dumps(array: np.ndarray[Any, Any]) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _npy_loads(data: bytes) -> Any:
    return np.load(io.BytesIO(data), allow_pickle=False)


def _row(
    label: str,
    value: object,
    ours: tuple[Callable[[Any], bytes], Callable[[bytes], Any]],
    peer: tuple[Callable[[Any], bytes], Callable[[bytes], Any]],
    repeat: int,
) -> str:
    dumps, loads = ours
    peer_dumps, peer_loads = peer
    data, peer_data = dumps(value), peer_dumps(value)
    times = [
        _ns(lambda: dumps(value), repeat),
        _ns(lambda: peer_dumps(value), repeat),
        _ns(lambda: loads(data), repeat),
        _ns(lambda: peer_loads(peer_data), repeat),
    ]
    return (
        f"{label:<30} {times[0]:>12,.0f} {times[1]:>12,.0f} {times[0] / times[1]:>6.2f}"
        f" {times[2]:>12,.0f} {times[3]:>12,.0f} {times[2] / times[3]:>6.2f} {len(data):>10,}"
    )


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timing repeats (best is kept)")
    repeat = parser.parse_args().repeat

    json_ours = JsonSerializer()
    json_peer = (lambda v: json.dumps(v).encode(), json.loads)
    signed = PickleSerializer(b"k" * 32)
    pickle_peer = (lambda v: pickle.dumps(v, 5), pickle.loads)
    arrays = NumpySerializer()

    print(
        f"{'value':<30} {'dumps ns':>12} {'peer ns':>12} {'ratio':>6}"
        f" {'loads ns':>12} {'peer ns':>12} {'ratio':>6} {'bytes':>10}"
    )
    for label, value in [
        ("record (6 fields)", RECORD),
        ("100 records", RECORDS),
        ("10k ints", INTS),
        ("short str", "hello world"),
    ]:
        print(_row(f"json: {label}", value, (json_ours.dumps, json_ours.loads), json_peer, repeat))
    for label, value in [("record (6 fields)", RECORD), ("100 records", RECORDS)]:
        print(_row(f"pickle: {label}", value, (signed.dumps, signed.loads), pickle_peer, repeat))
    npy_peer = (_npy_dumps, _npy_loads)
    for label, value in [("1536 float32", EMBEDDING), ("1000x1000 float64", MATRIX)]:
        print(_row(f"numpy: {label}", value, (arrays.dumps, arrays.loads), npy_peer, repeat))


if __name__ == "__main__":
    main()
