"""SemanticCache on asyncio and trio, with embeddings from a fixed table (exact cosines
known in advance) and from a hashing trick (no model is downloaded)."""

from __future__ import annotations

import math
import re
import zlib
from pathlib import Path

import anyio
import anyio.lowlevel
import numpy as np
import pytest

from pepperpy.caching import (
    ConfigurationError,
    InvalidKeyError,
    SemanticCache,
    SemanticStats,
    SerializationError,
)

pytestmark = pytest.mark.anyio

CAPITAL = "what is the capital of france"
TABLE = {
    CAPITAL: [1.0, 0.0, 0.0],
    "capital city of france?": [0.95, math.sqrt(1 - 0.95**2), 0.0],  # cosine 0.95
    "france: which city is the capital": [0.87, math.sqrt(1 - 0.87**2), 0.0],  # 0.87
    "how tall is everest": [0.0, 0.0, 1.0],  # 0
}


class Table:
    """A fixed table of embeddings that counts its calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, prompt: str) -> list[float]:
        self.calls.append(prompt)
        return TABLE[prompt]


class Answers:
    """A stand-in for an expensive model: counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, answer: str) -> str:
        self.calls += 1
        return answer


def hashed(text: str, dim: int = 64) -> np.ndarray:
    """A deterministic embedding: each word adds +-1 to a bucket chosen by its CRC."""
    vector = np.zeros(dim)
    for word in re.findall(r"[a-z]+", text.lower()):
        code = zlib.crc32(word.encode())
        vector[code % dim] += 1.0 if code & 1 << 20 else -1.0
    return vector


async def test_a_prompt_of_like_meaning_reuses_the_answer() -> None:
    embed, model = Table(), Answers()
    cache = SemanticCache(embed=embed, threshold=0.9)
    assert await cache.get_or_compute(CAPITAL, lambda: model("Paris")) == "Paris"
    again = await cache.get_or_compute("capital city of france?", lambda: model("?"))
    assert again == "Paris"
    assert await cache.get_or_compute(CAPITAL, lambda: model("?")) == "Paris"
    assert embed.calls == [CAPITAL, "capital city of france?"]  # the exact repeat: no embed
    everest = await cache.get_or_compute("how tall is everest", lambda: model("8849 m"))
    assert everest == "8849 m"
    assert model.calls == 2
    assert cache.stats == SemanticStats(hits=2, exact_hits=1, misses=2, size=2)
    assert cache.stats.hit_ratio == 0.5


async def test_near_misses_are_counted() -> None:
    cache = SemanticCache(embed=Table(), threshold=0.9, near_miss=0.05)
    await cache.set(CAPITAL, "Paris")
    answer = await cache.get_or_compute("france: which city is the capital", lambda: "computed")
    assert answer == "computed"  # 0.87 < 0.9: a miss...
    assert cache.stats.near_misses == 1  # ...within 0.05 of the threshold
    await cache.get_or_compute("how tall is everest", lambda: "8849 m")
    assert cache.stats.near_misses == 1  # 0.0 is nowhere near
    # the closest stored prompt answers: 0.98 to the computed one, 0.95 to CAPITAL
    assert await cache.get("capital city of france?") == "computed"
    await cache.delete("how tall is everest")
    assert await cache.get("how tall is everest", "default") == "default"


async def test_embed_and_compute_may_be_async() -> None:
    async def embed(prompt: str) -> np.ndarray:
        await anyio.lowlevel.checkpoint()
        return hashed(prompt)

    async def compute() -> dict[str, str]:
        await anyio.lowlevel.checkpoint()
        return {"text": "about 30 minutes"}

    cache: SemanticCache[dict[str, str]] = SemanticCache(embed=embed, threshold=0.8)
    first = await cache.get_or_compute("how long to boil an egg", compute)
    second = await cache.get_or_compute("How long to boil an egg?", compute)
    assert first == second == {"text": "about 30 minutes"}
    assert cache.stats.hits == 1


