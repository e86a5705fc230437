"""Shared mode: one count that every joinable depth hits exactly.

Stages: (0) as many depths as possible join, (1) least largest spread among the joined
depths, (2) the count closest to the target (below on a tie), (3) each joined depth's own
least spread at that count, (4) the smallest widths. A depth that reaches no count in the
band cannot join; it is reported infeasible with its nearest counts and never sinks the
others. With the spread first, the exact searches decide it: candidate counts solved at
every depth where some depths' common counts can be listed (depth 1 and 2, a line), else
per span :mod:`cpshape.common` finds the common count closest to the target (numpy listings
where the aggregate DP applies, else a leapfrog over each depth's reachable counts); where
no count is common to every depth, the same searches on smaller sets of depths. Otherwise
(the deviation first without a common count among the first candidates, too many sets, or
the budget ends) the CP-SAT shared model (:mod:`cpshape.shared_model`) decides.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import replace

from .common import Counts, closest_common_count, line_and_pairs
from .dp import BudgetExhausted, Stopped, WorkBudget, least_span
from .pinned import pinned_line, pinned_shapes
from .result import DepthResult, Status
from .scan import depth_dp, reach_upto, span_limit
from .shared_model import shared_by_cp_sat
from .solver import Progress, _solve_depth
from .spec import Prefer, Problem, SolverSettings
from .twolayer import LineReach, reach_line, shapes_with_count

__all__ = ["solve_shared"]

#: Depth 1 joins with at most this many counts in the band: each is tried at every depth.
SHARED_CANDIDATES = 512
#: Candidate solves before the other candidates are first tested against the spread cap.
FILTER_AFTER = 8
#: Sets of depths searched for a count when no count is common to every depth.
MAX_SETS = 16
#: Deviation first: counts tried at every depth, outwards from the target.
SHARED_SCAN = 64


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
    joined: list[int] = joinable  # the depths that share the count
    if problem.prefer is Prefer.SPREAD and settings.dp_work:  # dp_work = 0: CP-SAT alone
        # Each depth's own least spread in the band bounds its spread at any shared count.
        floors = {m: (alone[m].spread or 0) if alone[m].status is Status.OPTIMAL else 0 for m in joinable}
        found = _exact_shared(problem, settings, joinable, floors, band, solved)
        if found is not None and found[0] is None:  # proven: no count is common to every depth
            fewer = _fewer_join(problem, settings, joinable, floors, band)
            if fewer is not None:
                found, joined, solved = fewer
    elif settings.dp_work:
        found = _shared_by_deviation(problem, settings, joinable, band, solved)
    if found is None or found[0] is None:
        results, count = shared_by_cp_sat(problem, settings, joinable, alone, band, start)
        return _emit(results, progress), count
    count, proven = found
    share = (time.perf_counter() - start) / len(joined)
    exact = replace(problem, params=count, tolerance=0, tolerance_abs=None, prefer=Prefer.SPREAD)
    results = []
    for m in problem.depths:
        if m in joinable and m not in joined:
            results.append(replace(alone[m], joined=False))
        elif m in joinable:
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


def _exact_shared(
    problem: Problem,
    settings: SolverSettings,
    depths: list[int],
    floors: dict[int, int],
    band: tuple[int, int],
    solved: dict[int, dict[int, DepthResult]],
    pool: WorkBudget | None = None,
) -> tuple[int | None, bool] | None:
    """The exact shared count of ``depths``, spread first: ``(count, proven)``, ``(None, True)``
    when no count is common to all of them, ``None`` when the budget decides nothing. The
    candidate solves where some depths' common counts can be listed, else the span scan."""
    found = _shared_by_candidates(problem, settings, depths, band, solved, pool)
    if found is None:
        found = _shared_count_exact(problem, settings, depths, floors, band, solved, pool)
    return found


