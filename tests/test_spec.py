"""Problem spec validation: every bad input raises SpecError naming the value; exact fractions."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpshape.spec import (
    INT64_LIMIT,
    Constraints,
    Monotone,
    Prefer,
    Problem,
    SolverSettings,
    SpecError,
    to_fraction,
)


def make(**overrides: Any) -> Problem:
    """A valid problem (784 -> 10, 100,000 params, depths 1..3) with some fields replaced."""
    fields: dict[str, Any] = {"input_size": 784, "output_size": 10, "params": 100_000, "depths": (1, 2, 3)}
    fields.update(overrides)
    return Problem(**fields)


def test_valid_problem_defaults() -> None:
    p = make(depths=[3, 1, 2, 2])
    assert p.depths == (1, 2, 3)  # sorted, duplicates dropped
    assert p.tolerance == 0 and p.tolerance_abs is None
    assert p.bias is True and p.same_count is False and p.prefer is Prefer.SPREAD
    assert p.band() == (100_000, 100_000)
    assert issubclass(SpecError, ValueError)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"input_size": 0}, ["input_size", "0"]),
        ({"output_size": -3}, ["output_size", "-3"]),
        ({"params": 0}, ["params", "0"]),
        ({"params": -100}, ["params", "-100"]),
        ({"depths": ()}, ["depths"]),
        ({"depths": []}, ["depths"]),
        ({"depths": (1, 0)}, ["depth", "0"]),
        ({"depths": (-2,)}, ["depth", "-2"]),
        ({"depths": 3}, ["depths", "3"]),
        ({"tolerance": -0.1}, ["tolerance", "-0.1"]),
        ({"tolerance": 1}, ["tolerance", "1"]),
        ({"tolerance": "150%"}, ["tolerance", "1.5"]),
        ({"tolerance": "100%"}, ["tolerance", "1"]),
        ({"tolerance": "lots"}, ["tolerance", "lots"]),
        ({"tolerance": float("nan")}, ["tolerance", "nan"]),
        ({"tolerance": 0.1, "tolerance_abs": 5}, ["tolerance", "tolerance_abs"]),
        ({"tolerance_abs": -1}, ["tolerance_abs", "-1"]),
        ({"input_size": 3.0}, ["input_size", "3.0"]),
        ({"output_size": "10"}, ["output_size", "'10'"]),
        ({"params": True}, ["params", "True"]),
        ({"params": 1e5}, ["params", "100000.0"]),
        ({"depths": (1, 2.5)}, ["depth", "2.5"]),
        ({"depths": ("3",)}, ["depth", "'3'"]),
        ({"bias": 1}, ["bias", "1"]),
        ({"same_count": "yes"}, ["same_count", "yes"]),
        ({"prefer": "speed"}, ["prefer", "speed"]),
        ({"constraints": {"max_width": 5}}, ["constraints"]),
    ],
)
def test_bad_problem_raises_naming_value(overrides: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(SpecError) as info:
        make(**overrides)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"min_width": 0}, ["min_width", "0"]),
        ({"min_width": 10, "max_width": 9}, ["min_width", "10", "max_width", "9"]),
        ({"max_width": 0}, ["max_width", "0"]),
        ({"max_width": 7.5}, ["max_width", "7.5"]),
        ({"max_ratio": 0.5}, ["max_ratio", "0.5"]),
        ({"max_ratio": "3/4"}, ["max_ratio", "0.75"]),
        ({"max_ratio": "wide"}, ["max_ratio", "wide"]),
        ({"ratio_range": (2, 1)}, ["ratio_range", "2", "1"]),
        ({"ratio_range": ("1.5", "1.25")}, ["ratio_range", "1.5", "1.25"]),
        ({"ratio_range": (0, 1)}, ["ratio_range", "0"]),
        ({"ratio_range": (1,)}, ["ratio_range", "(1,)"]),
        ({"monotone": "up"}, ["monotone", "up"]),
        ({"multiple_of": 0}, ["multiple_of", "0"]),
        ({"multiple_of": -8}, ["multiple_of", "-8"]),
        ({"multiple_of": 2.0}, ["multiple_of", "2.0"]),
        ({"pins": ((0, 8),)}, ["pinned layer", "0"]),
        ({"pins": ((1, 0),)}, ["pinned width", "0"]),
        ({"pins": ((1, 8), (1, 9))}, ["layer 1", "8", "9"]),
        ({"pins": ((1, 10),), "multiple_of": 4}, ["10", "layer 1", "multiple of 4"]),
        ({"pins": ((2, 50),), "max_width": 40}, ["50", "layer 2"]),
        ({"pins": ((2, 3),), "min_width": 4}, ["3", "layer 2"]),
        ({"pins": (7,)}, ["pin", "7"]),
        ({"max_spread": -1}, ["max_spread", "-1"]),
    ],
)
def test_bad_constraints_raise_naming_value(kwargs: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(SpecError) as info:
        Constraints(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_pinned_layer_beyond_smallest_depth() -> None:
    rules = Constraints(pins=((3, 16),))
    assert make(depths=(3, 5), constraints=rules).constraints.pins == ((3, 16),)
    with pytest.raises(SpecError) as info:
        make(depths=(2, 5), constraints=rules)
    assert "pinned layer 3" in str(info.value) and "depth 2" in str(info.value)


def test_overflow_limit_stated() -> None:
    depth = 12
    limit = INT64_LIMIT // ((depth + 3) * 4)
    ok = make(params=limit, depths=(depth,))
    assert ok.max_model_value() <= INT64_LIMIT
    with pytest.raises(SpecError) as info:
        make(params=limit + 1, depths=(depth,))
    message = str(info.value)
    assert str(limit) in message and str(limit + 1) in message and "2**62 - 1" in message
    # A tolerance widens the band and so lowers the largest accepted target.
    with pytest.raises(SpecError):
        make(params=limit, depths=(depth,), tolerance_abs=1)
    with pytest.raises(SpecError) as info:
        make(params=INT64_LIMIT + 1)
    assert "params" in str(info.value)


def test_integers_beyond_int64_rejected() -> None:
    with pytest.raises(SpecError, match="max_width"):
        Constraints(max_width=2**62)
    with pytest.raises(SpecError, match="input_size"):
        make(input_size=2**63)


def test_exact_fractions() -> None:
    rules = Constraints(max_ratio=1.25, ratio_range=("0.5", 1.1))
    assert rules.max_ratio == Fraction(5, 4)
    assert isinstance(rules.max_ratio, Fraction)
    assert rules.ratio_range == (Fraction(1, 2), Fraction(11, 10))
    assert make(tolerance="5%").tolerance == Fraction(1, 20)
    assert make(tolerance=0.01).tolerance == Fraction(1, 100)
    assert make(tolerance=Fraction(1, 3)).tolerance == Fraction(1, 3)
    assert make(tolerance=" 2.5 % ").tolerance == Fraction(1, 40)
    assert to_fraction("1_000", "x") == 1000
    assert Constraints(monotone="non-increasing").monotone is Monotone.NON_INCREASING
    assert make(prefer="deviation").prefer is Prefer.DEVIATION


def test_pins_normalised() -> None:
    rules = Constraints(pins=((2, 8), (1, 16), (2, 8)), multiple_of=8)
    assert rules.pins == ((1, 16), (2, 8))
    assert rules.pin_map() == {1: 16, 2: 8}


@pytest.mark.parametrize(
    ("params", "tolerance", "band"),
    [
        (1000, "5%", (950, 1050)),
        (100, 0.15, (85, 115)),  # float arithmetic would give 114 at the top
        (100, Fraction(1, 7), (86, 114)),  # 85.71.. rounds up, 114.28.. rounds down
        (999, Fraction(1, 3), (666, 1332)),
        (7, "0.5", (4, 10)),
        (1, "99%", (1, 1)),
    ],
)
def test_band_relative(params: int, tolerance: object, band: tuple[int, int]) -> None:
    assert make(params=params, tolerance=tolerance).band() == band


@pytest.mark.parametrize(
    ("params", "tol", "band"),
    [(100_000, 0, (100_000, 100_000)), (1000, 7, (993, 1007)), (3, 5, (1, 8)), (10, 9, (1, 19))],
)
def test_band_absolute(params: int, tol: int, band: tuple[int, int]) -> None:
    assert make(params=params, tolerance_abs=tol).band() == band


@settings(max_examples=200, derandomize=True, deadline=None)
@given(params=st.integers(1, 10**12), den=st.integers(1, 1000), data=st.data())
def test_band_relative_exact(params: int, den: int, data: st.DataObject) -> None:
    num = data.draw(st.integers(0, den - 1))
    low, high = make(params=params, tolerance=Fraction(num, den)).band()
    # low: least integer >= P(1 - t), but at least 1; high: greatest integer <= P(1 + t).
    assert low * den >= params * (den - num)
    assert low == 1 or (low - 1) * den < params * (den - num)
    assert high * den <= params * (den + num) < (high + 1) * den
    assert low <= params <= high


def test_solver_settings_validation() -> None:
    s = SolverSettings()
    assert s.workers == 1 and s.dp_work > 0
    assert SolverSettings(dp_work=0).dp_work == 0
    for kwargs, word in [
        ({"time_limit": 0}, "time_limit"),
        ({"time_limit": True}, "time_limit"),
        ({"deterministic_limit": 0}, "deterministic_limit"),
        ({"workers": 0}, "workers"),
        ({"seed": -1}, "seed"),
        ({"dp_work": -1}, "dp_work"),
    ]:
        with pytest.raises(SpecError, match=word):
            SolverSettings(**kwargs)


def test_math_sanity_of_fraction_band() -> None:
    p = make(params=123_457, tolerance="3.3%")
    low, high = p.band()
    assert low == math.ceil(Fraction(123_457) * Fraction(967, 1000))
    assert high == math.floor(Fraction(123_457) * Fraction(1033, 1000))
