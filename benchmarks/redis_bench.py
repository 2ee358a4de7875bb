"""RedisCache against raw redis-py and a bare socket, on a local redis-server and Cluster.

Starts its own ``redis-server`` (no persistence) and a 3-primary Cluster on free
loopback ports, runs every contender of a row in the same process, interleaved in
slices, and prints ops/s (the median slice) with the ratios the library aims at.
Rounds alternate asyncio and trio, so both runtimes see the same machine load:

    PYTHONPATH=src python benchmarks/redis_bench.py
    PYTHONPATH=src python benchmarks/redis_bench.py --ops 4000 --rounds 7

Contenders:

* ``bare socket``: the floor. One ``anyio.connect_tcp`` stream and ``hiredis.Reader``,
  one send and one receive per GET, no deadline, no decoding: what any client on
  anyio's streams has to spend at least. ``bare wait_readable``: the same loop on a
  non-blocking socket (``sock.send``, then ``anyio.wait_readable`` and ``sock.recv``),
  the floor of the library's own socket stream.
* ``raw redis.asyncio``: redis-py's asyncio client, pre-encoded bytes in and out (50
  tasks: its connection pool); ``raw RedisCluster``: ``redis.asyncio.cluster``.
* ``RedisCache``: entered (``async with``, so the watchdog keeps the deadlines), JSON
  values; ``RedisCache bytes`` the same with ``serializer="bytes"`` (the library's
  own work without JSON); ``RedisCache, not entered``: each command keeps its own
  deadline with a cancel scope.

The goals: sequential GET and SET on trio >= 0.95x asyncio; on asyncio >= 1.6x raw
``redis.asyncio``; 50 concurrent tasks >= 2x raw with its pool; ``get_many`` of 100
keys >= 1.0x raw MGET; a Cluster GET >= 1.5x raw ``RedisCluster``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import hiredis
import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.cluster

from pepperpy.caching import RedisCache

VALUE = {"user": 42, "name": "ada"}
PAYLOAD = json.dumps(VALUE).encode()
CONCURRENCY = 50
MGET_KEYS = 100
SLICES = 10

Bench = Callable[[int], Awaitable[None]]
Op = Callable[[], Awaitable[Any]]


# -- servers ------------------------------------------------------------------------------


def free_port(rng: random.Random, with_bus: bool = False) -> int:
    for _ in range(1000):
        port = rng.randrange(20000, 45000)
        ports = (port, port + 10000) if with_bus else (port,)
        try:
            for candidate in ports:
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port")


def start_server(directory: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server not found")
    directory.mkdir(parents=True, exist_ok=True)
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(directory), *extra]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    for _ in range(500):
        try:
            redis.Redis(port=port).ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.01)
    process.kill()
    sys.exit("redis-server did not start")


def start_cluster(directory: Path, ports: list[int]) -> list[subprocess.Popen[bytes]]:
    processes = [
        start_server(directory / str(p), p, "--cluster-enabled", "yes",
                     "--cluster-config-file", f"nodes-{p}.conf")
        for p in ports
    ]  # fmt: skip
    cli = shutil.which("redis-cli")
    if cli is None:
        sys.exit("redis-cli not found")
    subprocess.run(
        [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
         "--cluster-replicas", "0", "--cluster-yes"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for port in ports:
        client = redis.Redis(port=port)
        while b"cluster_state:ok" not in client.execute_command("CLUSTER", "INFO"):
            time.sleep(0.05)
        client.close()
    return processes


# -- contenders -----------------------------------------------------------------------------


def sequential(op: Op) -> Bench:
    async def run(ops: int) -> None:
        for _ in range(ops):
            await op()

    return run


def concurrent(op: Op) -> Bench:
    async def worker(ops: int) -> None:
        for _ in range(ops):
            await op()

    async def run(ops: int) -> None:
        async with anyio.create_task_group() as group:
            for _ in range(CONCURRENCY):
                group.start_soon(worker, max(ops // CONCURRENCY, 1))

    return run


def batch(op: Op, keys_per_call: int) -> Bench:
    async def run(ops: int) -> None:
        for _ in range(max(1, ops // keys_per_call)):
            await op()

    return run


async def bare_get(port: int, key: bytes) -> tuple[Op, anyio.abc.ByteStream]:
    """The floor: one send and one receive per GET, nothing else."""
    stream = await anyio.connect_tcp("127.0.0.1", port)
    reader = hiredis.Reader()
    command = b"*2\r\n$3\r\nGET\r\n$%d\r\n%b\r\n" % (len(key), key)

    async def get() -> Any:
        await stream.send(command)
        while True:
            reader.feed(await stream.receive())
            reply = reader.gets()
            if reply is not False:
                return reply

    return get, stream


async def bare_wait_readable_get(port: int, key: bytes) -> tuple[Op, socket.socket]:
    """The floor of a non-blocking socket: send, wait until readable, receive."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    reader = hiredis.Reader()
    command = b"*2\r\n$3\r\nGET\r\n$%d\r\n%b\r\n" % (len(key), key)
    wait_readable = anyio.lowlevel.current_token().backend_class.wait_readable

    async def get() -> Any:
        sock.send(command)
        while True:
            await wait_readable(sock)
            reader.feed(sock.recv(65536))
            reply = reader.gets()
            if reply is not False:
                return reply

    return get, sock


