"""``cpshape count|baseline|shapes|common|pareto`` and solve's --compare/--rules/--verify/--plot/pytorch."""

from __future__ import annotations

import csv
import importlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from _reports import FakeSolver
from typer.testing import CliRunner

from cpshape import SolverSettings, torch_export
from cpshape.cli import app
from cpshape.counting import chain, count_params, uniform_count
from cpshape.methods import rules_of_thumb
from cpshape.pareto import frontier
from cpshape.shapes import list_shapes
from cpshape.spec import Problem

solve_module = importlib.import_module("cpshape.solver")
runner = CliRunner()
SOLVE = [
    "solve",
    "--input",
    "784",
    "--output",
    "10",
    "--params",
    "13002",
    "--depths",
    "1-3",
    "--tolerance",
    "10%",
]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "100"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSolver:
    solver = FakeSolver()
    monkeypatch.setattr(solve_module, "solve", solver)
    return solver


# --------------------------------------------------------------------------- no OR-Tools


def test_count_shapes_common_help_and_version_do_not_import_ortools() -> None:
    script = """
import sys
from typer.testing import CliRunner
from cpshape.cli import app
runner = CliRunner()
for args in (["count", "784", "16", "16", "10"], ["count", "2", "2", "2", "-f", "json"],
             ["shapes", "--params", "6"], ["shapes", "--params", "6", "--count"],
             ["common", "--input", "784", "--output", "10", "--depths", "2,3"],
             ["--help"], ["count", "--help"], ["pareto", "--help"], ["--version"]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "ortools" or m == "cpshape.solver")
print(loaded)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_help_lists_the_new_commands_and_flags() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for name in ("count", "baseline", "shapes", "common", "pareto"):
        assert name in out
    code, out, _ = run("solve", "--help")
    for flag in ("--compare", "--rules", "--verify", "--plot", "pytorch"):
        assert flag in out, flag


# --------------------------------------------------------------------------- count


def test_count_hand_cases() -> None:
    code, out, err = run("count", "784", "16", "16", "10", "-f", "json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert (doc["weights"], doc["biases"], doc["total"]) == (12_960, 42, 13_002)
    assert doc["sizes"] == [784, 16, 16, 10]
    assert doc["layers"][0] == {"in": 784, "out": 16, "weights": 12_544, "biases": 16}
    assert [layer["out"] for layer in doc["layers"]] == [16, 16, 10]
    doc = json.loads(run("count", "784", "16", "16", "10", "--no-bias", "-f", "json")[1])
    assert (doc["weights"], doc["biases"], doc["total"]) == (12_960, 0, 12_960)
    assert json.loads(run("count", "2", "2", "2", "-f", "json")[1])["total"] == 12


def test_count_table_csv_markdown() -> None:
    code, out, _ = run("count", "784", "16", "16", "10")
    assert code == 0 and "12,960 weights + 42 biases = 13,002 parameters" in out
    assert "784 -> 16" in out and "12,544" in out
    rows = list(csv.reader(io.StringIO(run("count", "2", "2", "2", "-f", "csv")[1])))
    assert rows[0] == ["layer", "in", "out", "weights", "biases", "total"]
    assert rows[1] == ["1", "2", "2", "4", "2", "6"] and rows[-1] == ["total", "", "", "8", "4", "12"]
    out = run("count", "2", "2", "2", "--no-bias", "-f", "markdown")[1]
    assert "| **total** |" in out and "8 parameters (weights only)" in out


def test_count_out_file_picks_json_from_suffix(tmp_path: Path) -> None:
    target = tmp_path / "count.json"
    code, out, err = run("count", "2", "2", "2", "--out", str(target))
    assert (code, out) == (0, "") and f"wrote {target}" in err
    assert json.loads(target.read_text())["total"] == 12


@pytest.mark.parametrize(
    ("args", "named"),
    [(["5"], "'5'"), (["5", "0"], "'0'"), (["5", "x"], "'x'"), (["4", "1.5"], "1.5"), (["3", "-2"], "-2")],
)
def test_count_bad_sizes_exit_2(args: list[str], named: str) -> None:
    code, out, err = run("count", *args)
    assert (code, out) == (2, "")
    assert named in err


# --------------------------------------------------------------------------- baseline


def test_baseline_seed_case_json() -> None:
    args = ["baseline", "--input", "4", "--output", "3", "--params", "1000", "--depths", "5-12", "--no-bias"]
    code, out, err = run(*args, "-f", "json")
    assert code == 1  # uniform counts miss P = 1000 exactly
    rows = json.loads(out)["results"]
    assert [r["widths"][0] for r in rows] == [15, 13, 12, 11, 11, 10, 10, 9]
    assert all(len(set(r["widths"])) == 1 and r["status"] == "unknown" for r in rows)
    assert all(r["proof"] == "baseline:round" for r in rows)
    assert "outside the band at depths 5-12" in err
    for row in rows:
        assert row["params"] == uniform_count(4, 3, row["depth"], row["widths"][0], bias=False)
        assert row["deviation"] == row["params"] - 1000


def test_baseline_exact_hit_exits_0_and_decrement_runs() -> None:
    code, out, _ = run("baseline", "--input", "784", "--output", "10", "--params", "13002", "--depths", "2")
    assert code == 0 and "16 16" in out and "feasible" in out and "proves nothing" in out
    code, out, _ = run(
        "baseline", "--input", "4", "--output", "3", "--params", "1000", "--depths", "6", "--no-bias",
        "--method", "decrement", "-f", "json",
    )  # fmt: skip
    row = json.loads(out)["results"][0]
    assert code == 1 and row["proof"] == "baseline:decrement"
    assert abs(row["deviation"]) <= 64  # never worse than round (936 = -64)


@pytest.mark.parametrize(
    ("flags", "named"),
    [(["--method", "median"], "median"), (["--params", "0"], "0"), (["--depths", "x"], "x")],
)
def test_baseline_bad_input_exits_2(flags: list[str], named: str) -> None:
    base = ["baseline", "--input", "4", "--output", "3", "--params", "1000", "--depths", "5"]
    code, out, err = run(*base, *flags)
    assert (code, out) == (2, "") and named in err


def test_baseline_missing_flag_exits_2() -> None:
    code, out, err = run("baseline", "--input", "4", "--output", "3", "--depths", "5")
    assert (code, out) == (2, "") and "--params" in err


# --------------------------------------------------------------------------- shapes


def test_shapes_listing_and_count() -> None:
    code, out, _ = run("shapes", "--params", "4", "-f", "json")
    doc = json.loads(out)
    assert code == 0 and (doc["params"], doc["count"]) == (4, 10)
    assert [tuple(s) for s in doc["shapes"]] == list_shapes(4)
    assert doc["shapes"][:3] == [[1, 4], [2, 2], [4, 1]]
    assert all(count_params(s, bias=False) == 4 for s in doc["shapes"])
    assert run("shapes", "--params", "6", "--count") == (0, "27\n", "")
    assert run("shapes", "--params", "4", "--count", "--max-depth", "0")[1] == "3\n"
    doc = json.loads(run("shapes", "--params", "6", "--count", "-f", "json")[1])
    assert (doc["count"], doc["shapes"]) == (27, None)
    out = run("shapes", "--params", "4")[1]
    assert "10 shapes" in out and "1-1-1-1-1" in out
    rows = list(csv.reader(io.StringIO(run("shapes", "--params", "4", "--max-depth", "1", "-f", "csv")[1])))
    assert rows[0] == ["depth", "sizes"] and rows[1] == ["0", "1 4"] and len(rows) == 1 + 7


def test_shapes_refuses_long_listings_unless_asked() -> None:
    code, out, err = run("shapes", "--params", "30")  # 1,064,351 shapes
    assert (code, out) == (2, "")
    assert "more than 10,000 shapes" in err and "--count" in err and "--all" in err
    code, out, err = run("shapes", "--params", "6", "--limit", "26")
    assert (code, out) == (2, "") and "more than 26" in err
    code, out, _ = run("shapes", "--params", "6", "--limit", "27", "-f", "json")
    assert code == 0 and json.loads(out)["count"] == 27
    code, out, _ = run("shapes", "--params", "30", "--max-depth", "0", "--all", "-f", "json")
    assert code == 0 and json.loads(out)["count"] == 8  # divisors of 30


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--params", "0"], "0"),
        (["--params", "abc"], "abc"),
        (["--params", "6", "--max-depth", "-1"], "-1"),
        (["--params", "6", "--limit", "5", "--all"], "not both"),
        ([], "--params"),
    ],
)
def test_shapes_bad_input_exits_2(flags: list[str], named: str) -> None:
    code, out, err = run("shapes", *flags)
    assert (code, out) == (2, "") and named in err


# --------------------------------------------------------------------------- common


def test_common_found() -> None:
    code, out, _ = run("common", "--input", "784", "--output", "10", "--depths", "2,3", "-f", "json")
    doc = json.loads(out)
    assert code == 0 and doc["params"] == doc["searched_up_to"]
    assert set(doc["widths"]) == {"2", "3"} and "best_subsets" not in doc
    for depth, width in doc["widths"].items():
        assert uniform_count(784, 10, int(depth), width) == doc["params"]
    code, out, _ = run("common", "--input", "784", "--output", "10", "--depths", "2,3")
    assert code == 0 and f"{doc['params']:,}" in out and "ruled out" in out


def test_common_none_exits_1_and_reports_subsets() -> None:
    args = ["common", "--input", "4", "--output", "3", "--depths", "5-7", "--no-bias", "--max-params", "100k"]
    code, out, err = run(*args, "-f", "json")
    doc = json.loads(out)
    assert code == 1 and doc["params"] is None and doc["widths"] == {} and doc["searched_up_to"] == 100_000
    assert "no count up to 100,000" in err and "proven" in err
    code, out, _ = run(*args, "--subsets", "-f", "json")
    subsets = json.loads(out)["best_subsets"]
    assert code == 1 and subsets and all(len(s["depths"]) == 2 for s in subsets)
    for shared in subsets:
        for depth, width in shared["widths"].items():
            assert uniform_count(4, 3, int(depth), width, bias=False) == shared["params"]
    code, out, _ = run(*args, "--subsets")
    assert code == 1 and "No count up to 100,000" in out and "largest subsets" in out


@pytest.mark.parametrize(
    ("flags", "named"),
    [(["--depths", "0"], "0"), (["--max-params", "0"], "0"), (["--input", "x"], "x")],
)
def test_common_bad_input_exits_2(flags: list[str], named: str) -> None:
    code, out, err = run("common", "--input", "4", "--output", "3", "--depths", "5-6", *flags)
    assert (code, out) == (2, "") and named in err


# --------------------------------------------------------------------------- pareto


def test_pareto_json_matches_the_library() -> None:
    code, out, _ = run("pareto", "--input", "784", "--output", "10", "--params", "100k", "--depths", "3-4",
                       "-f", "json")  # fmt: skip
    doc = json.loads(out)
    assert code == 0
    expected = frontier(Problem(784, 10, 100_000, (3, 4)))
    for row, want in zip(doc["results"], expected, strict=True):
        assert (row["depth"], row["status"], row["stopped"]) == (want.depth, "optimal", "band")
        assert [(p["spread"], p["deviation"], tuple(p["widths"])) for p in row["frontier"]] == [
            (p.spread, p.deviation, p.widths) for p in want.points
        ]
        assert row["frontier"][-1]["deviation"] == 0 and row["frontier"][0]["spread"] == 0
        for point in row["frontier"]:
            assert (
                count_params(chain(784, point["widths"], 10))
                == 100_000 + point["deviation"]
                == point["params"]
            )


def test_pareto_config_round_trip(tmp_path: Path) -> None:
    first = tmp_path / "p.json"
    args = ["--input", "4", "--output", "3", "--params", "200", "--depths", "2,3", "--multiple-of", "2"]
    code, _, err = run("pareto", *args, "--out", str(first))
    assert code == 1  # multiples of 2 give odd counts only: never exact
    assert "depth 3: infeasible" in err
    doc = json.loads(first.read_text())
    assert doc["problem"]["constraints"]["multiple_of"] == 2
    assert doc["solver"]["dp_work"] == SolverSettings().dp_work
    assert all(p["widths"][0] % 2 == 0 for r in doc["results"] for p in r["frontier"])
    code, again, _ = run("pareto", "--config", str(first), "-f", "json")
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in json.loads(again)["results"]]
    assert strip == [{k: v for k, v in r.items() if k != "seconds"} for r in doc["results"]]


def test_pareto_table_budget_and_formats() -> None:
    args = ["pareto", "--input", "4", "--output", "3", "--params", "1000", "--depths", "3"]
    code, out, _ = run(*args)
    assert code == 0 and "17 20 23" in out and "0 (0%)" in out and "complete" in out
    code, out, err = run(*args, "--dp-work", "10000", "-f", "json")
    row = json.loads(out)["results"][0]
    assert code == 1 and (row["status"], row["stopped"]) == ("feasible", "budget")
    assert row["frontier"] and row["frontier"][-1]["deviation"] != 0 and "budget" in err
    rows = list(csv.DictReader(io.StringIO(run(*args, "-f", "csv")[1])))
    assert rows[-1]["deviation"] == "0" and rows[-1]["widths"] == "17 20 23"
    assert run(*args, "-f", "markdown")[1].startswith("**4 inputs -> 3 outputs")
    code, out, _ = run("pareto", "--input", "4", "--output", "3", "--params", "1000", "--depths", "1")
    assert code == 1 and "infeasible" in out


@pytest.mark.parametrize(
    ("flags", "named"),
    [(["--max-ratio", "0.5"], "0.5"), (["--dp-work", "-1"], "-1"), (["--depths", "0"], "0")],
)
def test_pareto_bad_input_exits_2(flags: list[str], named: str) -> None:
    code, out, err = run(
        "pareto", "--input", "4", "--output", "3", "--params", "1000", "--depths", "2", *flags
    )
    assert (code, out) == (2, "") and named in err


# --------------------------------------------------------------------------- solve extras


def test_solve_compare_and_rules_json(fake: FakeSolver) -> None:
    code, out, _ = run(*SOLVE, "--compare", "--rules", "-f", "json")
    assert code == 0
    for row in json.loads(out)["results"]:
        base = row["baseline"]
        assert set(base) == {"method", "widths", "params", "deviation"} and len(set(base["widths"])) == 1
        assert base["deviation"] == base["params"] - 13002
        assert base["params"] == count_params(chain(784, base["widths"], 10))
        checks = rules_of_thumb(784, 10, row["widths"])
        assert row["rules"] == [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in checks]
    plain = json.loads(run(*SOLVE, "-f", "json")[1])["results"][0]
    assert "baseline" not in plain and "rules" not in plain


def test_solve_compare_and_rules_table_csv_markdown(fake: FakeSolver) -> None:
    code, out, _ = run(*SOLVE, "--compare", "--rules")
    assert code == 0
    assert "baseline dev" in out and "rules of thumb*" in out and "heuristics, not advice" in out
    assert "fails two-thirds" in out  # 16-wide layers are far from 2/3 * 784 + 10
    rows = list(csv.DictReader(io.StringIO(run(*SOLVE, "--compare", "--rules", "-f", "csv")[1])))
    assert {"baseline_widths", "baseline_deviation", "rules_passed", "rules_failed"} <= set(rows[0])
    assert "two-thirds" in rows[0]["rules_failed"]
    markdown = run(*SOLVE, "--rules", "-f", "markdown")[1]
    assert "| rules of thumb* |" in markdown and "not advice" in markdown


def test_solve_format_pytorch(fake: FakeSolver, tmp_path: Path) -> None:
    code, out, _ = run(*SOLVE, "--format", "pytorch")
    assert code == 0 and "MODELS: dict[int, nn.Sequential]" in out
    compile(out, "shapes.py", "exec")
    target = tmp_path / "shapes.py"
    assert run(*SOLVE, "--out", str(target))[0] == 0  # the .py suffix picks pytorch
    assert "nn.Linear(784, " in target.read_text()


def test_solve_verify_torch(fake: FakeSolver, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    code, out, _ = run(*SOLVE, "--verify", "torch", "-f", "json")
    rows = json.loads(out)["results"]
    assert code == 0 and all(r["torch_params"] == r["params"] for r in rows)
    assert "torch" in run(*SOLVE, "--verify", "torch")[1]
    monkeypatch.setattr(torch_export, "torch_param_count", lambda model: 7)
    code, out, err = run(*SOLVE, "--verify", "torch")
    assert (code, out) == (1, "") and "PyTorch recount failed" in err and "PyTorch counts 7" in err


@pytest.mark.parametrize(
    ("flags", "module"), [(["--verify", "torch"], "torch"), (["--plot", "s.png"], "matplotlib")]
)
def test_missing_optional_dependency_exits_2_before_solving(
    fake: FakeSolver, monkeypatch: pytest.MonkeyPatch, flags: list[str], module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
    code, out, err = run(*SOLVE, *flags)
    assert (code, out) == (2, "") and "pip install 'cpshape[" in err and fake.calls == []


def test_solve_plot(fake: FakeSolver, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "shapes.png"
    code, _, err = run(*SOLVE, "--plot", str(target))
    assert code == 0 and f"wrote {target}" in err
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, err = run(*SOLVE, "--plot", str(tmp_path / "no" / "s.png"))
    assert (code, out) == (2, "") and "--plot" in err and "does not exist" in err


def test_verify_bad_value_exits_2(fake: FakeSolver) -> None:
    code, out, err = run(*SOLVE, "--verify", "tensorflow")
    assert (code, out) == (2, "") and "tensorflow" in err
