"""The interior search (depths 3-6) as the solver uses it: the pair rules as intervals, its
first try at depth 4, and how it and the bounded search hand over to each other."""

from __future__ import annotations

import random

import pytest
from reference import best, obeys, plain_count

import cpshape.ends as ends_module
import cpshape.linear_ends as linear_ends_module
import cpshape.sketch as sketch_module
import cpshape.solver as solver_module
from cpshape import Constraints, Problem, SolverSettings, Status, solve
from cpshape.budget import Stopped
from cpshape.counting import chain, count_params
from cpshape.dp import WorkBudget, pair_factors, pair_rule, within_pairs
from cpshape.result import check_shape


@pytest.mark.parametrize("seed", range(4))
def test_pair_intervals_are_the_pair_rule(seed: int) -> None:
    """The searches cut a layer's widths to one interval next to its neighbour
    (``pair_factors`` / ``within_pairs``): exactly the widths ``pair_rule`` allows."""
    rng = random.Random(seed)
    for _ in range(40):
        drawn: dict[str, object] = {}
        if rng.random() < 0.5:
            drawn["max_ratio"] = rng.choice([2, "1.5", "5/4", "7/3"])
        if rng.random() < 0.5:
            drawn["ratio_range"] = rng.choice([("1", "2"), ("0.9", "1.1"), ("3", "6"), ("2/3", "5/2")])
        if rng.random() < 0.4:
            drawn["monotone"] = rng.choice(["non-increasing", "non-decreasing"])
        rules = Constraints(**drawn)  # type: ignore[arg-type]
        rule = pair_rule(rules)
        after, before = pair_factors(rules, after=True), pair_factors(rules, after=False)
        for _ in range(5):
            x = rng.randint(1, 200)
            lo, hi = within_pairs(after, x, 1, 400)
            assert [y for y in range(1, 401) if rule is None or rule(x, y)] == list(range(lo, hi + 1))
            lo, hi = within_pairs(before, x, 1, 400)
            assert [w for w in range(1, 401) if rule is None or rule(w, x)] == list(range(lo, hi + 1))


def test_bounded_search_resumes_where_the_interior_search_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    """Depths 4-6: when the bounded search's trial and then the interior search run out, the
    bounded search resumes from the spreads they ruled out and proves the same shape the
    trial alone proves with a larger budget (4 -> 3, 1e9, depth 5, non-increasing)."""
    p = Problem(4, 3, 10**9, (5,), constraints=Constraints(monotone="non-increasing"))
    alone = solve(p).results[0]
    stops: list[int] = []
    interior = solver_module.solve_by_ends

    def recorded(*args, **kwargs):
        try:
            return interior(*args, **kwargs)
        except Stopped as stop:
            stops.append(stop.span)
            raise

    monkeypatch.setattr(solver_module, "solve_by_ends", recorded)
    assert solve(p).results[0].widths == alone.widths and not stops  # the trial alone
    resumed = solve(p, SolverSettings(dp_work=2 * 10**7)).results[0]
    assert len(stops) == 1 and 0 < stops[0] <= max(alone.widths) - min(alone.widths)
    assert resumed.status is Status.OPTIMAL and resumed.proof == alone.proof == "bounded search"
    assert resumed.widths == alone.widths and count_params(chain(4, resumed.widths, 3)) == 10**9


def test_interior_search_declines_a_cap_beyond_its_budget() -> None:
    """Without pins, a cap whose search would cost more than the budget left is not started:
    the interior search reports the spreads it was told are ruled out and spends nothing;
    with budget to spare the same call searches (and finds nothing below the floor)."""
    rules = Constraints(monotone="non-increasing")
    args = (4, 3, 5, True, rules, (2 * 10**10, 2 * 10**10), 2 * 10**10, 10**5)
    budget = WorkBudget(3 * 10**8)
    with pytest.raises(Stopped) as stop:
        ends_module.solve_by_ends(*args, budget, 237)
    assert stop.value.span == 237 and budget.left == budget.given
    assert ends_module._cap_cost(ends_module.Ends(*args[:6]), 237, budget.left) > budget.left
    small = WorkBudget(10**6)
    with pytest.raises(Stopped) as stop:  # small caps are affordable: searched until it runs out
        ends_module.solve_by_ends(*args, small, 3)
    assert stop.value.span > 3 and small.left <= 0  # the caps searched in full are ruled out


