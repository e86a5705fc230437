"""Reports -> text: JSON, CSV, Markdown and the terminal table (only the render* modules import rich).

Every renderer is a pure function of the :class:`Report` returning a string. The JSON schema
(:func:`to_dict`) is documented in ``docs/output.md``; its ``problem`` and ``solver``
objects are a valid ``--config`` (see :mod:`cpshape.config`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from .config import problem_to_dict, settings_to_dict
from .describe import constraints_text, depth_ranges, problem_title
from .result import DepthResult, Report, Status
from .spec import Problem

__all__ = [
    "COMPACT_FROM",
    "Extras",
    "compact_widths",
    "constraints_text",
    "depth_ranges",
    "deviation_text",
    "json_text",
    "package_versions",
    "problem_title",
    "progress_reporter",
    "render_csv",
    "render_json",
    "render_markdown",
    "render_table",
    "summary",
    "to_dict",
]

#: Table and Markdown show widths run-length encoded for shapes of at least this many layers.
COMPACT_FROM = 6
#: ... and only runs at least this long collapse (``64x3``); shorter runs are listed in full.
MIN_RUN = 3

CSV_COLUMNS = (
    "depth", "widths", "params", "deviation", "spread", "status",
    "nearest_below", "nearest_above", "seconds", "proof", "joined",
)  # fmt: skip


@dataclass(frozen=True)
class Extras:
    """Per-depth output beside the solver's answer (``solve --compare``, ``--rules``, ``--verify``).

    ``table``: column title -> {depth: cell} for the table and Markdown; ``csv``: column name
    -> {depth: value}; ``json``: result key -> {depth: value}; ``notes``: lines printed
    under the table and Markdown (footnotes). Depths missing from a column get ``-`` / empty / null.
    """

    table: dict[str, dict[int, str]] = field(default_factory=dict)
    csv: dict[str, dict[int, object]] = field(default_factory=dict)
    json: dict[str, dict[int, object]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


NO_EXTRAS = Extras()


def package_versions() -> dict[str, str]:
    """Installed cpshape and ortools versions, read from package metadata (imports neither)."""
    found: dict[str, str] = {}
    for name in ("cpshape", "ortools"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "unknown"
    return found


# --------------------------------------------------------------------------- JSON


def to_dict(report: Report, extras: Extras = NO_EXTRAS) -> dict[str, Any]:
    """The JSON document of a run; key order is fixed and ``seconds`` is the only timing field.

    ``extras.json`` adds keys to each result, after the standard ones.
    """
    versions = {**package_versions(), **report.versions}
    problem = report.problem
    low, high = problem.band()
    return {
        "cpshape": versions["cpshape"],
        "ortools": versions["ortools"],
        "problem": problem_to_dict(problem),
        "solver": settings_to_dict(report.settings),
        "band": [low, high],
        "shared_count": report.shared_count,
        "all_optimal": report.all_optimal,
        "results": [
            {**_result_dict(problem, r), **{key: values.get(r.depth) for key, values in extras.json.items()}}
            for r in report.results
        ],
    }


def _result_dict(problem: Problem, result: DepthResult) -> dict[str, Any]:
    nearest = result.nearest or (None, None)
    return {
        "depth": result.depth,
        "widths": None if result.widths is None else list(result.widths),
        "params": result.params,
        "deviation": result.deviation,
        "spread": result.spread,
        "status": result.status.value,
        "nearest": None if result.nearest is None else {"below": nearest[0], "above": nearest[1]},
        "seconds": round(result.seconds, 3),
        "proof": result.proof or None,
        "joined": result.joined if problem.same_count else None,
    }


_FLAT_ARRAY = re.compile(r"\[\s*([^\[\]{}]*?)\s*\]")


def render_json(report: Report, extras: Extras = NO_EXTRAS) -> str:
    """:func:`to_dict` as indented JSON, arrays of numbers kept on one line."""
    return json_text(to_dict(report, extras))


def json_text(document: object) -> str:
    """Indented JSON with arrays of plain values kept on one line, and a final newline."""
    text = json.dumps(document, indent=2)
    return _FLAT_ARRAY.sub(lambda m: "[" + ", ".join(p.strip() for p in m.group(1).split(",")) + "]"
                           if m.group(1) else "[]", text) + "\n"


# --------------------------------------------------------------------------- CSV and Markdown


def render_csv(report: Report, extras: Extras = NO_EXTRAS) -> str:
    """One row per depth; widths space-separated in full; empty cells for missing values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow((*CSV_COLUMNS, *extras.csv))
    for result, row in zip(report.results, to_dict(report)["results"], strict=True):
        nearest = row["nearest"] or {}
        cells = {
            **row,
            "widths": " ".join(map(str, row["widths"] or [])),
            "nearest_below": nearest.get("below"),
            "nearest_above": nearest.get("above"),
        }
        extra = [values.get(result.depth) for values in extras.csv.values()]
        writer.writerow(["" if cells[c] is None else str(cells[c]).lower() if c == "joined" else cells[c]
                         for c in CSV_COLUMNS] + ["" if v is None else v for v in extra])
    return buffer.getvalue()


