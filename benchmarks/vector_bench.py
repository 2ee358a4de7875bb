"""VectorCache against raw hnswlib and numpy brute force, on the same data in one process.

Run (from the repository root, with the ``bench`` extra installed)::

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/vector_bench.py
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/vector_bench.py \
        --sections queries --sizes 20000

Sections (each prints a table; every row that answers queries has its recall@10 against
exact search, for queries *near* the data (drawn like it) and *far* from it (half random
directions, half midpoints between two clusters)):

* ``queries``: single queries (``find_similar`` against a bare ``knn_query`` loop, on a
  raw hnswlib index with the same parameters and on the cache's own graph) and batches
  (``find_similar_many`` against one batch ``knn_query`` with as many threads), at each
  size of ``--sizes`` (dimension 128), and an ``ef`` sweep on the same graphs.
* ``inserts``: ``set_many`` of 20k x 384 with ``threads=1`` (the former default) and with
  the default (the cores, at most 8).
* ``persist``: ``save`` + ``load`` of the largest size against building it again.
* ``recall``: what ``recall=`` chooses for several targets, what the check costs, and
  the recall queries then get.
* ``crossover``: exact (numpy) against HNSW query time by the number of vectors.
* ``churn``: a full cache taking new keys, each insert evicting one, for the two ways of
  reusing room (append + rebuild, the default; hnswlib's ``replace_deleted``).

OpenBLAS threads are best pinned to 1: on a shared machine its thread pool makes numpy's
matrix products erratic. Peers are timed in interleaved rounds in one process, so load
from other processes hits all of them alike; a ratio is the median of the per-round
ratios, with their range in brackets (a wide range: a noisy machine). Timings are
wall-clock on whatever machine runs this.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import hnswlib
import numpy as np
import numpy.typing as npt

from pepperpy.caching import IndexSettings, VectorCache
from pepperpy.caching.adapters.vector import default_threads
from pepperpy.caching.core.vectors import VectorIndex
from pepperpy.caching.core.vectors.recall import check_recall_now

Matrix = npt.NDArray[np.float32]
M, EF_CONSTRUCTION, SEED, K = 16, 200, 0, 10


# -- data -----------------------------------------------------------------------------


def clustered(rng: np.random.Generator, n: int, centers: Matrix, noise: float = 0.35) -> Matrix:
    picks = rng.integers(0, len(centers), n)
    return (centers[picks] + noise * rng.normal(size=(n, centers.shape[1]))).astype(np.float32)


def synthetic(n: int, dim: int, queries: int, seed: int = 42) -> tuple[Matrix, Matrix, Matrix]:
    """Clusters of points (one per 500); near queries are drawn like the data, far ones
    are half random directions, half midpoints between two clusters."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(max(n // 500, 10), dim)).astype(np.float32)
    data = clustered(rng, n, centers)
    near = clustered(rng, queries, centers)
    half = queries // 2
    pairs = rng.integers(0, len(centers), size=(queries - half, 2))
    between = (centers[pairs[:, 0]] + centers[pairs[:, 1]]) / 2
    between += 0.35 * rng.normal(size=between.shape)
    far = np.concatenate([rng.normal(size=(half, dim)), between]).astype(np.float32)
    return data, near, far


def unit(rows: Matrix) -> Matrix:
    normalized: Matrix = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    return normalized


def exact_top(data: Matrix, queries: Matrix, k: int = K) -> tuple[npt.NDArray[np.intp], Any]:
    """The true top-k by cosine (indices) and their scores, in chunks of queries."""
    stored = unit(data)
    tops, scores = [], []
    for start in range(0, len(queries), 256):
        sims = unit(queries[start : start + 256]) @ stored.T
        best = np.argsort(-sims, axis=1)[:, :k]
        tops.append(best)
        scores.append(np.take_along_axis(sims, best, axis=1))
    return np.concatenate(tops), np.concatenate(scores)


def recall(found: list[list[int]], truth: npt.NDArray[np.intp]) -> float:
    hits = sum(len(set(f) & set(t.tolist())) for f, t in zip(found, truth, strict=True))
    return hits / truth.size


def recall_above(
    found: list[list[int]], truth: npt.NDArray[np.intp], scores: Any, bound: float
) -> float:
    """Recall of the true results scoring >= bound (1.0 where there is none)."""
    wanted = sum(int((row >= bound).sum()) for row in scores)
    if wanted == 0:
        return 1.0
    hits = sum(
        len(set(f) & set(t[s >= bound].tolist()))
        for f, t, s in zip(found, truth, scores, strict=True)
    )
    return hits / wanted


