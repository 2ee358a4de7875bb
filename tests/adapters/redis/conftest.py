"""Redis servers for the adapter tests, started by the suite itself.

Missing ``redis-server``/``redis-cli`` skips these tests, unless the environment says
``PEPPERPY_REQUIRE_REDIS=1`` (as CI does), in which case they fail.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redis.cluster

from ...conftest import redis_binaries_or_skip as _binaries
from .servers import RedisServer, free_port, start_cluster

PASSWORD = "s3cr3t-P@ss:w/rd"
ACL_USER = "cacheuser"
ACL_PASSWORD = "acl-Pa55-word"


@pytest.fixture(scope="session")
def auth_server(
    tmp_path_factory: pytest.TempPathFactory, port_rng: random.Random
) -> Iterator[RedisServer]:
    """A server that needs a password, with an ACL user too."""
    server_bin, _ = _binaries()
    server = RedisServer(
        server_bin,
        free_port(port_rng),
        tmp_path_factory.mktemp("redis-auth"),
        ["--requirepass", PASSWORD],
    )
    server.start()
    with server.client() as client:
        client.execute_command(
            "ACL", "SETUSER", ACL_USER, "on", f">{ACL_PASSWORD}", "~*", "&*", "+@all"
        )
    yield server
    server.stop()


def _certificates(directory: Path) -> dict[str, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1, made with openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not found: cannot make certificates for the TLS test")
    files = {name: directory / name for name in ("ca.key", "ca.crt", "server.key", "server.crt")}
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=directory)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
        "-keyout", "ca.key", "-out", "ca.crt")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr")  # fmt: skip
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt")  # fmt: skip
    return files


@pytest.fixture(scope="session")
def tls_server(
    tmp_path_factory: pytest.TempPathFactory, port_rng: random.Random
) -> Iterator[tuple[RedisServer, int, Path]]:
    """A server with a TLS port (and a plain one, for the suite's own checks)."""
    server_bin, _ = _binaries()
    directory = tmp_path_factory.mktemp("redis-tls")
    certs = _certificates(directory)
    tls_port = free_port(port_rng)
    server = RedisServer(
        server_bin,
        free_port(port_rng),
        directory / "data",
        ["--tls-port", str(tls_port), "--tls-cert-file", str(certs["server.crt"]),
         "--tls-key-file", str(certs["server.key"]), "--tls-ca-cert-file", str(certs["ca.crt"]),
         "--tls-auth-clients", "no"],
    )  # fmt: skip
    server.start()
    yield server, tls_port, certs["ca.crt"]
    server.stop()


@pytest.fixture
def own_server(tmp_path: Path, port_rng: random.Random) -> Iterator[RedisServer]:
    """A server for one test only (the test may stop and restart it)."""
    server_bin, _ = _binaries()
    server = RedisServer(server_bin, free_port(port_rng), tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def _cluster_ports(rng: random.Random, count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port(rng, with_bus=True)
        if all(abs(port - p) > 1 and abs(port - p) != 10000 for p in ports):
            ports.append(port)
    return ports


@pytest.fixture(scope="session")
def redis_cluster(
    tmp_path_factory: pytest.TempPathFactory, port_rng: random.Random
) -> Iterator[list[RedisServer]]:
    """A 3-primary Redis Cluster for the whole session."""
    server_bin, cli = _binaries()
    ports = _cluster_ports(port_rng, 3)
    with start_cluster(server_bin, cli, ports, tmp_path_factory.mktemp("cluster")) as nodes:
        yield nodes


@pytest.fixture
def own_cluster(
    tmp_path: Path, port_rng: random.Random, request: pytest.FixtureRequest
) -> Iterator[list[RedisServer]]:
    """A cluster for one test, which may reshard it or kill its nodes: 3 primaries, and
    with ``@pytest.mark.parametrize("own_cluster", [1], indirect=True)`` a replica each."""
    replicas = getattr(request, "param", 0)
    server_bin, cli = _binaries()
    ports = _cluster_ports(port_rng, 3 * (replicas + 1))
    with start_cluster(server_bin, cli, ports, tmp_path / "cluster", replicas) as nodes:
        yield nodes


@pytest.fixture
def raw(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A plain sync client on the session server, to check what the cache stored."""
    with redis_server.client() as client:
        yield client


@pytest.fixture
def raw_cluster(redis_cluster: list[RedisServer]) -> Iterator[redis.cluster.RedisCluster]:
    with redis.cluster.RedisCluster(host="127.0.0.1", port=redis_cluster[0].port) as client:
        yield client


@pytest.fixture
def namespace() -> str:
    """A namespace no other test uses."""
    return f"t{uuid.uuid4().hex[:12]}"