async def test_concurrent_calls_for_one_prompt_compute_once() -> None:
    cache = SemanticCache(embed=hashed, threshold=0.9)
    calls = 0

    async def compute() -> str:
        nonlocal calls
        calls += 1
        await anyio.sleep(0.01)
        return "answer"

    results: list[str] = []

    async def ask() -> None:
        results.append(await cache.get_or_compute("the same question", compute))

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(ask)
    assert results == ["answer"] * 5
    assert calls == 1
    assert cache.stats.misses == 1
    assert cache.stats.hits == 4


async def test_a_failure_reaches_every_waiter_and_is_not_stored() -> None:
    cache = SemanticCache(embed=hashed, threshold=0.9)

    async def fail() -> str:
        await anyio.sleep(0.01)
        raise RuntimeError("model unavailable")

    errors: list[BaseException] = []

    async def ask() -> None:
        try:
            await cache.get_or_compute("q", fail)
        except RuntimeError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(ask)
    assert len(errors) == 3
    assert cache.stats.size == 0
    assert await cache.get_or_compute("q", lambda: "now it works") == "now it works"


async def test_a_waiter_takes_over_from_a_cancelled_owner() -> None:
    cache = SemanticCache(embed=hashed, threshold=0.9)
    started = anyio.Event()
    computed: list[str] = []

    async def slow() -> str:
        started.set()
        await anyio.sleep(10)
        return "never"

    async def quick() -> str:
        computed.append("quick")
        return "quick answer"

    async with anyio.create_task_group() as group:
        owner = anyio.CancelScope()

        async def first() -> None:
            with owner:
                await cache.get_or_compute("q", slow)

        group.start_soon(first)
        await started.wait()
        waiter_result: list[str] = []

        async def second() -> None:
            waiter_result.append(await cache.get_or_compute("q", quick))

        group.start_soon(second)
        await anyio.lowlevel.checkpoint()
        owner.cancel()
    assert waiter_result == ["quick answer"]
    assert computed == ["quick"]


async def test_ttl_and_max_size_bound_what_is_kept() -> None:
    class Clock:
        now = 50.0

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    cache = SemanticCache(embed=Table(), threshold=0.9, max_size=1, ttl=30, clock=clock)
    await cache.set(CAPITAL, "Paris")
    clock.now += 29
    assert await cache.get("capital city of france?") == "Paris"
    clock.now += 1
    assert await cache.get("capital city of france?") is None
    await cache.set(CAPITAL, "Paris")
    await cache.set("how tall is everest", "8849 m")  # max_size=1: Paris leaves
    assert await cache.get(CAPITAL) is None
    assert cache.stats.evictions == 1
    assert cache.stats.expirations == 1


async def test_answers_are_saved_and_loaded(tmp_path: Path) -> None:
    cache = SemanticCache(embed=Table(), threshold=0.9)
    await cache.set(CAPITAL, {"answer": "Paris", "sources": ["atlas"]})
    await cache.save(tmp_path / "answers")
    loaded = await SemanticCache.load(tmp_path / "answers", embed=Table())
    assert loaded.threshold == 0.9
    assert await loaded.get("capital city of france?") == {"answer": "Paris", "sources": ["atlas"]}
    await cache.set("how tall is everest", object())
    with pytest.raises(SerializationError, match="everest"):
        await cache.save(tmp_path / "answers")


async def test_bad_arguments() -> None:
    with pytest.raises(ConfigurationError):
        SemanticCache(embed="not callable")  # type: ignore[arg-type]
    for bad in (None, math.nan, "high"):
        with pytest.raises(ConfigurationError):
            SemanticCache(embed=hashed, threshold=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        SemanticCache(embed=hashed, near_miss=-0.1)
    cache = SemanticCache(embed=hashed)
    with pytest.raises(InvalidKeyError):
        await cache.get_or_compute(42, lambda: "x")  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError):
        await cache.set(42, "x")  # type: ignore[arg-type]
