"""convert_config: old setting names and values -> the new constructors' keywords."""

from __future__ import annotations

import contextlib
import enum
import warnings
from datetime import timedelta
from typing import Any

import pytest

from pepperpy.caching import ConfigurationError, LFUPolicy, MemoryCache, MigrationHelper, RedisCache
from pepperpy.caching.migration import (
    DroppedSettingWarning,
    MigrationWarning,
    UnknownSettingWarning,
)
from pepperpy.caching.migration.config import ALIASES


class OldPolicy(enum.Enum):
    LRU = "least-recently-used"
    LFU = 2


CONVERSIONS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    # sizes
    ({"maxsize": 100}, {"max_size": 100}),
    ({"max_size": 5}, {"max_size": 5}),
    ({"capacity": "250"}, {"max_size": 250}),
    ({"size": 10.0}, {"max_size": 10}),
    ({"MAXSIZE": None}, {"max_size": None}),
    ({"maxsize": float("inf")}, {"max_size": None}),
    ({"max_entries": "unbounded"}, {"max_size": None}),
    # TTLs
    ({"ttl": 60}, {"default_ttl": 60}),
    ({"default_ttl": 1.5}, {"default_ttl": 1.5}),
    ({"expire": "300"}, {"default_ttl": 300}),
    (
        {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "TIMEOUT": timedelta(minutes=2),
        },
        {"default_ttl": 120},
    ),
    ({"expiration": None}, {"default_ttl": None}),
    ({"default_timeout": "never"}, {"default_ttl": None}),
    # policies
    ({"eviction_policy": "least_recently_used"}, {"policy": "lru"}),
    ({"policy": "LRU"}, {"policy": "lru"}),
    ({"eviction_policy": "Least Recently Used"}, {"policy": "lru"}),
    ({"policy": "lfu"}, {"policy": "lfu"}),
    ({"policy": "least-frequently-used"}, {"policy": "lfu"}),
    ({"eviction": "fifo"}, {"policy": "fifo"}),
    ({"strategy": "first_in_first_out"}, {"policy": "fifo"}),
    ({"policy": "random"}, {"policy": "random"}),
    ({"policy": "RR"}, {"policy": "random"}),
    ({"policy": "allkeys-lru"}, {"policy": "lru"}),
    ({"policy": OldPolicy.LRU}, {"policy": "lru"}),
    ({"policy": OldPolicy.LFU}, {"policy": "lfu"}),
    # a whole in-process configuration
    (
        {"maxsize": 1000, "ttl": 30, "eviction_policy": "lfu"},
        {"max_size": 1000, "policy": "lfu", "default_ttl": 30},
    ),
    # Redis
    ({"url": "redis://cache:6379/2"}, {"url": "redis://cache:6379/2"}),
    (
        {"host": "cache", "port": "6380", "db": 3, "password": "pw", "username": "app"},
        {"host": "cache", "port": 6380, "db": 3, "password": "pw", "username": "app"},
    ),
    ({"endpoint": "cache", "ssl": "true"}, {"host": "cache", "ssl": True}),
    ({"host": "h", "tls": 0}, {"host": "h", "ssl": False}),
    (
        {"cluster": "yes", "startup_nodes": "n1:7000, n2:7001"},
        {"cluster": True, "startup_nodes": [("n1", 7000), ("n2", 7001)]},
    ),
    ({"host": "h", "namespace": "users"}, {"host": "h", "namespace": "users"}),
    ({"host": "h", "prefix": "app:"}, {"host": "h", "namespace": "app"}),
    ({"host": "h", "socket_timeout": 2}, {"host": "h", "timeout": 2.0}),
    ({"host": "h", "ignore_exceptions": True}, {"host": "h", "fail_open": True}),
    ({"host": "h", "serializer": "JsonSerializer"}, {"host": "h", "serializer": "json"}),
    ({"host": "h", "serializer": "raw"}, {"host": "h", "serializer": "bytes"}),
    (
        {"host": "h", "max_connections": 20, "client_name": "svc"},
        {"host": "h", "connection_options": {"max_connections": 20, "client_name": "svc"}},
    ),
    ({"host": "h", "ttl": 60}, {"host": "h", "default_ttl": 60}),
    # Flask-Caching spellings
    (
        {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": "rediss://cache:6380/0",
            "CACHE_DEFAULT_TIMEOUT": 300,
            "CACHE_KEY_PREFIX": "flask:",
        },
        {"default_ttl": 300, "url": "rediss://cache:6380/0", "namespace": "flask"},
    ),
    (
        {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 500, "CACHE_DEFAULT_TIMEOUT": 60},
        {"max_size": 500, "default_ttl": 60},
    ),
    # Django spellings, with nested OPTIONS
    (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
            "TIMEOUT": None,
            "OPTIONS": {"db": 1, "socket_connect_timeout": 5},
        },
        {
            "default_ttl": None,
            "url": "redis://127.0.0.1:6379/1",
            "db": 1,
            "connection_options": {"socket_connect_timeout": 5},
        },
    ),
    (
        {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "TIMEOUT": 120,
            "OPTIONS": {"MAX_ENTRIES": 300},
        },
        {"max_size": 300, "default_ttl": 120},
    ),
]


