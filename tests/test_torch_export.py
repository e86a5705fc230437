"""PyTorch export: model structure, exact counts, generated source, verification, missing torch."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpshape.counting import chain, count_params
from cpshape.result import DepthResult, Report, Status, VerificationError
from cpshape.spec import Problem, SolverSettings
from cpshape.torch_export import Activation, MissingExtraError, pytorch_source

torch = pytest.importorskip("torch")
nn = torch.nn

from cpshape.torch_export import (  # noqa: E402
    models_from_report,
    to_sequential,
    torch_param_count,
    verify_report,
)

pytestmark = pytest.mark.torch

ACTIVATION_TYPES = {Activation.RELU: nn.ReLU, Activation.GELU: nn.GELU, Activation.TANH: nn.Tanh}

sizes = st.integers(min_value=1, max_value=40)
shapes = st.tuples(sizes, st.lists(sizes, min_size=1, max_size=6), sizes)


def make_report(bias: bool = True, same_count: bool = False) -> Report:
    """Hand-built report: two depths with shapes, one infeasible depth (no solver needed)."""
    problem = Problem(12, 5, 600, (1, 2, 3), tolerance=0.2, bias=bias, same_count=same_count)
    results = []
    for depth, widths in ((1, (34,)), (2, (20, 15))):
        params = count_params(chain(problem.input_size, widths, problem.output_size), bias)
        results.append(DepthResult(depth, Status.OPTIMAL, widths, params, target=problem.params))
    results.append(DepthResult(3, Status.INFEASIBLE, target=problem.params))
    shared = results[0].params if same_count else None
    return Report(problem, SolverSettings(), tuple(results), shared_count=shared)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, bias=st.booleans(), activation=st.sampled_from(list(Activation)))
def test_numel_equals_count_params(
    shape: tuple[int, list[int], int], bias: bool, activation: Activation
) -> None:
    a, widths, c = shape
    model = to_sequential(a, widths, c, bias=bias, activation=activation)
    assert torch_param_count(model) == count_params(chain(a, widths, c), bias)
    assert sum(p.numel() for p in model.parameters()) == count_params(chain(a, widths, c), bias)


@pytest.mark.parametrize("activation", list(Activation))
@pytest.mark.parametrize("widths", [(7,), (5, 9), (4, 4, 4, 4)])
def test_layer_structure(widths: tuple[int, ...], activation: Activation) -> None:
    model = to_sequential(3, widths, 2, activation=activation.value)
    layers = list(model)
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    assert len(linears) == len(widths) + 1
    assert len(layers) == 2 * len(widths) + 1
    for index, module in enumerate(layers):
        expected = nn.Linear if index % 2 == 0 else ACTIVATION_TYPES[activation]
        assert type(module) is expected
    sizes = chain(3, widths, 2)
    assert [(m.in_features, m.out_features) for m in linears] == list(pairwise(sizes))
    assert isinstance(layers[-1], nn.Linear)


def test_bias_off_has_no_bias() -> None:
    model = to_sequential(4, (3, 3), 2, bias=False)
    assert all(m.bias is None for m in model if isinstance(m, nn.Linear))


def test_forward_shape() -> None:
    model = to_sequential(6, (5, 4), 3, activation="gelu")
    assert tuple(model(torch.zeros(2, 6)).shape) == (2, 3)


def test_bad_activation_and_sizes() -> None:
    with pytest.raises(ValueError, match="activation must be one of relu, gelu, tanh"):
        to_sequential(3, (4,), 2, activation="sigmoid")
    with pytest.raises(ValueError, match="positive integers"):
        to_sequential(3, (0,), 2)


@pytest.mark.parametrize("bias", [True, False])
def test_models_from_report(bias: bool) -> None:
    report = make_report(bias)
    models = models_from_report(report, activation="tanh")
    assert sorted(models) == [1, 2]
    for depth, model in models.items():
        assert torch_param_count(model) == report.by_depth(depth).params
        assert any(isinstance(m, nn.Tanh) for m in model)


@pytest.mark.parametrize("bias", [True, False])
def test_verify_report_passes(bias: bool) -> None:
    report = make_report(bias)
    assert verify_report(report) == {1: report.by_depth(1).params, 2: report.by_depth(2).params}


def test_verify_report_raises_on_tampered_count() -> None:
    report = make_report()
    tampered = replace(report.results[1], params=(report.results[1].params or 0) + 1)
    bad = replace(report, results=(report.results[0], tampered, report.results[2]))
    with pytest.raises(VerificationError, match="depth 2"):
        verify_report(bad)


def test_verify_report_raises_on_bias_mismatch() -> None:
    report = make_report(bias=True)
    bad = replace(report, problem=replace(report.problem, bias=False))
    with pytest.raises(VerificationError):
        verify_report(bad)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("same_count", [True, False])
@pytest.mark.parametrize("activation", list(Activation))
def test_pytorch_source_executes(bias: bool, same_count: bool, activation: Activation) -> None:
    report = make_report(bias, same_count)
    source = pytorch_source(report, activation)
    namespace: dict[str, object] = {"__name__": "generated"}
    exec(compile(source, "<generated>", "exec"), namespace)
    models = namespace["MODELS"]
    assert isinstance(models, dict)
    assert sorted(models) == [1, 2]
    for depth, model in models.items():
        assert isinstance(model, nn.Sequential)
        assert sum(p.numel() for p in model.parameters()) == report.by_depth(depth).params
        assert any(isinstance(m, ACTIVATION_TYPES[activation]) for m in model)
    assert namespace["PARAMS"] == {1: report.by_depth(1).params, 2: report.by_depth(2).params}


def test_pytorch_source_header_states_problem() -> None:
    report = make_report(bias=False, same_count=True)
    source = pytorch_source(report)
    header = source.split("from __future__")[0]
    assert "input size: 12, output size: 5" in header
    assert "params target: 600" in header
    assert "bias: off" in header
    assert f"shared count (one count for every depth): {report.shared_count}" in header
    assert "depth 3: no shape (infeasible)" in header
    per_depth = pytorch_source(make_report())
    assert "mode: per depth" in per_depth


def test_pytorch_source_runs_as_script(tmp_path) -> None:
    path = tmp_path / "shapes.py"
    path.write_text(pytorch_source(make_report()))
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, check=True)
    assert "depth 2: widths [20, 15]" in done.stdout


def test_missing_torch_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'cpshape\[torch\]'") as info:
        to_sequential(3, (4,), 2)
    assert isinstance(info.value, ImportError)
    with pytest.raises(ImportError, match=r"cpshape\[torch\]"):
        verify_report(make_report())
    # generating source text needs no torch
    assert "MODELS" in pytorch_source(make_report())


def test_import_does_not_load_torch() -> None:
    code = "import sys, cpshape.torch_export, cpshape.plot; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
