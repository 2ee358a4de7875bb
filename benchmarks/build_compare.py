"""The pure and the compiled build of one source, benchmarked in alternating runs.

Run:  python benchmarks/build_compare.py            (--rounds N, --quick for short runs)

It compiles the modules the build hook compiles (with the hook's own compiler,
``buildtools/mypyc_compile.py``) into a scratch copy of ``src/``, keeps a second copy
pure, then runs ``memory_bench.py`` and ``core_bench.py`` on each copy in turn, in
fresh interpreters, for several rounds. Each of those benchmarks reports ratios
within its own run (to the ``await`` floor, to cachetools), so the machine's speed
at that moment cancels out; this script prints those ratios side by side, each
round's value and their median, so the noise of a shared machine shows too.
"x floor" is the ``await`` of a dict lookup, "x od-lru" the async OrderedDict LRU,
"x cachetools" cachetools' cache of the same policy (core_bench, no ``await``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILDS = ("pure", "compiled")
# "MemoryCache lru    288  1.97    693  1.56    649  1.31" under "== asyncio" / "== trio":
# get-hit x the await floor, then set+evict and mixed x the async OrderedDict LRU
MEMORY_ROW = re.compile(
    r"^(MemoryCache \w+|async OrderedDict LRU)\s+\d+\s+([\d.]+)\s+\d+\s+([\d.]+)"
    r"(?:\s+\d+\s+([\d.]+))?\s*$"
)
RUNTIME = re.compile(r"^== (asyncio|trio)\b")
# "get-hit    engine lru  206.1  4,852,178  1.15  4.54  2.88"
CORE_ROW = re.compile(r"^(get-hit|set-evict|zipf)\s+engine (\w+)\s+[\d.]+\s+[\d,]+\s+([\d.]+)")

Ratios = dict[str, dict[str, list[float]]]  # row -> build -> one ratio per round


def prepare(scratch: Path) -> dict[str, Path]:
    """Two copies of ``src/`` and ``benchmarks/``: one pure, one with the compiled
    modules beside the sources."""
    sys.path.insert(0, str(ROOT / "buildtools"))
    from compiled_sources import compiled_sources

    trees = {}
    for build in BUILDS:
        trees[build] = scratch / build / "src"
        ignore = shutil.ignore_patterns("*.so", "*.sha256", "__pycache__")
        shutil.copytree(ROOT / "src", trees[build], ignore=ignore)
        # Beside it: core_bench.py imports the src/ next to its own folder.
        shutil.copytree(ROOT / "benchmarks", trees[build].parent / "benchmarks", ignore=ignore)
    compile_dir = scratch / "mypyc"
    compile_dir.mkdir()
    print("compiling with mypyc ...", flush=True)
    compiler = ROOT / "buildtools" / "mypyc_compile.py"
    subprocess.run(
        [sys.executable, str(compiler), str(compile_dir), *compiled_sources(ROOT)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    lib = compile_dir / "lib"
    for built in lib.rglob("*.so"):
        target = trees["compiled"] / built.relative_to(lib)
        shutil.copy2(built, target)
    return trees


def run(script: str, tree: Path, quick: bool) -> str:
    """One benchmark on one build, in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    path = tree.parent / "benchmarks" / script
    command = [sys.executable, str(path), *(["--quick"] if quick else [])]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout


def check_build(tree: Path, build: str) -> None:
    """Refuse to measure a build that is not the one it claims to be."""
    probe = "import pepperpy.caching.core as core; print(core.COMPILED)"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    assert out.stdout.strip() == str(build == "compiled"), (build, out.stdout, out.stderr)


def collect(ratios: Ratios, build: str, memory: str, core: str) -> None:
    runtime = "?"
    for line in memory.splitlines():
        if found := RUNTIME.match(line):
            runtime = found[1]
        elif found := MEMORY_ROW.match(line):
            name = found[1].removeprefix("MemoryCache ").replace("async OrderedDict LRU", "od-lru")
            get_ratio, set_ratio, mixed_ratio = found[2], found[3], found[4]
            ratios[f"{runtime:7} get-hit   {name:8} x floor"][build].append(float(get_ratio))
            ratios[f"{runtime:7} set-evict {name:8} x od-lru"][build].append(float(set_ratio))
            if mixed_ratio is not None:
                ratios[f"{runtime:7} mixed     {name:8} x od-lru"][build].append(float(mixed_ratio))
    for line in core.splitlines():
        if found := CORE_ROW.match(line):
            workload, policy, versus = found.groups()
            ratios[f"engine  {workload:9} {policy:8} x cachetools"][build].append(float(versus))


def report(ratios: Ratios) -> None:
    print(f"\n{'row':44} {'pure (median; rounds)':>30} {'compiled (median; rounds)':>30}")
    for row, by_build in ratios.items():
        cells = []
        for build in BUILDS:
            values = by_build[build]
            rounds = " ".join(f"{value:.2f}" for value in values)
            cells.append(f"{statistics.median(values):.2f}; {rounds}")
        print(f"{row:44} {cells[0]:>30} {cells[1]:>30}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs of each build")
    parser.add_argument("--quick", action="store_true", help="the benchmarks' short runs")
    args = parser.parse_args()
    ratios: Ratios = defaultdict(lambda: defaultdict(list))
    with tempfile.TemporaryDirectory(prefix="pepperpy-builds-") as scratch:
        trees = prepare(Path(scratch))
        for build, tree in trees.items():
            check_build(tree, build)
        for round_ in range(1, args.rounds + 1):
            for build, tree in trees.items():
                print(f"round {round_}: {build}", flush=True)
                memory = run("memory_bench.py", tree, args.quick)
                core = run("core_bench.py", tree, args.quick)
                collect(ratios, build, memory, core)
    report(ratios)


if __name__ == "__main__":
    main()
