"""The spread / deviation trade-off per depth: the least ``|deviation|`` at each spread.

For depth ``m`` and spread ``s`` (a multiple of ``q`` = ``multiple_of``), let ``D(s)`` be
the least ``|count - P|`` over every valid shape with spread at most ``s``. ``D`` never
grows with ``s``, so the *frontier* is the list of spreads where it strictly drops, each
with the count closest to ``P`` (below on a tie) and the lexicographically smallest widths
that reach it. Every point is proven with the solver's exact DP (:mod:`cpshape.dp`;
depth 2 with :mod:`cpshape.twolayer`): no shape with a smaller or equal spread comes closer.

The scan runs ``s = 0, q, 2q, ...`` and searches only counts in ``[P - D, P + D]`` with
``D`` the best deviation so far, which keeps the bitsets short. Before the first point the
window grows from the uniform-width baseline's deviation by factors of 4 up to counts
``[1, 2 * high]`` (``high`` = the band's upper end, as for ``solve``'s nearest counts).
It stops at the first point whose count lies in the problem's band (with the default exact
band: deviation 0), when no wider spread is possible, or when the DP work budget
(``SolverSettings.dp_work``, one budget per depth) runs out. Pure Python, but importing
this module imports the solver module, and with it OR-Tools.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from .counting import chain, count_params, uniform_count
from .dp import BudgetExhausted, DepthDP, Reachable, WorkBudget, best_count, canonical_widths
from .result import Status, VerificationError, check_shape
from .scan import depth_dp, reach_upto, span_limit
from .spec import Problem, SolverSettings
from .twolayer import reach_pairs

__all__ = ["DepthFrontier", "FrontierPoint", "Stop", "frontier"]

#: Before the first point, the search window ``[P - D, P + D]`` grows by this factor.
GROWTH = 4


class Stop(StrEnum):
    """Why a depth's frontier ends."""

    BAND = "band"  # the last point's count lies in the band: complete
    SPANS = "spreads"  # no wider spread is valid: complete, but the band is never reached
    BUDGET = "budget"  # the DP work budget ran out: points so far are proven, the rest unknown


@dataclass(frozen=True)
class FrontierPoint:
    """The least ``|deviation|`` over shapes with spread at most ``spread``, and one such shape."""

    spread: int
    params: int
    deviation: int
    widths: tuple[int, ...]


@dataclass(frozen=True)
class DepthFrontier:
    """One depth's frontier.

    ``status``: ``optimal`` (complete, ends in the band), ``infeasible`` (complete; no
    shape reaches the band), ``feasible`` (budget ran out after some points) or ``unknown``
    (budget ran out before any). ``searched_up_to``: every spread up to this one was
    examined, so the points are complete up to it (``None`` if not even spread 0 was).
    """

    depth: int
    status: Status
    points: tuple[FrontierPoint, ...]
    stopped: Stop
    searched_up_to: int | None
    seconds: float = 0.0


def frontier(problem: Problem, settings: SolverSettings | None = None) -> list[DepthFrontier]:
    """The spread / deviation frontier of every depth of ``problem`` (see the module doc).

    ``problem.same_count`` and ``problem.prefer`` do not apply and are ignored; every shape
    rule in ``problem.constraints`` does. Each point is recounted and re-checked
    (:func:`cpshape.result.check_shape`); a failure raises :class:`VerificationError`.
    """
    settings = settings or SolverSettings()
    return [_depth_frontier(problem, settings, m) for m in problem.depths]


def _baseline_gap(problem: Problem, m: int) -> int:
    """``|deviation|`` of the nearest uniform shape, ignoring constraints: the first window."""
    a, c, bias, target = problem.input_size, problem.output_size, problem.bias, problem.params
    lo, hi = 1, 2
    while uniform_count(a, c, m, hi, bias) < target:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if uniform_count(a, c, m, mid, bias) < target else (lo, mid)
    return min(abs(uniform_count(a, c, m, w, bias) - target) for w in (lo, hi))


def _pieces(
    problem: Problem, dp: DepthDP, span: int, low: int, high: int, budget: WorkBudget
) -> list[Reachable]:
    """Shapes with counts in ``[low, high]``: spread exactly ``q*span`` at depth 2 (smaller
    spreads were scanned before), spread at most ``q*span`` at any other depth."""
    if dp.depth == 2:
        return list(
            reach_pairs(
                problem.input_size,
                problem.output_size,
                problem.bias,
                problem.constraints,
                span,
                low,
                high,
                budget,
            )
        )
    # Wide bands around the target: the window DPs list every count in one pass, where the
    # bounded search would answer one query per count it narrows down.
    return reach_upto(dp, span, low, high, budget, listing=True)


def _depth_frontier(problem: Problem, settings: SolverSettings, m: int) -> DepthFrontier:
    start = time.perf_counter()
    target, q = problem.params, problem.constraints.multiple_of
    band_low, band_high = problem.band()
    cap = 2 * band_high  # counts above this are never searched
    dp, budget = depth_dp(problem, m), WorkBudget(settings.dp_work)
    points: list[FrontierPoint] = []
    best: int | None = None  # least |deviation| so far
    hint = max(1, _baseline_gap(problem, m))
    span, searched = 0, None

    def done(status: Status, stop: Stop) -> DepthFrontier:
        return DepthFrontier(m, status, tuple(points), stop, searched, time.perf_counter() - start)

    while True:
        reach_high = target + best if best is not None else cap
        if span > span_limit(problem, m, min(reach_high, cap)):
            return done(Status.INFEASIBLE, Stop.SPANS)
        try:
            if best is not None:
                windows = [best]
            else:  # nothing yet: widen geometrically until something is found or all is covered
                windows, gap = [], hint
                while target + gap < cap:
                    windows.append(gap)
                    gap *= GROWTH
                windows.append(cap - target)
            reaches: list[Reachable] = []
            for gap in windows:
                reaches = _pieces(problem, dp, span, max(1, target - gap), min(target + gap, cap), budget)
                if reaches:
                    break
            searched = q * span
            if reaches:
                count = best_count(reaches, target)
                if best is None or abs(count - target) < best:
                    widths = canonical_widths(reaches, count, budget)
                    points.append(_checked(problem, m, q * span, count, widths))
                    best = abs(count - target)
                    if band_low <= count <= band_high:
                        return done(Status.OPTIMAL, Stop.BAND)
        except BudgetExhausted:
            if searched == q * span:  # the counts were complete; only the widths were missing
                searched = q * span - q if span else None
            return done(Status.FEASIBLE if points else Status.UNKNOWN, Stop.BUDGET)
        if budget.exhausted:
            return done(Status.FEASIBLE if points else Status.UNKNOWN, Stop.BUDGET)
        span += 1


def _checked(problem: Problem, m: int, spread: int, count: int, widths: tuple[int, ...]) -> FrontierPoint:
    """Recount ``widths``, re-check every rule and the spread; raise on any mismatch."""
    recount = count_params(chain(problem.input_size, widths, problem.output_size), problem.bias)
    broken = check_shape(problem, widths, band=(count, count))
    if len(widths) != m or recount != count or broken or max(widths) - min(widths) != spread:
        raise VerificationError(
            f"depth {m}: frontier point widths {list(widths)} (count {recount}, spread "
            f"{max(widths) - min(widths)}) do not match count {count} at spread {spread}: {'; '.join(broken)}"
        )
    return FrontierPoint(spread, count, count - problem.params, widths)
