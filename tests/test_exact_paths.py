"""The exact searches for deeper networks: the bounded search, the interior search (depths
3-6) and the aggregate and window DPs, each against brute force and against each other."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest
from _rules import medium_problem, random_rules
from reference import best, obeys

import cpshape.scan as scan_module
import cpshape.solver as solver_module
from cpshape import Constraints, Problem, SolverSettings, solve
from cpshape.counting import chain, count_params
from cpshape.result import DepthResult, check_shape


def _random_problem(rng: random.Random, depth: int, max_width: int) -> Problem | None:
    rules: dict[str, object] = {"max_width": max_width}
    if rng.random() < 0.3:
        rules["monotone"] = rng.choice(["non-increasing", "non-decreasing"])
    if rng.random() < 0.2:
        rules["multiple_of"] = 2
    if rng.random() < 0.2:
        rules["max_ratio"] = rng.choice([2, "1.5"])
    top = count_params(chain(30, (max_width,) * depth, 9))
    tolerance = rng.choice([{}, {}, {"tolerance_abs": 1}, {"tolerance_abs": 5}])
    try:
        return Problem(
            rng.randint(1, 30),
            rng.randint(1, 9),
            rng.randint(depth * 4, top),
            (depth,),
            bias=rng.random() < 0.5,
            constraints=Constraints(**rules),  # type: ignore[arg-type]
            prefer=rng.choice(["spread", "spread", "deviation"]),
            **tolerance,
        )
    except ValueError:
        return None


def _key(problem: Problem, widths: tuple[int, ...]) -> tuple[int, ...]:
    n = count_params(chain(problem.input_size, widths, problem.output_size), problem.bias)
    spread, dev = max(widths) - min(widths), abs(n - problem.params)
    first = (spread, dev) if problem.prefer == "spread" else (dev, spread)
    return (*first, n, *widths)


def _force(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the solver use one exact method: the bounded search (its default, but for the
    interior search's first try at depth 4, turned off here), the interior search at depths
    3-6, or the window DPs; ``loose``: the bounded search with hulls as loose as a whole
    ``q^2*w`` (``HULL_TOLERANCE = 1``; the default 512 loosens them only from base width 512
    on, beyond brute force), which changes what it tabulates, never its answers."""
    if method != "ends":
        monkeypatch.setattr(solver_module, "ENDS_QUICK_DEPTH", 0)
    if method == "loose":
        import cpshape.hulls as hulls_module

        monkeypatch.setattr(hulls_module, "HULL_TOLERANCE", 1)
    if method == "ends":
        monkeypatch.setattr(solver_module, "ENDS_TRIAL_SHARE", 0.0)
        monkeypatch.setattr(solver_module, "ENDS_PINNED_SHARE", 0.0)
    if method in ("ends", "dp"):
        monkeypatch.setattr(scan_module, "bounded_applies", lambda *args: False)


def _solved_as_brute_force(p: Problem, depth: int, max_width: int) -> DepthResult:
    """Solve the one-depth ``p`` and check it against brute force over widths up to
    ``max_width``: infeasible exactly when no shape exists, else optimal, every rule kept,
    and the brute-force optimum's widths."""
    (r,) = solve(p).results
    expected = best(p, depth, max_width)
    if expected is None:
        assert r.widths is None and r.status == "infeasible", (p, r)
        return r
    assert r.widths is not None and r.status == "optimal", (p, r)
    assert obeys(p, r.widths) and not check_shape(p, r.widths)
    assert _key(p, r.widths) == (*expected[:3], *expected[3])
    return r