@pytest.mark.parametrize(("old", "new"), CONVERSIONS)
def test_conversions(old: dict[str, Any], new: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of these is unknown or dropped
        assert MigrationHelper.convert_config(old) == new


def test_the_result_builds_a_memory_cache() -> None:
    kwargs = MigrationHelper.convert_config(
        {"maxsize": "64", "eviction_policy": "LFU", "expire": 90}
    )
    cache = MemoryCache(**kwargs)
    assert cache.max_size == 64
    assert isinstance(cache.engine.policy, LFUPolicy)
    assert cache.engine.default_ttl == 90


def test_every_alias_is_recognized() -> None:
    for new, aliases in ALIASES.items():
        for alias in aliases:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with contextlib.suppress(ConfigurationError):  # bad value, known name
                    MigrationHelper.convert_config({alias: object()})
            unknown = [w for w in caught if issubclass(w.category, UnknownSettingWarning)]
            assert unknown == [], (new, alias)


def test_unknown_settings_are_named_in_one_warning() -> None:
    with pytest.warns(UnknownSettingWarning, match=r"'colour', 'flavour'") as caught:
        kwargs = MigrationHelper.convert_config({"maxsize": 10, "colour": 1, "flavour": 2})
    assert kwargs == {"max_size": 10}
    assert len(caught) == 1
    assert issubclass(UnknownSettingWarning, MigrationWarning)
    assert issubclass(MigrationWarning, UserWarning)
    assert caught[0].filename == __file__  # attributed to the caller


@pytest.mark.parametrize(
    ("old", "new", "dropped"),
    [
        ({"maxsize": 10, "getsizeof": len}, {"max_size": 10}, "getsizeof"),
        ({"host": "h", "decode_responses": True}, {"host": "h"}, "decode_responses"),
        ({"host": "h", "maxsize": 100}, {"host": "h"}, "maxsize"),
        ({"host": "h", "eviction_policy": "lru"}, {"host": "h"}, "eviction_policy"),
        ({"backend": "memory", "host": "h"}, {}, "host"),
        ({"maxsize": 5, "key_prefix": "app"}, {"max_size": 5}, "Cache(MemoryCache"),
        ({"host": "h", "serializer": "pickle"}, {"host": "h"}, "PickleSerializer"),
        ({"url": "redis://h", "key_builder": str}, {"url": "redis://h"}, "key_builder"),
    ],
)
def test_settings_without_equivalent_are_dropped_with_a_warning(
    old: dict[str, Any], new: dict[str, Any], dropped: str
) -> None:
    with pytest.warns(DroppedSettingWarning, match=dropped.replace("(", r"\(")):
        assert MigrationHelper.convert_config(old) == new


BAD_VALUES: list[tuple[dict[str, Any], str]] = [
    ({"maxsize": 0}, "0 is not a capacity"),
    ({"maxsize": -5}, "expected an int >= 1"),
    ({"maxsize": 2.5}, "expected an int >= 1"),
    ({"maxsize": "lots"}, "expected an int >= 1"),
    ({"maxsize": True}, "expected an int >= 1"),
    ({"ttl": 0}, "TTL of 0 is refused"),
    ({"ttl": -1}, "positive finite"),
    ({"ttl": float("nan")}, "positive finite"),
    ({"ttl": float("inf")}, "positive finite"),
    ({"ttl": "soon"}, "seconds"),
    ({"ttl": timedelta(0)}, "TTL of 0 is refused"),
    ({"eviction_policy": "most_recently_used"}, "eviction policy"),
    ({"policy": 3}, "eviction policy"),
    ({"host": "h", "port": 70000}, "<= 65535"),
    ({"host": "h", "port": "http"}, "expected an int"),
    ({"host": "h", "db": -1}, "int >= 0"),
    ({"host": ""}, "non-empty str"),
    ({"url": "http://cache:6379"}, "Redis URL"),
    ({"host": "h", "ssl": "maybe"}, "true or false"),
    ({"host": "h", "namespace": "a:b"}, "cannot be a namespace"),
    ({"host": "h", "prefix": ":"}, "cannot be a namespace"),
    ({"host": "h", "socket_timeout": 0}, "positive number of seconds"),
    ({"host": "h", "serializer": "yaml"}, "'json', 'string', 'bytes'"),
    ({"cluster": True, "startup_nodes": "n1"}, "host:port"),
    ({"backend": "django.core.cache.backends.memcached.PyMemcacheCache"}, "no cache of this"),
    ({"backend": "filesystem"}, "no cache of this"),
    ({"maxsize": 10, "capacity": 20}, "both set max_size to different values"),
    ({1: "x"}, "setting names must be str"),
]


@pytest.mark.parametrize(("old", "message"), BAD_VALUES)
def test_bad_values_raise_configuration_error(old: dict[Any, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        MigrationHelper.convert_config(old)


def test_a_password_never_appears_in_the_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        MigrationHelper.convert_config({"host": "h", "password": 12345})
    assert "12345" not in str(caught.value)


def test_agreeing_aliases_are_fine() -> None:
    assert MigrationHelper.convert_config({"maxsize": 10, "capacity": "10"}) == {"max_size": 10}


def test_not_a_mapping() -> None:
    with pytest.raises(ConfigurationError, match="must be a Mapping"):
        MigrationHelper.convert_config([("maxsize", 1)])  # type: ignore[arg-type]


# aiocache's ``timeout`` bounds each operation; Django's ``TIMEOUT`` is the default TTL.
TIMEOUTS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {
            "cache": "aiocache.RedisCache",
            "endpoint": "cache",
            "port": 6379,
            "timeout": 1,
            "ttl": 60,
            "serializer": {"class": "aiocache.serializers.JsonSerializer"},
        },
        {"default_ttl": 60, "host": "cache", "port": 6379, "timeout": 1.0, "serializer": "json"},
    ),
    # aiocache's own setting names tell it apart without a backend setting
    ({"endpoint": "cache", "timeout": 2.5}, {"host": "cache", "timeout": 2.5}),
    (
        {"endpoint": "cache", "timeout": "5", "ttl": 10},
        {"default_ttl": 10, "host": "cache", "timeout": 5.0},
    ),
    ({"class": "aiocache.RedisCache", "timeout": 3}, {"timeout": 3.0}),
    (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "TIMEOUT": 300},
        {"default_ttl": 300},
    ),
    ({"host": "h", "operation_timeout": 4}, {"host": "h", "timeout": 4.0}),
]


