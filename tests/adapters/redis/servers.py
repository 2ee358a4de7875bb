"""Real redis-server processes for the tests: started on free loopback ports, stopped after."""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import redis

__all__ = ("RedisServer", "free_port", "redis_binaries", "start_cluster", "wait_for_cluster")


def redis_binaries() -> tuple[str, str] | None:
    """Paths of redis-server and redis-cli, or ``None`` when either is missing."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    return (server, cli) if server and cli else None


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(rng: random.Random, *, with_bus: bool = False) -> int:
    """A port free on 127.0.0.1 (and port + 10000 too, for a cluster bus); < 55536."""
    for _ in range(1000):
        port = rng.randrange(20000, 45000)
        if _free(port) and (not with_bus or _free(port + 10000)):
            return port
    raise RuntimeError("no free port found")


class RedisServer:
    """One redis-server process, without persistence, in its own directory."""

    def __init__(self, binary: str, port: int, directory: Path, args: Sequence[str] = ()) -> None:
        self.binary = binary
        self.port = port
        self.directory = directory
        self.args = tuple(args)
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        command = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
            "--logfile", str(self.directory / "redis.log"),
            *self.args,
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        password = self._password()
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.process.stderr!r}")
            try:
                with redis.Redis(port=self.port, password=password, socket_timeout=1) as client:
                    client.ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _password(self) -> str | None:
        args = list(self.args)
        return args[args.index("--requirepass") + 1] if "--requirepass" in args else None

    def kill(self) -> None:
        """End the server at once (SIGKILL): no goodbye to its clients."""
        if self.process is not None:
            self.process.kill()
        self.stop()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(port=self.port, db=db, password=self._password(), socket_timeout=10)


@contextlib.contextmanager
def start_cluster(
    server: str, cli: str, ports: Sequence[int], directory: Path, replicas: int = 0
) -> Iterator[list[RedisServer]]:
    """A cluster of ``len(ports)`` nodes, ``replicas`` replicas per primary, ready
    (cluster_state:ok, every replica attached)."""
    nodes = [
        RedisServer(
            server,
            port,
            directory / str(port),
            [
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                f"nodes-{port}.conf",
                "--cluster-node-timeout",
                "2000",
            ],
        )
        for port in ports
    ]
    try:
        for node in nodes:
            node.start()
        subprocess.run(
            [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
             "--cluster-replicas", str(replicas), "--cluster-yes"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip
        wait_for_cluster(nodes, primaries=len(ports) // (replicas + 1))
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def wait_for_cluster(nodes: Sequence[RedisServer], primaries: int, timeout: float = 30) -> None:
    """Until every live node says cluster_state:ok and knows ``primaries`` primaries with
    slots and every replica is in sync."""
    deadline = time.monotonic() + timeout
    for node in nodes:
        if node.process is None:
            continue
        with node.client() as client:
            while True:
                info = client.execute_command("CLUSTER", "INFO")
                shards = client.execute_command("CLUSTER", "SHARDS")
                ready = b"cluster_state:ok" in info and len(shards) >= primaries
                if ready:  # redis-py parses the reply into dicts
                    for shard in shards:
                        for member in shard[b"nodes"]:
                            ready = ready and member[b"health"] == b"online"
                if ready:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("the test cluster did not converge")
                time.sleep(0.05)
