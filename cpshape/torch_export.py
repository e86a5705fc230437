"""Export solved shapes to PyTorch: ``nn.Sequential`` models, a recount, and source text.

torch is optional (``pip install 'cpshape[torch]'``) and imported only inside the functions
that build models; :func:`pytorch_source` only writes text and works without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from itertools import pairwise
from types import ModuleType
from typing import TYPE_CHECKING

from ._extras import MissingExtraError, require
from .counting import breakdown, chain, count_params
from .describe import problem_lines
from .result import Report, VerificationError

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "Activation",
    "MissingExtraError",
    "describe_problem",
    "models_from_report",
    "pytorch_source",
    "to_sequential",
    "torch_param_count",
    "verify_report",
]


class Activation(StrEnum):
    """The nonlinearity placed between consecutive ``Linear`` layers."""

    RELU = "relu"
    GELU = "gelu"
    TANH = "tanh"

    @property
    def module_name(self) -> str:
        """Name of the ``torch.nn`` module class implementing this activation."""
        return _MODULE_NAMES[self]


_MODULE_NAMES = {Activation.RELU: "ReLU", Activation.GELU: "GELU", Activation.TANH: "Tanh"}


def _activation(value: Activation | str) -> Activation:
    try:
        return Activation(value)
    except ValueError:
        choices = ", ".join(a.value for a in Activation)
        raise ValueError(f"activation must be one of {choices}; got {value!r}") from None


def _nn() -> ModuleType:
    torch = require("torch", "torch", "PyTorch export")
    torch_nn: ModuleType = torch.nn
    return torch_nn


def to_sequential(
    input_size: int,
    widths: Sequence[int],
    output_size: int,
    *,
    bias: bool = True,
    activation: Activation | str = Activation.RELU,
) -> nn.Sequential:
    """``Linear`` layers ``input_size -> widths... -> output_size`` with ``activation`` between them.

    There is no activation after the last ``Linear`` (the model outputs logits). Its parameter
    count equals :func:`cpshape.counting.count_params` of the same chain.
    """
    act = _activation(activation)
    layers = breakdown(chain(input_size, tuple(widths), output_size), bias)  # validates sizes
    torch_nn = _nn()
    modules: list[nn.Module] = []
    for index, layer in enumerate(layers):
        if index:
            modules.append(getattr(torch_nn, act.module_name)())
        modules.append(torch_nn.Linear(layer.in_features, layer.out_features, bias=bias))
    return torch_nn.Sequential(*modules)


def models_from_report(
    report: Report, activation: Activation | str = Activation.RELU
) -> dict[int, nn.Sequential]:
    """One model per depth that has a shape, keyed by depth (depths without widths are left out)."""
    problem = report.problem
    return {
        result.depth: to_sequential(
            problem.input_size, result.widths, problem.output_size, bias=problem.bias, activation=activation
        )
        for result in report.results
        if result.widths is not None
    }


def torch_param_count(model: nn.Module) -> int:
    """Total number of parameter elements of ``model`` (``sum(p.numel() for p in parameters())``)."""
    return sum(int(p.numel()) for p in model.parameters())


def verify_report(report: Report) -> dict[int, int]:
    """Build every reported shape in PyTorch and check its count against the report.

    Returns ``{depth: torch count}``. Raises :class:`cpshape.result.VerificationError` when the
    count PyTorch sees differs from the reported ``params`` (or from the exact recount).
    """
    problem = report.problem
    counts: dict[int, int] = {}
    for result in report.results:
        if result.widths is None:
            continue
        model = to_sequential(problem.input_size, result.widths, problem.output_size, bias=problem.bias)
        seen = torch_param_count(model)
        exact = count_params(chain(problem.input_size, result.widths, problem.output_size), problem.bias)
        if seen != result.params or seen != exact:
            raise VerificationError(
                f"depth {result.depth}: widths {list(result.widths)} report {result.params} params, "
                f"PyTorch counts {seen} (exact recount {exact})"
            )
        counts[result.depth] = seen
    return counts


def describe_problem(report: Report) -> list[str]:
    """Plain-text lines stating the problem of ``report`` (used for headers and titles)."""
    return problem_lines(report.problem, report.shared_count)


def pytorch_source(report: Report, activation: Activation | str = Activation.RELU) -> str:
    """A self-contained Python module defining ``MODELS: dict[int, torch.nn.Sequential]`` by depth.

    Executing it builds one model per depth with a shape; each model's
    ``sum(p.numel() for p in m.parameters())`` equals the reported count (also kept in ``PARAMS``).
    Generating the text does not need torch.
    """
    from . import __version__

    act = _activation(activation)
    problem = report.problem
    bias_arg = "" if problem.bias else ", bias=False"
    lines = [
        f'"""MLP shapes designed by cpshape {__version__} to an exact parameter budget.',
        "",
        "Depth = number of hidden layers. Run this file to recount every model's parameters.",
        '"""',
        "",
        "# Problem:",
        *(f"#   {line}" for line in describe_problem(report)),
        f"#   activation: {act.value} (none after the last Linear)",
        "#",
        "# Results:",
    ]
    for result in report.results:
        if result.widths is None:
            lines.append(f"#   depth {result.depth}: no shape ({result.status.value})")
        else:
            widths = " ".join(str(w) for w in result.widths)
            count = f"{result.params:,} params ({result.status.value})"
            lines.append(f"#   depth {result.depth}: widths [{widths}], {count}")
    lines += [
        "",
        "from __future__ import annotations",
        "",
        "from torch import nn",
        "",
        f"INPUT_SIZE = {problem.input_size}",
        f"OUTPUT_SIZE = {problem.output_size}",
        f"BIAS = {problem.bias}",
        "",
        "#: Hidden widths by depth.",
        "WIDTHS: dict[int, tuple[int, ...]] = {",
        *(f"    {r.depth}: {tuple(r.widths)!r}," for r in report.results if r.widths is not None),
        "}",
        "",
        "#: Exact trainable parameter count by depth, as cpshape reported it.",
        "PARAMS: dict[int, int] = {",
        *(f"    {r.depth}: {r.params}," for r in report.results if r.widths is not None),
        "}",
        "",
        "MODELS: dict[int, nn.Sequential] = {",
    ]
    for result in report.results:
        if result.widths is None:
            continue
        sizes = chain(problem.input_size, result.widths, problem.output_size)
        lines.append(f"    {result.depth}: nn.Sequential(")
        for index, (n_in, n_out) in enumerate(pairwise(sizes)):
            if index:
                lines.append(f"        nn.{act.module_name}(),")
            lines.append(f"        nn.Linear({n_in}, {n_out}{bias_arg}),")
        lines.append("    ),")
    lines += [
        "}",
        "",
        "",
        "def param_count(model: nn.Module) -> int:",
        "    return sum(p.numel() for p in model.parameters())",
        "",
        "",
        'if __name__ == "__main__":',
        "    for depth, model in MODELS.items():",
        "        count = param_count(model)",
        '        assert count == PARAMS[depth], f"depth {depth}: {count} != {PARAMS[depth]}"',
        '        print(f"depth {depth}: widths {list(WIDTHS[depth])}, {count:,} params")',
        "",
    ]
    return "\n".join(lines)
