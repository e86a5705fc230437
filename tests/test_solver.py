"""The solver against independent brute force: every rule, both objectives, statuses, nearest counts,
both paths (exact DP and `dp_work=0` CP-SAT), determinism and verification."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from reference import best, nearest, obeys, plain_count

import cpshape.scan as scan_module
import cpshape.solver as solver_module
from cpshape.result import DepthResult, Status, VerificationError, verify
from cpshape.solver import solve
from cpshape.spec import Constraints, Problem, SolverSettings

CP_ONLY = SolverSettings(dp_work=0)  # forces the CP-SAT path (see test_dp_work_zero_is_pure_cp_sat)


def one(problem: Problem, settings: SolverSettings | None = None) -> DepthResult:
    (result,) = solve(problem, settings).results
    return result


def check_against_brute_force(
    problem: Problem, depth: int, max_width: int
) -> DepthResult:
    """Solve by the exact path and the CP-SAT path; both must equal the brute force."""
    expected = best(problem, depth, max_width)
    runs = [one(problem), one(problem, CP_ONLY)]
    for result in runs:
        assert result.depth == depth and result.target == problem.params
        if expected is None:
            assert result.status is Status.INFEASIBLE, result
            assert result.widths is None and result.params is None and not result.joined
            assert result.nearest == nearest(problem, depth, max_width)
        else:
            assert result.status is Status.OPTIMAL, result
            assert result.proof  # which method proved it (the solver is adding methods; not pinned here)
            assert result.widths is not None and result.params is not None
            assert obeys(problem, result.widths)
            a, c = problem.input_size, problem.output_size
            assert plain_count(a, result.widths, c, problem.bias) == result.params
            spread, dev = max(result.widths) - min(result.widths), abs(result.params - problem.params)
            first = (spread, dev) if problem.prefer == "spread" else (dev, spread)
            assert (*first, result.params, result.widths) == expected
    assert runs[-1].proof != "dp"  # with no DP budget the DP alone never decides
    return runs[0]


# ---------------------------------------------------------------- small grids
TOLERANCES: list[dict[str, Any]] = [{}, {"tolerance_abs": 3}, {"tolerance": "10%"}]


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("tol", TOLERANCES, ids=["exact", "abs3", "rel10"])
@pytest.mark.parametrize("params", [23, 40, 61, 97])
def test_grid_spread_first(depth: int, bias: bool, tol: dict[str, Any], params: int) -> None:
    p = Problem(3, 2, params, (depth,), bias=bias, constraints=Constraints(max_width=7), **tol)
    check_against_brute_force(p, depth, 7)


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("tol", TOLERANCES, ids=["exact", "abs3", "rel10"])
@pytest.mark.parametrize("params", [23, 40, 61, 97])
def test_grid_deviation_first(depth: int, bias: bool, tol: dict[str, Any], params: int) -> None:
    rules = Constraints(max_width=7)
    p = Problem(3, 2, params, (depth,), bias=bias, constraints=rules, prefer="deviation", **tol)
    check_against_brute_force(p, depth, 7)


# Each rule once feasible (and changing the unconstrained answer) and once infeasible (while
# the unconstrained problem is feasible): input 3, output 2, depth 3, no biases, widths <= 8.
# The least spread already comes first, so max_spread changes the answer only deviation first.
RULES: list[tuple[str, dict[str, Any], int, int, dict[str, Any]]] = [
    ("min_width", {"min_width": 3}, 62, 20, {}),
    ("max_width", {"max_width": 5}, 54, 42, {}),
    ("max_ratio", {"max_ratio": "1.5"}, 53, 20, {}),
    ("ratio_range", {"ratio_range": ("1.25", 2)}, 24, 20, {}),
    ("non_increasing", {"monotone": "non-increasing"}, 24, 20, {}),
    ("non_decreasing", {"monotone": "non-decreasing"}, 25, 20, {}),
    ("multiple_of", {"multiple_of": 2}, 28, 20, {}),
    ("pins", {"pins": ((2, 5),)}, 22, 20, {}),
    ("max_spread", {"max_spread": 1}, 20, 21, {"tolerance_abs": 3, "prefer": "deviation"}),
]


@pytest.mark.parametrize(
    ("rule", "kwargs", "feasible", "infeasible", "extra"), RULES, ids=[r[0] for r in RULES]
)
def test_every_rule_feasible_and_infeasible(
    rule: str, kwargs: dict[str, Any], feasible: int, infeasible: int, extra: dict[str, Any]
) -> None:
    width = 8
    rules = Constraints(**{"max_width": width, **kwargs})
    for params, should_solve in ((feasible, True), (infeasible, False)):
        more = extra if should_solve else {}
        free = Problem(3, 2, params, (3,), bias=False, constraints=Constraints(max_width=width), **more)
        p = replace(free, constraints=rules)
        result = check_against_brute_force(p, 3, width)
        assert (result.status is Status.OPTIMAL) is should_solve
        free_best = best(free, 3, width)
        assert free_best is not None  # the rule, and nothing else, makes the difference
        if should_solve:
            assert result.widths != free_best[3], f"{rule} should change the answer"
            assert not obeys(p, free_best[3])


# ------------------------------------------------------------- random problems
RULE_CHOICES: dict[str, list[dict[str, Any]]] = {
    "min_width": [{"min_width": 2}, {"min_width": 3}],
    "max_ratio": [{"max_ratio": 1}, {"max_ratio": "1.5"}, {"max_ratio": 2}],
    "ratio_range": [{"ratio_range": (1, 2)}, {"ratio_range": ("0.5", 1)}, {"ratio_range": ("2/3", "3/2")}],
    "monotone": [{"monotone": "non-increasing"}, {"monotone": "non-decreasing"}],
    "multiple_of": [{"multiple_of": 2}, {"multiple_of": 3}],
    "max_spread": [{"max_spread": 0}, {"max_spread": 1}, {"max_spread": 3}],
}


@st.composite
def small_problems(draw: st.DrawFn) -> Problem:
    """A random problem with widths <= 6 and at most two rules, its target mostly near a shape's count."""
    kinds = draw(st.lists(st.sampled_from(sorted(RULE_CHOICES)), max_size=2, unique=True))
    kwargs: dict[str, Any] = {"max_width": draw(st.integers(3, 6))}
    for kind in kinds:
        kwargs.update(draw(st.sampled_from(RULE_CHOICES[kind])))
    rules = Constraints(**kwargs)
    depth = draw(st.sampled_from([3, 2, 1]))
    a, c, bias = draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.booleans())
    q, top = rules.multiple_of, kwargs["max_width"]
    allowed = [w for w in range(q, top + 1, q) if w >= rules.min_width] or [top]
    widths = tuple(draw(st.lists(st.sampled_from(allowed), min_size=depth, max_size=depth)))
    if draw(st.integers(0, 3)) == 0 and widths[0] in allowed:
        rules = replace(rules, pins=((1, widths[0]),))
    if draw(st.integers(0, 3)):  # mostly near the count of some shape, so many problems are feasible
        params = max(1, plain_count(a, widths, c, bias) + draw(st.sampled_from([0, 0, -1, 1, -3, 3])))
    else:
        params = draw(st.integers(1, plain_count(a, (top,) * depth, c, bias) + 5))
    tol = draw(st.sampled_from([{}, {}, {"tolerance_abs": 2}, {"tolerance": "5%"}, {"tolerance": "1/7"}]))
    prefer = draw(st.sampled_from(["spread", "deviation"]))
    return Problem(a, c, params, (depth,), bias=bias, constraints=rules, prefer=prefer, **tol)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(p=small_problems())
