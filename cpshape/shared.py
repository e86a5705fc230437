"""Shared mode: one count that every joinable depth hits exactly.

Stages: (0) as many depths as possible join, (1) least largest spread among the joined
depths, (2) the count closest to the target (below on a tie), (3) each joined depth's own
least spread at that count, (4) the smallest widths. A depth that reaches no count in the
band cannot join; it is reported infeasible with its nearest counts and never sinks the
others. With the spread first, the exact searches decide it when every joinable depth can
join: per span, a leapfrog over each depth's reachable counts finds the common count
closest to the target. Otherwise (some depths cannot share a count, the deviation comes
first, or the budget ends) a CP-SAT model with one ``joins`` literal per depth decides,
within the limits.
"""

from __future__ import annotations

import time
from dataclasses import replace

from .bounded import NODE_COST
from .dp import BudgetExhausted, Reach, Reachable, WorkBudget
from .model import build_model
from .result import DepthResult, Status, verify
from .solver import (
    Progress,
    _depth_dp,
    _least_span,
    _reach_upto,
    _solve_depth,
    _span_limit,
    _Stages,
    _Stopped,
)
from .spec import Prefer, Problem, SolverSettings
from .twolayer import PairReach

__all__ = ["solve_shared"]


def solve_shared(
    problem: Problem, settings: SolverSettings, band: tuple[int, int], progress: Progress | None
) -> tuple[list[DepthResult], int | None]:
    """One count every joinable depth hits exactly.

    Stages: (1) least largest spread over the joined depths, (2) that count closest to the
    target (below on a tie), (3) each depth's own least spread at that count, (4) the
    smallest widths. Depths that reach no count in the band cannot join and are reported
    infeasible with their nearest counts; they never sink the others.
    """
    target = problem.params
    alone = {m: _solve_depth(problem, settings, m, band) for m in problem.depths}
    joinable = [m for m, r in alone.items() if r.status in (Status.OPTIMAL, Status.FEASIBLE)]
    if not joinable:
        return _emit(list(alone.values()), progress), None
    if all(alone[m].params == alone[joinable[0]].params for m in joinable):
        # Each depth's own optimum already agrees (always so for an exact target).
        return _emit(list(alone.values()), progress), alone[joinable[0]].params
    start = time.perf_counter()
    found = None
    if problem.prefer is Prefer.SPREAD:
        # Each depth's own least spread in the band bounds its spread at any shared count.
        floors = {m: (alone[m].spread or 0) if alone[m].status is Status.OPTIMAL else 0 for m in joinable}
        found = _shared_count_exact(problem, settings, joinable, floors, band)
    if found is None:
        results, count = _shared_cp(problem, settings, joinable, alone, band, start)
        return _emit(results, progress), count
    count, proven = found
    share = (time.perf_counter() - start) / len(joinable)
    exact = replace(problem, params=count, tolerance=0, tolerance_abs=None, prefer=Prefer.SPREAD)
    results = []
    for m in problem.depths:
        if m in joinable:
            one = _solve_depth(exact, settings, m, (count, count))
            extra = alone[m].seconds + share
            one = replace(one, target=target, seconds=one.seconds + extra)
            if not proven and one.status is Status.OPTIMAL:
                one = replace(one, status=Status.FEASIBLE)  # the shared count itself is not proven
            results.append(one)
        else:
            results.append(alone[m])
    return _emit(results, progress), count


def _emit(results: list[DepthResult], progress: Progress | None) -> list[DepthResult]:
    if progress:
        for r in results:
            progress(r)
    return results


