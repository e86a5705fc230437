"""Shared mode: one count that every joinable depth hits exactly.

Stages: (0) as many depths as possible join, (1) least largest spread among the joined
depths, (2) the count closest to the target (below on a tie), (3) each joined depth's own
least spread at that count, (4) the smallest widths. A depth that reaches no count in the
band cannot join; it is reported infeasible with its nearest counts and never sinks the
others. The exact searches decide it when every joinable depth was solved exactly and the
band is narrow enough for one bitset; otherwise a CP-SAT model with one ``joins`` literal
per depth does, within the limits.
"""

from __future__ import annotations

import time
from dataclasses import replace

from .dp import BudgetExhausted, band_bits, nearest_bits
from .model import build_model
from .result import DepthResult, Status, verify
from .solver import Progress, _depth_dp, _reach, _solve_depth, _span_limit, _Stages
from .spec import Prefer, Problem, SolverSettings

__all__ = ["solve_shared"]

#: Shared mode intersects reachable-count bitsets over the whole band; wider bands go to CP-SAT.
SHARED_BAND_BITS = 1 << 27
#: ... and only while every joined depth's own least spread is small: the window DP's cost grows
#: steeply with the span (wide spans, e.g. depth 2 at large P, go to CP-SAT).
SHARED_MAX_SPAN = 64


def solve_shared(
    problem: Problem, settings: SolverSettings, band: tuple[int, int], progress: Progress | None
) -> tuple[list[DepthResult], int | None]:
    """One count every joinable depth hits exactly.

    Stages: (1) least largest spread over the joined depths, (2) that count closest to the
    target (below on a tie), (3) each depth's own least spread at that count, (4) the
    smallest widths. Depths that reach no count in the band cannot join and are reported
    infeasible with their nearest counts; they never sink the others.
    """
    low, high = band
    target = problem.params
    alone = {m: _solve_depth(problem, settings, m, band) for m in problem.depths}
    joinable = [m for m, r in alone.items() if r.status in (Status.OPTIMAL, Status.FEASIBLE)]
    if not joinable:
        return _emit(list(alone.values()), progress), None
    if all(alone[m].params == alone[joinable[0]].params for m in joinable):
        # Each depth's own optimum already agrees (always so for an exact target).
        return _emit(list(alone.values()), progress), alone[joinable[0]].params
    start = time.perf_counter()
    count = None
    spread_first = problem.prefer is Prefer.SPREAD
    exact = {"dp", "divisors", "interior search"}
    floors = {m: alone[m].spread or 0 for m in joinable}
    narrow = max(floors.values()) // problem.constraints.multiple_of <= SHARED_MAX_SPAN
    if (
        spread_first
        and narrow
        and high - low < SHARED_BAND_BITS
        and all(alone[m].proof in exact for m in joinable)
    ):
        count = _shared_count_dp(problem, settings, joinable, floors, band)
    if count is None:
        results, count = _shared_cp(problem, settings, joinable, alone, band, start)
        return _emit(results, progress), count
    share = (time.perf_counter() - start) / len(joinable)
    exact = replace(problem, params=count, tolerance=0, tolerance_abs=None, prefer=Prefer.SPREAD)
    results = []
    for m in problem.depths:
        if m in joinable:
            one = _solve_depth(exact, settings, m, (count, count))
            extra = alone[m].seconds + share
            one = replace(one, target=target, seconds=one.seconds + extra)
            results.append(one)
        else:
            results.append(alone[m])
    return _emit(results, progress), count


def _emit(results: list[DepthResult], progress: Progress | None) -> list[DepthResult]:
    if progress:
        for r in results:
            progress(r)
    return results


def _shared_count_dp(
    problem: Problem,
    settings: SolverSettings,
    depths: list[int],
    floors: dict[int, int],
    band: tuple[int, int],
) -> int | None:
    """The DP's shared count: least largest spread first, then closest to the target."""
    low, high = band
    q = problem.constraints.multiple_of
    budget = settings.exact_budget(time.perf_counter())
    limit = max(_span_limit(problem, m, high) for m in depths)
    dps = {m: _depth_dp(problem, m) for m in depths}
    reached = dict.fromkeys(depths, 0)  # per depth: band bitset of counts at spread <= span
    try:
        for span in range(max(floors.values()) // q, limit + 1):
            common = -1
            for m in depths:
                top = min(span, _span_limit(problem, m, high))
                first = floors[m] // q if span == max(floors.values()) // q else top
                for t in range(first, top + 1):
                    reached[m] |= band_bits(
                        _reach(dps[m], t, low, high, budget, listing=True), low, high, budget
                    )
                common &= reached[m]
            if budget.exhausted:
                return None
            if common > 0:
                picks = nearest_bits(common, problem.params - low)
                return min((low + k for k in picks), key=lambda n: (abs(n - problem.params), n))
    except BudgetExhausted:
        return None
    return None


def _shared_cp(
    problem: Problem,
    settings: SolverSettings,
    depths: list[int],
    alone: dict[int, DepthResult],
    band: tuple[int, int],
    start: float,
) -> tuple[list[DepthResult], int | None]:
    """CP-SAT shared model for the depths the DP could not settle within its budget."""
    shape = build_model(problem, depths, band, shared=True)
    assert shape.shared_count is not None and shape.joins is not None
    model, joins = shape.ort_model, shape.joins
    stages = _Stages(shape, settings)
    dvs = [shape.depths[m] for m in depths]
    largest = model.new_int_var(0, band[1], "largest_spread")
    for m, dv in shape.depths.items():
        model.add(largest >= dv.spread_units).only_enforce_if(joins[m])
    absdev = model.new_int_var(0, max(band[1] - problem.params, problem.params - band[0]), "absdev")
    model.add_abs_equality(absdev, shape.shared_count - problem.params)
    order = [largest, absdev] if problem.prefer is Prefer.SPREAD else [absdev, largest]
    joined = -sum(joins.values())
    for expr in [
        joined,
        *order,
        shape.shared_count,
        *(dv.spread_units for dv in dvs),
        *(u for dv in dvs for u in dv.units),
    ]:
        if stages.minimize(expr) is None:
            break
    elapsed = (time.perf_counter() - start) / len(problem.depths)
    joined = {m: stages.found and stages.values.get(joins[m].index, 0) == 1 for m in depths}
    results = []
    for m in problem.depths:
        if m not in depths or (stages.found and not joined[m]):
            results.append(replace(alone[m], joined=False))
        elif not stages.found:
            status = Status.INFEASIBLE if stages.proven else Status.UNKNOWN
            results.append(
                DepthResult(m, status, seconds=elapsed, proof="cp-sat", joined=False, target=problem.params)
            )
        else:
            status = Status.OPTIMAL if stages.proven else Status.FEASIBLE
            params = stages.count(m)
            results.append(
                verify(
                    problem,
                    DepthResult(
                        m,
                        status,
                        stages.widths(m),
                        params,
                        seconds=elapsed,
                        proof="cp-sat",
                        target=problem.params,
                    ),
                    band,
                )
            )
    joined_counts = [stages.count(m) for m in depths if joined[m]]
    shared = joined_counts[0] if joined_counts else None
    return results, shared
