"""The first widths the interior search and the sketch visit for a narrow band (only the
residue classes that can hit it, nearest first) against brute force, and the work caps on
that listing."""

from __future__ import annotations

import random
import time

import pytest

import cpshape.linear_ends as linear_ends_module
import cpshape.sketch as sketch_module
from cpshape import Constraints, Problem, SolverSettings, solve
from cpshape.dp import BudgetExhausted, WorkBudget
from cpshape.linear_ends import RESIDUE_WORDS, residue_candidates


def _reference(alpha: int, gamma: int, delta: int, band, bounds, center: int) -> list[int]:
    """Every ``u`` in ``bounds`` with some integer ``v`` putting ``alpha*u + gamma*v + delta``
    in the band, by distance from ``center``, ties the smaller first (plain loops)."""
    (low, high), (lo, hi) = band, bounds
    def hit(u: int) -> bool:
        return -(-(low - delta - alpha * u) // gamma) <= (high - delta - alpha * u) // gamma

    hits = [u for u in range(lo, hi + 1) if hit(u)]
    return sorted(hits, key=lambda u: (abs(u - center), u))


@pytest.mark.parametrize("huge", [False, True], ids=["small-modulus", "huge-modulus"])
@pytest.mark.parametrize("numpy_from", [0, 10**9], ids=["numpy", "streams"])
@pytest.mark.parametrize("seed", range(8))
def test_residue_candidates_are_every_hit_nearest_first(
    seed: int, huge: bool, numpy_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing (numpy rings for many classes below a modulus of 2^31, merged Python
    streams otherwise) is exactly the first widths some count of the band has, in order of
    distance from the centre, for centres inside, below and above the bounds."""
    monkeypatch.setattr(linear_ends_module, "NUMPY_RESIDUES", numpy_from)
    rng = random.Random(seed)
    checked = 0
    while checked < 25:
        gamma = rng.randint(2**31, 2**33) if huge else rng.randint(200, 5000)
        alpha = rng.randint(1, 4 * gamma)
        delta = rng.randint(-(10**6), 10**6)
        low = rng.randint(-(10**6), 10**6)
        band = (low, low + rng.choice([0, 0, 1, 2, 5]))
        lo = rng.randint(-3000, 3000)
        bounds = (lo, lo + rng.randint(0, 2500))
        outside = (bounds[0] - rng.randint(1, 500), bounds[1] + rng.randint(1, 500))
        center = rng.choice([rng.randint(*bounds), *outside])
        found = residue_candidates(alpha, gamma, delta, band, bounds, center)
        if found is None:
            continue
        checked += 1
        assert list(found) == _reference(alpha, gamma, delta, band, bounds, center), (alpha, gamma, delta)


def test_wide_bands_visit_every_width() -> None:
    """Bands as wide as ``gamma`` (every first width can hit them) are not cut."""
    assert residue_candidates(7, 100, 0, (0, 150), (0, 10), 5) is None
    assert residue_candidates(7, 10**6, 0, (0, 5000), (0, 10), 5) is None  # wider than 4096


def test_residue_listing_is_charged() -> None:
    """The classes of a narrow band are charged to the budget before they are listed, a
    residue at a time: a budget short of that raises, one just enough does not."""
    args = (12345, 10**7 + 19, 17, (10**6, 10**6 + 999), (0, 10**5), 500)
    residues = 1000  # gcd(alpha, gamma) = 1: every count of the band is a residue
    with pytest.raises(BudgetExhausted):
        residue_candidates(*args, WorkBudget(RESIDUE_WORDS * residues))
    budget = WorkBudget(RESIDUE_WORDS * residues + 2)
    assert residue_candidates(*args, budget) is not None and budget.left == 1


def test_sketch_stops_at_its_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """A narrow band over a wide first layer leaves thousands of residue classes per interior
    tuple: the depth keeps its time limit (the sketch ran 37 s after a 5 s limit), and a
    sketch on a smaller cap returns a valid shape no better than the full one's."""
    pin = Constraints(pins=((3, 2464750),))
    problem = Problem(100000, 3, 3 * 10**13, (4,), tolerance_abs=1000, constraints=pin, prefer="deviation")
    start = time.perf_counter()
    result = solve(problem, SolverSettings(time_limit=5)).results[0]
    assert time.perf_counter() - start < 10
    assert result.widths is not None and result.status.value == "feasible"
    args = (100000, 3, 4, True, problem.constraints, problem.band(), problem.params)
    full = sketch_module.sketch_by_ends(*args)
    monkeypatch.setattr(sketch_module, "SKETCH_WORDS", sketch_module.SKETCH_WORDS // 100)
    capped = sketch_module.sketch_by_ends(*args)
    assert full is not None and capped is not None
    spread = lambda shape: max(shape[0]) - min(shape[0])  # noqa: E731
    assert spread(full) <= spread(capped)
    for widths, count in (full, capped):
        low, high = problem.band()
        assert low <= count <= high and widths[2] == 2464750
