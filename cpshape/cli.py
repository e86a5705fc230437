"""The ``cpshape`` command line (Typer): parse flags, build the spec, solve, render, write.

Kept thin: parsing and validation live in :mod:`cpshape.config`, output in
:mod:`cpshape.render`. The solver (and with it OR-Tools) is imported only when a command
solves, so ``--help`` and ``--version`` stay fast.

Exit codes: 0 every depth has a shape within the band; 1 some depth is infeasible or
unknown (the others are still printed); 2 invalid input (nothing on stdout, no file written).

To add a command, write a function decorated with ``@app.command()``; reuse
:func:`problem_from_options` for the problem flags and :func:`emit` for output. The commands
``count``, ``baseline``, ``shapes``, ``common`` and ``pareto`` and the extra ``solve`` steps
(``--compare``, ``--rules``, ``--verify``, ``--plot``) live in :mod:`cpshape.cli_extra`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from . import config, render
from .cli_options import (
    EXTRA,
    OUTPUT,
    PROBLEM,
    SOLVER,
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
from .result import DepthResult, Report, Status
from .spec import Prefer, Problem, SolverSettings, SpecError


class Format(StrEnum):
    """Output formats; each has a renderer in :data:`FORMATS`."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    PYTORCH = "pytorch"


class Verify(StrEnum):
    """Independent recounts ``solve --verify`` can run."""

    TORCH = "torch"


def _pytorch(report: Report, extras: render.Extras = render.NO_EXTRAS) -> str:
    from .torch_export import pytorch_source  # writes text only; needs no torch

    return pytorch_source(report)


__all__ = ["EXIT_INFEASIBLE", "EXIT_INVALID", "EXIT_OK", "FORMATS", "app", "main", "write_atomic"]

EXIT_OK, EXIT_INFEASIBLE, EXIT_INVALID = 0, 1, 2

#: Output formats: name -> renderer ``(report, extras=...)``. ``table`` is the default and,
#: on a terminal, coloured. ``pytorch`` is solve's only (a Python module, see torch_export).
FORMATS: dict[str, Callable[..., str]] = {
    "table": render.render_table,
    "json": render.render_json,
    "csv": render.render_csv,
    "markdown": render.render_markdown,
    "pytorch": _pytorch,
}
#: ``--out`` suffixes that choose the format when ``--format`` is not given.
SUFFIX_FORMATS = {
    ".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown", ".py": "pytorch",
}  # fmt: skip

