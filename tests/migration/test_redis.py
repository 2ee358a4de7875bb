"""Migrations to and from Redis on a real server, on asyncio and on trio.

The servers come from the Redis adapter's test fixtures (started by the suite).
"""

from __future__ import annotations

import io
import json
import pickle
import uuid
from typing import Any

import pytest

from pepperpy.caching import MemoryCache, MigrationHelper
from pepperpy.caching.cli.__main__ import main
from pepperpy.caching.migration import MigrationAborted, Outcome

from ..adapters.clocks import FakeClock
from .fakes import Delegate

try:
    from pepperpy.caching import RedisCache
except (ImportError, AttributeError):
    RedisCache = None

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(RedisCache is None, reason="RedisCache not available"),
]

anyio_test = pytest.mark.anyio


def _cache(server: Any, namespace: str | None, **kwargs: Any) -> Any:
    assert RedisCache is not None
    return RedisCache(url=server.url, namespace=namespace, **kwargs)


@anyio_test
async def test_redis_to_memory_cache_keeps_values_and_ttls(
    redis_server: Any, raw: Any, namespace: str
) -> None:
    async with _cache(redis_server, namespace) as old:
        await old.set("forever", {"name": "ada", "tags": [1, 2]})
        await old.set("minute", "m", ttl=60)
        await old.set("hour", [1, "x"], ttl=3600)
        await old.set_many({f"bulk{i}": i for i in range(1200)}, ttl=600)
        raw.set("outside", b"1")  # another namespace: not copied
        new = MemoryCache(max_size=None, clock=FakeClock())

        results = await MigrationHelper.migrate_data(old, new, batch_size=500)

    assert len(results) == 1203
    assert all(results.values())
    assert await new.get("forever") == {"name": "ada", "tags": [1, 2]}
    assert await new.ttl("forever") is None
    assert await new.ttl("minute") == pytest.approx(60, abs=1)
    assert await new.ttl("hour") == pytest.approx(3600, abs=1)
    assert await new.ttl("bulk1199") == pytest.approx(600, abs=1)
    assert not await new.contains("outside")


@anyio_test
async def test_a_redis_key_gone_before_it_is_read_is_skipped(
    redis_server: Any, raw: Any, namespace: str
) -> None:
    async with _cache(redis_server, namespace) as inner:
        await inner.set_many({"stays": 1, "goes": 2}, ttl=100)
        old = Delegate(inner, after_listing=lambda: raw.delete(f"{namespace}:goes"))
        report = await MigrationHelper.migrate(old, MemoryCache())
    assert report.outcomes == {"stays": Outcome.COPIED, "goes": Outcome.EXPIRED}


@anyio_test
async def test_memory_cache_to_redis(redis_server: Any, raw: Any, namespace: str) -> None:
    clock = FakeClock()
    old = MemoryCache(clock=clock)
    await old.set("a", {"x": 1}, ttl=40)
    await old.set("b", [1, 2, 3])
    clock.advance(10)  # "a" has 30 s left
    async with _cache(redis_server, namespace) as new:
        results = await MigrationHelper.migrate_data(old, new, key_prefix="v2:")
        assert results == {"a": True, "b": True}
        assert await new.get("v2:a") == {"x": 1}
    assert json.loads(raw.get(f"{namespace}:v2:b")) == [1, 2, 3]  # plain JSON
    assert raw.pttl(f"{namespace}:v2:a") == pytest.approx(30_000, abs=1000)
    assert raw.pttl(f"{namespace}:v2:b") == -1


@anyio_test
async def test_one_value_json_cannot_encode_fails_alone(
    redis_server: Any, raw: Any, namespace: str
) -> None:
    old: dict[str, Any] = {f"k{i}": {"n": i} for i in range(40)}
    old["bad"] = {1, 2, 3}  # a set: not JSON
    async with _cache(redis_server, namespace) as new:
        report = await MigrationHelper.migrate(old, new, batch_size=16)
    assert report.results == {key: key != "bad" for key in old}
    assert report.errors["bad"].startswith("SerializationError")
    assert raw.exists(*(f"{namespace}:k{i}" for i in range(40))) == 40
    assert not raw.exists(f"{namespace}:bad")


@anyio_test
async def test_an_unreachable_target_stops_the_migration(own_server: Any) -> None:
    new = _cache(own_server, "gone", timeout=1.0)
    own_server.stop()
    with pytest.raises(MigrationAborted, match="target store keeps failing") as caught:
        await MigrationHelper.migrate_data({f"k{i}": i for i in range(100)}, new)
    assert caught.value.report.copied == 0
    await new.aclose()


@anyio_test
async def test_a_redis_py_client_gets_a_redis_cache_on_the_same_connection(
    redis_server: Any, raw: Any, namespace: str
) -> None:
    new = MigrationHelper.get_equivalent_cache(raw)
    assert isinstance(new, RedisCache)
    await new.set(f"{namespace}:probe", "x")
    assert json.loads(raw.get(f"{namespace}:probe")) == "x"
    await new.aclose()


