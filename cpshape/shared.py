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

from .bounded import NODE_COST, BoundedReach
from .dp import BudgetExhausted, Reach, Reachable, Stopped, WorkBudget, least_span
from .model import build_model
from .result import DepthResult, Status, verify
from .scan import depth_dp, reach_upto, span_limit
from .solver import Progress, _solve_depth, _Stages
from .spec import Prefer, Problem, SolverSettings
from .twolayer import PairReach, reach_line

__all__ = ["solve_shared"]

#: Depth 1 joins with at most this many counts in the band: each is tried at every depth.
SHARED_CANDIDATES = 32


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
    found, solved = None, {}  # solved: every joinable depth proven at a count, by count
    if problem.prefer is Prefer.SPREAD and settings.dp_work:  # dp_work = 0: CP-SAT alone
        # Each depth's own least spread in the band bounds its spread at any shared count.
        floors = {m: (alone[m].spread or 0) if alone[m].status is Status.OPTIMAL else 0 for m in joinable}
        found = _shared_by_candidates(problem, settings, joinable, band, solved)
        if found is None:
            found = _shared_count_exact(problem, settings, joinable, floors, band, solved)
    if found is None:
        results, count = _shared_cp(problem, settings, joinable, alone, band, start)
        return _emit(results, progress), count
    count, proven = found
    share = (time.perf_counter() - start) / len(joinable)
    exact = replace(problem, params=count, tolerance=0, tolerance_abs=None, prefer=Prefer.SPREAD)
    results = []
    for m in problem.depths:
        if m in joinable:
            one = solved.get(count, {}).get(m) or _solve_depth(exact, settings, m, (count, count))
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


