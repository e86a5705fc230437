"""Typer options shared by the ``cpshape`` commands, each declared once.

Every alias is an ``Annotated`` type a command parameter can use directly, e.g.
``input: InputOpt = None``; :mod:`cpshape.cli` and :mod:`cpshape.cli_extra` import them.
Options whose meaning differs between commands (``shapes --params``, ``--format``,
``--quiet``) are declared where they are used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .spec import Monotone

__all__ = [
    "EXTRA", "OUTPUT", "PROBLEM", "RULES", "SOLVER", "BiasFlag", "BiasOpt", "ConfigOpt", "DepthsOpt",
    "DpWorkOpt", "InputOpt", "MaxRatioOpt", "MaxSpreadOpt", "MaxWidthOpt", "MinWidthOpt", "MonotoneOpt",
    "MultipleOfOpt", "N", "OutOpt", "OutputOpt", "ParamsOpt", "PinOpt", "RatioRangeOpt", "Text",
    "ToleranceAbsOpt", "ToleranceOpt", "opt",
]  # fmt: skip

#: Help panels.
PROBLEM, RULES, SOLVER, OUTPUT, EXTRA = "Problem", "Constraints", "Solver", "Output", "Extras"

#: Flag values arrive as text and are parsed by :mod:`cpshape.config` (``None``: not given).
Text = str | None
N = "N"


def opt(name: str, help: str, panel: str, metavar: str | None = None, *aliases: str) -> Any:
    """A ``typer.Option`` in help panel ``panel``, without a shown default."""
    return typer.Option(name, *aliases, help=help, rich_help_panel=panel, metavar=metavar, show_default=False)


# ---------------------------------------------------------------- problem

InputOpt = Annotated[Text, opt("--input", "Input features.", PROBLEM, N)]
OutputOpt = Annotated[Text, opt("--output", "Output features.", PROBLEM, N)]
ParamsOpt = Annotated[Text, opt("--params", "Target count P: 100000, 100_000, 100k, 1.5M, 2e6.", PROBLEM, N)]
DepthsOpt = Annotated[Text, opt("--depths", "Hidden-layer counts: 3, 5-12, 1,2,4,8, 1-3,8.", PROBLEM, "LIST")]
ToleranceOpt = Annotated[
    Text, opt("--tolerance", "Relative band around P: 0.01 or 1% (default 0).", PROBLEM, "FRAC")
]
ToleranceAbsOpt = Annotated[
    Text, opt("--tolerance-abs", "Absolute band around P, a count such as 500.", PROBLEM, N)
]
_BIAS = opt("--bias/--no-bias", "One bias per non-input neuron (default on).", PROBLEM)
#: ``--bias/--no-bias`` that a config file may set (``None``: not given).
BiasOpt = Annotated[bool | None, _BIAS]
#: ``--bias/--no-bias`` of the commands without a config file (default on).
BiasFlag = Annotated[bool, _BIAS]

# ---------------------------------------------------------------- constraints

MinWidthOpt = Annotated[Text, opt("--min-width", "Smallest hidden width (default 1).", RULES, N)]
MaxWidthOpt = Annotated[Text, opt("--max-width", "Largest hidden width.", RULES, N)]
MaxRatioOpt = Annotated[
    Text, opt("--max-ratio", "Neighbouring widths differ by at most a factor R.", RULES, "R")
]
RatioRangeOpt = Annotated[
    Text, opt("--ratio-range", "LO <= each width / the next <= HI, e.g. 3:6.", RULES, "LO:HI")
]
MonotoneOpt = Annotated[Monotone | None, opt("--monotone", "Width order (default none).", RULES)]
MultipleOfOpt = Annotated[Text, opt("--multiple-of", "Every width a multiple of K.", RULES, "K")]
PinOpt = Annotated[
    list[str] | None, opt("--pin", "Fix a width (repeatable); layers count from 1.", RULES, "L=WIDTH")
]
MaxSpreadOpt = Annotated[Text, opt("--max-spread", "Max width - min width <= S.", RULES, "S")]
DpWorkOpt = Annotated[
    Text,
    opt("--dp-work", "Exact searches' work per depth, in 64-bit words (default 1e9, 2-4 s).", SOLVER, N),
]

# ---------------------------------------------------------------- output

ConfigOpt = Annotated[
    Path | None, opt("--config", "TOML config, or JSON written by solve.", OUTPUT, "FILE", "-c")
]
OutOpt = Annotated[Path | None, opt("--out", "Write the output to FILE (atomically).", OUTPUT, "FILE", "-o")]
