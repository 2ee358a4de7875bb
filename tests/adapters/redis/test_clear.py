"""clear() and delete_prefix(): SCAN + UNLINK of exactly one namespace, never KEYS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import redis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import pepperpy.caching
from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core.remote import KeySpace

from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

# Names that are glob patterns, or prefixes of each other.
NAMESPACES = ["ns", "ns*", "nsX", "ns[1]", "n?", "ns\\"]
BIG = 12_500  # several SCAN pages (COUNT 1000)


def _fill(raw: redis.Redis, cleared: str) -> set[bytes]:
    """Keys in every namespace (many in ``cleared``), plus keys of no namespace."""
    keys: list[bytes] = []
    for ns in NAMESPACES:
        count = BIG if ns == cleared else 40
        keys.extend(f"{ns}:{i}".encode() for i in range(count))
    keys.extend(k.encode() for k in ("ns", "ns:", "nsX", "ns1:x", "nX:a", "n?", "ns\\:x"))
    for start in range(0, len(keys), 2000):
        raw.mset(dict.fromkeys(keys[start : start + 2000], b"1"))
    return set(keys)


@pytest.mark.parametrize("cleared", NAMESPACES)
async def test_clear_removes_its_namespace_only(
    redis_server: RedisServer, cleared: str, anyio_backend: str
) -> None:
    db = 7
    with redis_server.client(db=db) as raw:
        raw.flushdb()
        keys = _fill(raw, cleared)
        async with RedisCache("127.0.0.1", redis_server.port, db=db, namespace=cleared) as cache:
            await cache.clear()
        remaining = set(raw.scan_iter(count=5000))
        gone = {k for k in keys if k.startswith(cleared.encode() + b":")}
        assert raw.dbsize() == len(keys) - len(gone)
        assert len(gone) >= BIG
        assert remaining == set(keys) - gone
        raw.flushdb()


async def test_delete_prefix_is_literal(redis_server: RedisServer, raw: redis.Redis) -> None:
    async with RedisCache("127.0.0.1", redis_server.port, namespace="dp") as cache:
        await cache.set_many({"a*1": 1, "a*2": 2, "ab": 3, "a": 4, "[a]": 5, "x": 6})
        raw.set("dpa*3", 1)  # not in the namespace
        assert await cache.delete_prefix("a*") == 2
        assert await cache.get_many(["a*1", "a*2", "ab", "a", "[a]", "x"]) == {
            "ab": 3,
            "a": 4,
            "[a]": 5,
            "x": 6,
        }
        assert await cache.delete_prefix("[") == 1
        assert await cache.delete_prefix("") == 3
        assert await cache.delete_prefix("zzz") == 0
        assert raw.exists("dpa*3")
        raw.delete("dpa*3")


def test_the_source_never_sends_keys_or_a_plain_flushdb() -> None:
    """KEYS blocks the server; FLUSHDB only as ``FLUSHDB ASYNC`` (``clear(flush_db=True)``)."""
    root = Path(pepperpy.caching.__file__).parent
    sources = {path: path.read_text() for path in root.rglob("*.py")}
    assert len(sources) > 10
    forbidden = [
        re.compile(r"""[("',]\s*b?["']KEYS["']"""),  # the command as a literal
        re.compile(r"""\(\s*b?["']keys["']\s*[,)]""", re.IGNORECASE),  # ("keys", ...)
        re.compile(r"""execute_command\(\s*b?["']keys""", re.IGNORECASE),
        re.compile(r"""\.keys\(\s*[^)\s]"""),  # redis-py's keys(pattern); dict.keys() has none
        re.compile(r"""b?["']FLUSHALL""", re.IGNORECASE),
    ]
    samples = ['("KEYS", b"*")', 'execute_command("keys", "*")', "r.keys('a*')", '"FLUSHALL"']
    assert all(any(p.search(sample) for p in forbidden) for sample in samples)
    for path, text in sources.items():
        for pattern in forbidden:
            assert not pattern.search(text), (path, pattern.pattern)
        for match in re.finditer(r"""b?["']FLUSHDB["'][^\n]*""", text, re.IGNORECASE):
            assert match.group(0).startswith('b"FLUSHDB", b"ASYNC"'), (path, match.group(0))
    flushing = [p for p, t in sources.items() if '"FLUSHDB"' in t]
    assert [p.name for p in flushing] == ["operations.py"]


names = st.text(
    alphabet=st.sampled_from("ab*?[]\\^-!{}é") | st.characters(codec="utf-8"),
    min_size=1,
    max_size=6,
).filter(lambda s: ":" not in s)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(namespace=names, others=st.lists(names, max_size=6), tails=st.lists(st.text(max_size=4)))
@example(namespace="a*", others=["ab", "a"], tails=["x"])
@example(namespace="[ab]", others=["a", "b", "[ab]x"], tails=[""])
@example(namespace="a?", others=["ab"], tails=["1"])
@example(namespace="a\\", others=["a\\b", "a"], tails=["*"])
@example(namespace="[^a]", others=["b", "^"], tails=["x"])
def test_the_match_pattern_selects_exactly_the_namespace(
    redis_server: RedisServer, namespace: str, others: list[str], tails: list[str]
) -> None:
    """Redis' own glob matcher agrees: the escaped pattern matches the namespace only."""
    with redis_server.client(db=9) as raw:
        raw.flushdb()
        keys = {f"{ns}:{tail}" for ns in [namespace, *others] for tail in ["", *tails]}
        keys |= {namespace, namespace + "x:", "x" + namespace + ":"}
        encoded = {k.encode("utf-8", "surrogatepass") for k in keys}
        raw.mset(dict.fromkeys(encoded, b"1"))
        pattern = KeySpace(namespace).match_all()
        found = set(raw.scan_iter(match=pattern, count=1000))
        prefix = (namespace + ":").encode("utf-8", "surrogatepass")
        assert found == {k for k in encoded if k.startswith(prefix)}
        raw.flushdb()


async def test_iter_keys_lists_its_namespace_once_each(
    redis_server: RedisServer, raw: redis.Redis
) -> None:
    wanted = {f"k{i}" for i in range(2500)} | {"a*", "[x]", "sub:key", "é"}
    async with RedisCache("127.0.0.1", redis_server.port, namespace="it*") as cache:
        await cache.set_many(dict.fromkeys(wanted, 1))
        raw.set("it:foreign", 1)
        raw.set("it*x", 1)
        listed = [key async for key in cache.iter_keys()]
        assert sorted(listed) == sorted(wanted)
        assert sorted([k async for k in cache.iter_keys("a*")]) == ["a*"]
        await cache.clear()
