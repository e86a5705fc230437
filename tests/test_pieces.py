"""Queries every exact method answers (``ceil``/``floor``/``hits`` on its pieces), the shared
count they find by leapfrogging, and the nearest counts beside an empty band, each against
an independent reference (forward-DP bitsets and brute force from ``reference.py``)."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import numpy as np
import pytest
from reference import nearest, obeys, plain_count, reachable_bits

import cpshape.aggregate as aggregate_module
import cpshape.common as common_module
import cpshape.listing as listing_module
import cpshape.scan as scan_module
import cpshape.shared as shared_module
import cpshape.solver as solver_module
from cpshape import Constraints, Problem, SolverSettings, solve
from cpshape.aggregate import aggregate_applies, reach_aggregate
from cpshape.bounded import reach_bounded
from cpshape.common import closest_common_count
from cpshape.dp import BudgetExhausted, DepthDP, WorkBudget, reach_windows
from cpshape.listing import aggregate_counts, listable_bases
from cpshape.scan import depth_dp, reach_upto
from cpshape.twolayer import WORK_PER_SPREAD, reach_line, reach_pairs


def _check_queries(pieces: list, counts: set[int], low: int, high: int) -> None:
    """Every piece together: ceil/floor/hits agree with the set ``counts`` across the band."""
    assert pieces
    for x in range(low - 2, high + 3):
        ceil = min((n for n in counts if n >= x), default=None)
        floor = max((n for n in counts if n <= x), default=None)
        ceils = [n for p in pieces if (n := p.ceil(x)) is not None]
        floors = [n for p in pieces if (n := p.floor(x)) is not None]
        assert min(ceils, default=None) == ceil, x
        assert max(floors, default=None) == floor, x
        assert any(p.hits(x) for p in pieces) == (x in counts), x


def _window_counts(
    a: int, c: int, bias: bool, depth: int, span: int, bases: range, low: int, high: int
) -> set[int]:
    """Counts in [low, high] of every chain with widths in some window [w, w + span]."""
    counts: set[int] = set()
    for w in bases:
        bits = reachable_bits(a, c, bias, [range(w, w + span + 1)] * depth, high)
        counts |= {n for n in range(low, high + 1) if (bits >> n) & 1}
    return counts


@pytest.mark.parametrize("seed", range(6))
def test_piece_queries_match_forward_dp(seed: int) -> None:
    """Bounded search, aggregate DP and window DP pieces at one span, no rules: the union of
    their counts is what an independent forward DP over the same windows reaches."""
    rng = random.Random(seed)
    a, c, bias = rng.randint(1, 9), rng.randint(1, 5), rng.random() < 0.5
    depth, span = rng.randint(4, 6), rng.randint(0, 3)
    dp = DepthDP(a, c, depth, bias, Constraints())
    low = dp.uniform(rng.randint(2, 6))
    high = low + rng.randint(0, 60)
    bases = dp.bases(span, low, high)
    expected = _window_counts(a, c, bias, depth, span, bases, low, high)
    if not expected:
        pytest.skip("no count in the band")
    budget = WorkBudget(10**9)
    bounded, rest = reach_bounded(dp, span, list(bases), low, high, budget)
    assert not rest
    fast = [w for w in bases if aggregate_applies(dp, w, span)]
    aggregate = reach_aggregate(dp, span, fast, low, high, budget)
    for pieces in (bounded, aggregate, reach_windows(dp, span, low, high, budget)):
        _check_queries(pieces, expected, low, high)


@pytest.mark.parametrize("seed", range(8))
def test_piece_queries_with_rules_match_hits(seed: int) -> None:
    """With rules (ratios, monotone, multiple-of, bounds), at depths 1-5, the pieces' ceil and
    floor agree with the counts the window DP lists (``band_bits``) for the same spans."""
    rng = random.Random(100 + seed)
    rules = Constraints(
        max_width=rng.randint(6, 12),
        max_ratio=rng.choice([None, 2]),
        monotone=rng.choice(["none", "non-increasing"]),
        multiple_of=rng.choice([1, 1, 2]),
    )
    depth = rng.randint(1, 5)
    bias = rng.random() < 0.5
    p = Problem(rng.randint(1, 6), rng.randint(1, 4), 50, (depth,), bias=bias, constraints=rules)
    dp = depth_dp(p, depth)
    low = dp.uniform(2)
    high = low + rng.randint(5, 80)
    budget = WorkBudget(10**9)
    span = 0 if depth == 1 else rng.randint(1, 3)
    listed = reach_upto(dp, span, low, high, budget, listing=True)
    bits = 0
    for piece in listed:
        bits |= piece.band_bits(low, budget)
    expected = {low + k for k in range(high - low + 1) if (bits >> k) & 1}
    if not expected:
        pytest.skip("no count in the band")
    if depth == 1:
        searched = reach_line(p.input_size, p.output_size, p.bias, rules, low, high)
    elif depth == 2:
        searched = [x for t in range(span + 1) for x in reach_pairs(*_sizes(p), rules, t, low, high, budget)]
    else:
        searched = reach_upto(dp, span, low, high, budget)
    _check_queries(searched, expected, low, high)


def _sizes(p: Problem) -> tuple[int, int, bool]:
    return p.input_size, p.output_size, p.bias


# ------------------------------------------------------------------ shared count
def _least_spreads(p: Problem, depth: int, cap: int) -> dict[int, int]:
    """count -> least spread (<= cap) in the band, by the forward DP over every window."""
    low, high = p.band()
    dp = DepthDP(p.input_size, p.output_size, depth, p.bias, Constraints())
    least: dict[int, int] = {}
    for span in range(cap + 1):
        bases = dp.bases(span, low, high)
        for n in _window_counts(p.input_size, p.output_size, p.bias, depth, span, bases, low, high):
            least.setdefault(n, span)
    return least


@pytest.mark.parametrize("seed", range(10))
def test_shared_count_matches_forward_dp_reference(seed: int) -> None:
    """Medium shared-count problems (P in the thousands, no rules): least largest spread,
    then the count closest to the target, as an independent forward DP finds them."""
    rng = random.Random(seed)
    depths = rng.choice([(2, 3), (3, 4), (1, 3, 5), (2, 4, 5), (3, 6)])
    p = Problem(
        rng.randint(2, 12),
        rng.randint(1, 6),
        rng.randint(1500, 6000),
        depths,
        bias=rng.random() < 0.5,
        tolerance_abs=rng.choice([10, 40, 150]),
        same_count=True,
    )
    cap = 12
    least = {m: _least_spreads(p, m, 0 if m == 1 else cap) for m in depths}
    common = set.intersection(*(set(x) for x in least.values()))
    if not common:
        pytest.skip("no common count within the reference's spread cap")
    key = {n: (max(least[m][n] for m in depths), abs(n - p.params), n) for n in common}
    expected = min(common, key=key.__getitem__)
    if key[expected][0] == cap:
        pytest.skip("the reference's cap may hide a smaller spread")
    report = solve(p)
    assert report.shared_count == expected
    assert max(r.spread or 0 for r in report.results) == key[expected][0]
    assert all(r.status == "optimal" and r.joined and r.params == expected for r in report.results)
    assert all(r.proof != "cp-sat" for r in report.results)


# ------------------------------------------------------------------ nearest counts
@pytest.mark.parametrize("seed", range(12))
def test_exact_nearest_counts_match_brute_force(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty bands (by residues or by search) at depths 1-4: the exact nearest counts equal
    brute force, and CP-SAT is never asked."""
    rng = random.Random(seed)
    width = 8
    rules = Constraints(max_width=width, multiple_of=rng.choice([1, 2, 4]))
    depth = rng.randint(1, 4)
    p = Problem(
        rng.randint(1, 6),
        rng.randint(1, 6),
        rng.randint(10, 300),
        (depth,),
        bias=rng.random() < 0.5,
        constraints=rules,
    )

    def no_cp(*args: object, **kwargs: object) -> None:
        raise AssertionError("CP-SAT asked for nearest counts")

    (r,) = solve(p).results
    if r.status != "infeasible":
        pytest.skip("the band is not empty")
    assert r.nearest == nearest(p, depth, width)
    monkeypatch.setattr(solver_module, "build_model", no_cp)
    monkeypatch.setattr(solver_module, "certify", lambda *args: None)
    (again,) = solve(p).results
    assert again.nearest == r.nearest


