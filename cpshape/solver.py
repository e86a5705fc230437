"""Orchestration: solve every depth, in lexicographic stages, and map statuses honestly.

Per depth the objective is lexicographic. With ``prefer="spread"``: (1) least spread,
(2) least ``|deviation|``, (3) the count below the target on a tie, (4) the
lexicographically smallest widths (a unique, canonical answer). ``prefer="deviation"``
swaps (1) and (2). Exact searches decide these stages first under a deterministic work
budget, after a residue check: divisors at depth 2 (:mod:`cpshape.twolayer`); above it the
bounded search (:mod:`cpshape.bounded`) with a share of the budget, then the interior search
at depths 3-6 (:mod:`cpshape.ends`) or the window DPs (:mod:`cpshape.dp`,
:mod:`cpshape.aggregate`). From depth 2 on, chains that a ratio range holds far from uniform
(each width a fixed factor from the next) go to CP-SAT first, briefly: its propagation pins
such chains at once, where the exact searches' windows would be as wide as the network (not
at depth 3, where the interior search carries the pair rules and is faster; at depth 4 after
its brief first try).
When the budget runs out, the CP-SAT model (:mod:`cpshape.model`)
solves the remaining stages, told which spreads the exact searches already ruled out. Either way every answer
is recounted in pure Python and then checked against one CP-SAT model that holds every
depth, widths fixed: the model of record has to accept it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from . import __version__
from .dp import BudgetExhausted, DepthDP, Stopped, WorkBudget, far_from_uniform
from .ends import MAX_DEPTH as ENDS_MAX_DEPTH
from .ends import quick_by_ends, solve_by_ends
from .model import build_model
from .pinned import by_pinned
from .result import DepthResult, Report, Status, check_shape, verify
from .scan import (
    by_spans,
    depth_dp,
    extreme_count,
    nearest_exact,
    outside_bounds,
    residue_possible,
    salvage,
    span_limit,
)
from .sketch import sketch_by_ends
from .spec import Prefer, Problem, SolverSettings
from .stages import Stages, certify
from .twolayer import depth2_by_divisors

__all__ = ["solve"]

Progress = Callable[[DepthResult], None]
#: Share of the work budget the bounded search gets first: at depths 4-6 (before the interior
#: search) and at the other depths (before the window DPs). At depth 3 the interior search
#: goes first: its cost grows only linearly with the spread there.
ENDS_TRIAL_SHARE = 0.25
#: With pins, at depth 6, three quarters: a far pin sends the trial to the window DPs on cut
#: windows, and the interior search grows like B^(m-2) (784 -> 10, 10^8, first layer pinned
#: to 17,572: 6.3 s -> 0.7 s; 30 other pinned depth-6 problems unchanged). Not at depth 5,
#: where it made a problem with two pins take 109 s instead of 4.7 s (the performance page).
ENDS_PINNED_SHARE, ENDS_PINNED_DEPTH = 0.75, 6
#: After that first quarter the interior search gets half of what is left and the bounded
#: search resumes with the rest (from the spreads both ruled out): at depths 5-6 and large
#: counts the bounded search is the faster one even past its trial (4 -> 3, 2e10, depth 5,
#: non-increasing: the trial rules out spreads up to 236, the interior search would need
#: caps of 237 and up, the bounded search finishes from there in 2.2e8 words).
ENDS_INTERIOR_SHARE = 0.5
#: At depth 4 the interior search goes first, within this many words (about 0.1 s here) and
#: where the uniform width is at most this many units: there it settles most problems 2-4
#: times faster than the bounded search (784 -> 10, 10^6, non-increasing: 17 ms against
#: 44 ms; with a pin 0.25-0.5 s -> 5-8 ms), and where it does not, the bounded search starts
#: at the spreads it ruled out (300 random depth-4 problems: 61.1 s -> 47.9 s, none more than
#: 0.14 s slower; 5e6 words did as well in all, 48.2 s). At 10^12 the least spread is 267,
#: and its caps would cost 1.5 s against the bounded search's 0.39 s.
ENDS_QUICK_DEPTH, ENDS_QUICK_WORDS, ENDS_QUICK_UNITS = 4, 2 * 10**7, 10**5
#: Above that width (no pins) the bounded search's trial gets three quarters: 4 -> 3, 5e12,
#: `feasible` at 20 s -> optimal in 3.4 s (with a pin the interior search is the faster).
ENDS_WIDE_SHARE = 0.75
BOUNDED_SHARE = 0.5
ENDS_FIRST_DEPTH = 3
#: From this depth on, chains that the pair rules hold far from uniform (:func:`far_from_uniform`)
#: go to CP-SAT first, within this much deterministic time and this share of a wall-clock
#: limit; only what it does not prove goes on to the exact searches (measured on ratio
#: ranges 1.05-1.25 to 3-6, P = 1e5-1e8: CP-SAT proves most in 0.01-2 s where the exact
#: searches' windows, as wide as the spread, take seconds). At depth 2 the divisors still
#: go first: they settle narrow bands at once; CP-SAT takes the wide ones, where the exact
#: scan would walk the spreads one by one (13 s at 5e9, 0.01 s in CP-SAT). Depth 3 with the
#: spread first is left to the interior search (:func:`_cp_first`): 64 -> 10, ratio 3:6,
#: 1e6 in 0.011 s against 0.11 s; 138 random chains of that kind 68.8 s -> 4.7 s, the same
#: answers (the performance page). Depth 4 gives it its first try (``ENDS_QUICK_WORDS``)
#: before CP-SAT: 60 random far chains the same answers, median time x1.01, 1.19 s -> 0.07 s
#: at best and 0.02 s slower at worst.
CP_FIRST_DEPTH = 2
CP_FIRST_LIMIT, CP_FIRST_SHARE = 1.0, 0.25


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
    certify(problem, settings, results, shared)
    versions = {"cpshape": __version__, "ortools": _ortools_version()}
    return Report(problem, settings, tuple(results), shared, versions)


def _ortools_version() -> str:
    import ortools

    return ortools.__version__


# ----------------------------------------------------------------------- per depth
def _solve_depth(
    problem: Problem,
    settings: SolverSettings,
    m: int,
    band: tuple[int, int],
    nearest: bool = True,
    pool: WorkBudget | None = None,
) -> DepthResult:
    """One depth, every stage; ``nearest``: find the nearest counts when the band is empty;
    ``pool``: the exact searches draw on this budget (shared by several solves) instead of
    their own ``dp_work``."""
    start = time.perf_counter()
    high = band[1]
    if settings.dp_work == 0:  # CP-SAT alone, no exact method in front of it
        return _cp_depth(problem, settings, m, band, start, 0)
    if not residue_possible(problem, band):
        return _infeasible(problem, settings, m, band, start, "residues", nearest)
    if outside_bounds(problem, m, band):
        return _infeasible(problem, settings, m, band, start, "bounds", nearest)
    if m >= 2:  # depth 2, or every layer but one or two pinned: every shape of each count
        exact = (depth2_by_divisors(problem, band), "divisors") if m == 2 else by_pinned(problem, m, band)
        found, proof = exact if exact is not None else (None, "")
        if found is not None:
            if not found:
                return _infeasible(problem, settings, m, band, start, proof, nearest)
            return _proven(problem, m, found, band, start, proof)
    budget = settings.exact_budget(start) if pool is None else pool
    limit = span_limit(problem, m, high)
    spread_floor = 0  # spreads (in multiples of q) below this are proven not to reach the band
    ends = 3 <= m <= ENDS_MAX_DEPTH and problem.prefer is Prefer.SPREAD
    wide = False  # depth 4 above ENDS_QUICK_UNITS
    if ends and m == ENDS_QUICK_DEPTH:  # the interior search first (on far chains too), briefly
        args = (*_ends_args(problem, m, band), limit, budget)
        settled, found, spread_floor, wide = quick_by_ends(*args, ENDS_QUICK_WORDS, ENDS_QUICK_UNITS)
        if settled and found is None:
            return _infeasible(problem, settings, m, band, start, "interior search", nearest)
        if settled:
            return _proven(problem, m, found, band, start, "interior search")
    first_hint = None  # a shape CP-SAT found first, for the CP-SAT run at the end
    if _cp_first(problem, m):
        # Every width is a fixed factor away from the next: the windows of the exact searches
        # would be as wide as the network, while CP-SAT's propagation pins the chain at once.
        first = _cp_depth(problem, _first_share(settings), m, band, start, 0, nearest=nearest)
        if first.status in (Status.OPTIMAL, Status.INFEASIBLE):
            return first
        first_hint = None if first.widths is None or first.params is None else (first.widths, first.params)
        settings = _after_first(settings)
    dp = depth_dp(problem, m)
    partial: list[tuple[int, Any]] = []  # shapes a stopped span scan had found, for CP-SAT's hint
    share = 0.0 if ends and m == ENDS_FIRST_DEPTH else ENDS_TRIAL_SHARE if ends else BOUNDED_SHARE
    if ends and m >= ENDS_PINNED_DEPTH and problem.constraints.pins:
        share = ENDS_PINNED_SHARE
    wide = wide and not problem.constraints.pins
    resume = share == ENDS_TRIAL_SHARE or wide  # the bounded search resumes after the interior
    share = ENDS_WIDE_SHARE if wide else share
    try:
        # The bounded search settles most problems at once. Where its tables or its search
        # grow too large within its share of the budget, the interior search (depths 3-6,
        # whose cost does not grow with the spread) or the window DPs take over.
        trial = budget.part(share)
        try:
            if not share:
                raise Stopped(spread_floor)
            found, proof = by_spans(problem, dp, band, limit, trial, spread_floor)
        except (Stopped, BudgetExhausted) as stop:
            if isinstance(stop, Stopped):
                spread_floor = max(spread_floor, stop.span) if problem.prefer is Prefer.SPREAD else 0
                partial += [stop.best] if stop.best else []
            budget.charge(trial)
            if ends:
                args = (problem, dp, m, band, limit, budget, spread_floor, resume)
                found, proof = _interior_then_bounded(*args)
            else:
                found, proof = by_spans(problem, dp, band, limit, budget, spread_floor, listing=True)
    except (Stopped, BudgetExhausted) as stop:
        if isinstance(stop, Stopped):
            spread_floor = max(spread_floor, stop.span) if problem.prefer is Prefer.SPREAD else 0
            partial += [stop.best] if stop.best else []
        hint = salvage(problem, partial, settings.exact_budget(time.perf_counter()).part(0.125))
        if first_hint and (not hint or _objective(problem, *first_hint) < _objective(problem, *hint)):
            hint = first_hint
        sketch = sketch_by_ends(*_ends_args(problem, m, band))  # the shape to beat, no hint:
        if sketch and check_shape(problem, sketch[0], band):  # as one it kept CP-SAT from proofs
            sketch = None
        return _cp_depth(problem, settings, m, band, start, spread_floor, hint, nearest, sketch)
    if found is None:
        return _infeasible(problem, settings, m, band, start, proof, nearest)
    return _proven(problem, m, found, band, start, proof)


def _interior_then_bounded(
    problem: Problem,
    dp: DepthDP,
    m: int,
    band: tuple[int, int],
    limit: int,
    budget: WorkBudget,
    floor: int,
    resume: bool,
) -> tuple[tuple[tuple[int, ...], int] | None, str]:
    """The interior search after the bounded search's trial; with ``resume`` (after a trial
    of ``ENDS_TRIAL_SHARE`` or ``ENDS_WIDE_SHARE``) it gets ``ENDS_INTERIOR_SHARE`` of what
    is left, and the bounded search resumes with the rest from the spreads either has ruled
    out. Raises ``Stopped``."""
    interior = budget.part(ENDS_INTERIOR_SHARE) if resume else budget
    try:
        found = solve_by_ends(*_ends_args(problem, m, band), limit, interior, floor)
        return found, "interior search"
    except Stopped as stop:
        if not resume:
            raise
        budget.charge(interior)
        return by_spans(problem, dp, band, limit, budget, max(floor, stop.span))


def _ends_args(problem: Problem, m: int, band: tuple[int, int]) -> tuple[Any, ...]:
    """The interior search's arguments up to the span limit (:func:`sketch_by_ends`' all)."""
    a, c, bias, rules = problem.input_size, problem.output_size, problem.bias, problem.constraints
    return a, c, m, bias, rules, band, problem.params


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


def _cp_first(problem: Problem, m: int) -> bool:
    """Whether depth ``m`` goes to CP-SAT before the exact searches (see ``CP_FIRST_DEPTH``;
    not at depth 3 with the spread first, where the interior search is faster)."""
    interior = m == ENDS_FIRST_DEPTH and problem.prefer is Prefer.SPREAD
    return m >= CP_FIRST_DEPTH and not interior and far_from_uniform(problem.constraints)


def _first_share(settings: SolverSettings) -> SolverSettings:
    """The limits of the CP-SAT run that goes first on chains far from uniform."""
    limit = min(settings.deterministic_limit, CP_FIRST_LIMIT)
    wall = None if settings.time_limit is None else settings.time_limit * CP_FIRST_SHARE
    return replace(settings, deterministic_limit=limit, time_limit=wall)


def _after_first(settings: SolverSettings) -> SolverSettings:
    """What the rest of the depth gets after that run (its wall time is counted from the
    depth's start anyway)."""
    return replace(settings, deterministic_limit=max(settings.deterministic_limit - CP_FIRST_LIMIT, 1e-3))


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
def _cp_depth(
    problem: Problem,
    settings: SolverSettings,
    m: int,
    band: tuple[int, int],
    start: float,
    spread_floor: int,
    hint: tuple[tuple[int, ...], int] | None = None,
    nearest: bool = True,
    fallback: tuple[tuple[int, ...], int] | None = None,
) -> DepthResult:
    """Solve one depth with CP-SAT alone, knowing spreads below ``spread_floor`` are ruled out.

    ``hint``: a valid shape the exact searches found before their budget ran out; CP-SAT
    starts from it, and it is returned (``feasible``) if CP-SAT finds nothing better.
    ``fallback``: a valid shape returned likewise, not given to CP-SAT.
    """
    shape = build_model(problem, [m], band)
    dv = shape.depths[m]
    settings = _time_left(settings, start)
    if spread_floor:
        shape.ort_model.add(dv.spread_units >= spread_floor).with_name(f"d{m}_dp_spread_floor")
    if hint is not None:
        for var, width in zip(dv.units, hint[0], strict=True):
            shape.ort_model.add_hint(var, width // shape.multiple_of)
    stages = Stages(shape, settings)
    order = [dv.spread_units, dv.absdev]
    if problem.prefer is Prefer.DEVIATION:
        order.reverse()
    for expr in [*order, dv.count, *dv.units]:
        if stages.minimize(expr) is None:
            break
    proof = "cp-sat" if not spread_floor else "dp+cp-sat"
    if not stages.found and hint is None and fallback is None:
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
    if status is Status.FEASIBLE:
        options += [shape for shape in (hint, fallback) if shape is not None]
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
    (:func:`nearest_exact`) within a quarter of the work budget, else by CP-SAT; of the time
    limit left, the side below gets half and the side above the rest (the exact search half
    of a side's time, CP-SAT what it leaves).
    """
    low, high = band
    found: list[int | None] = []
    start = time.perf_counter()
    for side_band, sign in (((1, low - 1), -1), ((high + 1, 2 * high), 1)):
        side = _time_left(settings, start, share=0.5 if sign < 0 else 1.0)
        side_start = time.perf_counter()
        if side_band[0] > side_band[1] or outside_bounds(problem, m, side_band):
            found.append(None)  # proven: no count on that side (or none in reach of the bounds)
            continue
        if (extreme := extreme_count(problem, m, side_band, sign)) is not None:
            found.append(extreme)  # the widest (narrowest) shape the bounds allow is valid
            continue
        # depth 2 decides one count at a time by divisors, fast on any chain; CP-SAT's
        # propagation on the others far from uniform
        if settings.dp_work and not (m > 2 and far_from_uniform(problem.constraints)):
            budget = side.exact_budget(side_start).part(0.25)
            try:
                found.append(nearest_exact(problem, m, side_band, sign, budget))
                continue
            except (Stopped, BudgetExhausted):
                pass
        shape = build_model(problem, [m], side_band)
        stages = Stages(shape, _time_left(side, side_start))
        value = stages.minimize(sign * shape.depths[m].count)
        found.append(sign * value if value is not None and stages.proven else None)
    return found[0], found[1]
