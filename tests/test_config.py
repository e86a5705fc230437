"""Config parsing: numbers, depth lists, ratio ranges, pins, TOML/JSON files, precedence."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpshape import config
from cpshape.config import ConfigError, Setting
from cpshape.spec import Constraints, Monotone, Prefer, Problem, SolverSettings, SpecError, to_fraction

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("100000", 100_000),
        ("100_000", 100_000),
        ("100k", 100_000),
        ("1.5M", 1_500_000),
        ("2e6", 2_000_000),
        (2e6, 2_000_000),
        (7, 7),
        (" 12 ", 12),
        ("3G", 3 * 10**9),
        ("0.5k", 500),
        ("-5", -5),
    ],
)
def test_parse_count_accepts_documented_forms(raw: object, expected: int) -> None:
    assert config.parse_count(raw, "--params") == expected


@pytest.mark.parametrize("raw", ["1.5", "1.2345k", "abc", "", "1e-3", 2.5, True, [1], "10 k k", "1,000"])
def test_parse_count_rejects_non_whole_values_naming_them(raw: object) -> None:
    with pytest.raises(ConfigError, match=re.escape(repr(raw)) if not isinstance(raw, list) else r"\[1\]"):
        config.parse_count(raw, "--params")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5-12", tuple(range(5, 13))),
        ("1,2,4,8", (1, 2, 4, 8)),
        ("3", (3,)),
        (3, (3,)),
        ("1-3,8", (1, 2, 3, 8)),
        ("8, 1-3", (1, 2, 3, 8)),
        ([2, 1, 2], (1, 2)),
        ("2-2", (2,)),
    ],
)
def test_parse_depths(raw: object, expected: tuple[int, ...]) -> None:
    assert config.parse_depths(raw, "--depths") == expected


@pytest.mark.parametrize("raw", ["0", "3-1", "a", "", "1-", "-1", "1.5", "1,,2", 0, [0, 1], "0-3"])
def test_parse_depths_rejects_bad_lists(raw: object) -> None:
    with pytest.raises(ConfigError, match="--depths"):
        config.parse_depths(raw, "--depths")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3:6", (3, 6)),
        ("1.25:2", (Fraction(5, 4), 2)),
        (["3", "6"], (3, 6)),
        ([1.25, 2], (Fraction(5, 4), 2)),
        ("4/3:3/2", (Fraction(4, 3), Fraction(3, 2))),
        ("2:2", (2, 2)),
    ],
)
def test_parse_ratio_range_is_exact(raw: object, expected: tuple[Fraction, Fraction]) -> None:
    assert config.parse_ratio_range(raw, "--ratio-range") == expected


@pytest.mark.parametrize("raw", ["6:3", "3", "0:2", "a:b", "1:2:3", 3, ["1"]])
def test_parse_ratio_range_rejects(raw: object) -> None:
    with pytest.raises(ConfigError, match="--ratio-range"):
        config.parse_ratio_range(raw, "--ratio-range")


def test_parse_pin() -> None:
    assert config.parse_pin("3=64", "--pin") == (3, 64)
    assert config.parse_pin([1, "1k"], "--pin") == (1, 1000)
    for bad in ("3", "a=b", "0=5", "3=64=1", "3=0", [1, 2, 3]):
        with pytest.raises(ConfigError, match="--pin"):
            config.parse_pin(bad, "--pin")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(1, 100), "0.01"),
        (Fraction(5, 4), "1.25"),
        (Fraction(4, 3), "4/3"),
        (Fraction(2), "2"),
        (Fraction(0), "0"),
        (Fraction(-1, 4), "-0.25"),
        (Fraction(1, 3000), "1/3000"),
        (Fraction(3, 8), "0.375"),
    ],
)
def test_fraction_text(value: Fraction, text: str) -> None:
    assert config.fraction_text(value) == text


@given(st.fractions())
def test_fraction_text_round_trips_exactly(value: Fraction) -> None:
    assert to_fraction(config.fraction_text(value), "x") == value


def write(tmp_path: Path, text: str, name: str = "run.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


FULL = """
[problem]
input = 784
output = "10"
params = "100k"
depths = "2-3,8"
tolerance = "1%"
bias = false
same_count = true
prefer = "deviation"

