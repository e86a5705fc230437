"""The CP-SAT model's structure, inspected without optimising (OR-Tools sample style)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model
from reference import all_shapes, shapes

from cpshape.model import ShapeModel, build_model
from cpshape.scan import sound_bounds
from cpshape.spec import INT64_LIMIT, Constraints, Problem

Domain = tuple[int, ...]


def variables(shape: ShapeModel) -> dict[str, Domain]:
    return {v.name: tuple(v.domain) for v in shape.ort_model.proto.variables}


def index(shape: ShapeModel) -> dict[int, str]:
    return {i: v.name for i, v in enumerate(shape.ort_model.proto.variables)}


def named(shape: ShapeModel) -> dict[str, Any]:
    return {c.name: c for c in shape.ort_model.proto.constraints if c.name}


def products(shape: ShapeModel) -> list[tuple[str, set[str]]]:
    """Every multiplication constraint as (target name, factor names)."""
    names = index(shape)
    found = []
    for c in shape.ort_model.proto.constraints:
        if c.has_int_prod():
            target = names[c.int_prod.target.vars[0]]
            found.append((target, {names[e.vars[0]] for e in c.int_prod.exprs}))
    return found


def linear_coeffs(shape: ShapeModel, name: str) -> dict[str, int]:
    c = named(shape)[name]
    names = index(shape)
    return {names[v]: k for v, k in zip(c.linear.vars, c.linear.coeffs, strict=True)}


def problem(**overrides: Any) -> Problem:
    fields: dict[str, Any] = {"input_size": 4, "output_size": 3, "params": 100, "depths": (3,)}
    fields.update(overrides)
    return Problem(**fields)


@pytest.mark.parametrize("m", [1, 2, 3, 5])
def test_variable_names_and_count_domain(m: int) -> None:
    p = problem(depths=(m,), params=1000, tolerance="5%")
    shape = build_model(p, [m], p.band())
    names = variables(shape)
    for i in range(1, m + 1):
        assert f"d{m}_units_{i}" in names
    assert f"d{m}_units_{m + 1}" not in names
    assert names[f"d{m}_count"] == (950, 1050)
    assert names[f"d{m}_absdev"] == (0, 50)
    assert f"d{m}_spread" in names
    assert set(shape.depths) == {m}
    assert [v.name for v in shape.depths[m].units] == [f"d{m}_units_{i}" for i in range(1, m + 1)]
    assert shape.ort_model.validate() == ""


@pytest.mark.parametrize("m", [1, 2, 3, 6])
def test_one_multiplication_per_neighbouring_pair(m: int) -> None:
    p = problem(depths=(m,))
    shape = build_model(p, [m], p.band())
    expected = [
        (f"d{m}_product_{i}_{i + 1}", {f"d{m}_units_{i}", f"d{m}_units_{i + 1}"}) for i in range(1, m)
    ]
    assert products(shape) == expected
    assert f"d{m}_count_definition" in named(shape)


def test_count_definition_coefficients_scale_with_multiple_of() -> None:
    a, c, q = 4, 3, 2
    for bias in (True, False):
        p = problem(bias=bias, constraints=Constraints(multiple_of=q))
        shape = build_model(p, [3], p.band())
        coeffs = linear_coeffs(shape, "d3_count_definition")
        sign = coeffs["d3_count"]
        assert abs(sign) == 1
        scaled = {k: -v * sign for k, v in coeffs.items() if k != "d3_count"}
        b = int(bias)
        expected = {
            "d3_units_1": a * q + q * b,
            "d3_units_2": q * b,
            "d3_units_3": c * q + q * b,
            "d3_product_1_2": q * q,
            "d3_product_2_3": q * q,
        }
        assert scaled == {k: v for k, v in expected.items() if v}
        # With biases the constant c (the output biases) sits in the constraint's right-hand side.
        domain = tuple(named(shape)["d3_count_definition"].linear.domain)
        assert domain == (sign * c * b, sign * c * b)


def test_multiple_of_divides_unit_domains() -> None:
    q = 4
    p = problem(params=1000, constraints=Constraints(multiple_of=q, min_width=6, max_width=50))
    shape = build_model(p, [3], p.band())
    names = variables(shape)
    for i, (lo, hi) in enumerate(sound_bounds(p, 3, 1000), start=1):
        assert lo % q == 0 and hi % q == 0
        assert names[f"d3_units_{i}"] == (lo // q, hi // q)
    assert names["d3_units_1"][0] == 2  # min_width 6 rounds up to 8 = 2 units
    assert max(d[1] for n, d in names.items() if "units_" in n) <= 50 // q


def test_no_pair_rules_unless_set() -> None:
    p = problem()
    names = " ".join(named(build_model(p, [3], p.band())))
    for word in ("ratio", "increasing", "decreasing", "max_spread", "pin"):
        assert word not in names


@pytest.mark.parametrize(
    ("rules", "suffixes"),
    [
        (Constraints(max_ratio="1.25"), ["max_ratio_down", "max_ratio_up"]),
        (Constraints(ratio_range=(1, 2)), ["ratio_range_lo", "ratio_range_hi"]),
        (Constraints(monotone="non-increasing"), ["non_increasing"]),
        (Constraints(monotone="non-decreasing"), ["non_decreasing"]),
    ],
)
def test_pair_rules_present_when_set(rules: Constraints, suffixes: list[str]) -> None:
    p = problem(depths=(4,), constraints=rules)
    cons = named(build_model(p, [4], p.band()))
    pair_names = {n for n in cons if "_layers_" in n}
    expected = {f"d4_layers_{i}_{i + 1}_{s}" for i in range(1, 4) for s in suffixes}
    assert pair_names == expected


def test_max_ratio_coefficients_exact() -> None:
    p = problem(depths=(2,), constraints=Constraints(max_ratio=1.25))
    shape = build_model(p, [2], p.band())
    down = linear_coeffs(shape, "d2_layers_1_2_max_ratio_down")  # 4 x <= 5 y
    assert sorted(abs(v) for v in down.values()) == [4, 5]
    assert down["d2_units_1"] * down["d2_units_2"] < 0


def test_max_spread_constraint_only_when_set() -> None:
    p = problem(constraints=Constraints(max_spread=3))
    assert "d3_max_spread" in named(build_model(p, [3], p.band()))


def test_pins_fix_domains() -> None:
    p = problem(params=1000, constraints=Constraints(pins=((1, 12), (3, 8)), multiple_of=4))
    names = variables(build_model(p, [3, 5], p.band()))
    assert names["d3_units_1"] == (3, 3)
    assert names["d3_units_3"] == (2, 2)
    assert names["d5_units_1"] == (3, 3) and names["d5_units_3"] == (2, 2)
    assert names["d3_units_2"][0] < names["d3_units_2"][1]


def test_several_depths_and_shared_mode() -> None:
    p = problem(depths=(1, 2, 3), params=200, tolerance_abs=10)
    plain = build_model(p, [1, 2, 3], p.band())
    assert set(plain.depths) == {1, 2, 3} and plain.shared_count is None and plain.joins is None
    shared = build_model(p, [2, 3], p.band(), shared=True)
    names = variables(shared)
    assert names["shared_count"] == (190, 210)
    assert shared.joins is not None and set(shared.joins) == {2, 3}
    cons = named(shared)
    for m in (2, 3):
        assert names[f"d{m}_joins"] == (0, 1)
        link = cons[f"d{m}_hits_shared_count"]
        assert len(link.enforcement_literal) == 1
        assert index(shared)[link.enforcement_literal[0]] == f"d{m}_joins"
    assert "d1_units_1" not in names


def test_domains_override_bounds() -> None:
    p = problem()
    shape = build_model(p, [3], p.band(), domains={3: [(5, 5), (2, 6), (3, 3)]})
    names = variables(shape)
    assert (names["d3_units_1"], names["d3_units_2"], names["d3_units_3"]) == ((5, 5), (2, 6), (3, 3))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("m", [1, 2, 12, 40])
@pytest.mark.parametrize("q", [1, 8])
def test_validates_at_largest_allowed_params(m: int, bias: bool, q: int) -> None:
    largest = INT64_LIMIT // ((m + 3) * 4)
    p = Problem(784, 10, largest, (m,), bias=bias, constraints=Constraints(multiple_of=q, max_ratio=3))
    assert p.max_model_value() <= INT64_LIMIT
    shape = build_model(p, [m], p.band())
    assert shape.ort_model.validate() == ""
    assert build_model(p, [m], (1, largest), shared=True).ort_model.validate() == ""


class _Collect(cp_model.CpSolverSolutionCallback):
    def __init__(self, shape: ShapeModel, m: int) -> None:
        super().__init__()
        self.shape, self.m = shape, m
        self.found: set[tuple[int, ...]] = set()

    def on_solution_callback(self) -> None:
        units = self.shape.depths[self.m].units
        self.found.add(tuple(self.shape.multiple_of * self.value(u) for u in units))


def model_shapes(p: Problem, m: int) -> set[tuple[int, ...]]:
    """Every width vector the built model accepts, by CP-SAT solution enumeration."""
    shape = build_model(p, [m], p.band())
    solver = cp_model.CpSolver()
    solver.parameters.enumerate_all_solutions = True
    solver.parameters.num_workers = 1
    collect = _Collect(shape, m)
    status = solver.solve(shape.ort_model, collect)
    assert status in (cp_model.OPTIMAL, cp_model.INFEASIBLE)
    return collect.found


rules_st = st.builds(
    Constraints,
    min_width=st.integers(1, 3),
    max_ratio=st.sampled_from([None, 1, "1.5", 2, 3]),
    ratio_range=st.sampled_from([None, (1, 2), ("0.5", 1), ("2/3", "3/2")]),
    monotone=st.sampled_from(["none", "non-increasing", "non-decreasing"]),
    multiple_of=st.sampled_from([1, 1, 2, 3]),
    max_spread=st.sampled_from([None, 0, 2, 5]),
)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    a=st.integers(1, 5), c=st.integers(1, 5), m=st.integers(1, 3), bias=st.booleans(),
    params=st.integers(5, 60), tol=st.integers(0, 8), rules=rules_st,
)
def test_model_accepts_exactly_the_valid_shapes(
    a: int, c: int, m: int, bias: bool, params: int, tol: int, rules: Constraints
) -> None:
    p = Problem(a, c, params, (m,), tolerance_abs=tol, bias=bias, constraints=rules)
    high = p.band()[1]
    expected = {w for w, _ in shapes(p, m, high // 2)}  # any valid width is <= high / 2
    assert model_shapes(p, m) == expected


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    a=st.integers(1, 6), c=st.integers(1, 6), m=st.integers(1, 3), bias=st.booleans(),
    high=st.integers(2, 70), q=st.sampled_from([1, 2, 3]), min_width=st.integers(1, 4),
    pin=st.sampled_from([None, (1, 6), (2, 6)]),
    pair=st.sampled_from([{}, {"monotone": "non-increasing"}, {"monotone": "non-decreasing"},
                          {"max_ratio": 2}, {"ratio_range": (1, 2)}, {"ratio_range": ("1/3", "1/2")},
                          {"ratio_range": ("2/3", "3/2"), "monotone": "non-decreasing"}]),
)
def test_sound_bounds_keep_every_valid_shape(
    a: int, c: int, m: int, bias: bool, high: int, q: int, min_width: int, pin: tuple[int, int] | None,
    pair: dict[str, Any],
) -> None:
    """Every valid shape (pins and pair rules included: they carry bounds along the chain)
    lies inside the bounds."""
    pins = (pin,) if pin is not None and pin[0] <= m else ()
    rules = Constraints(multiple_of=q, min_width=min_width, pins=pins, **pair)
    p = Problem(a, c, high, (m,), bias=bias, constraints=rules)
    bounds = sound_bounds(p, m, high)
    assert len(bounds) == m
    for widths, n in all_shapes(p, m, high // 2):
        if n <= high:
            assert all(lo <= w <= hi for w, (lo, hi) in zip(widths, bounds, strict=True)), (widths, bounds)


def test_sound_bounds_keep_far_from_uniform_shape() -> None:
    p = Problem(784, 10, 100_000, (2,), bias=False)
    assert 784 * 70 + 70 * 564 + 564 * 10 == 100_000
    (lo1, hi1), (lo2, hi2) = sound_bounds(p, 2, 100_000)
    assert lo1 <= 70 <= hi1 and lo2 <= 564 <= hi2
    names = variables(build_model(p, [2], p.band()))
    assert names["d2_units_1"][0] <= 70 <= names["d2_units_1"][1]
    assert names["d2_units_2"][0] <= 564 <= names["d2_units_2"][1]


def test_pair_rules_narrow_the_bounds_along_the_chain() -> None:
    """784 -> 10 at 10,000 weights: the first width is at most 12 (784 * 13 > 10,000); a
    non-increasing chain (ratio range 1:2) keeps every width at or below it. With the first
    pinned to 12, halving at most bounds each next width from below: 6, 3, 2, 1."""
    rules = Constraints(ratio_range=(1, 2))
    p = Problem(784, 10, 10_000, (5,), constraints=rules)
    bounds = sound_bounds(p, 5, 10_000)
    assert bounds[0] == (1, 12) and all(hi <= 12 for _, hi in bounds)
    plain = sound_bounds(Problem(784, 10, 10_000, (5,)), 5, 10_000)
    assert max(hi for _, hi in plain) > 12  # without the rule nothing caps the later widths
    pinned = Problem(784, 10, 10_000, (5,), constraints=Constraints(ratio_range=(1, 2), pins=((1, 12),)))
    assert [lo for lo, _ in sound_bounds(pinned, 5, 10_000)] == [12, 6, 3, 2, 1]