def test_depth_four_tries_the_interior_search_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """At depth 4 the interior search goes first within ``ENDS_QUICK_WORDS``, charged to the
    depth's budget: it settles what it can (the same shape as with a budget to spare), hands
    the spreads it ruled out to the bounded search when it runs out, and is not tried where
    the uniform width exceeds ``ENDS_QUICK_UNITS``."""
    words, units = solver_module.ENDS_QUICK_WORDS, solver_module.ENDS_QUICK_UNITS

    def args(p: Problem) -> tuple:
        return (*solver_module._ends_args(p, 4, p.band()), 10**6)

    small = Problem(784, 10, 10**6, (4,), constraints=Constraints(monotone="non-increasing"))
    budget = WorkBudget(10**9)
    settled, found, floor, wide = ends_module.quick_by_ends(*args(small), budget, words, units)
    assert settled and floor == 0 and not wide and 0 < budget.given - budget.left <= words + 10**4
    assert found == ends_module.solve_by_ends(*args(small), WorkBudget(10**10))
    assert found is not None and count_params(chain(784, found[0], 10)) == found[1] == 10**6
    (r,) = solve(small).results
    assert (r.widths, r.params, r.proof) == (*found, "interior search")

    # 4 -> 3, 5e8, widths at most 16,770: the interior search alone needs about 4.8e7 words
    far = Problem(4, 3, 5 * 10**8, (4,), constraints=Constraints(max_width=16770))
    budget = WorkBudget(10**9)
    settled, found, floor, wide = ends_module.quick_by_ends(*args(far), budget, words, units)
    assert not settled and not wide and found is None and floor > 0 and budget.given - budget.left >= words
    (after,) = solve(far).results
    monkeypatch.setattr(solver_module, "ENDS_QUICK_DEPTH", 0)
    (alone,) = solve(far).results
    assert after.proof == alone.proof == "bounded search" and after.status is Status.OPTIMAL
    assert after.widths == alone.widths and after.spread is not None and after.spread >= floor
    assert (after.widths, after.params) == ends_module.solve_by_ends(*args(far), WorkBudget(10**10))

    large = Problem(784, 10, 10**12, (4,))
    budget = WorkBudget(10**9)
    assert ends_module.quick_by_ends(*args(large), budget, words, units) == (False, None, 0, True)
    assert budget.left == budget.given  # not tried: nothing spent


@pytest.mark.parametrize(("depth", "max_width", "seed"), [(3, 12, 1), (4, 8, 2), (5, 6, 3), (7, 4, 4)])
def test_sketches_are_valid_and_never_beat_the_optimum(depth: int, max_width: int, seed: int) -> None:
    """The sketch CP-SAT must beat where the exact searches ran out (one width for the free
    interior layers, the two ends read off the band) returns only valid shapes in the band,
    counted right, and so never a spread below brute force's least; it finds most of them."""
    rng = random.Random(seed)
    sketched = solvable = 0
    for _ in range(60):
        rules: dict[str, object] = {"max_width": max_width}
        if rng.random() < 0.3:
            rules["monotone"] = rng.choice(["non-increasing", "non-decreasing"])
        if rng.random() < 0.2:
            rules["max_ratio"] = rng.choice([2, "1.5"])
        if rng.random() < 0.2:
            rules["multiple_of"] = 2
        if rng.random() < 0.3:
            rules["pins"] = [(rng.randint(1, depth), rng.randint(1, max_width))]
        if rng.random() < 0.2:
            rules["max_spread"] = rng.randint(0, 3)
        a, c, bias = rng.randint(1, 8), rng.randint(1, 5), rng.random() < 0.5
        top = plain_count(a, (max_width,) * depth, c, bias)
        try:
            constraints = Constraints(**rules)  # type: ignore[arg-type]
            p = Problem(a, c, rng.randint(depth * 4, top), (depth,), bias=bias, constraints=constraints,
                        tolerance_abs=rng.choice([0, 1, 5]))
        except ValueError:
            continue
        found = sketch_module.sketch_by_ends(a, c, depth, bias, constraints, p.band(), p.params)
        expected = best(p, depth, max_width)
        solvable += expected is not None
        if found is None:
            continue
        sketched += 1
        widths, count = found
        assert obeys(p, widths) and not check_shape(p, widths), (p, widths)
        assert plain_count(a, widths, c, bias) == count and expected is not None
        assert max(widths) - min(widths) >= expected[0]
    assert sketched >= solvable // 2 and sketched >= 5