app = typer.Typer(
    name="cpshape",
    help="Design MLP shapes to an exact parameter budget with CP-SAT.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def fail(message: str) -> NoReturn:
    """Report invalid input on stderr and exit 2."""
    typer.echo(f"cpshape: error: {message}", err=True)
    raise typer.Exit(EXIT_INVALID)


def _version(value: bool) -> None:
    if value:
        versions = render.package_versions()
        typer.echo(f"cpshape {versions['cpshape']} (ortools {versions['ortools']})")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Design MLP shapes to an exact parameter budget with CP-SAT.

    Run [bold]cpshape solve --help[/] for the flags, [bold]cpshape init[/] for a config template.
    """


def problem_from_options(
    config_path: Path | None, flags: dict[str, object]
) -> tuple[Problem, SolverSettings]:
    """Config file (if any) overridden by flag values; raises SpecError on bad input."""
    file_settings = config.load(config_path) if config_path is not None else {}
    return config.build(config.merge(file_settings, config.from_flags(flags)))


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and ``os.replace``."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _check_out(out: Path | None, flag: str = "--out") -> None:
    if out is None:
        return
    if out.is_dir():
        fail(f"{flag} {str(out)!r} is a directory; give a file name")
    parent = out.resolve().parent
    if not parent.is_dir():
        fail(f"{flag} {str(out)!r}: directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        fail(f"{flag} {str(out)!r}: directory {str(parent)!r} is not writable")


def emit(text: str, out: Path | None, quiet: bool) -> None:
    """Data to ``out`` (atomically) or stdout; the note about the file to stderr."""
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        write_atomic(out, text)
    except OSError as exc:
        fail(f"cannot write --out {str(out)!r}: {exc}")
    if not quiet:
        typer.echo(f"wrote {out}", err=True)


def _describe(result: DepthResult) -> str:
    if result.widths is None:
        nearest = ""
        if result.nearest is not None:
            below, above = ("none" if n is None else f"{n:,}" for n in result.nearest)
            nearest = f"; nearest counts {below} below and {above} above"
        return f"depth {result.depth}: {result.status.value}{nearest}"
    return (f"depth {result.depth}: {result.status.value}, {' '.join(map(str, result.widths))} "
            f"= {result.params:,} params ({result.seconds:.2f}s)")


@app.command()
def solve(
    input: InputOpt = None,
    output: OutputOpt = None,
    params: ParamsOpt = None,
    depths: DepthsOpt = None,
    tolerance: ToleranceOpt = None,
    tolerance_abs: ToleranceAbsOpt = None,
    bias: BiasOpt = None,
    same_count: Annotated[
        bool | None, opt("--same-count", "Every depth hits one shared count.", PROBLEM)
    ] = None,
    prefer: Annotated[
        Prefer | None,
        opt("--prefer", "First goal: narrowest spread or closest count (default spread).", PROBLEM),
    ] = None,
    min_width: MinWidthOpt = None,
    max_width: MaxWidthOpt = None,
    max_ratio: MaxRatioOpt = None,
    ratio_range: RatioRangeOpt = None,
    monotone: MonotoneOpt = None,
    multiple_of: MultipleOfOpt = None,
    pin: PinOpt = None,
    max_spread: MaxSpreadOpt = None,
    time_limit: Annotated[
        Text, opt("--time-limit", "Wall-clock seconds per depth (not reproducible).", SOLVER, "SECONDS")
    ] = None,
    deterministic_limit: Annotated[
        Text, opt("--deterministic-limit", "Deterministic time per depth (default 60).", SOLVER, "UNITS")
    ] = None,
    workers: Annotated[Text, opt("--workers", "Workers; 1 (default) is reproducible.", SOLVER, N)] = None,
    seed: Annotated[Text, opt("--seed", "CP-SAT random seed (default 0).", SOLVER, N)] = None,
    dp_work: DpWorkOpt = None,
    format: Annotated[
        Format | None, opt("--format", "Output format (default table, or from the --out suffix); pytorch "
                           "prints a Python module building the models.", OUTPUT, None, "-f")
    ] = None,
    out: OutOpt = None,
    config_path: ConfigOpt = None,
    quiet: Annotated[
        bool, opt("--quiet", "No progress bar or messages on stderr.", OUTPUT, None, "-q")
    ] = False,
    verbose: Annotated[
        bool, opt("--verbose", "Report each depth on stderr as it finishes.", OUTPUT, None, "-v")
    ] = False,
    compare: Annotated[
        bool, opt("--compare", "Add the uniform-width baseline's widths and deviation.", EXTRA)
    ] = False,
    rules: Annotated[
        bool, opt("--rules", "Check each shape against 3 rules of thumb (heuristics, not advice).", EXTRA)
    ] = False,
    verify: Annotated[
        Verify | None, opt("--verify", "Build each shape in PyTorch, check its count (needs torch).", EXTRA)
    ] = None,
    plot: Annotated[
        Path | None, opt("--plot", "Also draw the shapes to FILE.png (needs matplotlib).", EXTRA, "FILE")
    ] = None,
) -> None:
    """Find, for every depth, the hidden widths whose parameter count is closest to P.

    [bold]Examples[/]

      cpshape solve --input 784 --output 10 --params 100k --depths 1-6
      cpshape solve --input 4 --output 3 --params 1k --depths 2 --tolerance 1%
      cpshape solve --config examples/iris.toml --format json
      cpshape solve --config examples/mnist.toml --depths 3 --out mnist.csv
      cpshape solve --input 784 --output 10 --params 100k --depths 2-4 --compare --rules

    [bold]Exit codes[/]

      0  every depth has a shape within the band
      1  some depth is infeasible or unknown (the others are still printed)
      2  invalid input: nothing on stdout, no file written
    """
    if quiet and verbose:
        fail("give --quiet or --verbose, not both")
    flags: dict[str, object] = {
        "input": input, "output": output, "params": params, "depths": depths, "tolerance": tolerance,
        "tolerance_abs": tolerance_abs, "bias": bias, "same_count": same_count, "prefer": prefer,
        "min_width": min_width, "max_width": max_width, "max_ratio": max_ratio, "ratio_range": ratio_range,
        "monotone": monotone, "multiple_of": multiple_of, "pins": pin, "max_spread": max_spread,
        "time_limit": time_limit, "deterministic_limit": deterministic_limit, "workers": workers,
        "seed": seed, "dp_work": dp_work,
    }  # fmt: skip
    try:
        problem, settings = problem_from_options(config_path, flags)
    except SpecError as exc:
        fail(str(exc))
    _check_out(out)
    cli_extra.check_solve_extras(verify is not None, plot)
    chosen = format or (SUFFIX_FORMATS.get(out.suffix.lower(), "table") if out is not None else "table")

    from .solver import solve as run_solver  # lazy: imports OR-Tools

    show_bar = not quiet and sys.stderr.isatty()
    with render.progress_reporter(len(problem.depths), show_bar, _describe if verbose else None) as progress:
        try:
            report = run_solver(problem, settings, progress=progress)
        except SpecError as exc:
            fail(str(exc))
    extras = cli_extra.finish_solve(report, compare, rules, verify is not None, plot, quiet)
    if chosen == "table" and out is None:
        text = render.render_table(report, console=render.stdout_console(), extras=extras)
    else:
        text = FORMATS[chosen](report, extras=extras)
    emit(text, out, quiet)
    missing = [r for r in report.results if r.widths is None]
    if not quiet and not verbose:
        for result in missing:
            if result.status in (Status.INFEASIBLE, Status.UNKNOWN):
                typer.echo(_describe(result), err=True)
    if not quiet and any(r.status in (Status.FEASIBLE, Status.UNKNOWN) for r in report.results):
        typer.echo(
            "Not proven within the limits: give the exact searches more work (--dp-work, now "
            f"{settings.dp_work:,} words) or CP-SAT more time (--deterministic-limit, --time-limit).",
            err=True,
        )
    raise typer.Exit(EXIT_INFEASIBLE if missing else EXIT_OK)


@app.command()
def init(
    path: Annotated[
        Path, typer.Argument(help="Where to write the template; - for stdout.")
    ] = Path("cpshape.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented config template.

    [bold]Example[/]

      cpshape init run.toml && cpshape solve --config run.toml
    """
    if str(path) == "-":
        typer.echo(config.template(), nl=False)
        return
    if path.exists() and not force:
        fail(f"{str(path)!r} exists; use --force to overwrite it")
    if not path.resolve().parent.is_dir():
        fail(f"directory {str(path.resolve().parent)!r} does not exist")
    write_atomic(path, config.template())
    typer.echo(f"wrote {path}; run: cpshape solve --config {path}", err=True)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="cpshape")


from . import cli_extra  # noqa: E402  (registers count, baseline, shapes, common and pareto on app)