def test_random_small_problems_match_brute_force(p: Problem) -> None:
    (depth,), width = p.depths, p.constraints.max_width or 6
    r = check_against_brute_force(p, depth, width)
    event(f"depth {depth} {r.status.value} {r.proof}")


@pytest.mark.parametrize(
    ("a", "c", "params", "depth", "kwargs"),
    [
        (1, 1, 11, 3, {"tolerance_abs": 1, "bias": False}),  # 10 via (2, 1, 3) vs 12 via (2, 2, 2)
        (1, 6, 67, 3, {"tolerance": "5%", "bias": False, "constraints": Constraints(3, 8, max_ratio=2)}),
        (1, 6, 48, 4, {"tolerance_abs": 2, "constraints": Constraints(max_width=3)}),  # 47 vs 49
    ],
)
def test_deviation_tie_prefers_least_spread_on_dp_path(
    a: int, c: int, params: int, depth: int, kwargs: dict[str, Any]
) -> None:
    p = Problem(a, c, params, (depth,), prefer="deviation", **kwargs)
    width = p.constraints.max_width or params
    expected = best(p, depth, width)
    assert expected is not None
    assert one(p, CP_ONLY).widths == expected[3]  # the CP-SAT path gets it right
    assert one(p).widths == expected[3]  # and so does the exact path


