"""More ``cpshape`` commands (count, baseline, shapes, common, pareto) and solve's extra steps.

Registered on the same Typer ``app`` as ``solve`` (``cpshape.cli`` imports this module at
its end). Same conventions: ``--format table|json|csv|markdown``, ``--out FILE``; exit 0
when the answer is complete, 1 when it is not (the rest is still printed), 2 on invalid
input with nothing on stdout. ``count``, ``shapes`` and ``common`` never import OR-Tools;
``pareto`` does (it runs the solver's exact DP).
"""

from __future__ import annotations

import importlib.util
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from . import config, render, render_extra, render_search
from .cli import (
    EXIT_INFEASIBLE,
    EXIT_OK,
    FORMATS,
    SUFFIX_FORMATS,
    _check_out,
    app,
    emit,
    fail,
    problem_from_options,
)
from .cli_options import (
    OUTPUT,
    PROBLEM,
    BiasFlag,
    BiasOpt,
    ConfigOpt,
    DepthsOpt,
    DpWorkOpt,
    InputOpt,
    MaxRatioOpt,
    MaxSpreadOpt,
    MaxWidthOpt,
    MinWidthOpt,
    MonotoneOpt,
    MultipleOfOpt,
    N,
    OutOpt,
    OutputOpt,
    ParamsOpt,
    PinOpt,
    RatioRangeOpt,
    Text,
    ToleranceAbsOpt,
    ToleranceOpt,
    opt,
)
from .result import Report, Status, VerificationError
from .spec import SpecError

__all__ = ["baseline", "check_solve_extras", "common", "count", "finish_solve", "pareto", "shapes"]

#: ``cpshape shapes`` refuses to list more shapes than this unless given ``--limit`` or ``--all``.
SHAPES_LIMIT = 10_000


class TextFormat(StrEnum):
    """Output formats of the commands other than ``solve``."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"


class Method(StrEnum):
    ROUND = "round"
    DECREMENT = "decrement"


FormatOpt = Annotated[
    TextFormat | None,
    opt("--format", "Output format (default table, or from the --out suffix).", OUTPUT, None, "-f"),
]
QuietOpt = Annotated[bool, opt("--quiet", "No messages on stderr except errors.", OUTPUT, None, "-q")]


def _format(fmt: TextFormat | None, out: Path | None) -> str:
    """``--format``, else the ``--out`` suffix, else ``table`` (``.py`` means table here)."""
    _check_out(out)
    if fmt is not None:
        return fmt.value
    chosen = SUFFIX_FORMATS.get(out.suffix.lower(), "table") if out is not None else "table"
    return "table" if chosen == "pytorch" else chosen


def _console(fmt: str, out: Path | None) -> render.Console | None:
    return render.stdout_console() if fmt == "table" and out is None else None


def _whole(value: str, flag: str, minimum: int) -> int:
    number = config.parse_count(value, flag)
    if number < minimum:
        raise config.ConfigError(f"{flag} must be >= {minimum}, got {value!r}")
    return number


def _note(message: str, quiet: bool) -> None:
    if not quiet:
        typer.echo(message, err=True)


# --------------------------------------------------------------------------- count


@app.command()
def count(
    sizes: Annotated[
        list[str],
        typer.Argument(
            help="Layer sizes: input, hidden widths..., output (at least two).", metavar="SIZES"
        ),
    ],
    bias: BiasFlag = True,
    format: FormatOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Count the parameters of a dense chain, layer by layer.

    [bold]Examples[/]

      cpshape count 784 16 16 10
      cpshape count 784 16 16 10 --no-bias --format json
    """
    try:
        chain = [_whole(size, f"size {i}", 1) for i, size in enumerate(sizes, start=1)]
    except SpecError as exc:
        fail(str(exc))
    if len(chain) < 2:
        fail(f"give at least two sizes (input and output), got {' '.join(sizes)!r}")
    fmt = _format(format, out)
    emit(render_extra.render_count(chain, bias, fmt, _console(fmt, out)), out, quiet)


# --------------------------------------------------------------------------- baseline