def _fewer_join(
    problem: Problem,
    settings: SolverSettings,
    depths: list[int],
    floors: dict[int, int],
    band: tuple[int, int],
) -> tuple[tuple[int, bool], list[int], dict[int, dict[int, DepthResult]]] | None:
    """No count is common to every depth: the most depths that share one, by the same exact
    searches on every set of ``r`` of them, ``r = k-1, ..., 2`` (at most ``MAX_SETS`` sets, one
    budget): ``((count, True), the set, its solves)``. At the first ``r`` where some set shares
    a count, the least largest spread and then the count closest to the target (below on a
    tie) win; two sets of ``r`` cannot share one count (more than ``r`` depths would), so this
    is the order of the CP-SAT shared model. ``None`` (CP-SAT decides) when a search is not
    proven, the budget runs out or more sets would be needed."""
    pool, target, tried = settings.exact_budget(time.perf_counter(), len(depths)), problem.params, 0
    for r in range(len(depths) - 1, 1, -1):
        best: tuple[tuple[int, int, int], list[int], dict[int, dict[int, DepthResult]]] | None = None
        for subset in itertools.combinations(depths, r):
            tried += 1
            if tried > MAX_SETS or pool.exhausted:
                return None
            some, solved = list(subset), {}
            found = _exact_shared(problem, settings, some, {m: floors[m] for m in some}, band, solved, pool)
            if found is None or not found[1]:
                return None
            if (n := found[0]) is None:
                continue
            known = solved.get(n, {})
            missing = _solve_at(problem, settings, [m for m in some if m not in known], n, {}, pool=pool)
            at = {**known, **missing}
            if len(at) < r or any(one.status is not Status.OPTIMAL for one in at.values()):
                return None
            solved[n] = at
            key = (max(one.spread or 0 for one in at.values()), abs(n - target), n)
            if best is None or key < best[0]:
                best = (key, some, solved)
        if best is not None:
            return (best[0][2], True), best[1], best[2]
    return None


