"""Shared-count mode (same_count=True) against an independent brute force."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import best, nearest, obeys, plain_count, shared_best

from cpshape.result import Report, Status
from cpshape.solver import solve
from cpshape.spec import Constraints, Problem, SolverSettings

CP_ONLY = SolverSettings(dp_work=0)


def check_shared(p: Problem, max_width: int) -> list[Report]:
    """Solve on the default and the CP-SAT path; both must equal the brute force."""
    expected = shared_best(p, max_width)
    reports = [solve(p), solve(p, CP_ONLY)]
    for report in reports:
        assert [r.depth for r in report.results] == list(p.depths)
        if expected is None:
            assert report.shared_count is None
            for r in report.results:
                assert r.status is Status.INFEASIBLE and not r.joined
                assert r.nearest == nearest(p, r.depth, max_width)
            continue
        count, joined = expected
        assert report.shared_count == count
        for r in report.results:
            if r.depth in joined:
                assert r.status is Status.OPTIMAL and r.joined, r
                assert r.widths == joined[r.depth] and r.params == count
                assert r.target == p.params
                assert obeys(p, r.widths)
                assert plain_count(p.input_size, r.widths, p.output_size, p.bias) == count
                continue
            assert not r.joined, r
            alone = best(p, r.depth, max_width)
            if alone is None:  # no count in the band: cannot join, reported with its nearest counts
                assert r.status is Status.INFEASIBLE and r.widths is None
                assert r.nearest == nearest(p, r.depth, max_width)
            else:  # could reach the band, but not at the count most depths share: its own answer
                assert r.status is Status.OPTIMAL and r.widths == alone[3] and r.params == alone[2]
    return reports


W = 6
# Input 3, output 2, no biases, widths <= width, target +/- tol.
CASES: list[tuple[str, tuple[int, ...], int, int, int]] = [
    ("all_join_own_optima_differ", (1, 2, 3), 10, 4, W),
    ("depth1_joinable_not_joined", (1, 2, 3), 18, 2, W),
    ("depth1_cannot_join", (1, 2, 3), 33, 2, W),
    ("all_join_far_from_target", (1, 4, 5), 11, 4, 4),
]


@pytest.mark.parametrize(("name", "depths", "params", "tol", "width"), CASES, ids=[c[0] for c in CASES])
def test_shared_cases(name: str, depths: tuple[int, ...], params: int, tol: int, width: int) -> None:
    rules = Constraints(max_width=width)
    p = Problem(3, 2, params, depths, bias=False, tolerance_abs=tol, constraints=rules, same_count=True)
    alone = {m: best(p, m, width) for m in p.depths}
    own = {m: a[2] for m, a in alone.items() if a is not None}
    report = check_shared(p, width)[0]
    joined = {r.depth for r in report.results if r.joined}
    # The cases are what their names say (so the interesting paths really run).
    if name == "all_join_own_optima_differ":
        assert joined == {1, 2, 3} and len(set(own.values())) > 1
    elif name == "depth1_joinable_not_joined":
        assert alone[1] is not None and joined == {2, 3}
    elif name == "depth1_cannot_join":
        assert alone[1] is None and joined == {2, 3} and len(set(own.values())) > 1
        assert report.by_depth(1).nearest is not None
    else:  # joining all three beats a count nearer the target that fewer depths reach
        assert joined == {1, 4, 5} and len(set(own.values())) > 1
        assert report.shared_count == 15 and all(n != 15 for n in own.values())


def test_shared_issue_case_depth_one_cannot_join() -> None:
    p = Problem(4, 3, 1000, (1, 2, 3, 4), same_count=True)
    for report in (solve(p), solve(p, CP_ONLY)):
        assert report.shared_count == 1000
        d1 = report.by_depth(1)
        assert d1.status is Status.INFEASIBLE and not d1.joined and d1.nearest == (995, 1003)
        for m in (2, 3, 4):
            r = report.by_depth(m)
            assert r.status is Status.OPTIMAL and r.joined and r.params == 1000


def test_shared_nobody_joins() -> None:
    p = Problem(100, 100, 10, (1, 2), bias=False, same_count=True)
    report = solve(p)
    assert report.shared_count is None
    assert all(r.status is Status.INFEASIBLE and not r.joined for r in report.results)
    assert report.by_depth(1).nearest == (None, None)


def test_shared_widths_match_plain_solve_at_the_shared_count() -> None:
    rules = Constraints(max_width=W)
    p = Problem(3, 2, 33, (1, 2, 3), bias=False, tolerance_abs=2, constraints=rules, same_count=True)
    report = solve(p)
    assert report.shared_count is not None
    exact = Problem(3, 2, report.shared_count, (2, 3), bias=False, constraints=Constraints(max_width=W))
    plain = solve(exact)
    for m in (2, 3):
        assert report.by_depth(m).widths == plain.by_depth(m).widths


@st.composite
def shared_problems(draw: st.DrawFn) -> Problem:
    a, c, bias = draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.booleans())
    width = draw(st.integers(2, 5))
    depths = draw(st.sampled_from([(1, 3), (3, 4), (1, 3, 4), (1, 4), (1, 2, 3), (2, 3), (1, 2), (2, 4)]))
    rules = Constraints(
        max_width=width,
        max_ratio=draw(st.sampled_from([None, None, 2])),
        monotone=draw(st.sampled_from(["none", "none", "non-increasing"])),
        multiple_of=draw(st.sampled_from([1, 1, 2])) if width >= 2 else 1,
    )
    top = plain_count(a, (width,) * max(depths), c, bias)
    params = draw(st.integers(1, top))
    tol = draw(st.sampled_from([{}, {"tolerance_abs": 2}, {"tolerance_abs": 6}, {"tolerance": "10%"}]))
    prefer = draw(st.sampled_from(["spread", "spread", "deviation"]))
    return Problem(
        a, c, params, tuple(depths), bias=bias, constraints=rules, same_count=True, prefer=prefer, **tol
    )


@settings(max_examples=120, derandomize=True, deadline=None)
@given(p=shared_problems())
def test_shared_random_vs_brute_force(p: Problem) -> None:
    check_shared(p, p.constraints.max_width or 6)


@pytest.mark.parametrize("solver_settings", [SolverSettings(), CP_ONLY], ids=["dp", "cp"])
def test_shared_deterministic(solver_settings: SolverSettings) -> None:
    rules = Constraints(max_width=W)
    p = Problem(3, 2, 10, (1, 2, 3, 4), bias=False, tolerance_abs=4, constraints=rules, same_count=True)
    first, second = solve(p, solver_settings), solve(p, solver_settings)
    assert first.shared_count == second.shared_count
    key = [(r.status, r.widths, r.params, r.joined, r.nearest) for r in first.results]
    assert key == [(r.status, r.widths, r.params, r.joined, r.nearest) for r in second.results]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("depths", [(4, 5), (1, 4, 5)])
def test_shared_sweep_deep(depths: tuple[int, ...], bias: bool) -> None:
    """A sweep of targets at depths the window DP serves (it also finds the shared count there)."""
    rules = Constraints(max_width=4)
    for params in range(8, 120, 4):
        p = Problem(3, 2, params, depths, bias=bias, tolerance_abs=3, constraints=rules, same_count=True)
        check_shared(p, 4)


@pytest.mark.parametrize("params", [10, 18, 33, 40])
def test_shared_deviation_first_by_exact_solves(params: int) -> None:
    """Deviation first, every depth that reaches the band joins: the exact solves at the
    counts outwards from the target (depth 1's counts) decide it, as brute force does,
    without CP-SAT."""
    rules = Constraints(max_width=W)
    p = Problem(3, 2, params, (1, 2, 3), bias=False, tolerance_abs=4, constraints=rules, same_count=True,
                prefer="deviation")
    report = check_shared(p, W)[0]
    assert all(r.joined for r in report.results if r.status != "infeasible")
    assert all(r.proof != "cp-sat" for r in report.results)


def test_shared_deviation_first_subset_goes_to_cp_sat() -> None:
    """Where only some depths can share a count (depth 2 misses every count depths 1 and 3
    share near 25), the exact solves cannot decide how many join: the CP-SAT model does,
    matching brute force."""
    rules = Constraints(max_width=W)
    p = Problem(3, 2, 25, (1, 2, 3), bias=False, tolerance_abs=4, constraints=rules, same_count=True,
                prefer="deviation")
    report = check_shared(p, W)[0]
    assert not report.by_depth(2).joined and report.by_depth(2).status == "optimal"


def test_shared_deviation_first_large() -> None:
    """784 -> 10 at 10**6 within 1 %, depths 1-4, deviation first: depth 1 cannot hit 10**6,
    so the shared count is the nearest count of depth 1 that depths 2-4 also hit; every
    depth is proven at it (no CP-SAT), and an independent count confirms each shape."""
    p = Problem(784, 10, 10**6, (1, 2, 3, 4), tolerance="1%", same_count=True, prefer="deviation")
    report = solve(p)
    n = report.shared_count
    assert n is not None and n != 10**6
    line = [plain_count(784, (u,), 10, True) for u in range(1, 2000)]
    closer = [x for x in line if (abs(x - 10**6), x) < (abs(n - 10**6), n)]
    for x in closer:  # each closer count of depth 1 misses some other depth
        misses = [solve(Problem(784, 10, x, (m,))).results[0].status == "infeasible" for m in (2, 3, 4)]
        assert any(misses), x
    for r in report.results:
        assert r.status == "optimal" and r.joined and r.proof != "cp-sat"
        assert plain_count(784, r.widths, 10, True) == n


def test_depth1_counts_shared_by_nobody_then_fewer_depths_join(monkeypatch: pytest.MonkeyPatch) -> None:
    """Depth 1 reaches the band, but none of its counts is common to every depth: the exact
    solves at each of them prove it; the exact searches over every pair of depths then find
    the most depths that share a count (depths 2 and 3), without the CP-SAT shared model,
    matching brute force."""
    import cpshape.shared as shared_module

    rules = Constraints(max_width=W)
    p = Problem(3, 2, 18, (1, 2, 3), bias=False, tolerance_abs=2, constraints=rules, same_count=True)
    report = check_shared(p, W)[0]
    assert report.by_depth(1).status == "optimal" and not report.by_depth(1).joined
    assert report.by_depth(2).joined and report.by_depth(3).joined

    def no_cp_sat(*args: object) -> None:
        raise AssertionError("the CP-SAT shared model ran")

    monkeypatch.setattr(shared_module, "shared_by_cp_sat", no_cp_sat)
    exact = solve(p)
    assert exact.shared_count == report.shared_count
    assert [(r.widths, r.joined, r.status) for r in exact.results] == [
        (r.widths, r.joined, r.status) for r in report.results
    ]


@pytest.mark.parametrize("prefer", ["spread", "deviation"])
def test_shared_with_almost_no_exact_budget_still_matches_brute_force(prefer: str) -> None:
    """The exact solves at the candidate counts share one budget; when it runs out they stop,
    and the answer (from the span scan or CP-SAT) still matches brute force."""
    rules = Constraints(max_width=W)
    p = Problem(3, 2, 33, (1, 2, 3), bias=False, tolerance_abs=4, constraints=rules, same_count=True,
                prefer=prefer)
    expected = shared_best(p, W)
    assert expected is not None
    report = solve(p, SolverSettings(dp_work=50))
    assert report.shared_count == expected[0]
    for m, widths in expected[1].items():
        assert report.by_depth(m).widths == widths


def test_shared_search_gets_the_budget_of_every_depth(monkeypatch: pytest.MonkeyPatch) -> None:
    """dp_work is per depth: the shared count's search over eight depths gets eight times it.
    At 5*10^6 words that proves the shared count (the same answer and widths as the default
    budget; the search takes some 1.9*10^7 words of the 4*10^7); with one depth's 5*10^6
    words the span scan stops and the answer is only feasible (CP-SAT, given a second, does
    not prove it either)."""
    import cpshape.spec as spec_module

    p = Problem(784, 10, 10**8, tuple(range(5, 13)), tolerance="0.01%", same_count=True)
    reference = solve(p)
    assert all(r.status == "optimal" for r in reference.results)
    scaled = solve(p, SolverSettings(dp_work=5 * 10**6))
    assert scaled.shared_count == reference.shared_count
    assert [r.status for r in scaled.results] == ["optimal"] * 8
    assert [r.widths for r in scaled.results] == [r.widths for r in reference.results]

    one_depth = spec_module.SolverSettings.exact_budget

    def one_budget(self: SolverSettings, start: float, depths: int = 1) -> object:
        return one_depth(self, start)

    monkeypatch.setattr(spec_module.SolverSettings, "exact_budget", one_budget)
    alone = solve(p, SolverSettings(dp_work=5 * 10**6, deterministic_limit=1))
    assert {r.status for r in alone.results} == {"feasible"}


@st.composite
def line_and_pair_problems(draw: st.DrawFn) -> Problem:
    """Shared counts with depths 1 and 2 both joining: their common counts are the candidates,
    by depth 2's least spread."""
    a, c, bias = draw(st.integers(1, 6)), draw(st.integers(1, 5)), draw(st.booleans())
    width = draw(st.integers(4, 8))
    depths = draw(st.sampled_from([(1, 2), (1, 2, 3), (1, 2, 4), (1, 2, 3, 4)]))
    q = draw(st.sampled_from([1, 1, 2]))
    rules = Constraints(
        max_width=width,
        min_width=draw(st.sampled_from([1, 1, 2])),
        max_ratio=draw(st.sampled_from([None, None, 2])),
        ratio_range=draw(st.sampled_from([None, None, None, ("1/2", "2")])),
        monotone=draw(st.sampled_from(["none", "none", "non-increasing"])),
        multiple_of=q,
        pins=draw(st.sampled_from([(), (), (), ((1, q * max(1, width // (2 * q))),)])),
    )
    # near a count of depth 2 with a narrow second layer, so that depth 1 often shares counts
    b1, b2 = draw(st.integers(width // 2, width)), draw(st.integers(1, 2))
    params = plain_count(a, (b1, b2), c, bias) + draw(st.integers(-2, 2))
    tol = draw(st.sampled_from([{"tolerance_abs": 4}, {"tolerance_abs": 12}, {"tolerance": "25%"}]))
    return Problem(a, c, params, depths, bias=bias, constraints=rules, same_count=True, **tol)


@settings(max_examples=50, derandomize=True, deadline=None)
@given(p=line_and_pair_problems())
def test_shared_depths_one_and_two_vs_brute_force(p: Problem) -> None:
    """Both ways of listing the counts depths 1 and 2 share match brute force: depth 2's
    spread at each of depth 1's counts (few counts), and depth 2's shapes by spread kept on
    depth 1's line (many counts, forced here by allowing none), there with every candidate
    after the first tested against the spread cap before it is solved."""
    import cpshape.shared as shared_module

    check_shared(p, p.constraints.max_width or 6)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shared_module, "SHARED_CANDIDATES", 0)
        patch.setattr(shared_module, "FILTER_AFTER", 0)
        check_shared(p, p.constraints.max_width or 6)


@pytest.mark.parametrize(
    ("a", "c", "depths", "rules"),
    [
        (64, 10, (1, 2, 3), Constraints()),
        (100, 1, (1, 2, 3), Constraints(max_ratio=2)),
        (20, 2, (1, 2, 4), Constraints(monotone="non-increasing")),
    ],
)
def test_shared_depths_one_and_two_match_the_span_scan(
    a: int, c: int, depths: tuple[int, ...], rules: Constraints, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Medium problems (10^6 +- 1 %): the candidate solves over the counts depths 1 and 2
    share give the same shared count and widths as the span scan over every depth (the
    other exact method, forced by listing no candidates)."""
    import cpshape.shared as shared_module

    p = Problem(a, c, 10**6, depths, tolerance="1%", constraints=rules, same_count=True)
    listed = solve(p)
    monkeypatch.setattr(shared_module, "_candidates", lambda *args: None)
    scanned = solve(p)
    assert listed.shared_count == scanned.shared_count is not None
    assert [r.status for r in listed.results] == ["optimal"] * len(depths)
    assert [r.widths for r in listed.results] == [r.widths for r in scanned.results]
    for r in listed.results:
        assert r.widths is not None and plain_count(a, r.widths, c, True) == listed.shared_count


def test_shared_depths_one_to_four_at_1e8() -> None:
    """784 -> 10, 10^8 +- 1 %, depths 1-4: depth 1 has 2,516 counts in the band, depth 2 hits
    one at spread 9; the span scan over all four depths ran out of budget there (58 s, then a
    CP-SAT answer with one depth joined). Now proven, every depth joined."""
    p = Problem(784, 10, 10**8, (1, 2, 3, 4), tolerance="1%", same_count=True)
    report = solve(p)
    assert [r.status for r in report.results] == ["optimal"] * 4
    assert all(r.joined for r in report.results)
    for r in report.results:
        assert r.widths is not None and plain_count(784, r.widths, 10, True) == report.shared_count


@st.composite
def pinned_shared_problems(draw: st.DrawFn) -> Problem:
    """Shared counts with the first layer pinned: depth 2 then has one free width (its counts
    a line, listed outright as the candidates the other depths are solved at), the pin often
    far from the other widths."""
    a, c, bias = draw(st.integers(1, 6)), draw(st.integers(1, 5)), draw(st.booleans())
    width = draw(st.integers(4, 7))
    depths = draw(st.sampled_from([(2, 3), (2, 4), (2, 3, 4)]))
    pin = draw(st.sampled_from([1, 2, width - 1, width]))
    rules = Constraints(max_width=width, pins=[(1, pin)], max_ratio=draw(st.sampled_from([None, None, 3])))
    top = plain_count(a, (width,) * max(depths), c, bias)
    params = draw(st.integers(1, top))
    tol = draw(st.sampled_from([{"tolerance_abs": 2}, {"tolerance_abs": 8}, {"tolerance": "10%"}]))
    return Problem(a, c, params, depths, bias=bias, constraints=rules, same_count=True, **tol)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(p=pinned_shared_problems())
def test_shared_with_a_pinned_line_vs_brute_force(p: Problem) -> None:
    check_shared(p, p.constraints.max_width or 7)
