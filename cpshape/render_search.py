"""Text for ``common`` and ``pareto``: the searches over counts and over spreads.

Split from :mod:`cpshape.render_extra` (whose layout helpers it reuses) with the same
conventions: a ``*_document`` function building the JSON object (documented in
``docs/output.md``) and a ``render_*`` function taking the format name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console

from .config import problem_to_dict, settings_to_dict
from .describe import constraints_text, depth_ranges, problem_title
from .render import compact_widths, deviation_text, json_text, package_versions
from .render_extra import _csv, _markdown, _spaced, _table
from .result import Status
from .spec import Problem, SolverSettings

if TYPE_CHECKING:  # pareto imports the solver (OR-Tools) and methods imports numpy
    from .methods import CommonResult
    from .pareto import DepthFrontier

__all__ = ["common_document", "pareto_document", "pareto_summary", "render_common", "render_pareto"]


# --------------------------------------------------------------------------- common


def common_document(
    input_size: int,
    output_size: int,
    depths: Sequence[int],
    bias: bool,
    result: CommonResult,
    subsets: bool = False,
) -> dict[str, Any]:
    """``{"input", "output", "depths", "bias", "params", "widths": {depth: width},
    "searched_up_to"}``, plus ``"best_subsets"`` when ``subsets``."""
    doc: dict[str, Any] = {
        "input": input_size,
        "output": output_size,
        "depths": list(depths),
        "bias": bias,
        "params": result.params,
        "widths": {str(depth): width for depth, width in sorted(result.widths.items())},
        "searched_up_to": result.searched_up_to,
    }
    if subsets:
        doc["best_subsets"] = [
            {"depths": list(s.depths), "params": s.params, "widths": {str(d): w for d, w in s.widths.items()}}
            for s in result.best_subsets
        ]
    return doc


def render_common(
    input_size: int,
    output_size: int,
    depths: Sequence[int],
    bias: bool,
    result: CommonResult,
    fmt: str,
    subsets: bool = False,
    console: Console | None = None,
) -> str:
    """The smallest shared uniform count and each depth's width, or the proof that none exists."""
    if fmt == "json":
        return json_text(common_document(input_size, output_size, depths, bias, result, subsets))
    if fmt == "csv":
        rows: list[list[object]] = [
            [depth, width, result.params] for depth, width in sorted(result.widths.items())
        ]
        if subsets and result.params is None:
            rows = [
                [depth, width, s.params] for s in result.best_subsets for depth, width in s.widths.items()
            ]
        return _csv(("depth", "width", "params"), rows)
    sizes = f"{input_size} -> {output_size}"
    title = f"{sizes}, depths {depth_ranges(depths)}, bias {'on' if bias else 'off'}, uniform widths"
    if result.params is not None:
        head = ("depth", "width", "params")
        rows_text = [[str(d), str(w), f"{result.params:,}"] for d, w in sorted(result.widths.items())]
        footer = [
            f"Smallest count every depth hits exactly: {result.params:,} (every smaller count was ruled out)."
        ]
    else:
        head = ("depths", "params", "widths")
        rows_text = (
            [
                [
                    ",".join(map(str, s.depths)),
                    f"{s.params:,}",
                    " ".join(f"{d}:{w}" for d, w in s.widths.items()),
                ]
                for s in result.best_subsets
            ]
            if subsets
            else []
        )
        footer = [
            f"No count up to {result.searched_up_to:,} is hit by every depth with a uniform width "
            "(proven by exhaustive search)."
        ]
        if subsets:
            footer.append(
                "Rows: the largest subsets of depths that do share a count, each with its smallest one."
                if rows_text
                else "No two depths share a count either."
            )
    right = ("depth", "width", "params")
    if not rows_text:
        return (
            "\n\n".join([f"**{title}**", *footer]) + "\n"
            if fmt == "markdown"
            else "\n".join([title, *footer]) + "\n"
        )
    if fmt == "markdown":
        return _markdown(title, head, rows_text, footer, right)
    return _table(title, head, rows_text, footer, right, console)