def ratio(base: list[float], other: list[float]) -> str:
    """``other``'s speed against ``base`` (times per round): the median of the per-round
    ratios, and their range, which says how noisy the machine was."""
    ratios = sorted(b / o for b, o in zip(base, other, strict=True))
    if len(ratios) == 1:
        return f"{ratios[0]:.2f}x"
    return f"{statistics.median(ratios):.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f})"


def row(first: object, *cells: object) -> None:
    print(f"{first!s:<24}" + "".join(f"{cell!s:>18}" for cell in cells))


async def build_cache(
    data: Matrix, threshold: float | None = None, **kwargs: Any
) -> tuple[VectorCache, float]:
    cache = VectorCache(max_size=None, similarity_threshold=threshold, **kwargs)
    start = time.perf_counter()
    await cache.set_many({str(i): vector for i, vector in enumerate(data)})
    return cache, time.perf_counter() - start


def raw_index(data: Matrix, ef: int, threads: int) -> tuple[Any, float]:
    """A bare hnswlib index of the vectors the cache indexes (unit length, inner
    product), with the same parameters."""
    index = hnswlib.Index(space="ip", dim=data.shape[1])
    index.init_index(max_elements=len(data), M=M, ef_construction=EF_CONSTRUCTION, random_seed=SEED)
    start = time.perf_counter()
    index.add_items(unit(data), np.arange(len(data)), num_threads=threads)
    elapsed = time.perf_counter() - start
    index.set_ef(ef)
    return index, elapsed


# -- queries ----------------------------------------------------------------------------


class Peer:
    """One way of answering single queries, timed over rounds."""

    def __init__(self, name: str, search: Callable[[Matrix], Awaitable[list[int]]]):
        self.name = name
        self.search = search
        self.seconds = 0.0
        self.rounds: list[float] = []
        """Seconds of each round (near and far queries)."""
        self.latencies: list[float] = []
        self.found: dict[str, list[list[int]]] = {}

    async def run(self, label: str, queries: Matrix) -> None:
        found = []
        search = self.search
        for query in queries:
            start = time.perf_counter()
            result = await search(query)
            elapsed = time.perf_counter() - start
            self.seconds += elapsed
            self.latencies.append(elapsed)
            found.append(result)
        self.found[label] = found


async def queries_section(n: int, dim: int, count: int, rounds: int, threads: int) -> None:
    data, near, far = synthetic(n, dim, count)
    truth = {label: exact_top(data, q) for label, q in (("near", near), ("far", far))}
    cache, cache_build = await build_cache(data, threads=threads, index=IndexSettings(seed=SEED))
    ef = cache.ef
    raw, raw_build = raw_index(data, ef, threads)
    own = cache._store.index._graph._index  # the cache's own graph: the very same elements
    own.set_ef(ef)
    print(
        f"\n== queries: {n} x {dim}, {count} near + {count} far, k={K}, ef={ef}, M={M}, "
        f"ef_construction={EF_CONSTRUCTION}, threads={threads}, {rounds} rounds =="
    )
    print(
        f"batch insert: VectorCache {n / cache_build:,.0f}/s, hnswlib {n / raw_build:,.0f}/s "
        f"({raw_build / cache_build:.2f}x)"
    )

    async def bare(q: Matrix) -> list[int]:
        return raw.knn_query(q, k=K)[0][0].tolist()  # type: ignore[no-any-return]

    async def bare_own(q: Matrix) -> list[int]:
        return [label & 0xFFFFFFFF for label in own.knn_query(q, k=K)[0][0].tolist()]

    async def cached(q: Matrix) -> list[int]:
        return [int(result.key) for result in await cache.find_similar(q, top_k=K)]

    await ef_rows(cache, raw, own, near, far, truth, rounds, (ef,), bare, bare_own, cached, True)
    await batch_rows(cache, raw, near, far, truth, 2 * rounds + 1, threads)
    await threshold_rows(data, near, far, truth, threads)
    await ef_rows(
        cache,
        raw,
        own,
        near,
        far,
        truth,
        max(1, rounds - 1),
        (32, 64, 96, 128, 192, 256),
        bare,
        bare_own,
        cached,
        False,
    )
    cache.ef = ef


