"""Plot solved shapes: hidden-layer index against width, one line per depth.

matplotlib is optional (``pip install 'cpshape[plot]'``) and imported lazily. Figures are
drawn on an Agg canvas directly, so no global backend is switched and no window opens.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from ._extras import require
from .result import Report

__all__ = ["plot_shapes", "shapes_title"]


def shapes_title(report: Report) -> str:
    """A short title stating the problem of ``report``."""
    problem = report.problem
    low, high = problem.band()
    band = f"{problem.params:,} params" if low == high else f"{problem.params:,} params [{low:,}, {high:,}]"
    parts = [f"input {problem.input_size}, output {problem.output_size}", f"target {band}"]
    parts.append("biases on" if problem.bias else "biases off")
    if problem.same_count:
        shared = "none" if report.shared_count is None else f"{report.shared_count:,}"
        parts.append(f"shared count {shared}")
    return ", ".join(parts)


def plot_shapes(report: Report, path: str | PathLike[str]) -> None:
    """Write a PNG (or any format matplotlib infers from the suffix) of every depth's widths.

    x is the hidden-layer index (1 = first hidden layer), y the width; one line per depth,
    labelled with the depth and its parameter count. Depths without a shape are listed under
    the plot.
    """
    require("matplotlib", "plot", "Plotting")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    drawn = [r for r in report.results if r.widths is not None]
    missing = [r for r in report.results if r.widths is None]
    for result in drawn:
        widths = result.widths or ()
        axes.plot(
            range(1, len(widths) + 1),
            widths,
            marker="o",
            label=f"depth {result.depth}: {result.params:,} params",
        )
    axes.set_xlabel("hidden layer")
    axes.set_ylabel("width")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    axes.set_title(shapes_title(report), fontsize=10)
    if drawn:
        axes.legend(fontsize=8, loc="best")
    else:
        axes.text(0.5, 0.5, "no shape found", ha="center", va="center", transform=axes.transAxes)
    if missing:
        text = "no shape: " + ", ".join(f"depth {r.depth} ({r.status.value})" for r in missing)
        figure.text(0.01, 0.01, text, fontsize=8)
    figure.tight_layout(rect=(0, 0.04 if missing else 0, 1, 1))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