# --------------------------------------------------------------------------- pareto


def pareto_document(
    problem: Problem, settings: SolverSettings, results: Sequence[DepthFrontier]
) -> dict[str, Any]:
    """``{"cpshape", "problem", "solver", "band", "results": [{"depth", "status",
    "stopped", "searched_up_to", "seconds", "frontier": [{"spread", "deviation", "params",
    "widths"}]}]}``; ``problem`` and ``solver`` are a valid ``--config``."""
    low, high = problem.band()
    return {
        "cpshape": package_versions()["cpshape"],
        "problem": problem_to_dict(problem),
        "solver": settings_to_dict(settings),
        "band": [low, high],
        "results": [
            {
                "depth": r.depth,
                "status": r.status.value,
                "stopped": r.stopped.value,
                "searched_up_to": r.searched_up_to,
                "seconds": round(r.seconds, 3),
                "frontier": [
                    {
                        "spread": p.spread,
                        "deviation": p.deviation,
                        "params": p.params,
                        "widths": list(p.widths),
                    }
                    for p in r.points
                ],
            }
            for r in results
        ],
    }


_STOPPED = {
    "band": "reached the band",
    "spreads": "no wider spread is possible; the band is never reached",
    "budget": "DP work budget ran out",
}


def pareto_summary(results: Sequence[DepthFrontier]) -> list[str]:
    """Footer lines: what a row means and, per depth, where its frontier stops."""
    lines = [
        "Each row: the least |deviation| of any shape with at most that spread (proven), "
        "listed where it improves."
    ]
    for r in results:
        if r.status is not Status.OPTIMAL:
            upto = "no spread" if r.searched_up_to is None else f"spreads up to {r.searched_up_to}"
            lines.append(f"depth {r.depth}: {r.status.value}, {_STOPPED[r.stopped.value]} ({upto} searched).")
    if all(r.status is Status.OPTIMAL for r in results):
        lines.append("Every depth's frontier is complete and ends in the band.")
    return lines


def render_pareto(
    problem: Problem,
    settings: SolverSettings,
    results: Sequence[DepthFrontier],
    fmt: str,
    console: Console | None = None,
) -> str:
    """One row per frontier point: depth, spread, deviation, params, widths, status."""
    if fmt == "json":
        return json_text(pareto_document(problem, settings, results))
    if fmt == "csv":
        rows: list[list[object]] = []
        for r in results:
            rows += [
                [r.depth, p.spread, p.deviation, p.params, _spaced(p.widths), r.status.value, r.stopped.value]
                for p in r.points
            ]
            if not r.points:
                rows.append([r.depth, None, None, None, None, r.status.value, r.stopped.value])
        return _csv(("depth", "spread", "deviation", "params", "widths", "status", "stopped"), rows)
    head = ("depth", "spread", "deviation", "params", "widths", "status")
    text_rows: list[list[str]] = []
    for r in results:
        first = True
        for p in r.points:
            text_rows.append(
                [
                    str(r.depth) if first else "",
                    str(p.spread),
                    deviation_text(p.deviation, problem.params),
                    f"{p.params:,}",
                    compact_widths(p.widths),
                    r.status.value if first else "",
                ]
            )
            first = False
        if first:
            text_rows.append(
                [str(r.depth), "-", "-", "-", "no shape with count <= 2 x band end", r.status.value]
            )
    title = problem_title(problem).split(", one shared count")[0].split(", closest count first")[0]
    rules = constraints_text(problem)
    title = f"{title}\nconstraints: {rules}" if rules else title
    right = ("depth", "spread", "deviation", "params")
    if fmt == "markdown":
        return _markdown(title.replace("\n", "  \n"), head, text_rows, pareto_summary(results), right)
    return _table(title, head, text_rows, pareto_summary(results), right, console)
