"""Redis to Redis, every type, on real servers (two of them, and a Cluster as the
target), on asyncio and on trio: DUMP/RESTORE, and rebuilding by type where a server
refuses those."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from pepperpy.caching import MigrationHelper
from pepperpy.caching.cli.__main__ import main
from pepperpy.caching.core.remote.copy_rules import Verdict, payload_type, restore_verdict
from pepperpy.caching.core.resp import ErrorReply
from pepperpy.caching.migration import Outcome

try:
    from pepperpy.caching import RedisCache
except (ImportError, AttributeError):
    RedisCache = None

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(RedisCache is None, reason="RedisCache not available"),
]

anyio_test = pytest.mark.anyio


def _fill(client: Any, ns: str) -> None:
    """One key of every type, some with a TTL, and a key outside the namespace."""
    client.set(f"{ns}:string", b"\x00\xffbytes", px=60_000)
    client.hset(f"{ns}:hash", mapping={"name": "ada", "n": "1"})
    client.rpush(f"{ns}:list", "a", "b", "a")
    client.sadd(f"{ns}:set", "x", "y")
    client.zadd(f"{ns}:zset", {"low": -1.5, "high": float("inf")})
    client.pexpire(f"{ns}:zset", 90_000)
    client.xadd(f"{ns}:stream", {"f": "1"}, id="5-1")
    client.xadd(f"{ns}:stream", {"f": "2", "g": "3"}, id="7-0")
    client.set(f"{ns}x:outside", b"not copied")


def _read(client: Any, key: str) -> Any:
    kind = client.type(key).decode()
    return kind, {
        "string": client.get,
        "hash": client.hgetall,
        "list": lambda k: client.lrange(k, 0, -1),
        "set": client.smembers,
        "zset": lambda k: client.zrange(k, 0, -1, withscores=True),
        "stream": lambda k: client.xrange(k),
    }[kind](key)


KINDS = ("string", "hash", "list", "set", "zset", "stream")


def _assert_copied(source: Any, ns: str, target: Any, prefix: str) -> None:
    for kind in KINDS:
        assert _read(target, f"{prefix}{kind}") == _read(source, f"{ns}:{kind}")
    assert target.pttl(f"{prefix}string") == pytest.approx(60_000, abs=2_000)
    assert target.pttl(f"{prefix}zset") == pytest.approx(90_000, abs=2_000)
    assert target.pttl(f"{prefix}hash") == -1


def _acl_user(client: Any, *rules: str) -> tuple[str, str]:
    name, password = f"u{uuid.uuid4().hex[:8]}", "pw-" + uuid.uuid4().hex[:8]
    client.execute_command("ACL", "SETUSER", name, "on", f">{password}", "~*", "&*", *rules)
    return name, password


@anyio_test
async def test_every_type_is_restored_on_another_server(
    redis_server: Any, own_server: Any, raw: Any, namespace: str
) -> None:
    _fill(raw, namespace)
    async with (
        RedisCache(url=redis_server.url, namespace=namespace) as source,
        RedisCache(url=own_server.url, namespace="v2") as target,
    ):
        report = await MigrationHelper.copy_redis(source, target, "old-", batch_size=4)
    assert report.results == dict.fromkeys(KINDS, True)
    assert report.notes == {kind: f"{kind} restored" for kind in KINDS}
    with own_server.client() as other:
        _assert_copied(raw, namespace, other, "v2:old-")
        assert sorted(other.keys()) == sorted(f"v2:old-{kind}".encode() for kind in KINDS)


@anyio_test
@pytest.mark.parametrize("protocol", [3, 2])  # replies of each shape: maps, pairs, doubles
async def test_a_target_that_forbids_restore_gets_every_type_rebuilt(
    redis_server: Any, own_server: Any, raw: Any, namespace: str, protocol: int
) -> None:
    _fill(raw, namespace)
    with own_server.client() as other:
        user, password = _acl_user(other, "+@all", "-restore")
    url = f"redis://{user}:{password}@127.0.0.1:{own_server.port}/0"
    options = {"protocol": protocol}
    async with (
        RedisCache(url=redis_server.url, namespace=namespace, connection_options=options) as source,
        RedisCache(url=url, namespace="v2", connection_options=options) as target,
    ):
        report = await MigrationHelper.copy_redis(source, target, batch_size=2)
    assert report.copied == len(KINDS)
    refusal = "RESTORE refused: NOPERM this user has no permissions to run the 'restore' command"
    assert report.notes == {kind: f"{kind} rebuilt by type ({refusal})" for kind in KINDS}
    with own_server.client() as other:
        _assert_copied(raw, namespace, other, "v2:")


@anyio_test
async def test_a_source_that_forbids_dump_is_read_by_type(
    redis_server: Any, own_server: Any, raw: Any, namespace: str
) -> None:
    _fill(raw, namespace)
    user, password = _acl_user(raw, "+@all", "-dump")
    url = f"redis://{user}:{password}@127.0.0.1:{redis_server.port}/0"
    async with (
        RedisCache(url=url, namespace=namespace) as source,
        RedisCache(url=own_server.url) as target,
    ):
        report = await MigrationHelper.copy_redis(source, target)
    assert report.copied == len(KINDS)
    assert all("rebuilt by type (DUMP refused: NOPERM" in note for note in report.notes.values())
    with own_server.client() as other:
        _assert_copied(raw, namespace, other, "")


def test_a_payload_of_another_rdb_version_is_refused_so_copied_by_type(raw: Any) -> None:
    raw.hset("payload-probe", "f", "v")
    payload = raw.dump("payload-probe")
    assert payload_type(payload) == "hash"
    # The two bytes before the 8-byte checksum are the RDB version: one from the future.
    newer = payload[:-10] + b"\xff\x00" + payload[-8:]
    with pytest.raises(Exception, match="payload version or checksum") as caught:
        raw.restore("payload-probe-copy", 0, newer)
    assert restore_verdict(ErrorReply(str(caught.value))) is Verdict.REFUSED


@anyio_test
async def test_existing_keys_are_kept_unless_replace(
    redis_server: Any, own_server: Any, raw: Any, namespace: str
) -> None:
    raw.hset(f"{namespace}:h", "new", "1")
    raw.set(f"{namespace}:s", "new")
    with own_server.client() as other:
        other.set("h", "old")
        other.set("untouched", "x")
        async with (
            RedisCache(url=redis_server.url, namespace=namespace) as source,
            RedisCache(url=own_server.url) as target,
        ):
            kept = await MigrationHelper.copy_redis(source, target)
            assert kept.outcomes == {"h": Outcome.FAILED, "s": Outcome.COPIED}
            assert kept.errors["h"].startswith("hash: the target already holds this key")
            assert other.get("h") == b"old"
            replaced = await MigrationHelper.copy_redis(source, target, replace=True)
        assert replaced.results == {"h": True, "s": True}
        assert other.hgetall("h") == {b"new": b"1"}
        assert other.get("untouched") == b"x"


@anyio_test
async def test_a_dry_run_reads_every_type_and_writes_nothing(
    redis_server: Any, own_server: Any, raw: Any, namespace: str
) -> None:
    _fill(raw, namespace)
    async with (
        RedisCache(url=redis_server.url, namespace=namespace) as source,
        RedisCache(url=own_server.url) as target,
    ):
        report = await MigrationHelper.copy_redis(source, target, dry_run=True)
    assert report.summary() == "would copy 6, skipped 0 expired, failed 0 (of 6 keys)"
    assert set(report.notes.values()) == {f"{kind} would be restored" for kind in KINDS}
    with own_server.client() as other:
        assert other.dbsize() == 0


@anyio_test
async def test_a_cluster_as_the_target(
    raw: Any, redis_server: Any, redis_cluster: Any, raw_cluster: Any, namespace: str
) -> None:
    _fill(raw, namespace)
    for index in range(300):  # keys over many slots, so over every primary
        raw.rpush(f"{namespace}:many{index}", index)
    async with (
        RedisCache(url=redis_server.url, namespace=namespace) as source,
        RedisCache(port=redis_cluster[0].port, host="127.0.0.1", cluster=True,
                   namespace=namespace) as target,
    ):  # fmt: skip
        report = await MigrationHelper.copy_redis(source, target, batch_size=128)
    assert report.copied == len(KINDS) + 300
    _assert_copied(raw, namespace, raw_cluster, f"{namespace}:")
    assert raw_cluster.lrange(f"{namespace}:many299", 0, -1) == [b"299"]

    # And from the cluster (every primary scanned) to another namespace of it.
    async with (
        RedisCache(port=redis_cluster[0].port, host="127.0.0.1", cluster=True,
                   namespace=namespace) as source,
        RedisCache(port=redis_cluster[1].port, host="127.0.0.1", cluster=True,
                   namespace=f"{namespace}b") as target,
    ):  # fmt: skip
        again = await MigrationHelper.copy_redis(source, target, batch_size=100)
    assert again.copied == len(KINDS) + 300
    _assert_copied(raw, namespace, raw_cluster, f"{namespace}b:")
    assert raw_cluster.lrange(f"{namespace}b:many7", 0, -1) == [b"7"]


def test_cli_copies_every_type_and_writes_a_report(
    redis_server: Any,
    own_server: Any,
    raw: Any,
    namespace: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fill(raw, namespace)
    with own_server.client() as other:
        other.set("list", "in the way")
    report = tmp_path / "report.tsv"
    argv = ["migrate", redis_server.url, own_server.url, "--namespace", namespace,
            "--report", str(report)]  # fmt: skip

    assert main(argv) == 1  # "list" is in the way
    out = capsys.readouterr().out
    assert "copied 5, skipped 0 expired, failed 1 (of 6 keys)" in out
    lines = {line.split("\t")[1]: line for line in report.read_text().splitlines()}
    assert len(lines) == 6
    assert lines["hash"] == "copied\thash\thash restored"
    assert lines["list"].startswith("failed\tlist\tlist: the target already holds this key")

    assert main([*argv, "--replace"]) == 0
    assert "copied 6" in capsys.readouterr().out
    with own_server.client() as other:
        _assert_copied(raw, namespace, other, "")