def _shared_by_candidates(
    problem: Problem,
    settings: SolverSettings,
    depths: list[int],
    band: tuple[int, int],
    solved: dict[int, dict[int, DepthResult]],
    pool: WorkBudget | None = None,
) -> tuple[int | None, bool] | None:
    """The shared count when some depths' common counts can be listed by their largest spread
    (:func:`_candidates`): every other depth is solved exactly at each of them, each with a
    spread cap that only a better count could meet, all drawing on one budget. ``None`` when
    this does not apply, some solve was not proven or the budget ran out; ``(None, True)``
    when it is proven that no listed count (so no count at all) is common to every depth.
    """
    target, rule = problem.params, problem.constraints.max_spread
    if pool is None:  # every solve here draws on it
        pool = settings.exact_budget(time.perf_counter(), len(depths))
    listed = _candidates(problem, depths, band, pool)
    if listed is None:
        return None
    settled, ordered = listed
    others = [m for m in depths if m not in settled]
    q, (low, high) = problem.constraints.multiple_of, band
    within: dict[tuple[int, int], Counts] = {}  # (depth, span): its counts of spread <= q*span
    solves = 0

    def key(n: int) -> tuple[int, int]:  # closest to the target first, below on a tie
        return abs(n - target), n

    def reaches(m: int, cap: int, n: int) -> bool:
        """Whether depth ``m`` hits ``n`` with spread at most ``cap`` (exact; one set of pieces
        per cap, answering every candidate)."""
        span = min(cap // q, span_limit(problem, m, high))
        if (m, span) not in within:
            within[m, span] = Counts(reach_upto(depth_dp(problem, m), span, low, high, pool), low, high)
        return within[m, span].hits(n)

    best: tuple[int, int] | None = None  # (largest spread, count)
    try:
        # By the listed depths' largest spread first: once it passes the best largest
        # spread, no later count can do better.
        for spread, n in ordered:
            cap = rule
            if best is not None:
                if spread > best[0]:
                    break
                cap = best[0] if key(n) < key(best[1]) else best[0] - 1  # ties go to the closer count
                cap = cap if rule is None else min(rule, cap)
            if cap is not None and (cap < 0 or spread > cap):
                continue
            if pool.exhausted:
                return None
            # After a few solves, candidates that some depth cannot hit within the cap are
            # dropped by a query each (a solve takes milliseconds, a query microseconds).
            if cap is not None and solves >= FILTER_AFTER and not all(reaches(m, cap, n) for m in others):
                continue
            solves += 1
            results = _solve_at(problem, settings, others, n, solved, cap, pool)
            last = list(results.values())[-1] if results else None
            if last is not None and last.status is Status.INFEASIBLE:
                continue
            if last is not None and last.status is not Status.OPTIMAL:
                return None
            largest = max([spread, *(r.spread or 0 for r in results.values())])
            if best is None or (largest, *key(n)) < (best[0], *key(best[1])):
                best = (largest, n)
    except BudgetExhausted:
        return None
    return (None, True) if best is None else (best[1], True)


def _candidates(
    problem: Problem, depths: list[int], band: tuple[int, int], pool: WorkBudget
) -> tuple[set[int], Iterator[tuple[int, int]]] | None:
    """Depths whose common counts in the band can be listed by their largest spread there
    (then closest to the target): ``(those depths, (spread, count) in that order)``, or
    ``None``. Depths 1 and 2 together (:func:`~cpshape.common.line_and_pairs`); else a depth with at most
    ``SHARED_CANDIDATES`` counts, each with its least spread: depth 1 (closed form, spread
    0), or a depth with every layer but one pinned (the count is linear in the free width,
    one shape per count: :func:`~cpshape.pinned.pinned_line`)."""
    low, high = band
    a, c, rules = problem.input_size, problem.output_size, problem.constraints

    def by_spread(ms: set[int], spreads: dict[int, int]) -> tuple[set[int], Iterator[tuple[int, int]]]:
        order = sorted((spread, abs(n - problem.params), n) for n, spread in spreads.items())
        return ms, ((spread, n) for spread, _, n in order)

    line = _depth1(problem, depths, band)
    if line is not None:
        few = line.u_hi - line.u_lo + 1 <= SHARED_CANDIDATES
        counts = [line.count(u) for u in range(line.u_lo, line.u_hi + 1)] if few else []
        if 2 not in depths:
            return by_spread({1}, dict.fromkeys(counts, 0)) if few else None
        if not few:
            return {1, 2}, line_and_pairs(problem, band, line, pool)
        spreads = {}  # depth 2's least spread at each of depth 1's counts (divisor pairs)
        for n in counts:
            pairs = list(shapes_with_count(a, c, problem.bias, rules, n))
            if pairs:
                spreads[n] = min(max(w) - min(w) for w in pairs)
        return by_spread({1, 2}, spreads)
    for m in depths:
        pinned = pinned_line(problem, m)
        if pinned is None:
            continue
        _, fixed, gain = pinned
        least = max(1, -(-rules.min_width // rules.multiple_of))
        first, last = max(least, -(-(low - fixed) // gain)), (high - fixed) // gain
        if last - first + 1 > SHARED_CANDIDATES:
            continue
        shapes = pinned_shapes(problem, m)
        assert shapes is not None
        spreads = {}
        for u in range(first, last + 1):
            for widths in shapes[0](fixed + gain * u):  # at most one: the free width is read off
                spreads[fixed + gain * u] = max(widths) - min(widths)
        return by_spread({m}, spreads)
    return None


def _shared_by_deviation(
    problem: Problem,
    settings: SolverSettings,
    depths: list[int],
    band: tuple[int, int],
    solved: dict[int, dict[int, DepthResult]],
) -> tuple[int, bool] | None:
    """The shared count with the deviation first: the count closest to the target (below on
    a tie) that every depth hits, each depth solved exactly at the candidates in that order.
    With depth 1 joining, the candidates are depth 1's own counts (closed form: any other
    count misses it), else every count outwards from the target. ``None`` when no common
    count is among the first ``SHARED_SCAN`` candidates, or some solve is not proven, or the
    solves, which share one ``dp_work`` budget, use it up.
    """
    target, (low, high) = problem.params, band
    others = sorted(m for m in depths if m != 1)  # shallow depths are sparse: they miss first
    line = _depth1(problem, depths, band)
    pool = settings.exact_budget(time.perf_counter(), len(depths))  # every solve here draws on it
    for n in itertools.islice(_outwards(target, low, high, line), SHARED_SCAN):
        if pool.exhausted:
            return None
        results = _solve_at(problem, settings, others, n, solved, pool=pool)
        if n in solved:  # every depth proven at n
            return n, True
        if list(results.values())[-1].status is not Status.INFEASIBLE:
            return None
    return None


def _depth1(problem: Problem, depths: list[int], band: tuple[int, int]) -> LineReach | None:
    """Depth 1's counts in the band (closed form) when depth 1 is among ``depths``."""
    if 1 not in depths:
        return None
    (line,) = reach_line(problem.input_size, problem.output_size, problem.bias, problem.constraints, *band)
    return line


def _outwards(target: int, low: int, high: int, line: LineReach | None) -> Iterator[int]:
    """Counts in ``[low, high]`` by distance from ``target`` (below first on a tie): all of
    them, or only those of depth 1's ``line``."""
    below, above = target, target + 1
    if line is not None:
        below, above = line.floor(target), line.ceil(target + 1)
    while below is not None or above is not None:
        if above is None or (below is not None and target - below <= above - target):
            yield below
            below = (below - 1 if below > low else None) if line is None else line.floor(below - 1)
        else:
            yield above
            above = (above + 1 if above < high else None) if line is None else line.ceil(above + 1)


def _shared_count_exact(
    problem: Problem,
    settings: SolverSettings,
    depths: list[int],
    floors: dict[int, int],
    band: tuple[int, int],
    solved: dict[int, dict[int, DepthResult]],
    pool: WorkBudget | None = None,
) -> tuple[int | None, bool] | None:
    """The exact shared count: least largest spread first, then closest to the target
    (below on a tie), and whether that is proven; ``(None, True)`` when no count is common
    to all ``depths``, ``None`` when the budget ran out before any was found. A count found before the budget
    ran out is returned unproven: it is common to every depth, but a smaller largest spread
    may exist.

    For a span ``s`` (in multiples of q) a common count of spread ``<= q*s`` exists iff
    :func:`~cpshape.common.closest_common_count` finds one, and existence is monotone in
    ``s``, so the least span is a gallop and bisection
    (:func:`~cpshape.dp.least_span`) starting from the largest of the depths' own least
    spreads (``floors``, in widths).
    """
    low, high = band
    q, target = problem.constraints.multiple_of, problem.params
    limits = {m: span_limit(problem, m, high) for m in depths}
    dps = {m: depth_dp(problem, m) for m in depths}
    # The target itself, if every depth hits it: the closest count there is, so only a
    # smaller largest spread can beat it, and the scan stops below that spread.
    at_target = _solve_at(problem, settings, depths, target, solved, pool=pool)
    hit = target in solved
    top = max(r.spread or 0 for r in at_target.values()) // q - 1 if hit else max(limits.values())
    budget = settings.exact_budget(time.perf_counter(), len(depths)) if pool is None else pool

    def probe(span: int) -> int | None:
        spans = [min(span, limits[m]) for m in depths]
        return closest_common_count([dps[m] for m in depths], spans, low, high, target, budget)

    fallback = (target, False) if hit else None
    try:
        found = least_span(max(floors.values()) // q, top, probe, budget)
    except Stopped as stop:  # a common count found before the budget ran out is still valid
        return fallback if stop.best is None else (stop.best[1], False)
    if found is None:  # no smaller largest spread: the target is optimal (or nothing is common)
        return (target, True) if hit else (None, True)
    return found[1], True


def _solve_at(
    problem: Problem,
    settings: SolverSettings,
    depths: list[int],
    count: int,
    solved: dict[int, dict[int, DepthResult]],
    cap: int | None = None,
    pool: WorkBudget | None = None,
) -> dict[int, DepthResult]:
    """Each depth solved exactly at ``count`` (spreads at most ``cap``; the exact searches
    drawing on ``pool`` if given), stopping at the first depth not proven optimal there (its
    result comes last). A complete, proven set is kept in ``solved``: no spread is capped
    below its optimum, so the final answer can reuse it."""
    exact = replace(problem, params=count, tolerance=0, tolerance_abs=None)
    if cap is not None:
        exact = replace(exact, constraints=replace(problem.constraints, max_spread=cap))
    results: dict[int, DepthResult] = {}
    for m in depths:
        results[m] = _solve_depth(exact, settings, m, (count, count), nearest=False, pool=pool)
        if results[m].status is not Status.OPTIMAL:
            return results
    solved[count] = results
    return results
