"""Demo sections for the caches that need an extra: VectorCache and RedisCache.

Each runs only when its class can be imported; otherwise the section says so in one
line. Redis runs against ``--redis URL``, or against a server found on
``localhost:6379``; without either it is skipped.
"""

from __future__ import annotations

import importlib
import secrets
import time
from collections.abc import Awaitable
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from ..core.errors import BackendError
from ._report import CheckFailed, Report, check, format_ms

__all__ = ("LOCAL_REDIS", "optional_class", "redact", "redis_cache", "vector_cache")

LOCAL_REDIS: Final = "redis://localhost:6379/0"
PROBE_TIMEOUT: Final = 0.5


def optional_class(name: str) -> tuple[Any, str]:
    """``(the class, "")`` from :mod:`pepperpy.caching`, or ``(None, why it is missing)``."""
    package = importlib.import_module("pepperpy.caching")
    try:
        return getattr(package, name), ""
    except ImportError as exc:
        return None, str(exc)
    except AttributeError:
        return None, f"this version of pepperpy-caching has no {name}"


async def vector_cache(report: Report) -> str:
    """Store three small vectors and find the ones similar to a query, with scores."""
    report.section("VectorCache: similar vectors")
    vector_class, why = optional_class("VectorCache")
    if vector_class is None:
        report.line(f"unavailable: {why}")
        return "unavailable"
    import numpy as np  # the vector extra brings numpy along with VectorCache

    cache = vector_class(dim=3, similarity_threshold=0.9)
    stored = {
        "vec1": ([0.1, 0.2, 0.3], {"source": "document1"}),
        "vec2": ([0.11, 0.19, 0.31], {"source": "document2"}),
        "vec3": ([0.9, -0.1, 0.0], {"source": "document3"}),
    }
    for key, (values, metadata) in stored.items():
        await cache.set(key, np.array(values), metadata=metadata)
    query = [0.1, 0.2, 0.3]
    started = time.perf_counter()
    similar = await cache.find_similar(np.array(query), top_k=5)
    elapsed = time.perf_counter() - started
    report.line(f"VectorCache(dim=3, similarity_threshold=0.9) holding {', '.join(stored)}")
    report.line(f"find_similar({query}, top_k=5) in {format_ms(elapsed)}:")
    report.table(
        ["key", "cosine", "metadata"],
        [(r.key, f"{r.score:.4f}", r.metadata) for r in similar],
        right=(1,),
    )
    found = [r.key for r in similar]
    check(found == ["vec1", "vec2"], f"vec1 then vec2 should be found, not vec3: {found}")
    check(all(r.score >= 0.9 for r in similar), "every score should reach the threshold")
    return "ok"


async def redis_cache(report: Report, url: str | None) -> str:
    """A round trip through Redis in a namespace of its own, removed afterwards.

    With ``url=None`` a server on localhost is tried, and its absence is no failure.
    """
    report.section("RedisCache: the same calls against Redis")
    redis_class, why = optional_class("RedisCache")
    if redis_class is None:
        if url is not None:
            raise CheckFailed(why)
        report.line(f"skipped: {why}")
        return "skipped"
    target = url or LOCAL_REDIS
    shown = redact(target)
    namespace = f"pepperpy-demo-{secrets.token_hex(4)}"
    cache = redis_class(url=target, namespace=namespace, timeout=PROBE_TIMEOUT)
    started = time.perf_counter()
    try:
        await cache.set("greeting", {"text": "hello"}, ttl=30)  # the first call connects
    except BackendError as exc:
        await cache.aclose()
        if url is not None:
            raise CheckFailed(f"Redis did not answer: {exc}") from exc
        report.line(f"skipped: no Redis server answered on {shown}")
        report.line("(start redis-server there, or pass --redis URL)")
        return "skipped"
    try:
        rows = [("set greeting, ttl=30", "None", format_ms(time.perf_counter() - started))]
        rows.append(await _timed("get greeting", cache.get("greeting")))
        rows.append(await _timed("ttl greeting", cache.ttl("greeting")))
        rows.append(await _timed("get_or_set counter", cache.get_or_set("counter", _one)))
        rows.append(await _timed("clear (this namespace)", cache.clear()))
        rows.append(await _timed("get greeting", cache.get("greeting")))
    finally:
        await cache.aclose()
    report.line(f"RedisCache(url={shown!r}, namespace={namespace!r}), removed at the end")
    report.table(["call", "result", "time"], rows, right=(2,))
    check(rows[1][1] == repr({"text": "hello"}), f"the value should round-trip: {rows[1][1]}")
    check(rows[5][1] == "None", "clear() should have removed the namespace's keys")
    return "ok"


def redact(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _one() -> int:
    return 1


async def _timed(label: str, pending: Awaitable[object]) -> tuple[str, str, str]:
    started = time.perf_counter()
    result = await pending
    elapsed = time.perf_counter() - started
    shown = f"{result:.3f}" if isinstance(result, float) else repr(result)
    return label, shown, format_ms(elapsed)
