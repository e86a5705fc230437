"""Text for ``count`` and ``shapes``, the extra ``solve`` columns, and the shared layout helpers.

Like :mod:`cpshape.render` (whose helpers it reuses), every renderer is a pure function
returning a string; only the ``render*`` modules import rich. Each command has a
``*_document`` function building its JSON object (documented in ``docs/output.md``) and a
``render_*`` function taking the format name: ``table``, ``json``, ``csv`` or ``markdown``.
``common`` and ``pareto`` are rendered by :mod:`cpshape.render_search`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .counting import breakdown
from .render import Extras, compact_widths, deviation_text, json_text
from .result import Report

__all__ = [
    "RULES_NOTE",
    "count_document",
    "render_count",
    "render_shapes",
    "shapes_document",
    "solve_extras",
]

RULES_NOTE = (
    "* rules of thumb: folklore heuristics, not advice. between = every width between the output "
    "and input size; below-twice-input = every width < 2 x input; two-thirds = every width within "
    "25% of 2/3 x input + output."
)
BASELINE_NOTE = (
    "baseline: the uniform width whose count is nearest P (cpshape baseline --method round); "
    "it ignores the constraints."
)


# --------------------------------------------------------------------------- shared layout


def _table(
    title: str,
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    footer: Sequence[str] = (),
    right: Sequence[str] = (),
    console: Console | None = None,
    total: Sequence[str] | None = None,
) -> str:
    """Title, a simple-head table and footer lines, as plain text unless ``console`` is given."""
    if console is None:
        console = Console(file=io.StringIO(), width=100, color_system=None, force_terminal=False)
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, collapse_padding=True)
    for name in head:
        table.add_column(name, justify="right" if name in right else "left", overflow="fold")
    for row in rows:
        table.add_row(*row)
    if total is not None:
        table.add_section()
        table.add_row(*total, style="bold")
    with console.capture() as capture:
        if title:
            console.print(Text(title))
        console.print(table)
        for line in footer:
            console.print(Text(line))
    return "\n".join(line.rstrip() for line in capture.get().splitlines()) + "\n"


def _markdown(
    title: str,
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    footer: Sequence[str] = (),
    right: Sequence[str] = (),
) -> str:
    lines = [f"**{title}**", ""] if title else []
    align = ["---:" if h in right else "---" for h in head]
    lines += ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    for line in footer:
        lines += ["", line]
    return "\n".join(lines) + "\n"


def _csv(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(head)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return buffer.getvalue()


def _spaced(values: Sequence[int] | None) -> str:
    return "" if values is None else " ".join(map(str, values))


# --------------------------------------------------------------------------- count


def count_document(sizes: Sequence[int], bias: bool = True) -> dict[str, Any]:
    """``{"sizes", "bias", "weights", "biases", "total", "layers": [{"in", "out", "weights", "biases"}]}``."""
    layers = breakdown(sizes, bias)
    weights = sum(layer.weights for layer in layers)
    biases = sum(layer.biases for layer in layers)
    return {
        "sizes": list(sizes),
        "bias": bias,
        "weights": weights,
        "biases": biases,
        "total": weights + biases,
        "layers": [
            {
                "in": layer.in_features,
                "out": layer.out_features,
                "weights": layer.weights,
                "biases": layer.biases,
            }
            for layer in layers
        ],
    }


def render_count(sizes: Sequence[int], bias: bool, fmt: str, console: Console | None = None) -> str:
    """One row per weight matrix (layer ``i``: ``in -> out``, weights, biases, total) and the totals."""
    doc = count_document(sizes, bias)
    if fmt == "json":
        return json_text(doc)
    layers = doc["layers"]
    if fmt == "csv":
        rows: list[list[object]] = [
            [i, lay["in"], lay["out"], lay["weights"], lay["biases"], lay["weights"] + lay["biases"]]
            for i, lay in enumerate(layers, start=1)
        ]
        rows.append(["total", None, None, doc["weights"], doc["biases"], doc["total"]])
        return _csv(("layer", "in", "out", "weights", "biases", "total"), rows)
    head = ("layer", "in -> out", "weights", "biases", "total")
    right = ("layer", "in -> out", "weights", "biases", "total")
    cells = [
        [
            str(i),
            f"{lay['in']:,} -> {lay['out']:,}",
            f"{lay['weights']:,}",
            f"{lay['biases']:,}",
            f"{lay['weights'] + lay['biases']:,}",
        ]
        for i, lay in enumerate(layers, start=1)
    ]
    total = ["total", "", f"{doc['weights']:,}", f"{doc['biases']:,}", f"{doc['total']:,}"]
    title = f"{' -> '.join(map(str, sizes))}, bias {'on' if bias else 'off'}"
    summary = (
        f"{doc['weights']:,} weights + {doc['biases']:,} biases = {doc['total']:,} parameters"
        if bias
        else f"{doc['total']:,} parameters (weights only)"
    )
    if fmt == "markdown":
        bold = [f"**{cell}**" if cell else "" for cell in total]
        return _markdown(title, head, [*cells, bold], [summary], right)
    return _table(title, head, cells, [summary], right, console, total=total)


# --------------------------------------------------------------------------- shapes


def shapes_document(
    params: int, max_depth: int | None, count: int, shapes: Sequence[Sequence[int]] | None
) -> dict[str, Any]:
    """``{"params", "max_depth", "count", "shapes"}``; ``shapes`` is null when only counted."""
    return {
        "params": params,
        "max_depth": max_depth,
        "count": count,
        "shapes": None if shapes is None else [list(shape) for shape in shapes],
    }


def render_shapes(
    params: int, max_depth: int | None, count: int, shapes: Sequence[Sequence[int]] | None, fmt: str
) -> str:
    """The count alone (``shapes`` None), or one line per shape: depth and the chain of sizes.

    The table is plain aligned text (no rich), so long listings print quickly.
    """
    if fmt == "json":
        return json_text(shapes_document(params, max_depth, count, shapes))
    if shapes is None:
        if fmt == "csv":
            return _csv(("params", "max_depth", "count"), [[params, max_depth, count]])
        return f"{count}\n"
    if fmt == "csv":
        return _csv(("depth", "sizes"), [[len(shape) - 2, _spaced(shape)] for shape in shapes])
    depth = (
        "any depth"
        if max_depth is None
        else f"at most {max_depth} hidden layer{'' if max_depth == 1 else 's'}"
    )
    title = f"P = {params:,} weights, {depth}: {count:,} {'shape' if count == 1 else 'shapes'}"
    rows = [[str(len(shape) - 2), "-".join(map(str, shape))] for shape in shapes]
    if fmt == "markdown":
        return _markdown(title, ("depth", "sizes"), rows, right=("depth",))
    lines = [title, "", "depth  sizes", "-----  -----"]
    lines += [f"{d:>5}  {sizes}" for d, sizes in rows]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- solve extras


def solve_extras(report: Report, compare: bool, rules: bool, torch_counts: dict[int, int] | None) -> Extras:
    """Columns, JSON keys and footnotes for ``solve --compare``, ``--rules`` and ``--verify torch``."""
    from .methods import baseline, rules_of_thumb

    problem = report.problem
    table: dict[str, dict[int, str]] = {}
    rows: dict[str, dict[int, object]] = {}
    keys: dict[str, dict[int, object]] = {}
    notes: list[str] = []
    if compare:
        base = {r.depth: r for r in baseline(problem, "round")}
        table["baseline"] = {d: compact_widths(r.widths or ()) for d, r in base.items()}
        table["baseline dev"] = {d: deviation_text(r.deviation or 0, problem.params) for d, r in base.items()}
        rows["baseline_widths"] = {d: _spaced(r.widths) for d, r in base.items()}
        rows["baseline_params"] = {d: r.params for d, r in base.items()}
        rows["baseline_deviation"] = {d: r.deviation for d, r in base.items()}
        keys["baseline"] = {
            d: {
                "method": "round",
                "widths": list(r.widths or ()),
                "params": r.params,
                "deviation": r.deviation,
            }
            for d, r in base.items()
        }
        notes.append(BASELINE_NOTE)
    if rules:
        checks = {
            r.depth: rules_of_thumb(problem.input_size, problem.output_size, r.widths)
            for r in report.results
            if r.widths is not None
        }
        failed = {d: [c.name for c in found if not c.passed] for d, found in checks.items()}
        table["rules of thumb*"] = {
            d: f"fails {', '.join(names)}" if names else f"passes all {len(checks[d])}"
            for d, names in failed.items()
        }
        rows["rules_passed"] = {d: " ".join(c.name for c in f if c.passed) for d, f in checks.items()}
        rows["rules_failed"] = {d: " ".join(c.name for c in f if not c.passed) for d, f in checks.items()}
        keys["rules"] = {
            d: [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in found]
            for d, found in checks.items()
        }
        notes.append(RULES_NOTE)
    if torch_counts is not None:
        table["torch"] = {d: f"{n:,} ok" for d, n in torch_counts.items()}
        rows["torch_params"] = dict(torch_counts)
        keys["torch_params"] = dict(torch_counts)
    return Extras(table, rows, keys, tuple(notes))


def baseline_extras() -> Extras:
    """The footnote under ``cpshape baseline`` tables."""
    return Extras(
        notes=(
            "Baseline: closed-form uniform widths, constraints ignored. feasible = count within the band, "
            "unknown = outside it; a heuristic proves nothing.",
        )
    )