def test_prefer_modes_differ() -> None:
    rules = Constraints(max_width=8)
    spread = Problem(3, 2, 20, (3,), bias=False, tolerance_abs=3, constraints=rules)
    deviation = replace(spread, prefer="deviation")
    s, d = one(spread), one(deviation)
    assert s.spread is not None and d.spread is not None
    assert s.deviation is not None and d.deviation is not None
    assert s.spread < d.spread and abs(d.deviation) < abs(s.deviation)
    assert d.params == 20


# ------------------------------------------------------------ statuses, nearest
def test_infeasible_depth_one_nearest_issue_case() -> None:
    r = one(Problem(4, 3, 1000, (1,), bias=False))
    assert r.status is Status.INFEASIBLE and r.widths is None
    assert r.nearest == (994, 1001)
    assert r.proof and not r.joined
    assert one(Problem(4, 3, 1000, (1,), bias=False), CP_ONLY).nearest == (994, 1001)


def test_nearest_none_when_nothing_on_a_side() -> None:
    assert one(Problem(4, 3, 5, (1,), bias=False)).nearest == (None, 7)
    assert one(Problem(100, 100, 10, (1,), bias=False)).nearest == (None, None)  # 200 > 2 * 10


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    a=st.integers(1, 30), c=st.integers(1, 30), params=st.integers(1, 400), bias=st.booleans(),
    tol=st.integers(0, 4),
)
def test_depth_one_nearest_by_brute_force(a: int, c: int, params: int, bias: bool, tol: int) -> None:
    p = Problem(a, c, params, (1,), bias=bias, tolerance_abs=tol)
    r = one(p)
    widest = 2 * p.band()[1] // (a + c) + 1  # every depth-1 count up to 2 * high
    expected = best(p, 1, widest)
    if expected is None:
        assert r.status is Status.INFEASIBLE and r.nearest == nearest(p, 1, widest)
    else:
        assert r.status is Status.OPTIMAL and r.widths == expected[3]


@settings(max_examples=40, derandomize=True, deadline=None)
@given(
    depth=st.sampled_from([2, 3]), a=st.integers(1, 9), c=st.integers(1, 9), params=st.integers(1, 22),
    bias=st.booleans(), rule=st.sampled_from([{}, {"max_ratio": "1.5"}, {"monotone": "non-increasing"},
                                               {"multiple_of": 2}, {"min_width": 2}]),
)
def test_nearest_without_max_width_by_brute_force(
    depth: int, a: int, c: int, params: int, bias: bool, rule: dict[str, Any]
) -> None:
    p = Problem(a, c, params, (depth,), bias=bias, constraints=Constraints(**rule))
    # Every width w of a shape counting at most 2 * high adds at least 2 * w, so w <= high.
    check_against_brute_force(p, depth, p.band()[1])


def test_proof_labels_and_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    p = Problem(40, 10, 3000, (3, 4, 5, 7), bias=False)
    exact, by_cp, mixed = solve(p), solve(p, CP_ONLY), solve(p, SolverSettings(dp_work=100))
    assert exact.by_depth(3).proof == "interior search"  # goes first at depth 3
    assert exact.by_depth(4).proof == "interior search"  # tried first at depth 4
    assert {exact.by_depth(m).proof for m in (5, 7)} == {"bounded search"}
    assert {r.proof for r in by_cp.results} == {"cp-sat"}
    assert mixed.by_depth(7).proof == "dp+cp-sat"  # small spreads ruled out, CP-SAT finishes
    monkeypatch.setattr(solver_module, "ENDS_TRIAL_SHARE", 0.0)  # depths 3-6: ends at once
    monkeypatch.setattr(scan_module, "bounded_applies", lambda *args: False)  # else: window DP
    classic = solve(p)
    assert classic.by_depth(4).proof == "interior search"
    assert classic.by_depth(7).proof == "dp"
    for report in (exact, by_cp, mixed, classic):
        assert report.all_optimal and report.all_within_band
    for m in (3, 4, 5, 7):
        widths = {r.by_depth(m).widths for r in (exact, by_cp, mixed, classic)}
        assert len(widths) == 1