def render_markdown(report: Report, extras: Extras = NO_EXTRAS) -> str:
    """A GitHub-flavoured Markdown table with the title above and the summary below."""
    head = ["depth", "widths", "params", "deviation", "spread", "status", "time"]
    if report.problem.same_count:
        head.append("shared")
    head += list(extras.table)
    lines = [f"**{problem_title(report.problem)}**", ""]
    rules = constraints_text(report.problem)
    if rules:
        lines += [f"Constraints: {rules}", ""]
    align = ["---:" if h in ("depth", "params", "deviation", "spread", "time") else "---" for h in head]
    lines += ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    for row in _rows(report, extras):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    lines += ["", summary(report), ""]
    for note in extras.notes:
        lines += [note, ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- table


def render_table(
    report: Report, width: int | None = None, console: Console | None = None, extras: Extras = NO_EXTRAS
) -> str:
    """The default output: a title, one row per depth and a summary footer; then, with
    ``extras.table``, a second table of the extra columns by depth and ``extras.notes``.

    Renders through ``console`` (colour when it is a terminal; rich honours ``NO_COLOR``),
    or, when none is given, to plain text ``width`` columns wide (default 100).
    """
    if console is None:
        console = Console(file=io.StringIO(), width=width or 100, color_system=None, force_terminal=False)
    title = problem_title(report.problem)
    rules = constraints_text(report.problem)
    if rules:
        title = f"{title}\nconstraints: {rules}"
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, collapse_padding=True)
    for name in ("depth", "widths", "params", "deviation", "spread", "status", "time"):
        table.add_column(name, justify="left" if name in ("widths", "status") else "right",
                         overflow="fold", no_wrap=name not in ("widths", "deviation"),
                         min_width=14 if name == "widths" else None)
    if report.problem.same_count:
        table.add_column("shared", justify="left", no_wrap=True, min_width=6)
    styles = {Status.OPTIMAL: "green", Status.FEASIBLE: "yellow",
              Status.INFEASIBLE: "red", Status.UNKNOWN: "red"}
    for result, row in zip(report.results, _rows(report), strict=True):
        style = styles[result.status]
        table.add_row(*(Text(cell, style=style if i == 5 else "") for i, cell in enumerate(row)))
    with console.capture() as capture:
        console.print(Text(title))
        console.print(table)
        console.print(Text(summary(report)))
        if extras.table:  # a second table, so the answer's columns keep their width
            side = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, collapse_padding=True)
            side.add_column("depth", justify="right", no_wrap=True)
            for name in extras.table:
                side.add_column(name, justify="left", overflow="fold")
            for r in report.results:
                side.add_row(str(r.depth), *(cells.get(r.depth, "-") for cells in extras.table.values()))
            console.print(side)
        for note in extras.notes:
            console.print(Text(note))
    return "\n".join(line.rstrip() for line in capture.get().splitlines()) + "\n"


def _rows(report: Report, extras: Extras = NO_EXTRAS) -> Iterator[list[str]]:
    for r in report.results:
        if r.widths is None:
            widths = _nearest_text(r.nearest) if r.status is Status.INFEASIBLE else "no shape found"
            row = [str(r.depth), widths, "-", "-", "-", r.status.value, _seconds(r.seconds)]
        else:
            row = [str(r.depth), compact_widths(r.widths), f"{r.params:,}",
                   deviation_text(r.deviation or 0, r.target or report.problem.params),
                   str(r.spread), r.status.value, _seconds(r.seconds)]
        if report.problem.same_count:
            row.append("-" if r.widths is None else "yes" if r.joined else "no")
        row += [cells.get(r.depth, "-") for cells in extras.table.values()]
        yield row