async def ef_rows(
    cache: VectorCache,
    raw: Any,
    own: Any,
    near: Matrix,
    far: Matrix,
    truth: dict[str, Any],
    rounds: int,
    efs: tuple[int, ...],
    *searches: Any,
) -> None:
    *functions, detailed = searches
    if detailed:
        print("-- single queries (find_similar against a bare knn_query loop)")
        row("peer", "median us", "p99 us", "queries/s", "vs bare (range)", "recall near", "far")
    else:
        print("-- ef sweep: recall@10 and queries/s on the same graphs")
        row("ef", "recall near", "recall far", "bare us/q", "cache us/q", "cache/own graph")
    for ef in efs:
        cache.ef = ef
        raw.set_ef(ef)
        own.set_ef(ef)
        peers = [
            Peer(name, fn)
            for name, fn in zip(
                ("hnswlib, same params", "hnswlib, cache's graph", "VectorCache"),
                functions,
                strict=True,
            )
        ]
        for _ in range(rounds):  # interleaved: machine noise hits every peer alike
            for peer in peers:
                before = peer.seconds
                await peer.run("near", near)
                await peer.run("far", far)
                peer.rounds.append(peer.seconds - before)
        total = len(peers[0].latencies)
        if detailed:
            for peer in peers:
                ordered = sorted(peer.latencies)
                qps = total / peer.seconds
                row(
                    peer.name,
                    f"{statistics.median(ordered) * 1e6:.1f}",
                    f"{ordered[int(0.99 * (len(ordered) - 1))] * 1e6:.1f}",
                    f"{qps:,.0f}",
                    ratio(peers[0].rounds, peer.rounds),
                    f"{recall(peer.found['near'], truth['near'][0]):.3f}",
                    f"{recall(peer.found['far'], truth['far'][0]):.3f}",
                )
            print(
                "VectorCache / bare loop on its own graph: "
                + ratio(peers[1].rounds, peers[2].rounds)
            )
        else:
            cached_peer = peers[2]
            row(
                str(ef),
                f"{recall(cached_peer.found['near'], truth['near'][0]):.3f}",
                f"{recall(cached_peer.found['far'], truth['far'][0]):.3f}",
                f"{peers[1].seconds / total * 1e6:.1f}",
                f"{cached_peer.seconds / total * 1e6:.1f}",
                ratio(peers[1].rounds, cached_peer.rounds),
            )


async def batch_rows(
    cache: VectorCache,
    raw: Any,
    near: Matrix,
    far: Matrix,
    truth: dict[str, Any],
    rounds: int,
    threads: int,
) -> None:
    print(f"-- batches (find_similar_many against one batch knn_query, {threads} threads)")
    queries = np.concatenate([near, far] * 10)  # 10x the query set: a large batch
    bare_rounds: list[float] = []
    cache_rounds: list[float] = []
    found: list[list[int]] = []
    for _ in range(rounds):
        start = time.perf_counter()
        labels = raw.knn_query(queries, k=K, num_threads=threads)[0]
        bare_rounds.append(time.perf_counter() - start)
        start = time.perf_counter()
        results = await cache.find_similar_many(queries, top_k=K)
        cache_rounds.append(time.perf_counter() - start)
    found = [[int(r.key) for r in hits] for hits in results]
    bare_found = labels.tolist()
    half = len(near)
    row("peer", "us/query", "vs bare (range)", "recall near", "recall far")
    for name, seconds, got in (
        ("one knn_query", bare_rounds, bare_found),
        ("find_similar_many", cache_rounds, found),
    ):
        row(
            name,
            f"{statistics.median(seconds) / len(queries) * 1e6:.1f}",
            ratio(bare_rounds, seconds),
            f"{recall(got[:half], truth['near'][0]):.3f}",
            f"{recall(got[half : 2 * half], truth['far'][0]):.3f}",
        )


async def threshold_rows(
    data: Matrix, near: Matrix, far: Matrix, truth: dict[str, Any], threads: int
) -> None:
    """Recall with every default: the default similarity_threshold (0.9) keeps results
    of score >= 0.9, so recall is of the true results above it."""
    cache, _ = await build_cache(data[: min(len(data), 20_000)], 0.9, threads=threads)
    if len(data) > 20_000:
        near_truth, far_truth = exact_top(data[:20_000], near), exact_top(data[:20_000], far)
    else:
        near_truth, far_truth = truth["near"], truth["far"]
    found = {}
    for label, queries in (("near", near), ("far", far)):
        found[label] = [[int(r.key) for r in await cache.find_similar(q, top_k=K)] for q in queries]
    print(
        f"-- with the default similarity_threshold 0.9 ({cache.size} vectors): "
        f"recall of the true results above it: near "
        f"{recall_above(found['near'], *near_truth, 0.9):.3f}, far "
        f"{recall_above(found['far'], *far_truth, 0.9):.3f}; far queries with any true "
        f"result above it: {int((far_truth[1][:, 0] >= 0.9).sum())} of {len(far)}"
    )