def _shared_by_candidates(
    problem: Problem,
    settings: SolverSettings,
    depths: list[int],
    band: tuple[int, int],
    solved: dict[int, dict[int, DepthResult]],
) -> tuple[int, bool] | None:
    """The shared count when depth 1 joins and has few counts in the band: every other
    depth is solved exactly at each of them, closest to the target first, each with a spread
    cap that only a better count could meet. ``None`` when this does not apply, some solve
    was not proven, or no count of depth 1 is common to every depth.
    """
    if 1 not in depths:
        return None
    (line,) = reach_line(problem.input_size, problem.output_size, problem.bias, problem.constraints, *band)
    if line.u_hi - line.u_lo + 1 > SHARED_CANDIDATES:
        return None
    target, cap = problem.params, problem.constraints.max_spread
    counts = [line.count(u) for u in range(line.u_lo, line.u_hi + 1)]
    candidates = sorted(counts, key=lambda n: (abs(n - target), n))
    others = [m for m in depths if m != 1]
    share = replace(settings, dp_work=settings.dp_work // max(1, len(candidates) * len(others)))
    best: tuple[int, int] | None = None  # (largest spread, count)
    for n in candidates:
        if best is not None:
            cap = best[0] - 1  # a later count must do strictly better
        if cap is not None and cap < 0:
            break
        results = _solve_at(problem, share, others, n, solved, cap)
        last = list(results.values())[-1]
        if last.status is Status.INFEASIBLE:
            continue
        if last.status is not Status.OPTIMAL:
            return None
        best = (max(r.spread or 0 for r in results.values()), n)
    return None if best is None else (best[1], True)


def _shared_count_exact(
    problem: Problem,
    settings: SolverSettings,
    depths: list[int],
    floors: dict[int, int],
    band: tuple[int, int],
    solved: dict[int, dict[int, DepthResult]],
) -> tuple[int, bool] | None:
    """The exact shared count: least largest spread first, then closest to the target
    (below on a tie), and whether that is proven; ``None`` when no count is common to all
    ``depths`` or the budget ran out before any was found. A count found before the budget
    ran out is returned unproven: it is common to every depth, but a smaller largest spread
    may exist.

    For a span ``s`` (in multiples of q) every depth's pieces cover exactly its counts of
    spread ``<= q*s``; a common count exists at ``s`` iff the leapfrog of :func:`_common`
    finds one, and existence is monotone in ``s``, so the least span is a gallop and bisection
    (:func:`~cpshape.dp.least_span`) starting from the largest of the depths' own least
    spreads (``floors``, in widths).
    """
    low, high = band
    q, target = problem.constraints.multiple_of, problem.params
    limits = {m: span_limit(problem, m, high) for m in depths}
    dps = {m: depth_dp(problem, m) for m in depths}
    # The target itself, if every depth hits it: the closest count there is, so only a
    # smaller largest spread can beat it, and the scan stops below that spread.
    at_target = _solve_at(problem, settings, depths, target, solved)
    hit = target in solved
    top = max(r.spread or 0 for r in at_target.values()) // q - 1 if hit else max(limits.values())
    budget = settings.exact_budget(time.perf_counter())

    def probe(span: int) -> int | None:
        pieces = [reach_upto(dps[m], min(span, limits[m]), low, high, budget) for m in depths]
        sets = [_Counts(found, low, high) for found in pieces]
        up = _common(sets, target, high, budget, upwards=True)
        reach = low if up is None else target - (up - target)  # below must be at least as close
        down = _common(sets, target, max(low, reach), budget, upwards=False)
        return down if down is not None else up

    fallback = (target, False) if hit else None
    try:
        found = least_span(max(floors.values()) // q, top, probe, budget)
    except Stopped as stop:  # a common count found before the budget ran out is still valid
        return fallback if stop.best is None else (stop.best[1], False)
    if found is None:  # no smaller largest spread: the target is optimal (or nothing is common)
        return (target, True) if hit else None
    return found[1], True


def _solve_at(
    problem: Problem,
    settings: SolverSettings,
    depths: list[int],
    count: int,
    solved: dict[int, dict[int, DepthResult]],
    cap: int | None = None,
) -> dict[int, DepthResult]:
    """Each depth solved exactly at ``count`` (spreads at most ``cap``), stopping at the first
    depth not proven optimal there (its result comes last). A complete, proven set is kept in
    ``solved``: no spread is capped below its optimum, so the final answer can reuse it."""
    exact = replace(problem, params=count, tolerance=0, tolerance_abs=None)
    if cap is not None:
        exact = replace(exact, constraints=replace(problem.constraints, max_spread=cap))
    results: dict[int, DepthResult] = {}
    for m in depths:
        results[m] = _solve_depth(exact, settings, m, (count, count), nearest=False)
        if results[m].status is not Status.OPTIMAL:
            return results
    solved[count] = results
    return results


class _Counts:
    """One depth's reachable counts in the band at one span: the union of its pieces.

    Each piece's range of counts is found once (exactly, or for the bounded search a sound
    bound from its root ranges); a query asks only the pieces whose range straddles it (the
    others answer with an end of their range where that end is exact). ``size`` is the number
    of counts where the pieces know it cheaply (bitsets, depths 1 and 2), else ``None``.
    """

    def __init__(self, pieces: list[Reachable], low: int, high: int) -> None:
        ranges = []
        for piece in pieces:
            if isinstance(piece, BoundedReach):
                bounds, exact = piece.count_range(), False
            else:
                first, last = piece.ceil(low), piece.floor(high)
                bounds, exact = (None if first is None or last is None else (first, last)), True
            if bounds is not None:
                ranges.append((*bounds, exact, piece))
        self.pieces = sorted(ranges, key=lambda r: r[0])
        sizes = [_size(piece) for *_, piece in self.pieces]
        self.size = None if None in sizes else sum(s or 0 for s in sizes)

    def ceil(self, count: int) -> int | None:
        best = None
        for first, last, exact, piece in self.pieces:
            if best is not None and first >= best:
                break
            if last >= count:
                n = first if exact and first >= count else piece.ceil(count)
                best = n if best is None or (n is not None and n < best) else best
        return best

    def floor(self, count: int) -> int | None:
        best = None
        for first, last, exact, piece in self.pieces:
            if first > count:
                break
            if best is not None and last <= best:
                continue
            n = last if exact and last <= count else piece.floor(count)
            best = n if best is None or (n is not None and n > best) else best
        return best

    def hits(self, count: int) -> bool:
        for first, last, exact, piece in self.pieces:
            if first > count:
                break
            if count <= last and ((exact and count in (first, last)) or piece.hits(count)):
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