def test_dp_work_zero_is_pure_cp_sat() -> None:
    report = solve(Problem(3, 2, 23, (2,), bias=False), CP_ONLY)
    assert [r.proof for r in report.results] == ["cp-sat"]


def test_report_fields() -> None:
    p = Problem(4, 3, 1000, (1, 2, 3))
    seen: list[int] = []
    report = solve(p, progress=lambda r: seen.append(r.depth))
    assert seen == [1, 2, 3]
    assert [r.depth for r in report.results] == [1, 2, 3]
    assert report.problem == p and report.settings == SolverSettings()
    assert set(report.versions) == {"cpshape", "ortools"}
    assert not report.all_optimal and not report.all_within_band  # depth 1 cannot hit 1000
    assert report.by_depth(2).status is Status.OPTIMAL and report.shared_count is None


@pytest.mark.parametrize(
    "p",
    [
        Problem(784, 10, 100_000, tuple(range(1, 7))),
        Problem(4, 3, 1000, (1, 2, 3, 4), bias=False, tolerance="2%", prefer="deviation"),
        Problem(5, 4, 300, (2, 3), constraints=Constraints(max_ratio=2, multiple_of=2), tolerance_abs=4),
    ],
)
@pytest.mark.parametrize("solver_settings", [SolverSettings(), CP_ONLY], ids=["dp", "cp"])
def test_deterministic(p: Problem, solver_settings: SolverSettings) -> None:
    first, second = solve(p, solver_settings), solve(p, solver_settings)
    key = [(r.depth, r.status, r.widths, r.params, r.nearest, r.proof) for r in first.results]
    assert key == [(r.depth, r.status, r.widths, r.params, r.nearest, r.proof) for r in second.results]


# ---------------------------------------------------------------- verification
def test_verify_rejects_tampered_results() -> None:
    p = Problem(4, 3, 1000, (3,), constraints=Constraints(max_ratio=2))
    good = one(p)
    assert verify(p, good) is good
    assert good.widths is not None and good.params is not None
    w = good.widths
    tampered = [
        replace(good, params=good.params + 1),
        replace(good, widths=(w[0] + 1, *w[1:])),
        replace(good, widths=w[:2]),
        replace(good, widths=None),
        replace(good, status=Status.FEASIBLE, widths=None),
    ]
    # Right count, broken rule: 4 -> 2 -> 100 -> 1 -> 3 steps by factors of 50 and 100.
    odd = (2, 100, 1)
    odd_p = replace(p, params=plain_count(4, odd, 3, True))
    tampered_rule = replace(good, widths=odd, params=odd_p.params, target=odd_p.params)
    for bad in tampered:
        with pytest.raises(VerificationError):
            verify(p, bad)
    with pytest.raises(VerificationError, match="factor"):
        verify(odd_p, tampered_rule)
    infeasible = DepthResult(3, Status.INFEASIBLE)
    assert verify(p, infeasible) is infeasible


def test_ordered_chain_with_a_wide_input_is_settled_by_its_bounds() -> None:
    """784 -> 10, exactly 10,000 weights, depths 5-6, widths narrowing by at most half: the
    first width is at most 12, so every width is (the order rule carries the bound along the
    chain) and the search space is tiny. The answers match an enumeration of every
    non-increasing chain of widths <= 12 (this once took minutes: the spans were scanned up
    to the unbounded input-free limit)."""
    rules = Constraints(ratio_range=(1, 2))
    for depth in (5, 6):
        expected = None
        for desc in itertools.combinations_with_replacement(range(12, 0, -1), depth):
            halving = all(x <= 2 * y for x, y in itertools.pairwise(desc))
            if halving and plain_count(784, desc, 10, True) == 10_000:
                key = (desc[0] - desc[-1], desc)
                expected = key if expected is None or key < expected else expected
        (r,) = solve(Problem(784, 10, 10_000, (depth,), constraints=rules)).results
        if expected is None:
            assert r.status == "infeasible"
        else:
            assert r.status == "optimal" and (r.spread, r.widths) == expected
