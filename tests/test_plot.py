"""plot_shapes writes a PNG; a missing matplotlib gives the install hint."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cpshape.counting import chain, count_params
from cpshape.plot import plot_shapes, shapes_title
from cpshape.result import DepthResult, Report, Status
from cpshape.spec import Problem, SolverSettings

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_report(same_count: bool = True) -> Report:
    problem = Problem(64, 10, 20_000, (1, 2, 3, 30), tolerance=0.02, same_count=same_count)
    results = []
    for depth, widths in ((1, (270,)), (2, (120, 90)), (3, (100, 80, 60))):
        params = count_params(chain(64, widths, 10))
        results.append(DepthResult(depth, Status.OPTIMAL, widths, params, target=problem.params))
    results.append(DepthResult(30, Status.INFEASIBLE, target=problem.params))
    return Report(problem, SolverSettings(), tuple(results), shared_count=20_050 if same_count else None)


def test_title_states_problem() -> None:
    title = shapes_title(make_report())
    assert "input 64, output 10" in title
    assert "20,000 params" in title
    assert "biases on" in title
    assert "shared count 20,050" in title
    assert "shared" not in shapes_title(make_report(same_count=False))


@pytest.mark.parametrize("same_count", [True, False])
def test_plot_writes_png(tmp_path: Path, same_count: bool) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "sub" / "shapes.png"
    plot_shapes(make_report(same_count), path)
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 5_000


def test_plot_without_any_shape(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    report = make_report()
    empty = Report(report.problem, report.settings, (report.results[-1],))
    path = tmp_path / "empty.png"
    plot_shapes(empty, str(path))
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_missing_matplotlib_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'cpshape\[plot\]'"):
        plot_shapes(make_report(), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