@pytest.mark.parametrize(("old", "new"), TIMEOUTS)
def test_timeout_follows_the_library_the_configuration_is_for(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert MigrationHelper.convert_config(old) == new


@pytest.mark.parametrize(
    "old",
    [
        {"timeout": 300},
        {"host": "h", "timeout": 300},
        {"maxsize": 10, "TIMEOUT": 30},
        {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": "redis://h", "timeout": 1},
    ],
)
def test_a_timeout_of_unknown_meaning_is_dropped_with_a_warning(old: dict[str, Any]) -> None:
    with pytest.warns(DroppedSettingWarning, match="operation timeout in aiocache") as caught:
        kwargs = MigrationHelper.convert_config(old)
    assert "default_ttl" not in kwargs
    assert "timeout" not in kwargs
    assert "'ttl'" in str(caught[0].message)  # says what to write instead


def test_aiocache_timeout_has_no_equivalent_on_a_memory_cache() -> None:
    old = {"cache": "aiocache.SimpleMemoryCache", "timeout": 5, "ttl": 30}
    with pytest.warns(DroppedSettingWarning, match="MemoryCache operations never wait"):
        assert MigrationHelper.convert_config(old) == {"default_ttl": 30}


def test_aiocache_timeout_builds_a_redis_cache_with_that_operation_timeout() -> None:
    kwargs = MigrationHelper.convert_config(
        {"cache": "aiocache.RedisCache", "endpoint": "localhost", "timeout": 0.25}
    )
    cache = RedisCache(**kwargs)
    assert cache.timeout == 0.25
