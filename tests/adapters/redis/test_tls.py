"""TLS: rediss:// URLs and ssl=True, against a server with a TLS port."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import pytest

from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core import BackendError

from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


async def test_tls_connections(tls_server: tuple[RedisServer, int, Path], namespace: str) -> None:
    server, tls_port, ca = tls_server
    options = {"ssl_ca_certs": str(ca)}
    by_url = RedisCache(
        url=f"rediss://127.0.0.1:{tls_port}/0", namespace=namespace, connection_options=options
    )
    by_flag = RedisCache(
        "127.0.0.1", tls_port, ssl=True, namespace=namespace, connection_options=options
    )
    async with by_url, by_flag:
        await by_url.set("k", {"tls": True})
        assert await by_flag.get("k") == {"tls": True}
        async with by_flag.subscribe(namespace) as sub:
            await by_url.publish(namespace, 1)
            assert (await sub.__anext__()).data == 1
    with server.client() as plain:  # the same data, seen over the plain port
        assert json.loads(plain.get(f"{namespace}:k")) == {"tls": True}  # type: ignore[arg-type]


async def test_an_ssl_context_of_ones_own(
    tls_server: tuple[RedisServer, int, Path], namespace: str
) -> None:
    _, tls_port, ca = tls_server
    context = ssl.create_default_context(cafile=str(ca))
    async with RedisCache("127.0.0.1", tls_port, ssl_context=context, namespace=namespace) as cache:
        await cache.set("k", [1])
        assert await cache.get("k") == [1]
        assert cache.stats.hits == 1


async def test_an_unknown_certificate_authority_is_refused(
    tls_server: tuple[RedisServer, int, Path],
) -> None:
    _, tls_port, _ = tls_server
    async with RedisCache(url=f"rediss://127.0.0.1:{tls_port}/0", timeout=2) as cache:
        with pytest.raises(BackendError):
            await cache.get("k")
