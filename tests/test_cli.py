"""The ``cpshape`` command line, against a stand-in solver (the real one is in test_cli_e2e.py)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from _reports import FakeSolver, uniform_result
from typer.testing import CliRunner

from cpshape import config
from cpshape.cli import app
from cpshape.result import DepthResult, Status
from cpshape.spec import INT64_LIMIT, Monotone, Prefer, Problem

solve_module = importlib.import_module("cpshape.solver")
ROOT = Path(__file__).resolve().parents[1]
BASE = ["solve", "--input", "4", "--output", "3", "--params", "1000", "--depths", "1-3"]
runner = CliRunner()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSolver:
    solver = FakeSolver()
    monkeypatch.setattr(solve_module, "solve", solver)
    return solver


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "100"})
    return result.exit_code, result.stdout, result.stderr


def test_version_does_not_import_ortools() -> None:
    code = (
        "import sys; sys.argv = ['cpshape', '--version']\nfrom cpshape.cli import main\ntry: main()\n"
        "except SystemExit: pass\nassert 'ortools' not in sys.modules, 'ortools imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("cpshape 0.1.0 (ortools ")


def test_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cpshape", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.startswith("cpshape ")


def test_help_lists_every_public_flag_and_examples() -> None:
    code, out, _ = run("solve", "--help")
    assert code == 0
    for flag in (
        "--input",
        "--output",
        "--params",
        "--depths",
        "--tolerance",
        "--tolerance-abs",
        "--bias",
        "--no-bias",
        "--min-width",
        "--max-width",
        "--max-ratio",
        "--ratio-range",
        "--monotone",
        "--multiple-of",
        "--pin",
        "--max-spread",
        "--same-count",
        "--prefer",
        "--time-limit",
        "--workers",
        "--seed",
        "--dp-work",
        "--format",
        "--out",
        "--config",
        "--quiet",
        "--verbose",
    ):
        assert flag in out, flag
    assert "cpshape solve --input 784" in out and "Exit codes" in out
    code, out, _ = run("--help")
    assert code == 0 and "--install-completion" in out and "init" in out


def test_default_table(fake: FakeSolver) -> None:
    code, out, err = run(*BASE, "--tolerance", "5%")
    assert code == 0
    assert out.startswith("4 inputs -> 3 outputs, depths 1-3: P = 1,000 ±5%")
    assert "All 3 depths proven optimal." in out
    assert "\x1b[" not in out and err == ""
    assert fake.progressed == [1, 2, 3]


def test_json_on_stdout_alone(fake: FakeSolver) -> None:
    code, out, _ = run(*BASE, "--tolerance", "5%", "--format", "json", "--verbose")
    assert code == 0
    document = json.loads(out)
    assert document["problem"] == config.problem_to_dict(fake.problem)
    assert [r["depth"] for r in document["results"]] == [1, 2, 3]


@pytest.mark.parametrize(
    ("fmt", "first"), [("csv", "depth,widths,params"), ("markdown", "**4 inputs"), ("table", "4 inputs")]
)
def test_other_formats(fake: FakeSolver, fmt: str, first: str) -> None:
    code, out, _ = run(*BASE, "--tolerance", "5%", "-f", fmt)
    assert code == 0 and out.startswith(first)


@pytest.mark.parametrize(
    ("flags", "check"),
    [
        (["--params", "1.5M"], lambda p, s: p.params == 1_500_000),
        (["--params", "100_000", "--depths", "1,2,4,8"], lambda p, s: p.depths == (1, 2, 4, 8)),
        (["--tolerance", "0.01"], lambda p, s: p.tolerance == Fraction(1, 100)),
        (["--tolerance", "2.5%"], lambda p, s: p.tolerance == Fraction(1, 40)),
        (["--tolerance-abs", "1k"], lambda p, s: p.tolerance_abs == 1000),
        (["--no-bias"], lambda p, s: p.bias is False),
        (["--bias"], lambda p, s: p.bias is True),
        (
            ["--min-width", "2", "--max-width", "64"],
            lambda p, s: (p.constraints.min_width, p.constraints.max_width) == (2, 64),
        ),
        (["--max-ratio", "1.25"], lambda p, s: p.constraints.max_ratio == Fraction(5, 4)),
        (["--ratio-range", "1.25:2"], lambda p, s: p.constraints.ratio_range == (Fraction(5, 4), 2)),
        (["--monotone", "non-increasing"], lambda p, s: p.constraints.monotone is Monotone.NON_INCREASING),
        (["--multiple-of", "4"], lambda p, s: p.constraints.multiple_of == 4),
        (["--pin", "1=8", "--pin", "2=12"], lambda p, s: p.constraints.pins == ((1, 8), (2, 12))),
        (["--max-spread", "0"], lambda p, s: p.constraints.max_spread == 0),
        (["--same-count"], lambda p, s: p.same_count is True),
        (["--prefer", "deviation"], lambda p, s: p.prefer is Prefer.DEVIATION),
        (
            ["--time-limit", "2.5", "--workers", "8", "--seed", "42"],
            lambda p, s: (s.time_limit, s.workers, s.seed) == (2.5, 8, 42),
        ),
        (["--deterministic-limit", "3"], lambda p, s: s.deterministic_limit == 3.0),
        (["--dp-work", "2e9"], lambda p, s: s.dp_work == 2 * 10**9),
        (["--dp-work", "0"], lambda p, s: s.dp_work == 0),
    ],
)
def test_flag_families_reach_the_spec(fake: FakeSolver, flags: list[str], check: object) -> None:
    code, _, err = run(*BASE, "--depths", "2-3", *flags, "-q")
    assert code in (0, 1), err
    assert callable(check) and check(fake.problem, fake.settings)


def test_exit_1_still_prints_the_other_depths(monkeypatch: pytest.MonkeyPatch) -> None:
    def answer(problem: Problem, depth: int) -> DepthResult:
        if depth == 2:
            return DepthResult(2, Status.INFEASIBLE, nearest=(990, 1017), target=problem.params)
        return uniform_result(problem, depth)

    monkeypatch.setattr(solve_module, "solve", FakeSolver(answer))
    code, out, err = run(*BASE, "--tolerance", "5%", "--format", "json")
    assert code == 1
    rows = json.loads(out)["results"]
    assert [r["status"] for r in rows] == ["optimal", "infeasible", "optimal"]
    assert rows[1]["nearest"] == {"below": 990, "above": 1017}
    assert "depth 2: infeasible; nearest counts 990 below and 1,017 above" in err


def test_unknown_depth_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        solve_module, "solve", FakeSolver(lambda p, d: DepthResult(d, Status.UNKNOWN, target=p.params))
    )
    code, out, _ = run(*BASE, "-q")
    assert code == 1 and "unknown" in out


def test_unproven_depths_point_at_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A feasible (unproven) depth exits 0 and says on stderr which limits to raise; a proven
    run says nothing of the kind."""

    def answer(problem: Problem, depth: int) -> DepthResult:
        one = uniform_result(problem, depth)
        return replace(one, status=Status.FEASIBLE) if depth == 2 else one

    monkeypatch.setattr(solve_module, "solve", FakeSolver(answer))
    code, _, err = run(*BASE, "--tolerance", "5%", "--dp-work", "5e6")
    assert code == 0
    assert "--dp-work, now 5,000,000 words" in err and "--deterministic-limit" in err
    monkeypatch.setattr(solve_module, "solve", FakeSolver(lambda p, d: uniform_result(p, d)))
    code, _, err = run(*BASE, "--tolerance", "5%")
    assert code == 0 and "--dp-work" not in err


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--params", "0"], "0"),
        (["--params", "-5"], "-5"),
        (["--input", "0"], "0"),
        (["--output", "-1"], "-1"),
        (["--params", "1.5"], "1.5"),
        (["--params", str(INT64_LIMIT)], "2**62 - 1"),
        (["--params", "1e18"], "keep the band's upper end below"),
        (["--tolerance", "1"], "'1'"),
        (["--tolerance", "150%"], "150%"),
        (["--tolerance", "-0.1"], "-0.1"),
        (["--depths", "0"], "0"),
        (["--depths", "a-b"], "a-b"),
        (["--depths", "5-2"], "5-2"),
        (["--min-width", "10", "--max-width", "5"], "min_width 10 > max_width 5"),
        (["--max-ratio", "0.5"], "0.5"),
        (["--ratio-range", "6:3"], "6:3"),
        (["--multiple-of", "0"], "0"),
        (["--pin", "4=8"], "pinned layer 4 is outside depth 1"),
        (["--pin", "x"], "'x'"),
        (["--tolerance", "1%", "--tolerance-abs", "5"], "not both"),
        (["--config", "does-not-exist.toml"], "does-not-exist.toml"),
        (["--monotone", "sideways"], "sideways"),
        (["--format", "yaml"], "yaml"),
        (["--workers", "0"], "0"),
        (["--dp-work", "-1"], "--dp-work must be >= 0, got '-1'"),
        (["--dp-work", "1.5"], "1.5"),
        (["--quiet", "--verbose"], "--quiet or --verbose"),
    ],
)
def test_bad_input_exits_2_with_nothing_on_stdout(
    fake: FakeSolver, tmp_path: Path, flags: list[str], named: str
) -> None:
    target = tmp_path / "out.json"
    code, out, err = run(*BASE, *flags, "--out", str(target))
    assert code == 2
    assert out == ""
    assert named in err
    assert not target.exists() and fake.calls == []


