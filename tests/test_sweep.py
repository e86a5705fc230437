"""The depth-4 sweep (:mod:`cpshape.sweep`) against enumeration of every offset tuple, and
the searches that use it against the same searches on the tables."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from _rules import random_rules
from reference import obeys, plain_count

from cpshape import Constraints, Problem, SolverSettings, solve
from cpshape import bounded as bounded_module
from cpshape import sweep as sweep_module
from cpshape.dp import DepthDP, WorkBudget
from cpshape.sweep import Sweep, intervals, sweep_applies
from cpshape.tables import _build_tables, _linear_gain, _masks, _Search


def _window(rng: random.Random):
    """A random depth-4 window: the rules (sometimes a pin), a span, a base, its masks."""
    while True:
        rules = random_rules(rng, [2, 3], [2, "1.25", "1.1"], (5, 40), (20, 80), chance=0.3)
        if rng.random() < 0.3:
            rules["pins"] = [(rng.randint(1, 4), rng.choice([12, 16, 24, 30]))]
        try:
            constraints = Constraints(**rules)  # type: ignore[arg-type]
        except ValueError:
            continue
        dp = DepthDP(rng.randint(1, 40), rng.randint(1, 12), 4, rng.random() < 0.5, constraints)
        span = rng.randint(0, 7)
        base = rng.randint(1, 40 // constraints.multiple_of)
        pairs, layers = _masks(dp, base, span)
        return dp, span, pairs, layers


def _shapes(dp: DepthDP, span: int, pairs, layers) -> dict[int, list[tuple[tuple[int, ...], int]]]:
    """Per aggregate ``D``, every allowed offset tuple with its ``V``, in lexicographic order."""
    qq = dp.rules.multiple_of**2
    found: dict[int, list[tuple[tuple[int, ...], int]]] = {}
    for d in itertools.product(range(span + 1), repeat=4):
        steps = list(itertools.pairwise(d))
        if not all(layers[i][d[i]] for i in range(4)) or not all(pairs[x][y] for x, y in steps):
            continue
        v = sum(_linear_gain(dp, i, d[i]) for i in range(4)) + qq * sum(x * y for x, y in steps)
        found.setdefault(d[0] + 2 * d[1] + 2 * d[2] + d[3], []).append((d, v))
    return found


@pytest.mark.parametrize("seed", range(30))
def test_sweep_answers_as_enumeration(seed: int) -> None:
    """Every query the bounded search asks (the lexicographically smallest offsets with an
    aggregate and ``V`` in a range, the least and greatest ``V`` per aggregate and in a range)
    equals what enumerating every offset tuple gives, and what the tables' search gives."""
    rng = random.Random(seed)
    for _ in range(4):
        dp, span, pairs, layers = _window(rng)
        assert sweep_applies(dp, span, pairs, layers, 0, 10**9)  # the rules always leave intervals
        sweep = Sweep(dp, pairs, layers, WorkBudget(10**12))
        tables = _build_tables(dp, span, pairs, layers, WorkBudget(10**12))
        search = _Search(tables, pairs, layers, WorkBudget(10**12), dp.rules.multiple_of**2)
        shapes = _shapes(dp, span, pairs, layers)
        aggregates = tuple(range(-1, 6 * span + 2))
        vmin, vmax = sweep.ranges(aggregates)
        for big_d, low, high in zip(aggregates, vmin, vmax, strict=True):
            values = [v for _, v in shapes.get(big_d, [])]
            if values:
                assert (low, high) == (min(values), max(values))
            else:
                assert low > high
        for big_d, listed in shapes.items():
            values = sorted({v for _, v in listed})
            for _ in range(6):
                vlo = rng.randint(values[0] - 3, values[-1] + 3)
                vhi = vlo + rng.choice([0, 0, 1, 5, 40])
                want = next((d for d, v in listed if vlo <= v <= vhi), None)
                assert sweep.first(big_d, vlo, vhi) == want, (seed, big_d, vlo, vhi)
                assert search.first(big_d, vlo, vhi) == want
                inside = [v for v in values if vlo <= v <= vhi]
                extremes = (min(inside), max(inside)) if inside else (None, None)
                assert (sweep.least_v(big_d, vlo, vhi), sweep.greatest_v(big_d, vlo, vhi)) == extremes
                assert (search.least_v(big_d, vlo, vhi), search.greatest_v(big_d, vlo, vhi)) == extremes


def test_intervals_refuse_a_split_mask() -> None:
    """Where an end layer's allowed offsets next to a neighbour are not one interval, the
    sweep does not apply (the tables serve that window)."""
    dp = DepthDP(10, 3, 4, True, Constraints())
    pairs, layers = _masks(dp, 20, 5)
    assert sweep_applies(dp, 5, pairs, layers, 1, 10**6)
    assert not sweep_applies(dp, 5, pairs, layers, 10**4, 10**6)  # a pass each: the tables pay
    split = [layer.copy() for layer in layers]
    split[0][2] = False  # first layer: offsets 0-1 and 3-5
    assert intervals(pairs, split) is None and not sweep_applies(dp, 5, pairs, split, 1, 10**6)
    assert not sweep_applies(DepthDP(10, 3, 5, True, Constraints()), 5, *_masks(dp, 20, 5), 1, 10**6)
    # the first layer next to a neighbour: the same test on the pair masks' columns
    cut = pairs.copy()
    cut[1, 3] = False
    assert intervals(cut, layers) is None
    assert intervals(np.ones_like(pairs), layers) is not None


@pytest.mark.parametrize(
    ("size", "params", "rules"),
    [
        ((784, 10), 10**12, {}),
        ((784, 10), 10**11, {"min_width": 150000}),
        ((64, 10), 3 * 10**9, {"monotone": "non-increasing"}),
        ((784, 10), 10**10, {"multiple_of": 4}),  # no shape: the nearest counts
    ],
)
def test_solves_match_the_tables(size, params, rules, monkeypatch: pytest.MonkeyPatch) -> None:
    """Depth-4 solves at large counts, where the bounded search runs and the sweep serves it,
    give the same status, widths and nearest counts as with the tables (the sweep switched
    off); the widths obey the rules and recount to the target."""
    problem = Problem(*size, params, (4,), constraints=Constraints(**rules))  # type: ignore[arg-type]
    settings = SolverSettings(time_limit=30)
    calls = []
    original = bounded_module.Sweep
    monkeypatch.setattr(bounded_module, "Sweep", lambda *a: calls.append(1) or original(*a))
    with_sweep = solve(problem, settings).results[0]
    assert calls, "the sweep was not used"
    monkeypatch.setattr(sweep_module, "PASS_NS", 2**40)
    with_tables = solve(problem, settings).results[0]
    assert with_sweep.status.value in ("optimal", "infeasible")
    assert with_sweep.status == with_tables.status
    assert (with_sweep.widths, with_sweep.nearest) == (with_tables.widths, with_tables.nearest)
    if with_sweep.widths is None:
        assert with_sweep.nearest is not None
    else:
        assert obeys(problem, with_sweep.widths)
        assert plain_count(size[0], with_sweep.widths, size[1], True) == params