[problem.constraints]
min_width = 8
max_width = 512
max_ratio = "1.5"
ratio_range = "1:2"
monotone = "non-increasing"
multiple_of = 8
pins = ["1=256", [2, 128]]
max_spread = 300

[solver]
time_limit = 30
deterministic_limit = 5.5
workers = 4
seed = 7
"""


def test_full_toml_builds_every_field(tmp_path: Path) -> None:
    problem, settings = config.build(config.load(write(tmp_path, FULL)))
    rules = Constraints(
        8,
        512,
        Fraction(3, 2),
        (Fraction(1), Fraction(2)),
        Monotone.NON_INCREASING,
        8,
        ((1, 256), (2, 128)),
        300,
    )
    assert problem == Problem(
        784, 10, 100_000, (2, 3, 8), Fraction(1, 100), None, False, rules, True, Prefer.DEVIATION
    )
    assert settings == SolverSettings(time_limit=30.0, deterministic_limit=5.5, workers=4, seed=7)


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("[problem]\nparams = 10\ncolour = 3\n", ["run.toml", "problem.colour", "3"]),
        ("[problem]\nmin_width = 3\n", ["problem.min_width", "did you mean problem.constraints.min_width"]),
        ("[problem]\nparmas = 10\n", ["problem.parmas", "did you mean problem.params"]),
        ("[solvr]\nseed = 1\n", ["unknown key solvr"]),
        ("[problem]\nparams = [1]\n", ["problem.params", "[1]"]),
        ('[problem]\nbias = "yes"\n', ["problem.bias", "'yes'"]),
        ('[problem]\ndepths = "0-3"\n', ["problem.depths", "0-3"]),
        ("[problem]\ntolerance = 1\n", ["problem.tolerance", "[0, 1)", "1"]),
        ('[problem.constraints]\nmonotone = "up"\n', ["problem.constraints.monotone", "'up'"]),
        ("[solver]\nworkers = 0\n", ["solver.workers", ">= 1", "0"]),
        ("[solver]\ntime_limit = -1\n", ["solver.time_limit", "-1"]),
        ("problem = 3\n", ["problem must be a table"]),
        ("[problem\n", ["invalid TOML"]),
    ],
)
def test_bad_files_name_file_key_and_value(tmp_path: Path, text: str, pieces: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        config.load(write(tmp_path, text))
    for piece in pieces:
        assert piece in str(caught.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml.*not found"):
        config.load(tmp_path / "nope.toml")
    assert issubclass(ConfigError, SpecError)


def test_flags_override_file_key_by_key(tmp_path: Path) -> None:
    file = config.load(
        write(tmp_path, "[problem]\ninput = 4\noutput = 3\nparams = 1000\ndepths = 2\n[solver]\nseed = 3\n")
    )
    flags = config.from_flags({"params": "2k", "depths": None, "pins": [], "seed": None, "workers": "2"})
    problem, settings = config.build(config.merge(file, flags))
    assert (problem.params, problem.depths, settings.seed, settings.workers) == (2000, (2,), 3, 2)


def test_tolerance_flag_replaces_file_tolerance_abs_and_vice_versa(tmp_path: Path) -> None:
    base = "[problem]\ninput = 4\noutput = 3\nparams = 1000\ndepths = 2\n"
    file = config.load(write(tmp_path, base + "tolerance_abs = 50\n"))
    problem, _ = config.build(config.merge(file, config.from_flags({"tolerance": "1%"})))
    assert (problem.tolerance, problem.tolerance_abs) == (Fraction(1, 100), None)
    file = config.load(write(tmp_path, base + "tolerance = 0.02\n"))
    problem, _ = config.build(config.merge(file, config.from_flags({"tolerance_abs": "7"})))
    assert (problem.tolerance, problem.tolerance_abs) == (0, 7)


def test_both_tolerances_in_one_file_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[problem]\ninput = 4\noutput = 3\nparams = 1000\ndepths = 2\ntolerance = 0.02\ntolerance_abs = 5\n",
    )
    with pytest.raises(ConfigError, match=r"not both.*problem\.tolerance.*problem\.tolerance_abs"):
        config.build(config.load(path))


def test_missing_required_keys_are_named() -> None:
    with pytest.raises(ConfigError, match=r"--output \(problem.output\), --depths \(problem.depths\)"):
        config.build({"input": Setting(4, "--input"), "params": Setting(10, "--params")})


def test_problem_json_round_trip_is_exact(tmp_path: Path) -> None:
    rules = Constraints(
        2, 99, Fraction(4, 3), (Fraction(5, 4), Fraction(7, 3)), Monotone.NON_DECREASING, 1, ((1, 3),), 40
    )
    problem = Problem(7, 5, 12_345, (1, 3), Fraction(1, 300), None, False, rules, True, Prefer.DEVIATION)
    settings = SolverSettings(time_limit=2.5, deterministic_limit=1.25, workers=3, seed=9)
    document = {
        "cpshape": "0",
        "ortools": "0",
        "problem": config.problem_to_dict(problem),
        "solver": config.settings_to_dict(settings),
        "band": [1, 2],
        "shared_count": None,
        "all_optimal": True,
        "results": [],
    }
    path = write(tmp_path, json.dumps(document), "run.json")
    assert config.build(config.load(path)) == (problem, settings)


def test_json_config_still_refuses_unknown_keys(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps({"problem": {"input": 1, "extra": 2}}), "run.json")
    with pytest.raises(ConfigError, match=re.escape("run.json: unknown key problem.extra = 2")):
        config.load(path)


def test_template_loads_and_documents_every_key(tmp_path: Path) -> None:
    text = config.template()
    problem, settings = config.build(config.load(write(tmp_path, text)))
    assert (problem.input_size, problem.output_size, problem.params) == (784, 10, 100_000)
    assert settings == SolverSettings()
    for key in config.KEYS:
        assert re.search(rf"^#? ?{key} = ", text, re.MULTILINE), key


def test_config_reference_documents_every_key() -> None:
    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    for key, spec in config.KEYS.items():
        assert f"`{key}`" in text, key
        assert f"[{spec.table}]" in text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_load(path: Path) -> None:
    problem, _ = config.build(config.load(path))
    assert problem.depths


def test_example_contents_match_the_issue() -> None:
    def load(name: str) -> Problem:
        return config.build(config.load(ROOT / "examples" / name))[0]

    assert {p.name for p in EXAMPLES} >= {"iris.toml", "mnist.toml", "rescale_4096.toml", "tapered.toml"}
    iris, mnist, rescale, tapered = (
        load(n) for n in ("iris.toml", "mnist.toml", "rescale_4096.toml", "tapered.toml")
    )
    assert (iris.input_size, iris.output_size, iris.params, iris.depths) == (4, 3, 1000, tuple(range(5, 13)))
    assert (mnist.input_size, mnist.output_size, mnist.params, mnist.depths) == (
        784,
        10,
        100_000,
        tuple(range(1, 13)),
    )
    assert (rescale.input_size, rescale.output_size, rescale.params, rescale.depths) == (
        4096,
        1,
        4_197_377,
        (2,),
    )
    assert rescale.constraints.ratio_range == (3, 6) and rescale.prefer is Prefer.DEVIATION
    assert tapered.constraints.monotone is Monotone.NON_INCREASING and tapered.constraints.multiple_of == 8
