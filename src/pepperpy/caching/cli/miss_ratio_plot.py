"""Miss-ratio curves of simulation results, drawn with matplotlib (the ``plot`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.simulation import BELADY, SimulationResult

__all__ = ("PlotUnavailableError", "load_figure_class", "write_plot")


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


def write_plot(results: Sequence[SimulationResult], path: Path, title: str) -> None:
    """Draw miss ratio against cache size, one line per policy, into ``path``.

    The format follows the file's suffix (``.png``, ``.svg``, ``.pdf``...). The size
    axis is logarithmic when the sizes span more than a factor of 10.
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
    axes.set_xlabel("cache size (entries)")
    axes.set_ylabel("miss ratio")
    axes.set_ylim(bottom=0)
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.savefig(path, dpi=120)
