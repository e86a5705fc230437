"""Hand-built reports and a stand-in solver for the CLI and renderer tests (no OR-Tools)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from cpshape.counting import chain, count_params
from cpshape.result import DepthResult, Report, Status
from cpshape.spec import Constraints, Problem, SolverSettings

VERSIONS = {"cpshape": "0.1.0", "ortools": "9.99.0"}


def sample_problem(same_count: bool = False) -> Problem:
    return Problem(
        4,
        3,
        1000,
        (1, 2, 3, 12, 13),
        tolerance=Fraction(5, 100),
        constraints=Constraints(max_width=120),
        same_count=same_count,
    )


def found(
    problem: Problem,
    depth: int,
    widths: tuple[int, ...],
    status: Status = Status.OPTIMAL,
    seconds: float = 0.0,
    proof: str = "dp",
    joined: bool = True,
) -> DepthResult:
    params = count_params(chain(problem.input_size, widths, problem.output_size), problem.bias)
    return DepthResult(depth, status, widths, params, None, seconds, proof, joined, problem.params)


def sample_report(same_count: bool = False) -> Report:
    """Every status, a long shape that compacts, an infeasible depth with a one-sided nearest."""
    p = sample_problem(same_count)
    results = (
        DepthResult(1, Status.INFEASIBLE, nearest=(963, None), seconds=0.001, proof="dp", target=1000),
        found(p, 2, (27, 28), seconds=0.0123),
        found(p, 3, (20, 20, 20), seconds=0.2, proof="closed form", joined=False),
        found(p, 12, (9, 9, 9, 8, 9, 9, 9, 9, 9, 9, 9, 9), Status.FEASIBLE, seconds=12.5, proof="cp-sat"),
        DepthResult(13, Status.UNKNOWN, seconds=61.25, proof="cp-sat", target=1000),
    )
    return Report(
        p, SolverSettings(), results, shared_count=1006 if same_count else None, versions=dict(VERSIONS)
    )


def uniform_result(problem: Problem, depth: int) -> DepthResult:
    """The uniform shape closest to P; 'optimal' when its count is in the band, else infeasible."""
    low, high = problem.band()
    best = min(
        range(1, 400),
        key=lambda b: abs(
            count_params(chain(problem.input_size, (b,) * depth, problem.output_size), problem.bias)
            - problem.params
        ),
    )
    result = found(problem, depth, (best,) * depth, seconds=0.01)
    if result.params is not None and low <= result.params <= high:
        return result
    return DepthResult(depth, Status.INFEASIBLE, nearest=(None, result.params), target=problem.params)


@dataclass
class FakeSolver:
    """Records its calls; answers each depth with ``answer`` (default :func:`uniform_result`)."""

    answer: Callable[[Problem, int], DepthResult] = uniform_result
    calls: list[tuple[Problem, SolverSettings | None]] = field(default_factory=list)
    progressed: list[int] = field(default_factory=list)

    def __call__(
        self,
        problem: Problem,
        settings: SolverSettings | None = None,
        *,
        progress: Callable[[DepthResult], None] | None = None,
    ) -> Report:
        self.calls.append((problem, settings))
        results = []
        for depth in problem.depths:
            result = self.answer(problem, depth)
            results.append(result)
            self.progressed.append(depth)
            if progress is not None:
                progress(result)
        return Report(problem, settings or SolverSettings(), tuple(results), versions=dict(VERSIONS))

    @property
    def problem(self) -> Problem:
        return self.calls[-1][0]

    @property
    def settings(self) -> SolverSettings:
        settings = self.calls[-1][1]
        assert settings is not None
        return settings