def test_nearest_beside_a_residue_gap_large() -> None:
    """Multiple-of-8 widths with biases count 2 mod 8 (output 10): 10**7 has no shape. The
    nearest counts are the next ones of that class that some shape hits, as the window
    search confirms on its own."""
    p = Problem(64, 10, 10**7, (2, 4), constraints=Constraints(multiple_of=8))
    for r in solve(p, SolverSettings(time_limit=30)).results:
        assert r.status == "infeasible" and r.proof == "residues"
        below, above = r.nearest
        assert below is not None and above is not None
        assert below % 8 == 2 and above % 8 == 2 and below < 10**7 < above
        for n, hit in ((below, True), (above, True), (below + 8, False), (above - 8, False)):
            if not below < n < above and not hit:
                continue
            one = solve(Problem(64, 10, n, (r.depth,), constraints=Constraints(multiple_of=8))).results[0]
            assert (one.status == "optimal") == hit, (r.depth, n)


# ------------------------------------------------------------- out of budget
def test_stopped_search_still_returns_its_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the budget ends after the span scan found the least spread but before the best
    count was settled, the depth returns a valid shape of that spread marked feasible (CP-SAT,
    given almost no time, starts from it): never ``unknown``, never ``optimal`` unproven."""
    p = Problem(784, 10, 10**9, (32,))
    (best,) = solve(p).results
    assert best.status == "optimal" and best.spread is not None

    def out_of_budget(*args: object) -> None:
        raise BudgetExhausted

    monkeypatch.setattr(scan_module, "canonical_widths", out_of_budget)
    (r,) = solve(p, SolverSettings(deterministic_limit=0.01)).results
    assert r.status == "feasible" and r.proof == "dp+cp-sat" and r.widths is not None
    assert plain_count(784, r.widths, 10, True) == r.params == 10**9
    assert r.spread == best.spread


def test_shared_count_out_of_budget_falls_back_on_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    """Depths 5-8 at 10**7 within 1 %: when the budget ends in the span scan, every depth
    still hits the target exactly, so the target is the shared count, each depth at its own
    least spread there, marked feasible (a smaller largest spread is not ruled out)."""
    p = Problem(784, 10, 10**7, (5, 6, 7, 8), tolerance="1%", same_count=True)
    assert solve(p).shared_count != 10**7  # with the budget, a smaller largest spread exists

    def out_of_budget(*args: object) -> None:
        raise BudgetExhausted

    monkeypatch.setattr(shared_module, "closest_common_count", out_of_budget)
    report = solve(p)
    assert report.shared_count == 10**7
    exact = solve(Problem(784, 10, 10**7, (5, 6, 7, 8)))
    for r, alone in zip(report.results, exact.results, strict=True):
        assert r.status == "feasible" and r.joined and r.params == 10**7
        assert r.widths == alone.widths and alone.status == "optimal"


# ------------------------------------------------------- numpy listing (shared count)
def _brute_window_counts(p: Problem, depth: int, span: int, low: int, high: int) -> set[int]:
    """Counts in [low, high] of every valid chain whose widths lie in one window
    ``q*[w, w + span]``, by enumerating the windows' shapes (rules checked by ``obeys``)."""
    q, found = p.constraints.multiple_of, set()
    w = 1
    while plain_count(p.input_size, (q * w,) * depth, p.output_size, p.bias) <= high:
        for offsets in itertools.product(range(span + 1), repeat=depth):
            widths = tuple(q * (w + d) for d in offsets)
            n = plain_count(p.input_size, widths, p.output_size, p.bias)
            if low <= n <= high and obeys(p, widths):
                found.add(n)
        w += 1
    return found