def test_a_stopped_search_returns_the_sketch_or_better() -> None:
    """784 -> 10, 1e8, depth 10, layer 1 pinned to 3,000 (far below the uniform width), with
    the exact searches' budget cut to nothing: what CP-SAT returns within its limit is at
    least as good as the sketch (spread 311 here; CP-SAT alone found far wider shapes)."""
    p = Problem(784, 10, 10**8, (10,), constraints=Constraints(pins=[(1, 3000)]))
    sketch = sketch_module.sketch_by_ends(784, 10, 10, True, p.constraints, p.band(), p.params)
    assert sketch is not None
    (r,) = solve(p, SolverSettings(dp_work=10**5, deterministic_limit=0.5)).results
    assert r.status in (Status.FEASIBLE, Status.OPTIMAL) and r.widths is not None
    assert count_params(chain(784, r.widths, 10)) == r.params == 10**8 and r.widths[0] == 3000
    assert r.spread is not None and r.spread <= max(sketch[0]) - min(sketch[0])


def test_a_target_below_the_pinned_end_layers_own_count() -> None:
    """6 -> 6, 23 +-40, no biases, depth 4, layer 4 pinned to 4: that layer alone counts 24,
    more than the target, so the target left for the other layers is negative (the interior
    search's uniform width once failed on it): the answer is brute force's."""
    rules = Constraints(max_width=8, max_ratio="3/2", pins=[(4, 4)])
    p = Problem(6, 6, 23, (4,), tolerance_abs=40, bias=False, constraints=rules)
    (r,) = solve(p).results
    expected = best(p, 4, 8)
    assert expected is not None and r.status is Status.OPTIMAL and r.widths is not None
    assert (max(r.widths) - min(r.widths), abs(r.params - 23), r.params, r.widths) == expected