def _shared_count_exact(
    problem: Problem,
    settings: SolverSettings,
    depths: list[int],
    floors: dict[int, int],
    band: tuple[int, int],
) -> tuple[int, bool] | None:
    """The exact shared count: least largest spread first, then closest to the target
    (below on a tie), and whether that is proven; ``None`` when no count is common to all
    ``depths`` or the budget ran out before any was found. A count found before the budget
    ran out is returned unproven: it is common to every depth, but a smaller largest spread
    may exist.

    For a span ``s`` (in multiples of q) every depth's pieces cover exactly its counts of
    spread ``<= q*s``; a common count exists at ``s`` iff the leapfrog of :func:`_common`
    finds one, and existence is monotone in ``s``, so the least span is a gallop and bisection
    (:func:`~cpshape.solver._least_span`) starting from the largest of the depths' own least
    spreads (``floors``, in widths).
    """
    low, high = band
    q, target = problem.constraints.multiple_of, problem.params
    budget = settings.exact_budget(time.perf_counter())
    limits = {m: _span_limit(problem, m, high) for m in depths}
    dps = {m: _depth_dp(problem, m) for m in depths}

    def probe(span: int) -> int | None:
        pieces = [_reach_upto(dps[m], min(span, limits[m]), low, high, budget) for m in depths]
        sets = [_Counts(found, low, high) for found in pieces]
        up = _common(sets, target, high, budget, upwards=True)
        reach = low if up is None else target - (up - target)  # below must be at least as close
        down = _common(sets, target, max(low, reach), budget, upwards=False)
        return down if down is not None else up

    try:
        found = _least_span(max(floors.values()) // q, max(limits.values()), probe, budget)
    except _Stopped as stop:  # a common count found before the budget ran out is still valid
        return None if stop.best is None else (stop.best[1], False)
    return None if found is None else (found[1], True)


class _Counts:
    """One depth's reachable counts in the band at one span: the union of its pieces.

    Each piece's least and greatest count are found once; a query asks only the pieces whose
    range straddles it (the others answer with an end of their range). ``size`` is the number
    of counts where the pieces know it cheaply (bitsets, depths 1 and 2), else ``None``.
    """

    def __init__(self, pieces: list[Reachable], low: int, high: int) -> None:
        ends = [(piece.ceil(low), piece.floor(high), piece) for piece in pieces]
        self.pieces = sorted(
            ((first, last, piece) for first, last, piece in ends if first is not None and last is not None),
            key=lambda end: end[0],
        )
        sizes = [_size(piece) for _, _, piece in self.pieces]
        self.size = None if None in sizes else sum(s or 0 for s in sizes)

    def ceil(self, count: int) -> int | None:
        best = None
        for first, last, piece in self.pieces:
            if best is not None and first >= best:
                break
            if last >= count:
                n = first if first >= count else piece.ceil(count)
                best = n if best is None or (n is not None and n < best) else best
        return best

    def floor(self, count: int) -> int | None:
        best = None
        for first, last, piece in self.pieces:
            if first > count:
                break
            n = last if last <= count else piece.floor(count)
            best = n if best is None or (n is not None and n > best) else best
        return best

    def hits(self, count: int) -> bool:
        for first, last, piece in self.pieces:
            if first > count:
                break
            if count in (first, last) or (count < last and piece.hits(count)):
                return True
        return False


def _size(piece: Reachable) -> int | None:
    if isinstance(piece, PairReach):
        return piece.u_hi - piece.u_lo + 1
    if isinstance(piece, Reach):
        return piece.bits.bit_count()
    return None


def _common(sets: list[_Counts], start: int, stop: int, budget: WorkBudget, upwards: bool) -> int | None:
    """The least count in ``[start, stop]`` (``upwards``) or the greatest in ``[stop, start]``
    that every set reaches, by leapfrogging: each set in turn moves the candidate to its own
    next reachable count, until all agree.

    The sets of known size (the sparse ones: depths 1 and 2, bitsets) go first. When there are
    such sets the others only test the candidate and, when they miss it, move it one step
    (the sparse sets then jump); otherwise they test it and jump only when they miss it. Every
    count skipped is missed by some set, so the first candidate that every set reaches is the
    answer.
    """
    sets = sorted(sets, key=lambda counts: (counts.size is None, counts.size or 0))
    sparse = sets[0].size is not None
    step = 1 if upwards else -1
    x, agreed, i = start, 0, 0
    while True:
        counts = sets[i]
        budget.spend(64 * NODE_COST)
        if budget.exhausted:
            raise BudgetExhausted
        jumps = counts.size is not None or not sparse
        if counts.size is None and counts.hits(x):
            y = x
        elif jumps:
            y = counts.ceil(x) if upwards else counts.floor(x)
        else:
            y = x + step
        if y is None or (y - stop) * step > 0:
            return None
        if y == x:
            agreed += 1
            if agreed == len(sets):
                return x
            i = (i + 1) % len(sets)
        elif jumps:  # y is reached by this set: it counts as the first to agree
            x, agreed, i = y, 1, (i + 1) % len(sets)
        else:  # back to the sets that jump
            x, agreed, i = y, 0, 0


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
        elif not stages.found and not stages.proven and alone[m].widths is not None:
            # No shared count within the limits: the depth's own shape, valid but not joined.
            results.append(replace(alone[m], status=Status.FEASIBLE, joined=False, seconds=elapsed))
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