# -- inserts ----------------------------------------------------------------------------


async def inserts_section(n: int, dim: int, rounds: int) -> None:
    """Unclustered vectors (the slowest to insert); queries are stored vectors moved a
    little."""
    rng = np.random.default_rng(7)
    data = rng.normal(size=(n, dim)).astype(np.float32)
    near = (data[:200] + 0.1 * rng.normal(size=(200, dim))).astype(np.float32)
    truth = exact_top(data, near)[0]
    threads = default_threads()
    print(f"\n== inserts: set_many of {n} x {dim}, threads=1 against threads={threads} ==")
    seconds: dict[int, list[float]] = {1: [], threads: []}
    recalls: dict[int, float] = {}
    for _ in range(rounds):
        for count in seconds:
            cache, elapsed = await build_cache(data, threads=count)
            seconds[count].append(elapsed)
            found = [[int(r.key) for r in await cache.find_similar(q, top_k=K)] for q in near]
            recalls[count] = recall(found, truth)
            del cache
    row("threads", "seconds", "vectors/s", "speed-up (range)", "recall near")
    for count, times in seconds.items():
        row(
            str(count),
            f"{statistics.median(times):.2f}",
            f"{n / statistics.median(times):,.0f}",
            ratio(seconds[1], times),
            f"{recalls[count]:.3f}",
        )


# -- persistence ------------------------------------------------------------------------


async def persist_section(n: int, dim: int, rounds: int) -> None:
    data, near, _ = synthetic(n, dim, 200)
    truth = exact_top(data, near)[0]
    print(f"\n== persist: save + load of {n} x {dim} against building it again ==")
    cache, build = await build_cache(data)
    save_s = load_s = 0.0
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "cache.vectors"
        for _ in range(rounds):
            start = time.perf_counter()
            await cache.save(path)
            save_s += time.perf_counter() - start
            start = time.perf_counter()
            loaded = await VectorCache.load(path)
            load_s += time.perf_counter() - start
        size = path.stat().st_size
    rebuilt, rebuild = await build_cache(data)
    found = [[int(r.key) for r in await loaded.find_similar(q, top_k=K)] for q in near]
    same = True
    for q in near[:50]:
        answers = [[r.key for r in await c.find_similar(q, top_k=K)] for c in (loaded, cache)]
        same = same and answers[0] == answers[1]
    save_s, load_s = save_s / rounds, load_s / rounds
    row("step", "seconds", "vs save+load")
    row("save", f"{save_s:.2f}", "")
    row("load", f"{load_s:.2f}", "")
    row("build (set_many)", f"{build:.2f}", f"{build / (save_s + load_s):.1f}x")
    row("build again", f"{rebuild:.2f}", f"{rebuild / (save_s + load_s):.1f}x")
    print(
        f"file {size / 1e6:.1f} MB ({size / n:.0f} B/vector); loaded cache: recall near "
        f"{recall(found, truth):.3f}, same answers as the saved one: {same}; "
        f"graph elements {loaded.index_stats.graph_elements} (loaded, not rebuilt)"
    )
    del rebuilt


# -- recall targets ---------------------------------------------------------------------


async def recall_section(n: int, dim: int) -> None:
    data, near, far = synthetic(n, dim, 300)
    truth_near, truth_far = exact_top(data, near)[0], exact_top(data, far)[0]
    cache, _ = await build_cache(data)
    index = cache._store.index
    print(f"\n== recall=: the ef chosen for a target, on {n} x {dim} ==")
    row("target", "ef chosen", "measured", "check s", "recall near", "recall far", "us/query")
    for target in (0.9, 0.95, 0.99, 0.999):
        start = time.perf_counter()
        check = check_recall_now(index._graph, index._store, "cosine", target=target, seed=0)
        seconds = time.perf_counter() - start
        cache.ef = check.ef
        found, began = {}, time.perf_counter()
        for label, queries in (("near", near), ("far", far)):
            found[label] = [
                [int(r.key) for r in await cache.find_similar(q, top_k=K)] for q in queries
            ]
        per_query = (time.perf_counter() - began) / (len(near) + len(far))
        row(
            f"{target}",
            str(check.ef),
            f"{check.recall:.3f}",
            f"{seconds:.2f}",
            f"{recall(found['near'], truth_near):.3f}",
            f"{recall(found['far'], truth_far):.3f}",
            f"{per_query * 1e6:.0f}",
        )