@pytest.mark.parametrize(("depth", "max_width", "seed"), [(3, 14, 1), (4, 9, 2), (5, 7, 3)])
def test_boxes_match_brute_force(
    depth: int, max_width: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interior tuples searched as boxes (every first width at once, where the band is at
    least ``gamma`` wide) from a range of one first width up (``BOX_WIDTHS = 0``): wide bands
    and pins at the ends, against brute force."""
    monkeypatch.setattr(ends_module, "BOX_WIDTHS", 0)
    monkeypatch.setattr(solver_module, "ENDS_TRIAL_SHARE", 0.0)  # the interior search at once
    rng = random.Random(seed)
    boxed = checked = 0
    made = ends_module.Ends.box

    def counted(self: ends_module.Ends, *args: object) -> object:
        nonlocal boxed
        box = made(self, *args)  # type: ignore[arg-type]
        boxed += box is not None
        return box

    monkeypatch.setattr(ends_module.Ends, "box", counted)
    while checked < 30:
        rules: dict[str, object] = {"max_width": max_width}
        if rng.random() < 0.6:
            rules["pins"] = [(1, rng.randint(1, max_width))] + [(depth, rng.randint(1, max_width))] * (
                rng.random() < 0.5
            )
        if rng.random() < 0.3:
            rules["max_ratio"] = rng.choice([2, "1.5"])
        if rng.random() < 0.2:
            rules["monotone"] = rng.choice(["non-increasing", "non-decreasing"])
        if rng.random() < 0.3:  # every width even: sparser counts, so ties below and above the target
            rules["multiple_of"] = 2
        a, c, bias = rng.randint(1, 8), rng.randint(1, 5), rng.random() < 0.5
        top = plain_count(a, (max_width,) * depth, c, bias)
        try:
            p = Problem(a, c, rng.randint(depth * 4, top), (depth,), bias=bias,
                        constraints=Constraints(**rules),  # type: ignore[arg-type]
                        tolerance_abs=rng.choice([5, 12, 25, 40]))
        except ValueError:
            continue
        checked += 1
        (r,) = solve(p).results
        expected = best(p, depth, max_width)
        if expected is None:
            assert r.status is Status.INFEASIBLE, (p, r)
            continue
        assert r.status is Status.OPTIMAL and r.widths is not None and not check_shape(p, r.widths), (p, r)
        assert (max(r.widths) - min(r.widths), abs(r.params - p.params), r.params, r.widths) == expected, p
    assert boxed >= 5


def test_boxes_match_first_widths_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ends pinned and a band of counts (the pins fix the least spread): the boxes and
    the first widths searched one by one (``BOX_WIDTHS`` out of reach) give the same shape;
    64 -> 10, 10^7, depth 5, +- 1 % and +- 0.1 %, and with a max ratio (784 -> 10, 10^9
    +- 1 %, layers 1 and 5 at 16,497 and 14,926, max ratio 2 took CP-SAT 13 s)."""
    cases = [((1, 1700), (5, 1500), "0.01", {}), ((1, 1650), (5, 1520), "0.001", {"max_ratio": 2})]
    for first, last, tolerance, rules in cases:
        constraints = Constraints(pins=[first, last], **rules)  # type: ignore[arg-type]
        p = Problem(64, 10, 10**7, (5,), tolerance=tolerance, constraints=constraints)
        args = (*solver_module._ends_args(p, 5, p.band()), 10**6, WorkBudget(10**12))
        boxed = ends_module.solve_by_ends(*args)
        with monkeypatch.context() as patch:
            patch.setattr(ends_module, "BOX_WIDTHS", 10**9)
            one_by_one = ends_module.solve_by_ends(*args)
        assert boxed == one_by_one and boxed is not None
        assert count_params(chain(64, boxed[0], 10)) == boxed[1] and boxed[0][0] == first[1]
        assert max(boxed[0]) - min(boxed[0]) >= first[1] - last[1]


# ------------------------------------------------------------------ chains far from uniform
def _far_chains(rules: Constraints, depth: int, max_width: int) -> list[tuple[int, ...]]:
    """Every chain of ``depth`` widths up to ``max_width`` that the pair rules allow."""
    rule = pair_rule(rules)
    assert rule is not None
    chains = [(w,) for w in range(1, max_width + 1)]
    for _ in range(depth - 1):
        chains = [(*x, w) for x in chains for w in range(1, max_width + 1) if rule(x[-1], w)]
    return chains


@pytest.mark.parametrize("seed", range(4))
def test_layer_bounds_hold_every_shape_within_the_cap(seed: int) -> None:
    """The corners on far chains (``ends._layer_bounds``): every chain the rules allow, of
    spread at most the cap, with the fixed widths, lies inside the bounds, layer by layer
    (every chain of small far-from-uniform rules, fixed layers and caps at random)."""
    rng = random.Random(seed)
    checked = 0
    for _ in range(12):
        depth, max_width = rng.choice([(3, 60), (4, 60), (5, 40)])
        ratio = rng.choice([("2", "3"), ("3/2", "3"), ("1/3", "1/2"), ("2", "2")])
        pins = [(depth, rng.randint(1, 6))] if rng.random() < 0.3 else []
        rules = Constraints(ratio_range=ratio, max_width=max_width, pins=pins)
        a, c, bias = rng.randint(1, 9), rng.randint(1, 5), rng.random() < 0.5
        e = ends_module.reduced(linear_ends_module.Ends(a, c, depth, bias, rules, (1, 10**9)))
        assert e is not None and e.far
        for widths in _far_chains(rules, depth, max_width):
            if pins and widths[-1] != pins[0][1]:
                continue
            units = widths[: e.m]  # a pinned last layer is held out as the output
            cap = max(widths) - min(widths) + rng.randint(0, 3)
            fixed = {j: units[j - 1] for j in rng.sample(range(1, e.m + 1), rng.randint(1, e.m))}
            low, high = ends_module._layer_bounds(e, fixed, cap)
            assert all(x <= u <= y for x, u, y in zip(low, units, high, strict=True)), (rules, widths, fixed)
            checked += 1
    assert checked > 100


@pytest.mark.parametrize(("depth", "max_width", "seed"), [(3, 30, 1), (4, 16, 2)])
def test_far_chain_sketches_are_valid(depth: int, max_width: int, seed: int) -> None:
    """On chains far from uniform one width for the interior breaks the ratio rule, so the
    sketch tries geometric chains: its shapes are valid, counted right and never below brute
    force's least spread, and it finds one for most solvable problems."""
    rng = random.Random(10 + seed)
    sketched = solvable = 0
    for _ in range(16):
        ratio = rng.choice([("2", "3"), ("3/2", "3"), ("1/3", "1/2")])
        rules = Constraints(ratio_range=ratio, max_width=max_width)
        a, c, bias = rng.randint(1, 9), rng.randint(1, 5), rng.random() < 0.5
        top = plain_count(a, (max_width,) * depth, c, bias) // 2
        p = Problem(a, c, rng.randint(depth * 4, top), (depth,), bias=bias, constraints=rules,
                    tolerance_abs=rng.choice([0, 5, 40]))
        expected = best(p, depth, max_width)
        solvable += expected is not None
        found = sketch_module.sketch_by_ends(a, c, depth, bias, rules, p.band(), p.params)
        if found is None:
            continue
        sketched += 1
        widths, count = found
        assert obeys(p, widths) and not check_shape(p, widths) and expected is not None
        assert plain_count(a, widths, c, bias) == count and max(widths) - min(widths) >= expected[0]
    assert sketched >= solvable // 2 and sketched >= 3


def test_wide_tuples_only_add_to_the_sketch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wide family joins the uniform one (whose tuples come first): the sketch is never
    worse with it, and better where the residues near the uniform width line up (4 -> 3,
    5e10, depth 4, non-decreasing, and random large exact counts)."""
    rng, better = random.Random(5), 0
    problems = [Problem(4, 3, 5 * 10**10, (4,), constraints=Constraints(monotone="non-decreasing"))]
    for _ in range(12):
        rules = rng.choice([Constraints(), Constraints(monotone="non-increasing"), Constraints(max_ratio=2)])
        p = rng.choice([4, 64, 784]), 10, rng.choice([3, 7]) * 10 ** rng.randint(8, 10)
        problems.append(Problem(*p, (rng.randint(3, 6),), constraints=rules))
    for p in problems:
        args = (p.input_size, p.output_size, p.depths[0], p.bias, p.constraints, p.band(), p.params)
        found = [sketch_module.sketch_by_ends(*args)]
        with monkeypatch.context() as patch:
            patch.setattr(sketch_module, "_wide", lambda *_: {})
            found.append(sketch_module.sketch_by_ends(*args))
        assert found[0] is not None and found[1] is not None
        wide, alone = ((max(w) - min(w), abs(n - p.params)) for w, n in found)
        assert wide <= alone
        better += wide < alone
    assert better >= 3


def test_depth_four_above_the_quick_width_gives_the_bounded_search_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Above ``ENDS_QUICK_UNITS`` (no pins) the bounded search's trial gets
    ``ENDS_WIDE_SHARE`` of the budget: 4 -> 3, 5e12, depth 4 is proven within the default
    budget (a quarter left it `feasible`), its widths recounting to the target."""
    problem = Problem(4, 3, 5 * 10**12, (4,))
    (r,) = solve(problem, SolverSettings(time_limit=30)).results
    assert r.status is Status.OPTIMAL and r.proof == "bounded search"
    assert r.widths is not None and plain_count(4, r.widths, 3, True) == problem.params
    monkeypatch.setattr(solver_module, "ENDS_WIDE_SHARE", solver_module.ENDS_TRIAL_SHARE)
    (quarter,) = solve(problem, SolverSettings(time_limit=3)).results
    assert quarter.status is Status.FEASIBLE and quarter.spread is not None and quarter.spread >= r.spread
