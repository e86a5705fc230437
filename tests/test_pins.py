"""Pins far from the other widths: the corner cuts, the span and cap floors and the pinned
pair's divisors are sound (against brute force), and the solver's answers match brute force
by every exact method."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest
from reference import best, nearest, plain_count
from test_exact_paths import _force, _solved_as_brute_force

import cpshape.dp as dp_module
import cpshape.ends as ends_module
import cpshape.scan as scan_module
from cpshape import Constraints, Problem, solve
from cpshape.dp import BudgetExhausted, DepthDP, WorkBudget, band_bits, reach_windows
from cpshape.pinned import by_pinned
from cpshape.result import check_shape
from cpshape.scan import depth_dp, nearest_exact


def _far_pinned(rng: random.Random, depth: int, max_width: int, pins: int = 1) -> Problem | None:
    """A problem whose pins sit at the edge of ``1..max_width`` while the budget puts the free
    widths near a quarter (or three quarters) of it: the spread is set by the pins."""
    layers = rng.sample(range(1, depth + 1), pins)
    pinned = [(layer, rng.choice([1, 2, max_width - 1, max_width])) for layer in layers]
    a, c = rng.randint(1, 12), rng.randint(1, 6)
    free = rng.choice([max_width // 4 or 1, 3 * max_width // 4])
    widths = [dict(pinned).get(i, free) for i in range(1, depth + 1)]
    bias = rng.random() < 0.5
    target = plain_count(a, tuple(widths), c, bias) + rng.randint(-3, 3)
    rules: dict[str, object] = {"max_width": max_width, "pins": pinned}
    if rng.random() < 0.2:
        rules["max_ratio"] = rng.choice([4, 8])
    try:
        return Problem(
            a,
            c,
            max(target, 1),
            (depth,),
            bias=bias,
            constraints=Constraints(**rules),  # type: ignore[arg-type]
            tolerance_abs=rng.choice([0, 0, 2]),
            prefer=rng.choice(["spread", "spread", "deviation"]),
        )
    except ValueError:
        return None


@pytest.mark.parametrize("method", ["bounded", "ends", "dp"])
@pytest.mark.parametrize(("depth", "max_width", "seed"), [(3, 24, 1), (4, 12, 2), (5, 8, 3), (6, 6, 4)])
def test_far_pins_match_brute_force(
    depth: int, max_width: int, seed: int, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _force(method, monkeypatch)
    rng = random.Random(7000 + seed)
    checked = 0
    while checked < 20:
        p = _far_pinned(rng, depth, max_width, pins=rng.choice([1, 1, 2]) if depth > 3 else 1)
        if p is None:
            continue
        checked += 1
        r = _solved_as_brute_force(p, depth, max_width)
        if r.widths is None:
            assert r.nearest == nearest(p, depth, max_width), p


def _random_window(rng: random.Random) -> tuple[DepthDP, int, int, int, int]:
    depth, q = rng.randint(2, 4), rng.choice([1, 1, 2])
    pins = [(rng.randint(1, depth), q * rng.randint(1, 12))] if rng.random() < 0.6 else []
    least = min([rng.choice([1, 1, 3]), *(w for _, w in pins)])
    rules = Constraints(multiple_of=q, pins=pins, min_width=least)
    dp = DepthDP(rng.randint(1, 9), rng.randint(1, 5), depth, rng.random() < 0.5, rules)
    base, span = rng.randint(1, 8), rng.randint(0, 10)
    n = dp.count([q * (base + rng.randint(0, span)) for _ in range(depth)])
    low = max(1, n + rng.randint(-40, 10))
    return dp, base, span, low, low + rng.choice([0, 0, 3, 60])


@pytest.mark.parametrize("seed", range(8))
def test_window_corners_keep_every_shape_in_the_band(seed: int) -> None:
    """``DepthDP.window`` cuts widths by the corners' counts: every shape of the uncut window
    with its count in the band keeps all its widths, and no window is dropped that has one."""
    rng = random.Random(7100 + seed)
    for _ in range(60):
        dp, base, span, low, high = _random_window(rng)
        ranges = dp.candidates(base, span)
        q = dp.rules.multiple_of
        inside = [] if ranges is None else [
            widths
            for widths in itertools.product(*(range(lo, hi + 1, q) for lo, hi in ranges))
            if low <= dp.count(widths) <= high
        ]
        win = dp.window(base, span, low, high)
        if not inside:
            continue
        assert win is not None
        for widths in inside:
            assert all(w in layer for w, layer in zip(widths, win.candidates, strict=True))


@pytest.mark.parametrize("seed", range(6))
def test_dominated_windows_change_no_count(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows inside a neighbour are skipped; the counts reached and the smallest widths of
    each count stay those of every window searched."""
    rng = random.Random(7200 + seed)
    for _ in range(25):
        dp, _, span, low, high = _random_window(rng)
        every = list(dp.bases(span, low, high))
        kept = reach_windows(dp, span, low, high, WorkBudget(10**12))
        with monkeypatch.context() as patch:
            patch.setattr(
                dp_module,
                "undominated",
                lambda dp, span, low, high, bases, charge: [
                    r for b in bases if (r := dp.window_ranges(b, span, low, high))
                ],
            )
            full = reach_windows(dp, span, low, high, WorkBudget(10**12), every)
        budget = WorkBudget(10**12)
        assert band_bits(kept, low, high, budget) == band_bits(full, low, high, budget)
        for n in range(low, high + 1):
            mine = [w for r in kept if r.hits(n) and (w := r.widths(n, budget))]
            theirs = [w for r in full if r.hits(n) and (w := r.widths(n, budget))]
            assert min(mine, default=None) == min(theirs, default=None)