def test_missing_required_flag_exits_2(fake: FakeSolver) -> None:
    code, out, err = run("solve", "--input", "4", "--output", "3", "--depths", "2")
    assert (code, out) == (2, "") and "--params" in err


def test_out_writes_atomically_and_picks_format_from_suffix(fake: FakeSolver, tmp_path: Path) -> None:
    target = tmp_path / "shapes.json"
    code, out, err = run(*BASE, "--tolerance", "5%", "--out", str(target))
    assert (code, out) == (0, "")
    assert json.loads(target.read_text())["results"][0]["depth"] == 1
    assert f"wrote {target}" in err
    assert [p.name for p in tmp_path.iterdir()] == ["shapes.json"]  # no temp file left behind
    code, _, _ = run(*BASE, "--tolerance", "5%", "--out", str(tmp_path / "t.csv"), "--format", "markdown")
    assert (tmp_path / "t.csv").read_text().startswith("**4 inputs")


def test_out_into_a_missing_directory_exits_2_before_solving(fake: FakeSolver, tmp_path: Path) -> None:
    code, out, err = run(*BASE, "--out", str(tmp_path / "no" / "such.json"))
    assert (code, out) == (2, "") and "does not exist" in err and fake.calls == []


def test_config_file_with_flag_overrides(fake: FakeSolver, tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text(
        '[problem]\ninput = 4\noutput = 3\nparams = "1k"\ndepths = "1-2"\ntolerance_abs = 20\n'
        "[problem.constraints]\nmultiple_of = 2\n[solver]\nseed = 5\n"
    )
    assert run("solve", "--config", str(path), "-q")[0] in (0, 1)
    assert (fake.problem.params, fake.problem.tolerance_abs, fake.settings.seed) == (1000, 20, 5)
    assert run("solve", "-c", str(path), "--params", "2k", "--tolerance", "1%", "--seed", "6", "-q")[0] in (
        0,
        1,
    )
    assert (fake.problem.params, fake.problem.tolerance, fake.problem.tolerance_abs) == (
        2000,
        Fraction(1, 100),
        None,
    )
    assert (fake.problem.constraints.multiple_of, fake.settings.seed) == (2, 6)


def test_bad_config_key_exits_2_naming_file_key_and_value(fake: FakeSolver, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[problem]\ninput = 4\nwidth = 77\n")
    code, out, err = run("solve", "--config", str(path))
    assert (code, out) == (2, "")
    assert "bad.toml" in err and "problem.width" in err and "77" in err


def test_json_output_is_a_config_that_reproduces_the_run(fake: FakeSolver, tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    flags = [
        "--tolerance",
        "0.5%",
        "--ratio-range",
        "1:4/3",
        "--max-ratio",
        "1.5",
        "--no-bias",
        "--seed",
        "3",
    ]
    assert run(*BASE, *flags, "--out", str(first), "-q")[0] in (0, 1)
    problem, settings = fake.problem, fake.settings
    code, out, _ = run("solve", "--config", str(first), "--format", "json", "-q")
    assert code in (0, 1)
    assert (fake.problem, fake.settings) == (problem, settings)

    def untimed(text: str) -> dict[str, object]:
        document = json.loads(text)
        for row in document["results"]:
            row.pop("seconds")
        return document

    assert untimed(out) == untimed(first.read_text())


def test_init_writes_a_template_that_runs(fake: FakeSolver, tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    code, _, err = run("init", str(path))
    assert code == 0 and path.read_text() == config.template() and "cpshape solve --config" in err
    assert run("init", str(path))[0] == 2  # exists
    assert run("init", str(path), "--force")[0] == 0
    assert run("solve", "--config", str(path), "--depths", "1", "-q")[0] in (0, 1)
    assert fake.problem.input_size == 784
    code, out, _ = run("init", "-")
    assert code == 0 and out == config.template()


def test_quiet_and_verbose(fake: FakeSolver) -> None:
    _, _, err = run(*BASE, "--tolerance", "5%", "--verbose")
    assert [line.split(":")[0] for line in err.splitlines()] == ["depth 1", "depth 2", "depth 3"]
    _, _, err = run(*BASE, "--params", "1001", "-q")
    assert err == ""


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.toml")), ids=lambda p: p.name)
def test_every_example_runs(fake: FakeSolver, example: Path) -> None:
    code, out, err = run("solve", "--config", str(example), "--format", "json")
    assert code in (0, 1), err
    problem = config.build(config.load(example))[0]
    assert fake.problem == problem
    assert [r["depth"] for r in json.loads(out)["results"]] == list(problem.depths)


def test_solver_is_imported_lazily() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, cpshape.cli; print('cpshape.solver' in sys.modules)"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    assert done.stdout.strip() == "False"
