"""The spread / deviation frontier against exhaustive enumeration on tiny problems."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest

from cpshape.counting import chain, count_params
from cpshape.pareto import FrontierPoint, Stop, frontier
from cpshape.result import Status, check_shape
from cpshape.solver import solve
from cpshape.spec import Constraints, Monotone, Problem, SolverSettings

Point = tuple[int, int, tuple[int, ...]]  # spread, deviation, widths


def brute_frontier(problem: Problem, depth: int, top: int) -> tuple[list[Point], bool]:
    """Every valid shape with widths <= ``top`` (``top`` >= max_width makes it exhaustive).

    Returns the improving points up to the first in the band, and whether the band was reached.
    """
    low, high = problem.band()
    cap = 2 * high
    shapes = []
    for widths in itertools.product(range(1, top + 1), repeat=depth):
        if not check_shape(problem, widths, band=(1, cap)):
            count = count_params(chain(problem.input_size, widths, problem.output_size), problem.bias)
            shapes.append((max(widths) - min(widths), count, widths))
    points: list[Point] = []
    best: int | None = None
    for spread in sorted({s for s, _, _ in shapes}):
        upto = [(abs(n - problem.params), n, w) for s, n, w in shapes if s <= spread]
        gap, count, _ = min(upto)
        if best is None or gap < best:
            widths = min(w for _, n, w in upto if n == count)
            points.append((spread, count - problem.params, widths))
            best = gap
            if low <= count <= high:
                return points, True
    return points, False


def as_tuples(points: tuple[FrontierPoint, ...]) -> list[Point]:
    return [(p.spread, p.deviation, p.widths) for p in points]


CASES = [
    Problem(3, 2, 40, (1, 2, 3), constraints=Constraints(max_width=9)),
    Problem(3, 2, 57, (2, 3), bias=False, constraints=Constraints(max_width=9)),
    Problem(2, 5, 90, (1, 2, 3), constraints=Constraints(max_width=9, monotone=Monotone.NON_INCREASING)),
    Problem(4, 1, 75, (2, 3), constraints=Constraints(max_width=10, multiple_of=2)),
    Problem(3, 3, 66, (2, 3), constraints=Constraints(max_width=9, max_ratio=Fraction(2))),
    Problem(1, 1, 50, (3,), constraints=Constraints(max_width=9, min_width=2, pins=((2, 7),))),
    Problem(2, 2, 61, (2, 3), tolerance_abs=2, constraints=Constraints(max_width=9)),
    Problem(5, 2, 120, (2, 3), tolerance=Fraction(1, 20), constraints=Constraints(max_width=9, max_spread=3)),
    Problem(2, 3, 300, (2, 3), constraints=Constraints(max_width=6)),  # never reaches the band
    Problem(3, 2, 44, (2, 3), constraints=Constraints(max_width=9, ratio_range=(Fraction(5, 4), 3))),
]


@pytest.mark.parametrize("problem", CASES, ids=lambda p: f"{p.input_size}-{p.output_size}-{p.params}")
def test_frontier_matches_brute_force(problem: Problem) -> None:
    top = problem.constraints.max_width
    assert top is not None
    for result in frontier(problem):
        expected, in_band = brute_frontier(problem, result.depth, top)
        assert as_tuples(result.points) == expected, result.depth
        if in_band:
            assert (result.status, result.stopped) == (Status.OPTIMAL, Stop.BAND)
        else:
            assert (result.status, result.stopped) == (Status.INFEASIBLE, Stop.SPANS)
        for point in result.points:
            assert point.params - problem.params == point.deviation
            sizes = chain(problem.input_size, point.widths, problem.output_size)
            assert count_params(sizes, problem.bias) == point.params


def test_frontier_is_monotone_and_ends_exact_by_default() -> None:
    (result,) = frontier(Problem(784, 10, 100_000, (3,)))
    gaps = [abs(p.deviation) for p in result.points]
    spreads = [p.spread for p in result.points]
    assert gaps == sorted(gaps, reverse=True) and len(set(gaps)) == len(gaps)
    assert spreads == sorted(spreads) and len(set(spreads)) == len(spreads)
    assert result.points[-1].deviation == 0 and result.stopped is Stop.BAND
    assert result.searched_up_to == result.points[-1].spread


@pytest.mark.parametrize(
    "problem",
    [
        Problem(784, 10, 100_000, (2, 3, 4)),
        Problem(4, 3, 1000, (2, 3, 5), tolerance=Fraction(1, 200)),
        Problem(64, 10, 20_000, (3,), tolerance_abs=2, constraints=Constraints(multiple_of=4)),
        Problem(4, 3, 1000, (1,)),  # infeasible: 8b + 3 never hits 1000
    ],
)
def test_last_point_is_the_solvers_answer(problem: Problem) -> None:
    report = solve(problem)
    for result, answer in zip(frontier(problem), report.results, strict=True):
        last = result.points[-1]
        assert result.status is answer.status
        if answer.status is Status.OPTIMAL:
            assert (last.spread, last.params, last.widths) == (answer.spread, answer.params, answer.widths)
        else:
            assert answer.nearest is not None and last.params in answer.nearest
            assert abs(last.deviation) == min(abs(n - problem.params) for n in answer.nearest if n)


def test_budget_cuts_the_frontier_to_a_proven_prefix() -> None:
    problem = Problem(784, 10, 100_000, (3,))
    (full,) = frontier(problem)
    seen_partial = False
    for work in (0, 1, 10**4, 10**5, 10**6, 3 * 10**6):
        (cut,) = frontier(problem, SolverSettings(dp_work=work))
        if cut.stopped is Stop.BAND:
            assert cut.points == full.points
            continue
        seen_partial = True
        assert cut.stopped is Stop.BUDGET
        assert cut.status is (Status.FEASIBLE if cut.points else Status.UNKNOWN)
        assert cut.points == full.points[: len(cut.points)]
        reached = -1 if cut.searched_up_to is None else cut.searched_up_to
        assert [p for p in full.points if p.spread <= reached] == list(cut.points)
    assert seen_partial
    (nothing,) = frontier(problem, SolverSettings(dp_work=0))
    assert (nothing.status, nothing.points, nothing.searched_up_to) == (Status.UNKNOWN, (), None)


def test_no_shape_within_twice_the_band() -> None:
    (result,) = frontier(Problem(3, 2, 40, (2,), constraints=Constraints(min_width=50)))
    assert (result.status, result.points, result.stopped) == (Status.INFEASIBLE, (), Stop.SPANS)


def test_random_tiny_problems_match_brute_force() -> None:
    rng = random.Random(7)
    for _ in range(40):
        top = rng.randint(3, 8)
        rules = Constraints(
            max_width=top,
            multiple_of=rng.choice((1, 1, 2)),
            monotone=rng.choice(list(Monotone)),
            max_ratio=rng.choice((None, Fraction(3, 2), Fraction(3))),
        )
        problem = Problem(
            rng.randint(1, 6), rng.randint(1, 6), rng.randint(5, 150), (1, 2, 3),
            tolerance_abs=rng.choice((None, 0, 1, 3)), bias=rng.random() < 0.7, constraints=rules,
        )  # fmt: skip
        for result in frontier(problem):
            expected, in_band = brute_frontier(problem, result.depth, top)
            assert as_tuples(result.points) == expected, (problem, result.depth)
            assert result.status is (Status.OPTIMAL if in_band else Status.INFEASIBLE)