@pytest.mark.parametrize("method", ["bounded", "ends", "dp", "loose"])
@pytest.mark.parametrize(("depth", "max_width", "seed"), [(4, 8, 1), (5, 6, 2), (6, 4, 3), (7, 3, 4)])
def test_deeper_depths_match_brute_force(
    depth: int, max_width: int, seed: int, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _force(method, monkeypatch)
    rng = random.Random(seed)
    checked = 0
    while checked < 25:
        p = _random_problem(rng, depth, max_width)
        if p is None:
            continue
        checked += 1
        _solved_as_brute_force(p, depth, max_width)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_aggregate_dp_equals_window_dp(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Depths 7-8 at realistic sizes: the aggregate DP and the plain window DP agree."""
    rng = random.Random(seed)
    settings = SolverSettings(dp_work=5 * 10**8)
    for _ in range(8):
        rules: dict[str, object] = {}
        if rng.random() < 0.4:
            rules["monotone"] = rng.choice(["non-increasing", "non-decreasing"])
        if rng.random() < 0.3:
            rules["multiple_of"] = rng.choice([2, 4])
        p = Problem(
            rng.randint(1, 800),
            rng.randint(1, 20),
            rng.randint(10**4, 10**5),
            (rng.randint(7, 8),),
            bias=rng.random() < 0.5,
            constraints=Constraints(**rules),  # type: ignore[arg-type]
        )
        with_aggregate = solve(p, settings).results[0]
        monkeypatch.setattr(scan_module, "aggregate_applies", lambda *args: False)
        plain = solve(p, settings).results[0]
        monkeypatch.undo()
        assert (with_aggregate.widths, with_aggregate.status) == (plain.widths, plain.status), p


def _rules(rng: random.Random) -> dict[str, object]:
    return random_rules(rng, [2, 4, 8], [2, "1.25", "1.05"], (5, 60), (60, 400))


def _medium_problem(rng: random.Random) -> Problem | None:
    return medium_problem(rng, _rules(rng), 12, prefer=True)


@pytest.mark.parametrize("seed", range(6))
def test_bounded_search_equals_window_dp(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Depths 3-12 at realistic sizes, every kind of rule, bands and both objectives: where
    both settle a problem, the bounded search and the window DPs agree on status and widths."""
    rng = random.Random(100 + seed)
    # Only proven statuses are compared, and those do not depend on where a limit struck;
    # the time limit only keeps CP-SAT's nearest-count proofs (the slow part) short.
    settings = SolverSettings(dp_work=5 * 10**8, deterministic_limit=1, time_limit=6)
    by_search = 0
    for _ in range(10):
        p = _medium_problem(rng)
        if p is None:
            continue
        _force("bounded", monkeypatch)
        bounded = solve(p, settings).results[0]
        _force("dp", monkeypatch)
        classic = solve(p, settings).results[0]
        monkeypatch.undo()
        proven = ("optimal", "infeasible")
        if bounded.status in proven and classic.status in proven:
            assert (bounded.widths, bounded.status) == (classic.widths, classic.status), p
            by_search += bounded.proof == "bounded search"
    assert by_search >= 5


@pytest.mark.parametrize(
    ("a", "c", "params", "depth", "bias"),
    [
        (784, 10, 10**8, 6, True),
        (784, 10, 10**9, 32, True),
        (64, 10, 10**7, 12, False),
        (784, 10, 10**10, 9, True),
    ],
)
def test_bounded_search_large_budgets(a: int, c: int, params: int, depth: int, bias: bool) -> None:
    """Large exact counts are proven by the bounded search. An independent method, the
    aggregate DP, confirms the spread: no window one narrower reaches the count, and a window
    of the found spread does."""
    from cpshape.aggregate import reach_aggregate
    from cpshape.dp import DepthDP, WorkBudget

    p = Problem(a, c, params, (depth,), bias=bias)
    (r,) = solve(p).results
    assert r.status == "optimal" and r.proof == "bounded search" and r.widths is not None
    assert count_params(chain(a, r.widths, c), bias) == params
    spread = max(r.widths) - min(r.widths)
    dp = DepthDP(a, c, depth, bias, Constraints())
    budget = WorkBudget(10**12)

    def reaches(span: int) -> bool:
        bases = list(dp.bases(span, params, params))
        return any(x.hits(params) for x in reach_aggregate(dp, span, bases, params, params, budget))

    assert spread > 0 and not reaches(spread - 1) and reaches(spread)


@pytest.mark.parametrize(
    ("a", "c", "params", "depths", "rules"),
    [
        (784, 10, 10**12, (32,), Constraints()),
        (64, 10, 10**9 + 2, (4, 16), Constraints(multiple_of=8, max_ratio=Fraction(3, 2))),
        (784, 10, 10**8, (4, 6), Constraints(monotone="non-increasing")),
    ],
)
def test_search_nodes_by_loop_and_by_numpy_agree(
    a: int, c: int, params: int, depths: tuple[int, ...], rules: Constraints, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node of the bounded search lists its children with numpy on wide spans and with a
    plain loop on narrow ones (``_NUMPY_NODE``); either way everywhere, the same answers."""
    import cpshape.tables as tables_module

    p = Problem(a, c, params, depths, constraints=rules)
    _force("bounded", monkeypatch)  # depth 4 too (not the interior search's first try)
    answers = []
    for threshold in (0, 10**6):
        monkeypatch.setattr(tables_module, "_NUMPY_NODE", threshold)
        report = solve(p)
        assert report.all_optimal
        answers.append([(r.widths, r.params, r.proof) for r in report.results])
    assert answers[0] == answers[1]
    assert {proof for *_, proof in answers[0]} == {"bounded search"}


@pytest.mark.parametrize("seed", range(20))
def test_bounded_masks_follow_the_rules(seed: int) -> None:
    """The bounded search's allowed offsets are exactly what the rules allow on the widths."""
    from cpshape.dp import DepthDP, pair_rule
    from cpshape.tables import _masks

    rng = random.Random(seed)
    rules = _rules(rng)
    depth = rng.randint(3, 6)
    if rng.random() < 0.5:
        rules["pins"] = [(rng.randint(1, depth), rng.choice([32, 48, 64]))]
    try:
        constraints = Constraints(**rules)  # type: ignore[arg-type]
    except ValueError:
        return
    dp = DepthDP(30, 5, depth, True, constraints)
    q, span = constraints.multiple_of, rng.randint(0, 12)
    base = rng.randint(1, 80 // q)
    pairs, layers = _masks(dp, base, span)
    rule = pair_rule(constraints)
    pins = constraints.pin_map()
    for d in range(span + 1):
        x = q * (base + d)
        for e in range(span + 1):
            y = q * (base + e)
            assert pairs[d, e] == (rule is None or rule(x, y)), (x, y, rules)
        for i, layer in enumerate(layers, start=1):
            top = constraints.max_width
            fits = x >= constraints.min_width and (top is None or x <= top)
            assert layer[d] == (fits and pins.get(i, x) == x)


# --------------------------------------------------------------- chains far from uniform
_FAR_RANGES = [("3/2", "3"), ("2", "4"), ("1/3", "1/2"), ("6/5", "2")]


@pytest.mark.parametrize("cp_first", [True, False], ids=["cp-sat-first", "exact-only"])
@pytest.mark.parametrize(
    ("depth", "max_width", "ratio"),
    [(2, 90, 0), (2, 90, 2), (3, 40, 0), (3, 60, 1), (3, 60, 2), (4, 18, 1), (4, 18, 2), (5, 12, 3)],
)
def test_far_from_uniform_chains_match_brute_force(
    depth: int, max_width: int, ratio: int, cp_first: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ratio ranges that exclude 1 hold every width a factor away from the next. CP-SAT goes
    first on them (and proves them), except at depth 3 with the spread first, where the
    interior search does (its corners carry the pair rules), and at depth 4, where the interior
    search has a first try within a few words; with CP-SAT first turned off the
    exact searches must give the same canonical answer. Both are checked against brute force
    (either objective first, exact counts and narrow bands), infeasible depths included."""
    if not cp_first:
        monkeypatch.setattr(solver_module, "CP_FIRST_DEPTH", 10**9)
    lo, hi = _FAR_RANGES[ratio]
    rng = random.Random(100 * depth + ratio)
    for _ in range(6):
        a, c, bias = rng.randint(1, 12), rng.randint(1, 5), rng.random() < 0.5
        rules = Constraints(ratio_range=(lo, hi), max_width=max_width)
        top = count_params(chain(a, (max_width,) * depth, c), bias)
        p = Problem(
            a,
            c,
            rng.randint(depth * 3, top // 3),
            (depth,),
            bias=bias,
            constraints=rules,
            prefer=rng.choice(["spread", "deviation"]) if depth > 2 else "spread",
            # depth 2: bands too wide for the divisors, which would settle them first
            tolerance_abs=rng.choice([0, 0, 3]) if depth > 2 else 1100,
        )
        (r,) = solve(p).results
        expected = best(p, depth, max_width)
        if expected is None:
            assert r.status == "infeasible" and r.widths is None, (p, r)
        else:
            assert r.status == "optimal" and r.widths is not None, (p, r)
            assert obeys(p, r.widths) and _key(p, r.widths) == (*expected[:3], *expected[3])
        # who proved it: CP-SAT when it goes first, unless the width bounds settle it before
        exact = ("bounds", "interior search", "bounded search", "dp")
        first = ("cp-sat", "bounds")
        if p.prefer == "spread" and depth in (3, 4):  # the interior search first (or a first try)
            first = exact if depth == 3 else (*first, "interior search")
        assert r.proof in (first if cp_first else exact), (p, r.proof)


def test_rejected_pairs_are_paid_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window DP and the interior search charge their budget for every pair of widths they
    look at, kept or rejected by the pair rule: a rule that rejects them all cannot make a
    search run unbudgeted (it once ran for minutes inside a 3 s budget)."""
    import cpshape.ends as ends_module
    import cpshape.linear_ends as linear_ends_module
    from cpshape.budget import Stopped
    from cpshape.dp import PAIR_WORDS, BudgetExhausted, DepthDP, WorkBudget

    rules = Constraints(ratio_range=(3, 6))
    dp = DepthDP(64, 10, 4, True, rules)
    win = dp.window(100, 30, 0, 10**9)  # widths 100..130: no pair is 3x apart
    assert win is not None
    layers = win.candidates
    pairs = sum(len(x) * len(y) for x, y in itertools.pairwise(layers))
    budget = WorkBudget(10**12)
    assert dp.reachable(win, budget)[0] == 0
    assert pairs > 0 and budget.given - budget.left >= PAIR_WORDS * pairs
    with pytest.raises(BudgetExhausted):
        dp.reachable(win, WorkBudget(PAIR_WORDS * pairs // 2))

    # The interior search cuts each layer's widths to the pair rules' interval at once: every
    # width of the range it cut is paid for, as if checked.
    checks, cut = [0], linear_ends_module.Ends.next_range

    def counting_cut(self: linear_ends_module.Ends, neighbour: int, lo: int, hi: int) -> tuple[int, int]:
        checks[0] += max(0, hi - lo + 1)
        return cut(self, neighbour, lo, hi)

    monkeypatch.setattr(linear_ends_module.Ends, "next_range", counting_cut)
    args = (64, 10, 4, True, rules, (10**6, 10**6), 10**6, 10**5)
    whole = WorkBudget(10**8)
    assert ends_module.solve_by_ends(*args, whole) is not None
    checks[0], budget = 0, WorkBudget((whole.given - whole.left) // 2)
    with pytest.raises(Stopped):  # the interior search's exhaustion, with the caps it ruled out
        ends_module.solve_by_ends(*args, budget)
    assert checks[0] > 0 and budget.given - budget.left >= PAIR_WORDS * checks[0] // 2


def _small_chain(
    rng: random.Random,
    depth: int,
    max_width: int,
    rules: dict[str, object],
    pin_chance: float,
    key: str,
    choices: list[object],
) -> tuple[Constraints, int, int, bool, int] | None:
    """``rules`` plus, by chance, a pin and a ``key`` rule drawn from ``choices``; then sizes:
    ``(constraints, a, c, bias, the count at max_width everywhere)``, or ``None`` when the
    rules do not form valid constraints."""
    if rng.random() < pin_chance:
        rules["pins"] = [(rng.randint(1, depth), rng.randint(1, max_width))]
    if rng.random() < 0.3:
        rules[key] = rng.choice(choices)
    try:
        constraints = Constraints(**rules)  # type: ignore[arg-type]
    except ValueError:
        return None
    a, c, bias = rng.randint(1, 8), rng.randint(1, 5), rng.random() < 0.5
    return constraints, a, c, bias, count_params(chain(a, (max_width,) * depth, c), bias)


@pytest.mark.parametrize("seed", range(30))
def test_outside_bounds_is_sound(seed: int) -> None:
    """The cheap certificate that every shape counts outside the band (from the widths'
    sound bounds: pins, minimum and maximum widths, ratio rules) never fires while brute force
    finds a shape in the band; and a pin far above what the band allows always fires."""
    from cpshape.scan import outside_bounds

    rng = random.Random(seed)
    depth, max_width = rng.randint(2, 4), 9
    rules: dict[str, object] = {"max_width": rng.randint(3, max_width)}
    if rng.random() < 0.5:
        rules["min_width"] = rng.randint(1, 4)
    ranges: list[object] = [("1", "2"), ("3/2", "3"), ("1/3", "1")]
    drawn = _small_chain(rng, depth, max_width, rules, 0.5, "ratio_range", ranges)
    if drawn is None:
        return
    constraints, a, c, bias, top = drawn
    for _ in range(10):
        low = rng.randint(1, top + 20)
        p = Problem(a, c, low, (depth,), bias=bias, constraints=constraints, tolerance_abs=rng.choice([0, 5]))
        if outside_bounds(p, depth, p.band()):
            assert best(p, depth, max_width) is None, p
    pinned = Problem(784, 10, 10**5, (3,), constraints=Constraints(pins=[(1, 404)]))
    assert outside_bounds(pinned, 3, pinned.band())  # 784 * 404 weights alone exceed 10^5
    assert solve(pinned).results[0].proof == "bounds"


@pytest.mark.parametrize("seed", range(30))
def test_extreme_count_is_the_nearest_count(seed: int) -> None:
    """Where the widest (or narrowest) shape the sound bounds allow is valid and counts inside
    a side band, it is that side's nearest count: brute force over every shape agrees, and the
    solver reports it for an infeasible band."""
    from reference import nearest

    from cpshape.scan import extreme_count

    rng = random.Random(500 + seed)
    depth, max_width = rng.randint(1, 3), rng.randint(3, 8)
    rules: dict[str, object] = {"max_width": max_width}
    if rng.random() < 0.4:
        rules["min_width"] = rng.randint(1, 3)
    drawn = _small_chain(rng, depth, max_width, rules, 0.3, "monotone", ["non-increasing"])
    if drawn is None:
        return
    constraints, a, c, bias, top = drawn
    for _ in range(12):
        p = Problem(a, c, rng.randint(1, 2 * top), (depth,), bias=bias, constraints=constraints)
        low, high = p.band()
        below, above = nearest(p, depth, max_width)
        if low > 1 and (n := extreme_count(p, depth, (1, low - 1), -1)) is not None:
            assert n == below, p
        if (n := extreme_count(p, depth, (high + 1, 2 * high), 1)) is not None:
            assert n == above, p
        (r,) = solve(p).results
        if r.status == "infeasible":
            assert r.nearest == (below, above), p
    # a band above everything max_width allows: the widest shape is the nearest count below
    from reference import plain_count

    capped = Problem(20, 2, 2 * 10**7, (3,), constraints=Constraints(max_width=2581))
    widest = plain_count(20, (2581, 2581, 2581), 2, True)
    assert extreme_count(capped, 3, (1, capped.band()[0] - 1), -1) == widest
    assert solve(capped).results[0].nearest == (widest, None)