# -- crossover and churn (kept from earlier runs, now with recall) ----------------------


def crossover_section(dim: int, queries: int) -> None:
    print(f"\n== crossover: exact (numpy) against HNSW, clustered, dim={dim}, k=10, default ef ==")
    row("vectors", "exact us", "hnsw us", "faster", "hnsw recall")
    rng = np.random.default_rng(5)
    for n in (512, 1024, 2048, 4096, 8192, 16384, 32768):
        centers = rng.normal(size=(max(n // 500, 10), dim)).astype(np.float32)
        data = clustered(rng, n, centers)
        qs = clustered(rng, queries, centers)
        truth = exact_top(data, qs)[0]
        keys = [str(i) for i in range(n)]
        timings, found = [], []
        for threshold in (10**9, 0):
            index = VectorIndex(settings=IndexSettings(exact_threshold=threshold, seed=SEED))
            index.add_many(keys, data)
            index.maintain()
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                results = [index.search(q, K) for q in qs]
                best = min(best, (time.perf_counter() - start) / len(qs))
            timings.append(best * 1e6)
            found = [[int(key) for key, *_ in hits] for hits in results]
        row(
            str(n),
            f"{timings[0]:.1f}",
            f"{timings[1]:.1f}",
            "exact" if timings[0] < timings[1] else "hnsw",
            f"{recall(found, truth):.3f}",
        )


async def churn_section(size: int, dim: int, inserts: int) -> None:
    """Caches take the same stream of new keys, in interleaved chunks; costs are CPU
    seconds of the process (worker threads too)."""
    print(f"\n== churn: {size} x {dim} vectors, then {inserts} new keys ==")
    rng = np.random.default_rng(3)
    centers = rng.normal(size=(max(size // 500, 10), dim)).astype(np.float32)
    base = clustered(rng, size, centers)
    fresh = clustered(rng, inserts, centers)
    near = clustered(rng, 100, centers)
    caches = {
        "plain (no eviction)": VectorCache(max_size=None, similarity_threshold=None),
        "append+rebuild": VectorCache(max_size=size, similarity_threshold=None),
        "replace_deleted": VectorCache(
            max_size=size,
            similarity_threshold=None,
            index=IndexSettings(replace_deleted=True),
        ),
    }
    for cache in caches.values():
        await cache.set_many({f"b{i}": v for i, v in enumerate(base)})
    cost = dict.fromkeys(caches, 0.0)
    chunk = 250
    for start in range(0, inserts, chunk):
        for name, cache in caches.items():
            begin = time.process_time()
            for i in range(start, min(start + chunk, inserts)):
                await cache.set(f"n{i}", fresh[i])
            cost[name] += time.process_time() - begin
    latest = np.concatenate([base, fresh])[-size:]
    truth = exact_top(latest, near)[0] + (len(base) + inserts - size)
    row("strategy", "CPU us/insert", "vs plain", "graph elements", "recall near")
    for name, cache in caches.items():
        found = []
        for q in near:
            hits = await cache.find_similar(q, top_k=K)
            found.append([int(r.key[1:]) + (len(base) if r.key[0] == "n" else 0) for r in hits])
        row(
            name,
            f"{cost[name] / inserts * 1e6:.0f}",
            f"{cost[name] / cost['plain (no eviction)']:.2f}x",
            str(cache.index_stats.graph_elements),
            "-" if name.startswith("plain") else f"{recall(found, truth):.3f}",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--churn-size", type=int, default=20_000)
    parser.add_argument("--sections", default="queries,inserts,persist,recall,crossover,churn")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    sizes = [int(size) for size in args.sizes.split(",")]
    if "queries" in sections:
        for n in sizes:
            anyio.run(queries_section, n, args.dim, args.queries, args.rounds, args.threads)
    if "inserts" in sections:
        anyio.run(inserts_section, 20_000, 384, args.rounds)
    if "persist" in sections:
        anyio.run(persist_section, max(sizes), args.dim, args.rounds)
    if "recall" in sections:
        anyio.run(recall_section, max(sizes), args.dim)
    if "crossover" in sections:
        crossover_section(args.dim, 200)
    if "churn" in sections:
        anyio.run(churn_section, args.churn_size, args.dim, 2 * args.churn_size)


if __name__ == "__main__":
    main()
