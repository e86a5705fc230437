"""A problem as plain text (no rich): the one-line title and the PyTorch module's header lines.

:func:`tolerance_of` is the one reading of the band both use; :mod:`cpshape.render`
(tables, Markdown) and :mod:`cpshape.torch_export` (``# Problem:`` header) format it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from .config import fraction_text
from .spec import Monotone, Prefer, Problem

__all__ = ["Tolerance", "constraints_text", "depth_ranges", "problem_lines", "problem_title", "tolerance_of"]


@dataclass(frozen=True)
class Tolerance:
    """The accepted band ``low..high`` and how it was given: ``absolute`` params or ``percent`` of P.

    Both ``None``: exact P. ``percent`` is the relative tolerance times 100 (given and nonzero).
    """

    low: int
    high: int
    absolute: int | None
    percent: Fraction | None


def tolerance_of(problem: Problem) -> Tolerance:
    """The band of ``problem`` and the tolerance it comes from (absolute wins over relative)."""
    low, high = problem.band()
    if problem.tolerance_abs is not None:
        return Tolerance(low, high, problem.tolerance_abs, None)
    if problem.tolerance:
        return Tolerance(low, high, None, problem.tolerance * 100)
    return Tolerance(low, high, None, None)


def depth_ranges(depths: Sequence[int]) -> str:
    """``(1, 2, 3, 8)`` -> ``1-3,8``: the same syntax ``--depths`` reads."""
    runs: list[list[int]] = []
    for depth in sorted(depths):
        if runs and runs[-1][1] == depth - 1:
            runs[-1][1] = depth
        else:
            runs.append([depth, depth])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def problem_title(problem: Problem) -> str:
    """``4 inputs -> 3 outputs, depths 5-12: P = 1,000 (exact), bias on``."""
    tol = tolerance_of(problem)
    if tol.absolute is not None:
        band = f"±{tol.absolute:,} (band {tol.low:,}..{tol.high:,})"
    elif tol.percent is not None:
        band = f"±{fraction_text(tol.percent)}% (band {tol.low:,}..{tol.high:,})"
    else:
        band = "(exact)"
    shared = ", one shared count" if problem.same_count else ""
    prefer = ", closest count first" if problem.prefer == Prefer.DEVIATION else ""
    sizes = f"{_plural(problem.input_size, 'input')} -> {_plural(problem.output_size, 'output')}"
    return (f"{sizes}, depths {depth_ranges(problem.depths)}: P = {problem.params:,} {band}, "
            f"bias {'on' if problem.bias else 'off'}{shared}{prefer}")


def problem_lines(problem: Problem, shared_count: int | None = None) -> list[str]:
    """Plain-text lines stating ``problem`` (the ``# Problem:`` header of the PyTorch module).

    ``shared_count`` is the report's shared count, shown when ``problem.same_count``.
    """
    tol = tolerance_of(problem)
    if tol.absolute is not None:
        tolerance = f"+/-{tol.absolute} params"
    elif tol.percent is not None:
        tolerance = f"+/-{float(tol.percent):g}%"
    else:
        tolerance = "exact"
    if problem.same_count:
        shared = "none found" if shared_count is None else f"{shared_count:,}"
        mode = f"shared count (one count for every depth): {shared}"
    else:
        mode = "per depth (each depth nearest the target on its own)"
    return [
        f"input size: {problem.input_size}, output size: {problem.output_size}",
        f"params target: {problem.params:,} ({tolerance}"
        + ("" if tol.low == tol.high else f", accepted band [{tol.low:,}, {tol.high:,}]")
        + ")",
        f"bias: {'on' if problem.bias else 'off'}",
        f"mode: {mode}",
        f"depths asked: {', '.join(str(d) for d in problem.depths)}",
    ]


def constraints_text(problem: Problem) -> str:
    """The non-default shape rules, comma-separated ('' when there are none)."""
    c = problem.constraints
    parts = []
    if c.min_width > 1 or c.max_width is not None:
        parts.append(f"widths {c.min_width}..{c.max_width if c.max_width is not None else 'any'}")
    if c.max_ratio is not None:
        parts.append(f"max ratio {fraction_text(c.max_ratio)}")
    if c.ratio_range is not None:
        parts.append(f"ratio {fraction_text(c.ratio_range[0])}..{fraction_text(c.ratio_range[1])}")
    if c.monotone is not Monotone.NONE:
        parts.append(c.monotone.value)
    if c.multiple_of > 1:
        parts.append(f"multiple of {c.multiple_of}")
    if c.pins:
        parts.append("pins " + " ".join(f"{layer}={width}" for layer, width in c.pins))
    if c.max_spread is not None:
        parts.append(f"max spread {c.max_spread}")
    return ", ".join(parts)