async def contenders(
    backend: str, port: int, cluster_port: int
) -> tuple[dict[str, dict[str, Bench]], list[Callable[[], Awaitable[None]]]]:
    closers: list[Callable[[], Awaitable[None]]] = []
    mine = f"RedisCache ({backend})"
    cache = RedisCache("127.0.0.1", port, namespace="bench")
    as_bytes = RedisCache("127.0.0.1", port, namespace="bench", serializer="bytes")
    plain = RedisCache("127.0.0.1", port, namespace="bench")  # not entered
    on_cluster = RedisCache(startup_nodes=[("127.0.0.1", cluster_port)], namespace="bench")
    for entered in (cache, as_bytes, on_cluster):
        await entered.__aenter__()
    closers += [
        plain.aclose,
        *(partial(c.__aexit__, None, None, None) for c in (cache, as_bytes, on_cluster)),
    ]
    floor, stream = await bare_get(port, b"bench:k1")
    closers.append(stream.aclose)
    socket_floor, sock = await bare_wait_readable_get(port, b"bench:k1")

    async def close_socket() -> None:
        sock.close()

    closers.append(close_socket)
    keys = [f"k{i}" for i in range(MGET_KEYS)]
    rows: dict[str, dict[str, Bench]] = {
        "GET sequential": {
            f"bare socket ({backend})": sequential(floor),
            f"bare wait_readable ({backend})": sequential(socket_floor),
            mine: sequential(lambda: cache.get("k1")),
            f"RedisCache bytes ({backend})": sequential(lambda: as_bytes.get("k1")),
            f"RedisCache, not entered ({backend})": sequential(lambda: plain.get("k1")),
        },
        "SET sequential": {
            mine: sequential(lambda: cache.set("k1", VALUE)),
            f"RedisCache bytes ({backend})": sequential(lambda: as_bytes.set("k1", PAYLOAD)),
        },
        f"GET x{CONCURRENCY} tasks": {mine: concurrent(lambda: cache.get("k1"))},
        f"get_many {MGET_KEYS} keys (keys/s)": {
            mine: batch(lambda: cache.get_many(keys), MGET_KEYS),
            f"RedisCache bytes ({backend})": batch(lambda: as_bytes.get_many(keys), MGET_KEYS),
        },
        "Cluster GET sequential": {mine: sequential(lambda: on_cluster.get("k1"))},
    }
    if backend == "asyncio":
        raw = redis.asyncio.Redis(port=port)
        raw_cluster = redis.asyncio.cluster.RedisCluster(host="127.0.0.1", port=cluster_port)
        raw_keys = [f"bench:{k}" for k in keys]
        rows["GET sequential"]["raw redis.asyncio"] = sequential(lambda: raw.get("bench:k1"))
        rows["SET sequential"]["raw redis.asyncio"] = sequential(
            lambda: raw.set("bench:k1", PAYLOAD)
        )
        rows[f"GET x{CONCURRENCY} tasks"]["raw redis.asyncio"] = concurrent(
            lambda: raw.get("bench:k1")
        )
        rows[f"get_many {MGET_KEYS} keys (keys/s)"]["raw redis.asyncio"] = batch(
            lambda: raw.mget(raw_keys), MGET_KEYS
        )
        rows["Cluster GET sequential"]["raw RedisCluster"] = sequential(
            lambda: raw_cluster.get("bench:k1")
        )
        closers += [raw.aclose, raw_cluster.aclose]
    return rows, closers


# -- running --------------------------------------------------------------------------------

Results = dict[tuple[str, str], list[float]]


