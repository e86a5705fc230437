"""Orchestration: solve every depth, in lexicographic stages, and map statuses honestly.

Per depth the objective is lexicographic. With ``prefer="spread"``: (1) least spread,
(2) least ``|deviation|``, (3) the count below the target on a tie, (4) the
lexicographically smallest widths (a unique, canonical answer). ``prefer="deviation"``
swaps (1) and (2). Exact searches decide these stages first under a deterministic work
budget, after a residue check: divisors at depth 2 (:mod:`cpshape.twolayer`); above it the
bounded search (:mod:`cpshape.bounded`) with a share of the budget, then the interior search
at depths 3-6 (:mod:`cpshape.ends`) or the window DPs (:mod:`cpshape.dp`,
:mod:`cpshape.aggregate`). When the budget runs out, the CP-SAT model (:mod:`cpshape.model`)
solves the remaining stages, told which spreads the exact searches already ruled out. Either way every answer
is recounted in pure Python and then checked against one CP-SAT model that holds every
depth, widths fixed: the model of record has to accept it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from ortools.sat.python import cp_model

from . import __version__
from .aggregate import aggregate_applies, reach_aggregate
from .bounded import BoundedReach, bounded_applies, reach_bounded, relaxed_floor
from .dp import (
    BudgetExhausted,
    DepthDP,
    Reachable,
    WorkBudget,
    best_count,
    canonical_widths,
    reach_windows,
    sound_bounds,
)
from .ends import MAX_DEPTH as ENDS_MAX_DEPTH
from .ends import solve_by_ends
from .model import ShapeModel, build_model
from .result import DepthResult, Report, Status, VerificationError, verify
from .spec import Prefer, Problem, SolverSettings
from .twolayer import WORK_PER_SPREAD, reach_line, reach_pairs, shapes_with_count

__all__ = ["solve"]

Progress = Callable[[DepthResult], None]
_T = TypeVar("_T")
#: Depth 2 enumerates every shape by factorisation when the band holds at most this many counts
#: (spread first), or scans outwards from the target through at most this many (deviation first).
DIVISOR_BAND = 1024
DIVISOR_SCAN = 20_000
#: Share of the work budget the bounded search gets first: at depths 4-6 (before the interior
#: search) and at the other depths (before the window DPs). At depth 3 the interior search
#: goes first: its cost grows only linearly with the spread there.
ENDS_TRIAL_SHARE = 0.25
BOUNDED_SHARE = 0.5
ENDS_FIRST_DEPTH = 3


def solve(
    problem: Problem, settings: SolverSettings | None = None, *, progress: Progress | None = None
) -> Report:
    """Solve ``problem`` for every depth and return a verified :class:`Report`."""
    settings = settings or SolverSettings()
    band = problem.band()
    if problem.same_count:
        from .shared import solve_shared  # shared mode builds on this module's per-depth solve

        results, shared = solve_shared(problem, settings, band, progress)
    else:
        results, shared = [], None
        for m in problem.depths:
            result = _solve_depth(problem, settings, m, band)
            results.append(result)
            if progress:
                progress(result)
    _certify(problem, settings, results, shared)
    versions = {"cpshape": __version__, "ortools": _ortools_version()}
    return Report(problem, settings, tuple(results), shared, versions)


def _ortools_version() -> str:
    import ortools

    return ortools.__version__


# ----------------------------------------------------------------------- per depth
def _span_limit(problem: Problem, m: int, high: int) -> int:
    """Largest spread (in multiples of q) any valid shape of depth ``m`` can have."""
    if m == 1:
        return 0
    q, bounds = problem.constraints.multiple_of, sound_bounds(problem, m, high)
    limit = (max(hi for _, hi in bounds) - min(lo for lo, _ in bounds)) // q
    if problem.constraints.max_spread is not None:
        limit = min(limit, problem.constraints.max_spread // q)
    return max(limit, 0)


def _depth_dp(problem: Problem, m: int) -> DepthDP:
    return DepthDP(problem.input_size, problem.output_size, m, problem.bias, problem.constraints)


def _reach(
    dp: DepthDP, span: int, low: int, high: int, budget: WorkBudget, listing: bool = False
) -> list[Reachable]:
    """Shapes reaching the band at this span: the exact depth-2 search, the bounded search,
    or (when the caller needs every count listed, or the tables would be too large) the
    window DPs.

    Depth 2 returns spread exactly ``q*span``; the others return every spread up to it.
    """
    if dp.depth == 1:
        return list(reach_line(dp.input_size, dp.output_size, dp.bias, dp.rules, low, high))
    if dp.depth == 2:
        return list(reach_pairs(dp.input_size, dp.output_size, dp.bias, dp.rules, span, low, high, budget))
    bases = list(dp.bases(span, low, high))
    found: list[Reachable] = []
    if not listing and bounded_applies(dp, span):
        by_search, bases = reach_bounded(dp, span, bases, low, high, budget)
        found.extend(by_search)
    fast = [w for w in bases if aggregate_applies(dp, w, span)]
    found.extend(reach_aggregate(dp, span, fast, low, high, budget))
    rest = [w for w in bases if w not in set(fast)]
    return found + list(reach_windows(dp, span, low, high, budget, rest))


def _reach_upto(
    dp: DepthDP, span: int, low: int, high: int, budget: WorkBudget, listing: bool = False
) -> list[Reachable]:
    """Every shape with spread at most ``q*span`` that reaches the band."""
    if dp.depth != 2:
        return _reach(dp, span, low, high, budget, listing)
    return [piece for t in range(span + 1) for piece in _reach(dp, t, low, high, budget)]


def _scan(
    dp: DepthDP, low: int, high: int, first: int, last: int, budget: WorkBudget, listing: bool = False
) -> tuple[int, list[Reachable] | None]:
    """The least span in ``first..last`` that reaches the band: ``(span, reaches)``, or
    ``(last + 1, None)`` when none does. On budget exhaustion raises ``_Stopped(span)``.

    Above depth 2 a window of span ``s`` lies inside one of span ``s + 1``, so reaching the
    band is monotone in the span and :func:`_least_span` gallops and bisects. Depth 2 looks
    at spreads of exactly ``q*span`` and is scanned one span at a time.
    """
    if dp.depth > 2 and not listing and bounded_applies(dp, first):
        # The bounded search's hulls rule out spans without tables: start where they cannot.
        first = relaxed_floor(dp, first, last, low, high, budget)
    found = _least_span(
        first, last, lambda span: _reach(dp, span, low, high, budget, listing) or None, budget, dp.depth == 2
    )
    return (last + 1, None) if found is None else found


def _least_span(
    first: int, last: int, probe: Callable[[int], _T | None], budget: WorkBudget, one_by_one: bool = False
) -> tuple[int, _T] | None:
    """The least span in ``first..last`` whose ``probe`` finds something, with what it found
    (``None`` if no span does), for a probe that is monotone: once a span finds, every larger
    one does. The scan gallops upwards (steps of a quarter of the distance covered) and then
    bisects between the last span that missed and the first that found; ``one_by_one`` scans
    one span at a time and stops at the first find. On budget exhaustion raises
    ``_Stopped(span, best)``: every span below ``span`` is proven to find nothing.
    """
    missed = first - 1  # every span up to this one is proven to find nothing
    best: tuple[int, _T] | None = None
    span = first
    while span <= last and (best is None or span < best[0]):
        try:
            found = probe(span)
        except BudgetExhausted:
            raise _Stopped(missed + 1, best) from None
        if found is not None:
            best = (span, found)
        else:
            missed = span
        if budget.exhausted:
            raise _Stopped(missed + 1, best)
        if best is not None:  # bisect (missed, best); scanning one by one, the first find is the answer
            span = best[0] if one_by_one else max((missed + best[0]) // 2, missed + 1)
        else:
            step = 1 if one_by_one else max(1, (span - first) // 4)
            span = min(last, span + step) if span < last else last + 1
    return best


class _Stopped(Exception):
    """The budget ran out during a span scan: spans below ``span`` are proven to find nothing;
    ``best`` is the least span that found something so far, with what it found (or ``None``)."""

    def __init__(self, span: int, best: tuple[int, Any] | None = None) -> None:
        self.span, self.best = span, best


def _solve_depth(
    problem: Problem, settings: SolverSettings, m: int, band: tuple[int, int], nearest: bool = True
) -> DepthResult:
    """One depth, every stage; ``nearest``: find the nearest counts when the band is empty."""
    start = time.perf_counter()
    high = band[1]
    if settings.dp_work == 0:  # CP-SAT alone, no exact method in front of it
        return _cp_depth(problem, settings, m, band, start, 0)
    if not _residue_possible(problem, band):
        return _infeasible(problem, settings, m, band, start, "residues", nearest)
    if m == 2:
        found = _depth2_by_divisors(problem, band)
        if found is not None:
            if not found:
                return _infeasible(problem, settings, m, band, start, "divisors", nearest)
            return _proven(problem, m, found, band, start, "divisors")
    dp, budget = _depth_dp(problem, m), settings.exact_budget(start)
    limit = _span_limit(problem, m, high)
    spread_floor = 0  # spreads (in multiples of q) below this are proven not to reach the band
    partial: list[tuple[int, Any]] = []  # shapes a stopped span scan had found, for CP-SAT's hint
    ends = 3 <= m <= ENDS_MAX_DEPTH and problem.prefer is Prefer.SPREAD
    share = 0.0 if ends and m == ENDS_FIRST_DEPTH else ENDS_TRIAL_SHARE if ends else BOUNDED_SHARE
    try:
        # The bounded search settles most problems at once. Where its tables or its search
        # grow too large within its share of the budget, the interior search (depths 3-6,
        # whose cost does not grow with the spread) or the window DPs take over.
        trial = budget.part(share)
        try:
            if not share:
                raise _Stopped(0)
            found, proof = _by_spans(problem, dp, band, limit, trial)
        except (_Stopped, BudgetExhausted) as stop:
            if isinstance(stop, _Stopped):
                spread_floor = stop.span if problem.prefer is Prefer.SPREAD else 0
                partial += [stop.best] if stop.best else []
            budget.charge(trial)
            if ends:
                a, c, bias, rules = problem.input_size, problem.output_size, problem.bias, problem.constraints
                found = solve_by_ends(a, c, m, bias, rules, band, problem.params, limit, budget)
                proof = "interior search"
            else:
                found, proof = _by_spans(problem, dp, band, limit, budget, spread_floor, listing=True)
    except (_Stopped, BudgetExhausted) as stop:
        if isinstance(stop, _Stopped):
            spread_floor = max(spread_floor, stop.span) if problem.prefer is Prefer.SPREAD else 0
            partial += [stop.best] if stop.best else []
        hint = _salvage(problem, partial, settings.exact_budget(time.perf_counter()).part(0.125))
        return _cp_depth(problem, settings, m, band, start, spread_floor, hint, nearest)
    if found is None:
        return _infeasible(problem, settings, m, band, start, proof, nearest)
    return _proven(problem, m, found, band, start, proof)


def _by_spans(
    problem: Problem,
    dp: DepthDP,
    band: tuple[int, int],
    limit: int,
    budget: WorkBudget,
    floor: int = 0,
    listing: bool = False,
) -> tuple[tuple[tuple[int, ...], int] | None, str]:
    """The optimum by scanning spans up to ``limit`` (``None`` if no shape) and the method's
    name. ``floor``: spans below it are known to miss the band (used when spread comes first).
    ``listing``: use only the window DPs. Raises ``_Stopped`` or ``BudgetExhausted`` when the
    budget runs out first.
    """
    low, high = band
    target = problem.params
    searched = dp.depth > 2 and not listing and bounded_applies(dp, limit)
    proof = "closed form" if dp.depth == 1 else "bounded search" if searched else "dp"
    if problem.prefer is Prefer.SPREAD:
        span, reaches = _scan(dp, low, high, floor, limit, budget, listing)
        if reaches is None:
            return None, proof
        try:
            count = best_count(reaches, target)
            widths = canonical_widths(reaches, count, budget)
        except BudgetExhausted:  # the least spread is known, its best count not yet
            raise _Stopped(span, (span, reaches)) from None
    else:
        span, reaches = _scan(dp, target, target, 0, limit, budget, listing)
        count = target
        if reaches is None:
            # No exact count at any spread: every shape lies in the widest window.
            everything = _reach_upto(dp, limit, low, high, budget, listing)
            if not everything:
                return None, proof
            closest = abs(best_count(everything, target) - target)
            tied = []  # counts at the least |deviation|: least spread first, then below
            for option in sorted({target - closest, target + closest}):
                span, hit = _scan(dp, option, option, 0, limit, budget, listing)
                if hit is not None:
                    tied.append((span, option, hit))
            _, count, reaches = min(tied, key=lambda t: (t[0], t[1]))
        widths = canonical_widths(reaches, count, budget)
    if dp.depth > 1:
        proof = "bounded search" if any(isinstance(r, BoundedReach) for r in reaches) else "dp"
    return (widths, count), proof


def _proven(
    problem: Problem,
    m: int,
    found: tuple[tuple[int, ...], int],
    band: tuple[int, int],
    start: float,
    proof: str,
) -> DepthResult:
    """An optimum proven by the exact method ``proof``, recounted and re-checked."""
    widths, count = found
    seconds = time.perf_counter() - start
    result = DepthResult(
        m, Status.OPTIMAL, widths, count, seconds=seconds, proof=proof, target=problem.params
    )
    return verify(problem, result, band)


def _residue_class(problem: Problem) -> tuple[int, int]:
    """``(g, r)``: with every width a multiple of q, every count is ``r`` modulo ``g``
    (``g = q*gcd(a, c, q)``, ``r = 0`` without biases; ``g = q``, ``r = c mod q`` with them)."""
    q = problem.constraints.multiple_of
    if problem.bias:
        return q, problem.output_size % q
    return q * math.gcd(problem.input_size, problem.output_size, q), 0


def _residue_possible(problem: Problem, band: tuple[int, int]) -> bool:
    """Cheap certificate (:func:`_residue_class`): no count of the residue class in the band
    means no shape at all, whatever the depth.
    """
    g, residue = _residue_class(problem)
    low, high = band
    return low + (residue - low) % g <= high


def _depth2_by_divisors(
    problem: Problem, band: tuple[int, int]
) -> tuple[tuple[int, ...], int] | tuple[()] | None:
    """Depth 2 by factorisation: every shape of a count is a divisor pair (``twolayer``).

    Returns the optimal ``(widths, count)``, ``()`` when the band holds no shape (proven:
    every count in it was factorised), or ``None`` when the band is too wide to enumerate.
    """
    low, high = band
    target = problem.params

    def shapes(count: int) -> list[tuple[int, int]]:
        return shapes_with_count(
            problem.input_size, problem.output_size, problem.bias, problem.constraints, count
        )

    if problem.prefer is Prefer.SPREAD:
        if high - low >= DIVISOR_BAND:
            return None
        keys = [(abs(w[0] - w[1]), abs(n - target), n, w) for n in range(low, high + 1) for w in shapes(n)]
        return (min(keys)[3], min(keys)[2]) if keys else ()
    for k in range(max(high - target, target - low) + 1):
        if k >= DIVISOR_SCAN:
            return None
        keys = [
            (abs(w[0] - w[1]), n, w)
            for n in sorted({target - k, target + k})
            if low <= n <= high
            for w in shapes(n)
        ]
        if keys:
            return min(keys)[2], min(keys)[1]
    return ()


def _time_left(settings: SolverSettings, start: float, share: float = 1.0) -> SolverSettings:
    """``settings`` with ``time_limit`` cut to (a share of) what this depth has left: the limit
    holds for the whole depth, exact search included."""
    if settings.time_limit is None:
        return settings
    left = settings.time_limit - (time.perf_counter() - start)
    return replace(settings, time_limit=max(1e-3, left * share))


def _infeasible(
    problem: Problem,
    settings: SolverSettings,
    m: int,
    band: tuple[int, int],
    start: float,
    proof: str,
    nearest: bool = True,
) -> DepthResult:
    return DepthResult(
        m,
        Status.INFEASIBLE,
        nearest=_nearest(problem, _time_left(settings, start), m, band) if nearest else None,
        seconds=time.perf_counter() - start,
        proof=proof,
        joined=False,
        target=problem.params,
    )


# ------------------------------------------------------------------------- CP-SAT
class _Stages:
    """Lexicographic stages on one CP-SAT model: optimise, fix the optimum, re-hint, repeat."""

    def __init__(self, shape: ShapeModel, settings: SolverSettings) -> None:
        self.shape, self.model = shape, shape.ort_model
        self.solver = cp_model.CpSolver()
        params = self.solver.parameters
        params.num_workers = settings.workers
        params.random_seed = settings.seed
        # The limits are for all stages together: each stage gets what the earlier ones left.
        self.deterministic_left = settings.deterministic_limit
        self.wall_left = settings.time_limit
        self.proven = True
        self.found = False
        self.values: dict[int, int] = {}

    def minimize(self, expr: cp_model.LinearExprT) -> int | None:
        """Optimise ``expr``; return its value and pin it, or ``None`` if nothing was found.

        After a stage fails to prove optimality, later stages cannot be proven either.
        """
        if self.deterministic_left <= 0 or (self.wall_left is not None and self.wall_left <= 0):
            self.proven = False
            return None
        params = self.solver.parameters
        params.max_deterministic_time = self.deterministic_left
        if self.wall_left is not None:
            params.max_time_in_seconds = self.wall_left
        self.model.minimize(expr)
        status = self.solver.solve(self.model)
        self.deterministic_left -= self.solver.response_proto.deterministic_time
        if self.wall_left is not None:
            self.wall_left -= self.solver.wall_time
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if status == cp_model.INFEASIBLE and self.found:
                raise VerificationError("CP-SAT lost a solution it had found in an earlier stage")
            self.proven = self.proven and status == cp_model.INFEASIBLE
            return None
        self.found = True
        self.proven = self.proven and status == cp_model.OPTIMAL
        value = round(self.solver.objective_value)
        self.model.add(expr == value)
        self.model.clear_hints()
        extra = list((self.shape.joins or {}).values())
        for var in [*(v for dv in self.shape.depths.values() for v in (*dv.units, dv.count)), *extra]:
            self.values[var.index] = self.solver.value(var)
            self.model.add_hint(var, self.values[var.index])
        return value

    def widths(self, m: int) -> tuple[int, ...]:
        return tuple(self.shape.multiple_of * self.values[v.index] for v in self.shape.depths[m].units)

    def count(self, m: int) -> int:
        return self.values[self.shape.depths[m].count.index]


def _salvage(
    problem: Problem, partial: list[tuple[int, Any]], budget: WorkBudget
) -> tuple[tuple[int, ...], int] | None:
    """A valid shape, ``(widths, count)``, from what a stopped span scan found: in the least
    span found, some shape in the band (not the best count: that is what ran out of budget).
    ``None`` if nothing was found or the fresh ``budget`` does not suffice.
    """
    if not partial:
        return None
    _, reaches = min(partial, key=lambda found: found[0])
    q = problem.constraints.multiple_of
    try:
        for piece in reaches:
            if isinstance(piece, BoundedReach):
                piece.search.budget = budget  # its own budget ran out
                offsets = piece.first_shape()
                if offsets is not None:
                    widths = tuple(q * (piece.w + d) for d in offsets)
                    return widths, piece.dp.count(widths)
            elif (count := piece.ceil(0)) is not None and (widths := piece.widths(count, budget)):
                return widths, count
    except BudgetExhausted:
        pass
    return None


def _cp_depth(
    problem: Problem,
    settings: SolverSettings,
    m: int,
    band: tuple[int, int],
    start: float,
    spread_floor: int,
    hint: tuple[tuple[int, ...], int] | None = None,
    nearest: bool = True,
) -> DepthResult:
    """Solve one depth with CP-SAT alone, knowing spreads below ``spread_floor`` are ruled out.

    ``hint``: a valid shape the exact searches found before their budget ran out; CP-SAT
    starts from it, and it is returned (``feasible``) if CP-SAT finds nothing better.
    """
    shape = build_model(problem, [m], band)
    dv = shape.depths[m]
    settings = _time_left(settings, start)
    if spread_floor:
        shape.ort_model.add(dv.spread_units >= spread_floor).with_name(f"d{m}_dp_spread_floor")
    if hint is not None:
        for var, width in zip(dv.units, hint[0], strict=True):
            shape.ort_model.add_hint(var, width // shape.multiple_of)
    stages = _Stages(shape, settings)
    order = [dv.spread_units, dv.absdev]
    if problem.prefer is Prefer.DEVIATION:
        order.reverse()
    for expr in [*order, dv.count, *dv.units]:
        if stages.minimize(expr) is None:
            break
    proof = "cp-sat" if not spread_floor else "dp+cp-sat"
    if not stages.found and hint is None:
        if stages.proven:
            return _infeasible(problem, settings, m, band, start, proof, nearest)
        return DepthResult(
            m,
            Status.UNKNOWN,
            seconds=time.perf_counter() - start,
            proof=proof,
            joined=False,
            target=problem.params,
        )
    status = Status.OPTIMAL if stages.found and stages.proven else Status.FEASIBLE
    options = [(stages.widths(m), stages.count(m))] if stages.found else []
    if hint is not None and status is Status.FEASIBLE:
        options.append(hint)
    widths, params = min(options, key=lambda shape: _objective(problem, *shape))
    result = DepthResult(
        m, status, widths, params, seconds=time.perf_counter() - start, proof=proof, target=problem.params
    )
    return verify(problem, result, band)


def _objective(problem: Problem, widths: tuple[int, ...], count: int) -> tuple[int, ...]:
    """The per-depth lexicographic objective of a shape (smaller is better)."""
    spread, deviation = max(widths) - min(widths), abs(count - problem.params)
    first = (spread, deviation) if problem.prefer is Prefer.SPREAD else (deviation, spread)
    return (*first, count, *widths)


def _nearest(
    problem: Problem, settings: SolverSettings, m: int, band: tuple[int, int]
) -> tuple[int | None, int | None]:
    """Achievable counts just below and just above the band (``None`` where none is proven).

    The search above stops at twice the band's upper end. Each side is first decided exactly
    (:func:`_nearest_exact`) within a quarter of the work budget, else by CP-SAT within half
    of what is left of the time limit.
    """
    low, high = band
    found: list[int | None] = []
    for side_band, sign in (((1, low - 1), -1), ((high + 1, 2 * high), 1)):
        if side_band[0] > side_band[1]:
            found.append(None)
            continue
        if settings.dp_work:
            budget = settings.exact_budget(time.perf_counter()).part(0.25)
            try:
                found.append(_nearest_exact(problem, m, side_band, sign, budget))
                continue
            except (_Stopped, BudgetExhausted):
                pass
        shape = build_model(problem, [m], side_band)
        stages = _Stages(shape, _time_left(settings, time.perf_counter(), share=0.5))
        value = stages.minimize(sign * shape.depths[m].count)
        found.append(sign * value if value is not None and stages.proven else None)
    return found[0], found[1]


def _nearest_exact(
    problem: Problem, m: int, band: tuple[int, int], sign: int, budget: WorkBudget
) -> int | None:
    """The greatest (``sign = -1``) or least (``sign = 1``) achievable count in ``band``, by
    deciding counts one at a time from the end nearest the target, skipping those the residue
    certificate rules out: closed form at depth 1, divisors at depth 2, the least-span scan
    above. Raises ``BudgetExhausted`` or ``_Stopped`` when the budget ends first.
    """
    low, high = band
    dp = _depth_dp(problem, m)
    if m == 1:
        pieces = reach_line(dp.input_size, dp.output_size, dp.bias, dp.rules, low, high)
        return None if not pieces else (pieces[0].floor(high) if sign < 0 else pieces[0].ceil(low))
    g, residue = _residue_class(problem)
    n = high - (high - residue) % g if sign < 0 else low + (residue - low) % g
    while low <= n <= high:
        if m == 2:
            budget.spend(64 * WORK_PER_SPREAD)
            hit = bool(shapes_with_count(dp.input_size, dp.output_size, dp.bias, dp.rules, n))
        else:
            hit = _scan(dp, n, n, 0, _span_limit(problem, m, n), budget)[1] is not None
        if hit:
            return n
        if budget.exhausted:
            raise BudgetExhausted
        n += sign * g
    return None


def _certify(
    problem: Problem, settings: SolverSettings, results: list[DepthResult], shared: int | None
) -> None:
    """Check every answer against one CP-SAT model holding every depth, widths fixed."""
    band = problem.band()
    joined = [r for r in results if r.widths is not None and shared is not None and r.joined]
    alone = [r for r in results if r.widths is not None and r not in joined]
    for group, group_band in ((joined, (shared, shared)), (alone, band)):
        if not group:
            continue
        domains = {r.depth: [(w, w) for w in r.widths or ()] for r in group}
        depths = [r.depth for r in group]
        shape = build_model(problem, depths, (group_band[0] or 0, group_band[1] or 0), domains=domains)
        status = _Stages(shape, settings).solver.solve(shape.ort_model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise VerificationError(
                f"the CP-SAT model rejects the shapes of depths {depths} (status {status})"
            )
