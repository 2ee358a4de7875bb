"""The password never shows: not in reprs, errors, their chained causes, nor logs."""

from __future__ import annotations

import logging
import traceback
from urllib.parse import quote

import pytest
import redis

from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.adapters.redis.errors import backend_error
from pepperpy.caching.core import BackendError, ConfigurationError

from .conftest import ACL_PASSWORD, ACL_USER, PASSWORD
from .servers import RedisServer

pytestmark = [pytest.mark.redis]

SECRETS = [PASSWORD, quote(PASSWORD, safe="")]


def _everything_printed(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc.__cause__)


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.anyio
async def test_authenticated_caches_work(auth_server: RedisServer) -> None:
    port = auth_server.port
    caches = [
        RedisCache("127.0.0.1", port, password=PASSWORD, namespace="a"),
        RedisCache(url=f"redis://:{quote(PASSWORD, safe='')}@127.0.0.1:{port}/0", namespace="a"),
        RedisCache("127.0.0.1", port, username=ACL_USER, password=ACL_PASSWORD, namespace="a"),
        RedisCache(url=f"redis://{ACL_USER}:{ACL_PASSWORD}@127.0.0.1:{port}/0", namespace="a"),
    ]
    for cache in caches:
        async with cache:
            await cache.set("k", "v")
            assert await cache.get("k") == "v"
        _assert_clean(repr(cache))
        assert ACL_PASSWORD not in repr(cache)
    assert "***" in repr(caches[1])


@pytest.mark.anyio
@pytest.mark.parametrize("how", ["argument", "url"])
async def test_a_wrong_password_is_not_echoed(
    auth_server: RedisServer, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = PASSWORD + "-wrong"
    if how == "argument":
        cache = RedisCache("127.0.0.1", auth_server.port, password=wrong, fail_open=True)
    else:
        url = f"redis://:{quote(wrong, safe='')}@127.0.0.1:{auth_server.port}/0"
        cache = RedisCache(url=url, fail_open=True)
    caplog.set_level(logging.DEBUG)
    async with cache:
        with pytest.raises(BackendError) as info:
            await cache.set("k", 1)
        assert await cache.get("k", "dflt") == "dflt"  # fail-open: logged
    text = _everything_printed(info.value) + caplog.text + repr(cache)
    _assert_clean(text)
    assert "WRONGPASS" in text or "invalid" in text.lower()


@pytest.mark.anyio
async def test_an_unreachable_url_with_a_password(tmp_path: object) -> None:
    url = f"redis://:{quote(PASSWORD, safe='')}@127.0.0.1:1/0"
    async with RedisCache(url=url, timeout=1) as cache:
        with pytest.raises(BackendError) as info:
            await cache.get("k")
    text = _everything_printed(info.value)
    _assert_clean(text)
    assert "127.0.0.1" in text


def test_messages_quoting_the_url_are_scrubbed_along_the_chain() -> None:
    url = f"redis://user:{quote(PASSWORD, safe='')}@h:6379/0"
    try:
        try:
            raise OSError(111, f"refused by {url}")
        except OSError as inner:
            raise redis.ConnectionError(f"Error connecting to {url} ({PASSWORD})") from inner
    except redis.ConnectionError as outer:
        error = backend_error(outer, "GET", "redis://user:***@h:6379/0", SECRETS)
        try:
            raise error from outer
        except BackendError as raised:
            text = _everything_printed(raised)
    _assert_clean(text)
    assert "***" in text
    assert "Error connecting to" in text


def test_reprs_and_configuration_errors() -> None:
    cache = RedisCache(url=f"rediss://u:{quote(PASSWORD, safe='')}@example.com:6380/2")
    _assert_clean(repr(cache))
    assert "rediss://u:***@example.com:6380/2" in repr(cache)
    with pytest.raises(ConfigurationError) as info:
        RedisCache(url=f"redis://:{quote(PASSWORD, safe='')}@h:notaport/0")
    _assert_clean(str(info.value))