def _listing_problem(rng: random.Random, depth: int) -> Problem:
    """Rules the aggregate DP takes: multiple-of, an order rule (monotone, or a ratio bound
    of exactly 1 whose other side no window of span <= 3 reaches)."""
    orders = [{}, {"monotone": "non-increasing"}, {"ratio_range": (1, 4)}, {"ratio_range": ("1/4", 1)}]
    order = rng.choice(orders)
    rules = Constraints(multiple_of=rng.choice([1, 1, 2, 3]), **order)
    a, c, bias = rng.randint(1, 9), rng.randint(1, 5), rng.random() < 0.5
    return Problem(a, c, 100, (depth,), bias=bias, constraints=rules)


@pytest.mark.parametrize("seed", range(16))
@pytest.mark.parametrize("path", ["mask", "sort"])
def test_aggregate_counts_list_and_test_like_brute_force(
    seed: int, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Depths 4-5, spans 0-3, multiple-of and order rules, biases on and off: the numpy
    listing (through the mask or by sorting) of any sub-range and the membership test agree
    with an enumeration of every window's shapes."""
    if path == "sort":
        monkeypatch.setattr(listing_module, "MASK_BAND", -1)
    rng = random.Random(seed)
    depth, span = rng.randint(4, 5), rng.randint(0, 3 if seed % 2 else 2)
    p = _listing_problem(rng, depth)
    dp = depth_dp(p, depth)
    low = dp.uniform(rng.randint(1, 4))
    high = low + rng.randint(0, 400)
    expected = _brute_window_counts(p, depth, span, low, high)
    bases = listable_bases(dp, span, low, high, WorkBudget(10**9))
    assert bases is not None
    counts = aggregate_counts(dp, span, bases, low, high, WorkBudget(10**9))
    assert counts.pairs > 0 or not expected
    for lo, hi in [(low, high), *sorted((rng.randint(low, high), rng.randint(low, high)) for _ in range(3))]:
        lo, hi = min(lo, hi), max(lo, hi)
        listed = counts.counts(lo, hi, WorkBudget(10**9)).tolist()
        assert listed == sorted(n for n in expected if lo <= n <= hi)
    asked = np.arange(low, high + 1, dtype=np.int64)
    hit = counts.member(asked, WorkBudget(10**9))
    assert {int(n) for n in asked[hit]} == expected


def test_aggregate_counts_decline_where_the_aggregate_dp_does_not_apply() -> None:
    """Depth 3, a ratio rule that cuts small windows, a pinned width: no listing (the caller
    falls back on the exact pieces)."""
    budget = WorkBudget(10**9)
    assert listable_bases(DepthDP(4, 3, 4, True, Constraints()), 1, 100, 200, budget)
    assert listable_bases(DepthDP(4, 3, 3, True, Constraints()), 1, 100, 200, budget) is None
    ratio = DepthDP(4, 3, 4, True, Constraints(max_ratio=2))
    assert listable_bases(ratio, 3, 50, 400, budget) is None
    pinned = DepthDP(4, 3, 4, True, Constraints(pins=((1, 5),)))
    assert listable_bases(pinned, 1, 50, 400, budget) is None


@pytest.mark.parametrize("seed", range(10))
def test_closest_common_count_by_rings_matches_brute_force(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several depths (some listed by numpy, depths 2-3 through their exact pieces) at one
    span: the common count closest to the target (below on a tie) equals the brute force,
    also when the rings around the target are forced to a few counts each and the listed
    depths intersect their listings instead of testing membership."""
    rng = random.Random(seed)
    depths = rng.choice([(4, 5), (3, 4, 5), (2, 4), (4, 6), (2, 3, 5)])
    span = rng.randint(1, 3)
    base = _listing_problem(rng, 4)
    problems = [replace(base, depths=(m,)) for m in depths]
    dps = [depth_dp(p, m) for p, m in zip(problems, depths, strict=True)]
    low = max(dp.uniform(2) for dp in dps)
    high = low + rng.randint(50, 600)
    target = rng.randint(low, high)
    sets = [_brute_window_counts(p, m, span, low, high) for p, m in zip(problems, depths, strict=True)]
    common = set.intersection(*sets)
    expected = min(common, key=lambda n: (abs(n - target), n)) if common else None
    for ring, table in ((1024, listing_module.MEMBER_TABLE), (rng.randint(1, 9), -1)):
        monkeypatch.setattr(common_module, "RING_MIN", ring)
        monkeypatch.setattr(listing_module, "MEMBER_TABLE", table)  # -1: intersect listings
        spans = [span] * len(depths)
        assert closest_common_count(dps, spans, low, high, target, WorkBudget(10**9)) == expected


def test_depth_two_listing_stops_when_its_budget_runs_out() -> None:
    """At depth 2 :func:`reach_upto` lists spread by spread, each charged about its cost
    (``WORK_PER_SPREAD``): a budget for half the spreads raises ``BudgetExhausted`` within a
    spread of running out, instead of walking on (a shared count over a chain far from uniform
    once walked 115,000 spreads, 15 s, inside a 5 s budget)."""
    p = Problem(4, 3, 5 * 10**9, (2,), tolerance="0.001", constraints=Constraints(ratio_range=(3, 6)))
    dp, (low, high), spans = depth_dp(p, 2), p.band(), 200
    whole = WorkBudget(10**12)
    reach_upto(dp, spans, low, high, whole)
    spent = whole.given - whole.left
    assert spent >= (spans + 1) * WORK_PER_SPREAD
    budget = WorkBudget(spent // 2)
    with pytest.raises(BudgetExhausted):
        reach_upto(dp, spans, low, high, budget)
    assert -2 * WORK_PER_SPREAD < budget.left <= 0


def test_aggregate_listing_is_charged_by_row_and_base() -> None:
    """The aggregate DP's pieces are found by a Python pass over its rows for every base window
    (``ROW_WORDS`` a row and base) and listed by a few operations per row on integers as wide
    as the band: a budget for a small part of that raises ``BudgetExhausted`` at once (an
    infeasible depth's nearest counts over a side band of 10^8 counts, charged a word a row,
    once ran minutes past a 1 s limit)."""
    p = Problem(2, 7, 10**8, (8,), constraints=Constraints(max_spread=5))
    dp, low, high = depth_dp(p, 8), 1, 10**8 - 1
    assert aggregate_applies(dp, dp.uniform(2), 5)
    rows = len(aggregate_module._tables(dp, 5, WorkBudget(10**12)).rows)
    bases = dp.bases(5, low, high)
    budget = WorkBudget(aggregate_module.ROW_WORDS * rows * len(bases) // 4)
    with pytest.raises(BudgetExhausted):
        reach_aggregate(dp, 5, list(bases), low, high, budget)
    found = reach_aggregate(dp, 5, list(bases)[:3], low, high, WorkBudget(10**12))
    assert found
    with pytest.raises(BudgetExhausted):
        found[0].band_bits(low, WorkBudget(high - low))


def test_window_dp_refuses_a_band_too_wide_to_hold() -> None:
    """A window whose counts span more offsets than ``MAX_DP_BYTES`` of bits can hold is
    refused before anything is allocated (a band of +-1 % at 2e13 asked for a 2^(4e11)-bit
    mask and ran out of memory), as too much work; the same window on a narrow band is
    decided, its counts the brute-force ones."""
    import cpshape.dp as dp_module
    from cpshape.windows import Window

    dp = DepthDP(100, 1, 3, True, Constraints())
    widths = (tuple(range(2236067, 2236070)),) * 3
    least = dp.count([w[0] for w in widths])
    wide = Window(widths, least, least + 8 * dp_module.MAX_DP_BYTES + 10)
    with pytest.raises(BudgetExhausted):
        dp.reachable(wide, WorkBudget(10**15))
    narrow = Window(widths, least, least + 3 * 10**7)
    bits, base = dp.reachable(narrow, WorkBudget(10**15))
    counts = {plain_count(100, shape, 1, True) for shape in itertools.product(*widths)}
    assert bin(bits).count("1") == len(counts) and all(bits >> (n - base) & 1 for n in counts)