def _nearest_text(nearest: tuple[int | None, int | None] | None) -> str:
    below, above = nearest or (None, None)
    sides = [f"{n:,} {side}" for n, side in ((below, "below"), (above, "above")) if n is not None]
    return "none in band" + (f"; nearest {', '.join(sides)}" if sides else "")


def compact_widths(widths: Sequence[int], compact_from: int = COMPACT_FROM, min_run: int = MIN_RUN) -> str:
    """``66 66 66 65 66`` in full; from ``compact_from`` layers on, runs of ``min_run`` or more
    equal widths collapse to ``WIDTHxCOUNT``: ``66x3 65 66x8``."""
    if len(widths) < compact_from:
        return " ".join(map(str, widths))
    parts: list[str] = []
    i = 0
    while i < len(widths):
        j = i
        while j < len(widths) and widths[j] == widths[i]:
            j += 1
        run = j - i
        parts += [f"{widths[i]}x{run}"] if run >= min_run else [str(widths[i])] * run
        i = j
    return " ".join(parts)


def deviation_text(deviation: int, target: int) -> str:
    """``+12 (+0.12%)``: the count and the percentage of P with two significant digits
    (at least two decimals, at most eight); ``0 (0%)`` when exact."""
    if deviation == 0:
        return "0 (0%)"
    pct = deviation * 100 / target
    places = 2
    while places < 8 and abs(pct) < 10 ** (1 - places):
        places += 1
    if round(abs(pct), places) == 0:
        return f"{deviation:+,} ({'+' if deviation > 0 else '-'}<{10.0 ** -places:.{places}f}%)"
    return f"{deviation:+,} ({pct:+.{places}f}%)"


def _seconds(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def summary(report: Report) -> str:
    """The footer: whether every depth is proven optimal, and what the others are."""
    counts = {s: sum(r.status is s for r in report.results) for s in Status}
    n = len(report.results)
    shared = ""
    if report.problem.same_count:
        joined = sum(r.joined and r.widths is not None for r in report.results)
        count = "none" if report.shared_count is None else f"{report.shared_count:,}"
        shared = f" Shared count: {count}, hit by {joined} of {n} depths."
    if report.all_optimal:
        return f"{'The depth is' if n == 1 else f'All {n} depths'} proven optimal.{shared}"
    rest = ", ".join(f"{counts[s]} {s.value}" for s in Status if counts[s])
    if counts[Status.OPTIMAL] + counts[Status.INFEASIBLE] == n:  # proven both ways
        return f"Every depth is decided: {rest} (proven: no shape in the band).{shared}"
    return f"Not every depth is proven optimal: {rest}.{shared}"


# --------------------------------------------------------------------------- progress


@contextmanager
def progress_reporter(
    depths: int, enabled: bool, describe: Callable[[DepthResult], str] | None = None, delay: float = 0.5
) -> Iterator[Callable[[DepthResult], None]]:
    """A ``progress`` callback for :func:`cpshape.solve`.

    With ``enabled``, a transient bar on stderr appears once the run has taken ``delay``
    seconds; with ``describe``, one line per finished depth goes to stderr (above the bar).
    """
    console = Console(stderr=True, highlight=False)

    def note(result: DepthResult) -> None:
        if describe is not None:
            console.print(Text(describe(result)))

    if not enabled:
        yield note
        return
    bar = Progress(SpinnerColumn(), TextColumn("solving depths"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=console, transient=True)
    task = bar.add_task("solve", total=depths)
    lock = threading.Lock()
    done = False

    def show() -> None:
        with lock:
            if not done:
                bar.start()

    def tick(result: DepthResult) -> None:
        note(result)
        bar.advance(task)

    timer = threading.Timer(delay, show)
    timer.daemon = True
    timer.start()
    try:
        yield tick
    finally:
        timer.cancel()
        with lock:
            done = True
            bar.stop()


def stdout_console() -> Console:
    """The stdout console for the table: colour on a terminal, plain text otherwise."""
    return Console(highlight=False)
