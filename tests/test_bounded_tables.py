"""The bounded search's pieces against straightforward constructions: the (banded) tables,
the hulls that rule out windows without tables, and the span floor they prove."""

from __future__ import annotations

import itertools
import random

import pytest
from _rules import medium_problem, random_rules

from cpshape import Constraints, Problem
from cpshape import hulls as hulls_module
from cpshape import tables as tables_module
from cpshape.bounded import relaxed_floor
from cpshape.dp import DepthDP, WorkBudget, reach_windows
from cpshape.hulls import _chord, _hull
from cpshape.tables import _bands, _build_tables, _linear_gain, _masks


def _random_rules(rng: random.Random) -> dict[str, object]:
    return random_rules(rng, [2, 3, 4], [2, "1.25", "1.1"], (5, 40), (20, 80), chance=0.25)


def _random_window(rng: random.Random, max_depth: int = 8, max_span: int = 6):
    """A depth, a span and the offsets a window's rules allow, all random."""
    while True:
        rules = _random_rules(rng)
        depth = rng.randint(3, max_depth)
        if rng.random() < 0.2:
            rules["pins"] = [(rng.randint(1, depth), rng.choice([12, 16, 24, 30]))]
        try:
            constraints = Constraints(**rules)  # type: ignore[arg-type]
        except ValueError:
            continue
        dp = DepthDP(rng.randint(1, 40), rng.randint(1, 12), depth, rng.random() < 0.5, constraints)
        span = rng.randint(0, max_span)
        base = rng.randint(1, 40 // constraints.multiple_of)
        pairs, layers = _masks(dp, base, span)
        return dp, span, pairs, layers


def _straightforward(dp: DepthDP, span: int, pairs, layers) -> list[list[dict[int, tuple[int, int]]]]:
    """``ref[i][e][D] = (least V, greatest V)`` of layers ``i..m-1`` with ``d_i = e`` and share
    ``D``, by plain loops over dictionaries."""
    m, s, qq = dp.depth, span, dp.rules.multiple_of**2
    weight = [1 if i in (0, m - 1) else 2 for i in range(m)]
    ref: list[list[dict[int, tuple[int, int]]]] = [[{} for _ in range(s + 1)] for _ in range(m)]
    for e in range(s + 1):
        if layers[m - 1][e]:
            g = _linear_gain(dp, m - 1, e)
            ref[m - 1][e][e] = (g, g)
    for i in range(m - 2, -1, -1):
        for e in range(s + 1):
            if not layers[i][e]:
                continue
            g = _linear_gain(dp, i, e)
            out = ref[i][e]
            for f in range(s + 1):
                if not pairs[e][f]:
                    continue
                for d, (lo, hi) in ref[i + 1][f].items():
                    key = d + weight[i] * e
                    lo, hi = lo + qq * e * f + g, hi + qq * e * f + g
                    old = out.get(key)
                    out[key] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))
    return ref