def test_settings_with_a_host_give_a_redis_cache(redis_server: Any) -> None:
    new = MigrationHelper.get_equivalent_cache(
        {"host": "127.0.0.1", "port": redis_server.port, "prefix": "app:"}
    )
    assert isinstance(new, RedisCache)
    assert new.namespace == "app"


@anyio_test
async def test_generated_redis_script_runs(
    redis_server: Any, raw: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEPPERPY_REDIS_URL", redis_server.url)
    tag = uuid.uuid4().hex[:8]
    code = MigrationHelper.generate_migration_code("legacy", "RedisCache")
    namespace: dict[str, Any] = {"__name__": "generated", "legacy": {f"{tag}-a": 1}}
    exec(compile(code, "<generated>", "exec"), namespace)
    new = await namespace["migrate_legacy"]()
    await new.aclose()
    assert json.loads(raw.get(f"{tag}-a")) == 1


def _fill_for_cli(raw: Any, ns: str) -> None:
    raw.set(f"{ns}:json", b'{"a": 1}', px=50_000)
    raw.set(f"{ns}:pickled", pickle.dumps({"not": "json"}))  # copied as raw bytes
    raw.set(f"{ns}:text", "plain text")
    raw.hset(f"{ns}:hash", "field", "value")  # another type: copied as well


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_cli_copies_between_namespaces_with_ttls_and_progress(
    redis_server: Any,
    raw: Any,
    namespace: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fill_for_cli(raw, namespace)
    target = f"{namespace}x"
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    status = main(
        ["migrate", redis_server.url, redis_server.url, "--namespace", namespace,
         "--target-namespace", target, "--batch-size", "2"]
    )  # fmt: skip

    assert status == 0
    out = capsys.readouterr().out
    assert "copied 4, skipped 0 expired, failed 0 (of 4 keys)" in out
    assert "3 string restored, 1 hash restored" in out
    assert raw.get(f"{target}:pickled") == raw.get(f"{namespace}:pickled")
    assert raw.get(f"{target}:text") == b"plain text"
    assert raw.pttl(f"{target}:json") == pytest.approx(50_000, abs=1500)
    assert raw.pttl(f"{target}:text") == -1
    assert raw.hgetall(f"{target}:hash") == {b"field": b"value"}
    assert raw.pttl(f"{target}:hash") == -1
    assert "/4 keys" in terminal.getvalue()  # the bar knew the total


def test_cli_dry_run_writes_nothing(
    redis_server: Any, raw: Any, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    raw.set(f"{namespace}:a", b"1")
    raw.set(f"{namespace}:b", b"2")
    status = main(
        ["migrate", redis_server.url, redis_server.url, "--namespace", namespace,
         "--target-namespace", f"{namespace}y", "--dry-run"]
    )  # fmt: skip
    assert status == 0
    assert "would copy 2, skipped 0 expired, failed 0 (of 2 keys)" in capsys.readouterr().out
    assert raw.keys(f"{namespace}y:*") == []


def test_cli_to_another_server_with_a_prefix(
    redis_server: Any, own_server: Any, raw: Any, namespace: str
) -> None:
    raw.set(f"{namespace}:k", b"v", ex=100)
    assert main(["migrate", redis_server.url, own_server.url, "--namespace", namespace,
                 "--prefix", "old-"]) == 0  # fmt: skip
    with own_server.client() as other:
        assert other.get("old-k") == b"v"
        assert other.ttl("old-k") == pytest.approx(100, abs=2)


def test_cli_reports_an_unreachable_server(
    own_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = own_server.url
    own_server.stop()
    assert main(["migrate", url, f"redis://127.0.0.1:{own_server.port}/1"]) == 1
    assert "pepperpy-cache migrate:" in capsys.readouterr().err


class OldRedisCache:
    """An older Redis cache wrapper that kept its connection settings privately."""

    def __init__(self, port: int, client: Any = None) -> None:
        self._host = "127.0.0.1"
        self._port = port
        self._db = 0
        self._client = client
        self.namespace = "legacy:"


@anyio_test
async def test_an_old_redis_wrapper_by_its_settings(redis_server: Any, raw: Any) -> None:
    new = MigrationHelper.get_equivalent_cache(OldRedisCache(redis_server.port))
    assert isinstance(new, RedisCache)
    assert new.namespace == "legacy"
    async with new:
        await new.set("probe", [1])
    assert json.loads(raw.get("legacy:probe")) == [1]


@anyio_test
async def test_an_old_redis_wrapper_by_its_client(redis_server: Any, raw: Any) -> None:
    new = MigrationHelper.get_equivalent_cache(OldRedisCache(1, client=raw))
    assert isinstance(new, RedisCache)
    async with new:
        await new.set("probe2", {"a": 1})
    assert json.loads(raw.get("legacy:probe2")) == {"a": 1}