@app.command()
def baseline(
    input: InputOpt = None,
    output: OutputOpt = None,
    params: ParamsOpt = None,
    depths: DepthsOpt = None,
    tolerance: ToleranceOpt = None,
    tolerance_abs: ToleranceAbsOpt = None,
    bias: BiasOpt = None,
    method: Annotated[Method, opt("--method", "round (default) or decrement.", PROBLEM)] = Method.ROUND,
    config_path: ConfigOpt = None,
    format: FormatOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """The closed-form uniform width per depth: the answer people use without a solver.

    Constraints are ignored. Status: feasible when the count is in the band, else unknown.
    Exit 0 when every depth's count is in the band, 1 otherwise.

    [bold]Example[/]

      cpshape baseline --input 4 --output 3 --params 1000 --depths 5-12 --no-bias
    """
    from .methods import baseline as run_baseline

    flags: dict[str, object] = {
        "input": input, "output": output, "params": params, "depths": depths, "tolerance": tolerance,
        "tolerance_abs": tolerance_abs, "bias": bias,
    }  # fmt: skip
    try:
        problem, settings = problem_from_options(config_path, flags)
        results = run_baseline(problem, method.value)
    except SpecError as exc:
        fail(str(exc))
    fmt = _format(format, out)
    report = Report(problem, settings, tuple(results), versions=render.package_versions())
    extras = render_extra.baseline_extras()
    if fmt == "table" and out is None:
        text = render.render_table(report, console=render.stdout_console(), extras=extras)
    else:
        text = FORMATS[fmt](report, extras=extras)
    emit(text, out, quiet)
    outside = [r.depth for r in results if r.status is not Status.FEASIBLE]
    if outside:
        _note(f"uniform count outside the band at depths {render.depth_ranges(outside)}", quiet)
    raise typer.Exit(EXIT_INFEASIBLE if outside else EXIT_OK)


# --------------------------------------------------------------------------- shapes


@app.command()
def shapes(
    params: Annotated[
        Text, opt("--params", "Exact number of weights P (biases not counted).", PROBLEM, N)
    ] = None,
    count_only: Annotated[bool, opt("--count", "Print only the number of shapes (exact).", OUTPUT)] = False,
    max_depth: Annotated[
        Text, opt("--max-depth", "At most D hidden layers (0: one matrix).", PROBLEM, "D")
    ] = None,
    limit: Annotated[
        Text, opt("--limit", f"Refuse to list more than N shapes (default {SHAPES_LIMIT:,}).", OUTPUT, N)
    ] = None,
    all_shapes: Annotated[bool, opt("--all", "List every shape, however many.", OUTPUT)] = False,
    format: FormatOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Count or list every dense chain with exactly P weights.

    [bold]Examples[/]

      cpshape shapes --params 4
      cpshape shapes --params 1000 --count
      cpshape shapes --params 60 --max-depth 1 --format json
    """
    from .shapes import count_shapes, iter_shapes

    if params is None:
        fail("missing --params: the exact number of weights")
    if limit is not None and all_shapes:
        fail("give --limit N or --all, not both")
    try:
        total = _whole(params, "--params", 1)
        depth = None if max_depth is None else _whole(max_depth, "--max-depth", 0)
        most = SHAPES_LIMIT if limit is None else _whole(limit, "--limit", 0)
    except SpecError as exc:
        fail(str(exc))
    fmt = _format(format, out)
    if count_only:
        emit(render_extra.render_shapes(total, depth, count_shapes(total, depth), None, fmt), out, quiet)
        return
    found: list[tuple[int, ...]] = []
    for shape in iter_shapes(total, depth):
        if not all_shapes and len(found) == most:
            fail(
                f"--params {params} has more than {most:,} shapes; print their number with --count, "
                "list more with --limit N or all of them with --all"
            )
        found.append(shape)
    emit(render_extra.render_shapes(total, depth, len(found), found, fmt), out, quiet)


# --------------------------------------------------------------------------- common


@app.command()
def common(
    input: InputOpt = None,
    output: OutputOpt = None,
    depths: DepthsOpt = None,
    bias: BiasFlag = True,
    max_params: Annotated[Text, opt("--max-params", "Search bound X (default 1e12).", PROBLEM, "X")] = None,
    subsets: Annotated[
        bool, opt("--subsets", "If none is shared by all, the largest subsets that share one.", OUTPUT)
    ] = False,
    format: FormatOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """The smallest count every depth hits exactly with a uniform width.

    Exit 1 (and a note) when no count up to X is shared: a proof by exhaustive search.

    [bold]Examples[/]

      cpshape common --input 784 --output 10 --depths 2,3
      cpshape common --input 4 --output 3 --depths 5-12 --no-bias --subsets
    """
    from .methods import common as run_common

    missing = [flag for flag, value in (("--input", input), ("--output", output), ("--depths", depths))
               if value is None]  # fmt: skip
    if missing:
        fail(f"missing {', '.join(missing)}")
    assert input is not None and output is not None and depths is not None
    try:
        a, c = _whole(input, "--input", 1), _whole(output, "--output", 1)
        wanted = config.parse_depths(depths, "--depths")
        bound = 10**12 if max_params is None else _whole(max_params, "--max-params", 1)
        result = run_common(a, c, wanted, bias, bound, subsets)
    except SpecError as exc:
        fail(str(exc))
    fmt = _format(format, out)
    shown = sorted(set(wanted))
    emit(render_search.render_common(a, c, shown, bias, result, fmt, subsets, _console(fmt, out)), out, quiet)
    if result.params is None:
        _note(f"no count up to {bound:,} is hit by every depth with a uniform width (proven)", quiet)
        raise typer.Exit(EXIT_INFEASIBLE)


# --------------------------------------------------------------------------- pareto


@app.command()
def pareto(
    input: InputOpt = None,
    output: OutputOpt = None,
    params: ParamsOpt = None,
    depths: DepthsOpt = None,
    tolerance: ToleranceOpt = None,
    tolerance_abs: ToleranceAbsOpt = None,
    bias: BiasOpt = None,
    min_width: MinWidthOpt = None,
    max_width: MaxWidthOpt = None,
    max_ratio: MaxRatioOpt = None,
    ratio_range: RatioRangeOpt = None,
    monotone: MonotoneOpt = None,
    multiple_of: MultipleOfOpt = None,
    pin: PinOpt = None,
    max_spread: MaxSpreadOpt = None,
    dp_work: DpWorkOpt = None,
    config_path: ConfigOpt = None,
    format: FormatOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Per depth, the least |deviation| reachable at each spread: the spread/deviation trade-off.

    Rows are listed where the deviation improves, up to the first count inside the band
    (exact P by default). Every row is proven by the exact DP. Exit 0 when every depth's
    frontier reaches the band, 1 otherwise (never reaches it, or the work budget ran out).

    [bold]Examples[/]

      cpshape pareto --input 784 --output 10 --params 100k --depths 2-4
      cpshape pareto --input 4 --output 3 --params 1000 --depths 3,5 --max-ratio 1.5 --format json
    """
    flags: dict[str, object] = {
        "input": input, "output": output, "params": params, "depths": depths, "tolerance": tolerance,
        "tolerance_abs": tolerance_abs, "bias": bias, "min_width": min_width, "max_width": max_width,
        "max_ratio": max_ratio, "ratio_range": ratio_range, "monotone": monotone, "multiple_of": multiple_of,
        "pins": pin, "max_spread": max_spread, "dp_work": dp_work,
    }  # fmt: skip
    try:
        problem, settings = problem_from_options(config_path, flags)
    except SpecError as exc:
        fail(str(exc))
    fmt = _format(format, out)

    from .pareto import frontier  # lazy: imports the solver and OR-Tools

    results = frontier(problem, settings)
    emit(render_search.render_pareto(problem, settings, results, fmt, _console(fmt, out)), out, quiet)
    short = [r for r in results if r.status is not Status.OPTIMAL]
    for r in short:
        _note(f"depth {r.depth}: {r.status.value} (frontier stopped: {r.stopped.value})", quiet)
    raise typer.Exit(EXIT_INFEASIBLE if short else EXIT_OK)


# --------------------------------------------------------------------------- solve extras


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check_solve_extras(verify_torch: bool, plot: Path | None) -> None:
    """Before solving: the optional dependencies are installed and the plot file can be written."""
    if verify_torch and not _available("torch"):
        fail("--verify torch needs PyTorch, which is not installed; install it: pip install 'cpshape[torch]'")
    if plot is not None:
        if not _available("matplotlib"):
            fail("--plot needs matplotlib, which is not installed; install it: pip install 'cpshape[plot]'")
        _check_out(plot, "--plot")


def finish_solve(
    report: Report, compare: bool, rules: bool, verify_torch: bool, plot: Path | None, quiet: bool
) -> render.Extras:
    """After solving: the PyTorch recount, the plot, and the extra columns for the renderers.

    A PyTorch count that differs from the report is an internal error: exit 1, nothing on stdout.
    """
    from ._extras import MissingExtraError

    torch_counts = None
    try:
        if verify_torch:
            from .torch_export import verify_report

            torch_counts = verify_report(report)
        if plot is not None:
            from .plot import plot_shapes

            plot_shapes(report, plot)
            _note(f"wrote {plot}", quiet)
    except MissingExtraError as exc:
        fail(str(exc))
    except VerificationError as exc:
        typer.echo(f"cpshape: error: PyTorch recount failed: {exc}", err=True)
        raise typer.Exit(EXIT_INFEASIBLE) from None
    except OSError as exc:
        fail(f"cannot write --plot {str(plot)!r}: {exc}")
    return render_extra.solve_extras(report, compare, rules, torch_counts)