def run_round(
    backend: str, port: int, cluster_port: int, ops: int, results: Results, cpu: Results
) -> None:
    async def main() -> None:
        rows, closers = await contenders(backend, port, cluster_port)
        for row, benches in rows.items():
            count = ops * 10 if "keys/s" in row else ops
            slice_ = max(count // SLICES, 1)
            for bench in benches.values():
                await bench(slice_)  # warm up: connections, the slot table
            for _ in range(SLICES):  # fine interleaving: load from elsewhere hits all alike
                names = list(benches)
                random.shuffle(names)
                for name in names:
                    started, used = time.perf_counter(), time.process_time()
                    await benches[name](slice_)
                    elapsed = time.perf_counter() - started
                    results.setdefault((row, name), []).append(slice_ / elapsed)
                    per_op = (time.process_time() - used) / slice_ * 1e6
                    cpu.setdefault((row, name), []).append(per_op)
        for close in reversed(closers):
            await close()

    anyio.run(main, backend=backend)


def report(results: Results, cpu: Results) -> None:
    """Medians over every slice of every round: bursts of load from elsewhere hit a few
    slices, and the median leaves them out. ``spread`` is the interquartile range over
    the median; ``cpu us/op`` is this process's CPU time per operation (user and
    system), which other processes' load disturbs far less than the wall clock."""
    rows: dict[str, dict[str, float]] = {}
    spread: dict[tuple[str, str], float] = {}
    for (row, name), values in results.items():
        median = statistics.median(values)
        rows.setdefault(row, {})[name] = median
        quartiles = statistics.quantiles(values, n=4) if len(values) > 1 else [median] * 3
        spread[(row, name)] = (quartiles[2] - quartiles[0]) / median
    print(
        f"{'operation':30} {'contender':38} {'ops/s':>9} {'us/op':>7} {'spread':>6}"
        f" {'cpu us/op':>9}"
    )
    for row, named in rows.items():
        for name, rate in named.items():
            used = statistics.median(cpu[(row, name)])
            print(
                f"{row:30} {name:38} {rate:9.0f} {1e6 / rate:7.1f}"
                f" {spread[(row, name)]:6.0%} {used:9.1f}"
            )
        print()
    print("ratios of ops/s (goal in brackets), and of cpu us/op the other way round")

    def ratio(row: str, top: str, bottom: str, goal: float | None = None) -> None:
        a, b = rows.get(row, {}).get(top), rows.get(row, {}).get(bottom)
        if a and b:
            aim = f"  [>= {goal:.2f}x]" if goal else ""
            work = statistics.median(cpu[(row, bottom)]) / statistics.median(cpu[(row, top)])
            print(f"  {row:24} {top} / {bottom}: {a / b:5.2f}x{aim}  (cpu {work:4.2f}x)")

    for row in ("GET sequential", "SET sequential"):
        ratio(row, "RedisCache (trio)", "RedisCache (asyncio)", 0.95)
        ratio(row, "RedisCache (asyncio)", "raw redis.asyncio", 1.6)
        ratio(row, "RedisCache bytes (asyncio)", "raw redis.asyncio")
    for backend in ("asyncio", "trio"):
        ratio("GET sequential", f"RedisCache ({backend})", f"bare socket ({backend})")
        ratio("GET sequential", f"RedisCache, not entered ({backend})", f"bare socket ({backend})")
        ratio("GET sequential", f"RedisCache ({backend})", f"bare wait_readable ({backend})")
    ratio("GET sequential", "bare socket (asyncio)", "raw redis.asyncio")
    ratio("GET sequential", "bare wait_readable (asyncio)", "raw redis.asyncio")
    ratio(f"GET x{CONCURRENCY} tasks", "RedisCache (asyncio)", "raw redis.asyncio", 2.0)
    ratio(f"GET x{CONCURRENCY} tasks", "RedisCache (trio)", "RedisCache (asyncio)")
    ratio(f"get_many {MGET_KEYS} keys (keys/s)", "RedisCache (asyncio)", "raw redis.asyncio", 1.0)
    row = f"get_many {MGET_KEYS} keys (keys/s)"
    ratio(row, "RedisCache bytes (asyncio)", "raw redis.asyncio")
    ratio("Cluster GET sequential", "RedisCache (asyncio)", "raw RedisCluster", 1.5)
    ratio("Cluster GET sequential", "RedisCache (trio)", "RedisCache (asyncio)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000, help="operations per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (median is reported)")
    args = parser.parse_args()
    rng = random.Random()
    with tempfile.TemporaryDirectory() as directory:
        port = free_port(rng)
        ports: list[int] = []
        while len(ports) < 3:
            candidate = free_port(rng, with_bus=True)
            if all(abs(candidate - p) > 1 for p in ports) and candidate != port:
                ports.append(candidate)
        processes = [start_server(Path(directory) / "single", port)]
        try:
            processes += start_cluster(Path(directory) / "cluster", ports)
            with redis.Redis(port=port) as single:
                single.mset({f"bench:k{i}": PAYLOAD for i in range(MGET_KEYS)})
            with redis.cluster.RedisCluster(host="127.0.0.1", port=ports[0]) as cluster:
                cluster.mset_nonatomic({f"bench:k{i}": PAYLOAD for i in range(MGET_KEYS)})
            results: Results = {}
            cpu: Results = {}
            for _ in range(args.rounds):
                for backend in ("asyncio", "trio"):
                    run_round(backend, port, ports[0], args.ops, results, cpu)
            print(f"redis-py {redis.__version__}, hiredis {hiredis.__version__},")
            print(
                f"{args.rounds} rounds x {SLICES} slices of {args.ops // SLICES} ops"
                " (x10 keys for get_many)\n"
            )
            report(results, cpu)
        finally:
            for process in processes:
                process.terminate()
                process.wait()


if __name__ == "__main__":
    main()