@pytest.mark.parametrize("gather", [True, False], ids=["gathered", "by-offset"])
@pytest.mark.parametrize("seed", range(40))
def test_tables_equal_the_straightforward_construction(
    seed: int, gather: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every entry of the numpy tables, full or cut to a band of aggregates, is what plain
    loops give: the least and greatest ``V``, or dead (``lo > hi``) where no continuation is.
    Both ways of building a layer (one gather, or offset by offset) are checked."""
    monkeypatch.setattr(tables_module, "GATHER_CELLS", 2**62 if gather else -1)
    monkeypatch.setattr(tables_module, "GATHER_WIDTH", 2**62)
    rng = random.Random(seed)
    for _ in range(5):
        dp, span, pairs, layers = _random_window(rng)
        m = dp.depth
        ref = _straightforward(dp, span, pairs, layers)
        top = 2 * (m - 1) * span
        band = None
        if rng.random() < 0.7:
            d_lo = rng.randint(0, top)
            band = (d_lo, rng.randint(d_lo, top))
        tables = _build_tables(dp, span, pairs, layers, WorkBudget(10**12), band)
        for i, (lo_d, hi_d) in enumerate(_bands(m, span, band)):
            assert tables.start[i] == lo_d
            assert tables.lo[i].shape == tables.hi[i].shape == (span + 1, max(0, hi_d - lo_d + 1))
            for e in range(span + 1):
                for d in range(lo_d, hi_d + 1):
                    lo, hi = int(tables.lo[i][e, d - lo_d]), int(tables.hi[i][e, d - lo_d])
                    want = ref[i][e].get(d)
                    if want is None:
                        assert lo > hi, (seed, i, e, d)
                    else:
                        assert (lo, hi) == want, (seed, i, e, d)
            # outside the band only shares that cannot lead into it are dropped
            if band is not None:
                before = span * sum(1 if j in (0, m - 1) else 2 for j in range(i))
                for e in range(span + 1):
                    for d in ref[i][e]:
                        if not lo_d <= d <= hi_d:
                            assert d + before < band[0] or d > band[1]


def _shapes(dp: DepthDP, span: int, pairs, layers) -> list[tuple[int, int]]:
    """``(D, V)`` of every allowed shape, by enumeration."""
    m, qq = dp.depth, dp.rules.multiple_of**2
    weight = [1 if i in (0, m - 1) else 2 for i in range(m)]
    points = []
    for d in itertools.product(range(span + 1), repeat=m):
        steps = list(itertools.pairwise(d))
        if not all(layers[i][d[i]] for i in range(m)) or not all(pairs[x][y] for x, y in steps):
            continue
        big_d = sum(w * x for w, x in zip(weight, d, strict=True))
        v = sum(_linear_gain(dp, i, d[i]) for i in range(m)) + qq * sum(x * y for x, y in steps)
        points.append((big_d, v))
    return points


def _cross(o: tuple[int, int], a: tuple[int, int], b: tuple[int, int]) -> int:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


@pytest.mark.parametrize("tabulated", [True, False], ids=["tabulated", "bisected"])
@pytest.mark.parametrize("seed", range(40))
def test_hulls_are_the_convex_hulls_of_the_shapes(
    seed: int, tabulated: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hulls' vertices are shapes, every shape lies between the two hulls, and the hulls are
    convex (lower) and concave (upper): exactly the convex hull of the points ``(D, V)``. Their
    integer bounds therefore hold for every shape, and agree with the tables' root. Both ways
    of reading the bounds (tabulated once, or by bisection per ``D``) are checked."""
    monkeypatch.setattr(hulls_module, "HULL_TABLE", 2**62 if tabulated else 0)
    rng = random.Random(1000 + seed)
    for _ in range(4):
        dp, span, pairs, layers = _random_window(rng, max_depth=5, max_span=4)
        points = _shapes(dp, span, pairs, layers)
        hull = _hull(dp, span, pairs, layers, WorkBudget(10**12))
        if not points:
            assert hull is None
            continue
        assert hull is not None
        shapes = set(points)
        assert set(hull.lower) <= shapes and set(hull.upper) <= shapes
        assert hull.lower[0][0] == hull.upper[0][0] == min(d for d, _ in points)
        assert hull.lower[-1][0] == hull.upper[-1][0] == max(d for d, _ in points)
        for chain, sign in ((hull.lower, 1), (hull.upper, -1)):
            assert [d for d, _ in chain] == sorted({d for d, _ in chain})
            for a, b, c in zip(chain, chain[1:], chain[2:], strict=False):
                assert sign * _cross(a, b, c) > 0  # strictly convex / concave turns
        first, last = hull.lower[0][0], hull.lower[-1][0]
        for _ in range(5):  # the aggregates a count range may lie at: every D the bounds allow
            qq_w = rng.randint(1, 60)
            lo = rng.randint(-50, qq_w * last + hull.vmax + 50)
            hi = lo + rng.randint(0, 3 * qq_w)
            want = [
                d
                for d in range(first, last + 1)
                if lo - qq_w * d <= _chord(hull.upper, d, up=False)
                and hi - qq_w * d >= _chord(hull.lower, d, up=True)
            ]
            assert hull.aggregates(qq_w, lo, hi) == want
        tables = _build_tables(dp, span, pairs, layers, WorkBudget(10**12))
        for big_d in range(2 * (dp.depth - 1) * span + 1):
            at = [v for d, v in points if d == big_d]
            bounds = hull.bounds(big_d)
            if not hull.lower[0][0] <= big_d <= hull.lower[-1][0]:
                assert bounds is None and not at
                continue
            assert bounds is not None
            if at:
                assert bounds[0] <= min(at) and max(at) <= bounds[1]
                assert int(tables.lo[0][:, big_d].min()) == min(at)
                assert int(tables.hi[0][:, big_d].max()) == max(at)


@pytest.mark.parametrize("seed", range(20))
def test_loose_hulls_bound_every_shape_within_their_tolerance(seed: int) -> None:
    """A hull refined only to a tolerance (``_hull(..., tolerance)``): its bounds still hold
    for every shape, lie within the tolerance of the exact hull's, and so rule out a subset
    of what the exact hull rules out (its aggregates contain the exact hull's)."""
    rng = random.Random(3000 + seed)
    loose_seen = checked = 0
    while (checked < 6 or not loose_seen) and checked < 60:  # until some edge was left unrefined
        checked += 1
        dp, span, pairs, layers = _random_window(rng, max_depth=5, max_span=5)
        points = _shapes(dp, span, pairs, layers)
        exact = _hull(dp, span, pairs, layers, WorkBudget(10**12))
        tolerance = rng.choice([1, 3, 10, 40])
        loose = _hull(dp, span, pairs, layers, WorkBudget(10**12), tolerance)
        if not points:
            assert exact is None and loose is None
            continue
        assert exact is not None and loose is not None
        loose_seen += any(loose.lower_slack) or any(loose.upper_slack)
        assert set(loose.lower) <= set(exact.lower) and set(loose.upper) <= set(exact.upper)
        assert loose.vmin <= min(v for _, v in points) and loose.vmax >= max(v for _, v in points)
        for big_d in range(exact.lower[0][0], exact.lower[-1][0] + 1):
            (lo, hi), (ex_lo, ex_hi) = loose.bounds(big_d), exact.bounds(big_d)
            assert ex_lo - tolerance <= lo <= ex_lo and ex_hi <= hi <= ex_hi + tolerance
            at = [v for d, v in points if d == big_d]
            assert all(lo <= v <= hi for v in at)
        for _ in range(5):
            qq_w = rng.randint(1, 60)
            low = rng.randint(-50, qq_w * exact.lower[-1][0] + exact.vmax + 50)
            high = low + rng.randint(0, 3 * qq_w)
            assert set(exact.aggregates(qq_w, low, high)) <= set(loose.aggregates(qq_w, low, high))
    assert loose_seen


def _medium(rng: random.Random) -> Problem | None:
    return medium_problem(rng, _random_rules(rng), 10, prefer=False)


@pytest.mark.parametrize("seed", range(8))
def test_span_floor_is_sound(seed: int) -> None:
    """The hulls' floor never passes the least span: the window DP (no bounded search) finds
    nothing in the span just below it."""
    rng = random.Random(2000 + seed)
    checked = 0
    while checked < 6:
        p = _medium(rng)
        if p is None:
            continue
        checked += 1
        m = p.depths[0]
        dp = DepthDP(p.input_size, p.output_size, m, p.bias, p.constraints)
        low, high = p.band()
        floor = relaxed_floor(dp, 0, 60, low, high, WorkBudget(10**12))
        if floor > 0:
            assert not reach_windows(dp, floor - 1, low, high, WorkBudget(10**12))


@pytest.mark.parametrize("seed", range(10))
def test_extreme_counts_follow_the_window(seed: int) -> None:
    """``DepthDP._extreme_count`` (which ``bases`` bisects on) is the count of the window's
    first or last candidates, as :meth:`DepthDP.candidates` lists them."""
    rng = random.Random(3000 + seed)
    for _ in range(40):
        dp, span, _, _ = _random_window(rng)
        for base in range(1, 30):
            ranges = dp.candidates(base, span)
            for top in (False, True):
                want = None if ranges is None else dp.count([hi if top else lo for lo, hi in ranges])
                assert dp._extreme_count(base, span, top) == want
