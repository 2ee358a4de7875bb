"""Miss-ratio curves of simulation results, drawn with matplotlib (the ``plot`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.simulation import BELADY, SimulationResult

__all__ = (
    "PlotUnavailableError",
    "draw_plot",
    "load_figure_class",
    "miss_ratio_limits",
    "write_plot",
)


class PlotUnavailableError(ImportError):
    """matplotlib is not installed."""


def load_figure_class() -> Any:
    """matplotlib's ``Figure`` class, or :class:`PlotUnavailableError` saying what to install."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise PlotUnavailableError(
            f"--plot needs matplotlib: pip install 'pepperpy-caching[plot]' ({exc})"
        ) from exc
    return Figure


def miss_ratio_limits(ratios: Sequence[float]) -> tuple[float, float]:
    """The y range that shows ``ratios``: their span with a margin, within [0, 1].

    Miss ratios of different policies often differ by a few hundredths; an axis from
    0 would squash them into one line.
    """
    if not ratios:
        return 0.0, 1.0
    low, high = min(ratios), max(ratios)
    margin = max((high - low) * 0.08, 0.005)
    return max(0.0, low - margin), min(1.0, high + margin)


def draw_plot(results: Sequence[SimulationResult], title: str) -> Any:
    """A matplotlib ``Figure`` of miss ratio against cache size, one line per policy.

    The size axis is logarithmic when the sizes span more than a factor of 10; the
    ratio axis spans the ratios shown (:func:`miss_ratio_limits`).
    """
    figure = load_figure_class()(figsize=(7.5, 4.5), layout="constrained")
    axes = figure.subplots()
    names = list(dict.fromkeys(result.policy for result in results))
    for name in names:
        points = sorted((r.size, r.miss_ratio) for r in results if r.policy == name)
        sizes = [size for size, _ in points]
        ratios = [ratio for _, ratio in points]
        style = {"linestyle": "--", "color": "black"} if name == BELADY else {}
        axes.plot(sizes, ratios, marker="o", markersize=3, label=name, **style)
    all_sizes = [result.size for result in results]
    if all_sizes and max(all_sizes) > 10 * min(all_sizes):
        axes.set_xscale("log")
    by_bytes = any(result.by_bytes for result in results)
    axes.set_xlabel("cache size (bytes)" if by_bytes else "cache size (entries)")
    axes.set_ylabel("miss ratio")
    axes.set_ylim(*miss_ratio_limits([result.miss_ratio for result in results]))
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend()
    return figure


def write_plot(results: Sequence[SimulationResult], path: Path, title: str) -> None:
    """Draw :func:`draw_plot` into ``path``, in the format its suffix names
    (``.png``, ``.svg``, ``.pdf``...)."""
    draw_plot(results, title).savefig(path, dpi=120)
