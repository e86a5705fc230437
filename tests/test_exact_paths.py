"""The exact searches for deeper networks: interior search (depths 3-6) and the aggregate DP
(depth >= 7 and shared mode), each against brute force or against the plain window DP."""

from __future__ import annotations

import random

import pytest
from reference import best, obeys

import cpshape.solver as solver_module
from cpshape import Constraints, Problem, SolverSettings, solve
from cpshape.counting import chain, count_params


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


@pytest.mark.parametrize(("depth", "max_width", "seed"), [(4, 8, 1), (5, 6, 2), (6, 4, 3), (7, 3, 4)])
def test_deeper_depths_match_brute_force(depth: int, max_width: int, seed: int) -> None:
    rng = random.Random(seed)
    checked = 0
    while checked < 25:
        p = _random_problem(rng, depth, max_width)
        if p is None:
            continue
        checked += 1
        (r,) = solve(p).results
        expected = best(p, depth, max_width)
        if expected is None:
            assert r.widths is None and r.status == "infeasible"
            continue
        assert r.widths is not None and r.status == "optimal", (p, r)
        assert obeys(p, r.widths)
        assert _key(p, r.widths) == (*expected[:3], *expected[3])


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
        monkeypatch.setattr(solver_module, "aggregate_applies", lambda *args: False)
        plain = solve(p, settings).results[0]
        monkeypatch.undo()
        assert (with_aggregate.widths, with_aggregate.status) == (plain.widths, plain.status), p