def _shapes_of(e: ends_module.Ends, top: int) -> list[tuple[int, ...]]:
    """Every unit vector of the interior search's problem with units up to ``top``, in its band."""
    found = []
    for units in itertools.product(range(e.u_min, top + 1), repeat=e.m):
        if any(units[layer - 1] != u for layer, u in e.pins.items()):
            continue
        if e.low <= e.count(units) <= e.high:
            found.append(units)
    return found


@pytest.mark.parametrize("seed", range(6))
def test_interior_corners_and_cap_floor_are_sound(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The interior search's corners keep the next width of every shape in the band within
    the cap (for any prefix of it), and no cap below its floor (from 1 up) has a shape."""
    monkeypatch.setattr(ends_module, "CORNER_RANGE", 0)  # cut every range, however short
    rng = random.Random(7300 + seed)
    for _ in range(12):
        m, top = rng.randint(3, 4), rng.randint(5, 9)
        pins = [(rng.randint(1, m), rng.choice([1, top]))] if rng.random() < 0.7 else []
        rules = Constraints(pins=pins, max_width=top)
        a, c, bias = rng.randint(1, 9), rng.randint(1, 5), rng.random() < 0.5
        n = plain_count(a, tuple(rng.randint(1, top) for _ in range(m)), c, bias)
        e = ends_module.Ends(a, c, m, bias, rules, (n - rng.randint(0, 6), n))
        shapes = _shapes_of(e, top)
        floor = ends_module._least_open_cap(e, top - 1)  # caps start at 1: spread 0 is in cap 1
        assert floor == 1 or all(max(s) - min(s) >= floor for s in shapes)
        for cap in range(top):
            for shape in shapes:
                if max(shape) - min(shape) > cap:
                    continue
                for k in range(m - 2):  # interior layers 2..m-1, after the prefix of layers 2..k+1
                    lo, hi = ends_module._corners(e, shape[1 : 1 + k], cap)
                    assert lo <= shape[1 + k] <= hi, (shape, k, cap)


@pytest.mark.parametrize("seed", range(6))
def test_span_floor_is_sound(seed: int) -> None:
    """No window of a span below the open floor reaches the band (brute force over widths)."""
    rng = random.Random(7400 + seed)
    for _ in range(20):
        p = _far_pinned(rng, rng.randint(3, 4), 10)
        if p is None:
            continue
        m = p.depths[0]
        dp, (low, high) = depth_dp(p, m), p.band()
        floor = scan_module._open_floor(dp, 0, 9, low, high)
        spreads = [
            max(w) - min(w)
            for w in itertools.product(range(1, 11), repeat=m)
            if not check_shape(p, w)
        ]
        assert all(s >= floor for s in spreads)


@pytest.mark.parametrize("seed", range(8))
def test_all_but_two_pinned_match_brute_force(seed: int) -> None:
    """Every layer pinned but two neighbours (divisors), or but one or two layers that are not
    neighbours (linear in each): the optimum and the nearest counts (one count at a time)
    against brute force."""
    rng = random.Random(7500 + seed)
    checked = 0
    while checked < 15:
        m = rng.randint(3, 5)
        top = {3: 30, 4: 12, 5: 7}[m]  # brute force walks top**m shapes
        kind = rng.choice(["pair", "apart", "one"])
        if kind == "pair":
            first = rng.randint(1, m - 1)
            free = {first, first + 1}
        elif kind == "apart":
            first = rng.randint(1, m - 2)
            free = {first, rng.randint(first + 2, m)}
        else:
            free = {rng.randint(1, m)}
        pins = [(i, rng.randint(1, top)) for i in range(1, m + 1) if i not in free]
        a, c, bias = rng.randint(1, 20), rng.randint(1, 9), rng.random() < 0.5
        widths = [dict(pins).get(i, rng.randint(1, top)) for i in range(1, m + 1)]
        rules: dict[str, object] = {"pins": pins, "max_width": top}
        if rng.random() < 0.3:
            rules["multiple_of"] = 2
            rules["pins"] = pins = [(i, 2 * -(-w // 2)) for i, w in pins if 2 * -(-w // 2) <= top]
        try:
            p = Problem(
                a,
                c,
                plain_count(a, tuple(widths), c, bias) + rng.randint(-2, 2),
                (m,),
                bias=bias,
                constraints=Constraints(**rules),  # type: ignore[arg-type]
                tolerance_abs=rng.choice([0, 1]),
            )
        except ValueError:
            continue
        exact = by_pinned(p, m, p.band())
        if exact is None:  # a pin rounded past max_width was dropped: more than two layers free
            continue
        checked += 1
        found, proof = exact
        left = sorted(set(range(1, m + 1)) - {i for i, _ in pins})
        assert proof == ("divisors" if len(left) == 2 and left[1] == left[0] + 1 else "pinned widths")
        expected = best(p, m, top)
        if expected is None:
            assert found == ()
            below, above = nearest(p, m, top)
            low, high = p.band()
            budget = WorkBudget(10**12)
            assert nearest_exact(p, m, (1, low - 1), -1, budget) == below
            assert nearest_exact(p, m, (high + 1, 2 * high), 1, budget) == above
            continue
        assert found and found[0] == expected[3] and found[1] == expected[2]


def test_first_layer_pinned_far_is_proven() -> None:
    """784 -> 10, 10^8, depth 3, first layer pinned to 1,718 (a quarter of the uniform width):
    no shape (CP-SAT had not proven it in 10 s). The count left for the free pair is
    ``(b_2 + 11) * (b_3 + 1,719) - 11 * 1,719 + 10`` with biases, so a shape needs a divisor
    of 98,670,269 in reach; an independent scan over ``b_2`` finds none."""
    p = Problem(784, 10, 10**8, (3,), constraints=Constraints(pins=[(1, 1718)]))
    (r,) = solve(p).results
    assert r.status == "infeasible" and r.proof == "divisors"
    rest = 10**8 - (784 * 1718 + 1718)  # what the free pair and the output layer must add
    hits = [
        b2
        for b2 in range(1, rest // 1718 + 1)
        if (rest - 1718 * b2 - b2 - 10) % (b2 + 11) == 0 and (rest - 1718 * b2 - b2 - 10) // (b2 + 11) >= 1
    ]
    assert hits == []
    below, above = r.nearest
    for n in (below, above):
        assert n is not None
        # the nearest counts are achievable: some b2 divides what is left at that count
        left = n - (784 * 1718 + 1718)
        assert any(
            (left - 1719 * b2 - 10) % (b2 + 11) == 0 and (left - 1719 * b2 - 10) // (b2 + 11) >= 1
            for b2 in range(1, left // 1718 + 1)
        )


@pytest.mark.parametrize(
    ("a", "c", "params", "depth", "pin"),
    [
        (64, 10, 10**6, 4, (1, 400)),
        (64, 10, 10**6, 4, (4, 400)),
        (64, 10, 10**6, 4, (2, 30)),
        (784, 10, 10**6, 5, (1, 20)),
        (784, 10, 10**6, 5, (5, 900)),
    ],
)
def test_far_pins_two_methods_agree(
    a: int, c: int, params: int, depth: int, pin: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Medium problems with a pin far from the other widths (about 4x or a quarter of the
    uniform width): the interior search and the window DPs, two independent exact methods,
    return the same proven shape, and it recounts to the target."""
    p = Problem(a, c, params, (depth,), constraints=Constraints(pins=[pin]))
    answers = []
    for method in ("ends", "dp"):
        with monkeypatch.context() as patch:
            _force(method, patch)
            (r,) = solve(p).results
        assert r.status == "optimal" and r.widths is not None
        assert r.proof == ("interior search" if method == "ends" else "dp")
        assert plain_count(a, r.widths, c, True) == params and not check_shape(p, r.widths)
        answers.append(r.widths)
    assert answers[0] == answers[1]


def test_pinned_depth6_trial_gets_three_quarters(monkeypatch: pytest.MonkeyPatch) -> None:
    """With pins at depth 6 the first trial (here the window DPs on windows cut by the
    corners) gets three quarters of the budget: 784 -> 10, 10^8, first layer pinned to 17,572
    (four times the uniform width) is proven there, without the interior search (which needs
    about 6 s for it, and was left `feasible` by a 10 s limit with a quarter)."""
    import cpshape.solver as solver_module

    def no_interior_search(*args: object) -> None:
        raise AssertionError("the interior search ran")

    monkeypatch.setattr(solver_module, "solve_by_ends", no_interior_search)
    p = Problem(784, 10, 10**8, (6,), constraints=Constraints(pins=[(1, 17572)]))
    (r,) = solve(p).results
    assert r.status == "optimal" and r.proof == "dp" and r.widths is not None
    assert r.widths[0] == 17572
    assert plain_count(784, r.widths, 10, True) == 10**8 and not check_shape(p, r.widths)


def test_windows_are_paid_for_before_they_are_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A span with many wide windows (a chain far from uniform: depth 12, each width 3-6x the
    next) stops on a small budget before it lists a window too wide for what is left, and
    before it has walked every base (each base is charged)."""
    rules = Constraints(ratio_range=(3, 6))
    p = Problem(4, 3, 5 * 10**9, (12,), tolerance=Fraction(1, 1000), constraints=rules)
    dp, (low, high) = depth_dp(p, 12), p.band()
    span = 10**5
    bases = list(dp.bases(span, low, high))
    calls = {"listed": 0, "ranges": 0}
    listed, ranges = DepthDP.listed, DepthDP.window_ranges

    def count_listed(self: DepthDP, *args: object) -> object:
        calls["listed"] += 1
        return listed(self, *args)  # type: ignore[arg-type]

    def count_ranges(self: DepthDP, *args: object) -> object:
        calls["ranges"] += 1
        return ranges(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(DepthDP, "listed", count_listed)
    monkeypatch.setattr(DepthDP, "window_ranges", count_ranges)
    with pytest.raises(BudgetExhausted):
        reach_windows(dp, span, low, high, WorkBudget(10**6))
    assert len(bases) > 1000
    assert calls["listed"] == 0
    assert 0 < calls["ranges"] < len(bases)


def test_linear_listing_refuses_small_neighbours() -> None:
    """Two free layers between pins of width 1 (count = 3*b_1 + 3*b_3 + 2 at 1 -> 1 with
    biases) would list about P/3 shapes per count: left to the other searches; with wide
    neighbours one residue class holds a handful and the listing answers."""
    small = Problem(1, 1, 10**5 + 1, (3,), constraints=Constraints(pins=[(2, 1)]))
    assert by_pinned(small, 3, small.band()) is None
    wide = Problem(64, 10, 10**5, (3,), constraints=Constraints(pins=[(2, 51)]))
    exact = by_pinned(wide, 3, wide.band())
    assert exact is not None and exact[1] == "pinned widths"
    (r,) = solve(wide).results
    assert r.proof == "pinned widths" and r.status == "infeasible"
    # independently: b_1 * (64 + 51 + 1) + b_3 * (51 + 10 + 1) + 51 + 10 = 10^5 has no solution
    assert not any((10**5 - 61 - 116 * b1) % 62 == 0 for b1 in range(1, 10**5 // 116 + 1))


def test_pinned_pair_below_the_pinned_edges_has_no_shape() -> None:
    """A count below what the pinned edges alone add (50 -> 6 is 306 parameters with biases)
    has no shape, and the divisor listing says so instead of factorising a number <= 0
    (which never ended)."""
    p = Problem(50, 4, 6, (3,), tolerance_abs=3, constraints=Constraints(pins=[(1, 6)], max_width=6))
    assert by_pinned(p, 3, p.band()) == ((), "divisors")
    assert best(p, 3, 6) is None


@pytest.mark.parametrize(
    ("depth", "max_width", "seed"), [(4, 10, 1), (4, 12, 2), (5, 7, 3), (6, 5, 4), (5, 6, 5), (6, 4, 6)]
)
def test_pinned_ends_made_input_and_output_match_brute_force(
    depth: int, max_width: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interior search with layer 1 or layer m pinned (and sometimes the layer next to
    it, or both ends) searches the network with the pinned ends made the input or the output
    (``Ends.without_end``: one interior layer fewer each, the pins held for the spread and
    the pair rules); every rule, against brute force."""
    _force("ends", monkeypatch)
    made = [0]
    without_end = ends_module.Ends.without_end

    def counted(self: ends_module.Ends, first: bool) -> ends_module.Ends | None:
        made[0] += 1
        return without_end(self, first)

    monkeypatch.setattr(ends_module.Ends, "without_end", counted)
    rng = random.Random(9100 + seed)
    checked = 0
    while checked < 25:
        rules: dict[str, object] = {"max_width": max_width}
        rule = rng.choice(["none", "monotone", "max_ratio", "ratio_range", "multiple_of"])
        if rule == "monotone":
            rules["monotone"] = rng.choice(["non-increasing", "non-decreasing"])
        elif rule == "max_ratio":
            rules["max_ratio"] = rng.choice([2, "1.5"])
        elif rule == "ratio_range":
            rules["ratio_range"] = rng.choice([("0.5", 2), (1, 2), ("0.5", 1)])
        q = 2 if rule == "multiple_of" else 1
        rules["multiple_of"] = q
        layers = rng.choice([[1], [1], [depth], [1, 2], [depth - 1, depth], [1, depth]])
        rules["pins"] = [(layer, q * rng.randint(1, max_width // q)) for layer in layers]
        widths = [q * rng.randint(1, max_width // q) for _ in range(depth)]
        a, c, bias = rng.randint(1, 12), rng.randint(1, 6), rng.random() < 0.5
        try:
            p = Problem(
                a,
                c,
                max(1, plain_count(a, tuple(widths), c, bias) + rng.randint(-4, 4)),
                (depth,),
                bias=bias,
                constraints=Constraints(**rules),  # type: ignore[arg-type]
                tolerance_abs=rng.choice([0, 0, 3]),
            )
        except ValueError:
            continue
        checked += 1
        _solved_as_brute_force(p, depth, max_width)
    assert made[0] >= 5  # of the 25, those the interior search got (the rest: residues, bounds, divisors)
