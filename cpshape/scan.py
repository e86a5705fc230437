"""Exact span scans (pure Python, no solver imports): the pieces each exact method returns
for one span, the gallop and bisection over spans that proves the least one, the optimum of
one depth from them, and the nearest counts beside an empty band.

Every width of a window is ``q*(w + d_i)`` with ``0 <= d_i <= span``; a window of span ``s``
lies inside one of span ``s + 1``, so reaching the band is monotone in the span. Depth 1 is
closed form, depth 2 goes by divisors and spreads (:mod:`cpshape.twolayer`), deeper ones by
the bounded search (:mod:`cpshape.bounded`), the aggregate DP or the window DP.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Any

from .aggregate import aggregate_applies, reach_aggregate
from .bounded import BoundedReach, bounded_applies, reach_bounded, relaxed_floor
from .counting import chain, count_params
from .dp import (
    BudgetExhausted,
    DepthDP,
    Reachable,
    Stopped,
    WorkBudget,
    band_bits,
    best_count,
    canonical_widths,
    least_span,
    reach_windows,
)
from .ends import MAX_DEPTH as ENDS_MAX_DEPTH
from .ends import solve_by_ends
from .pinned import pinned_shapes
from .result import check_shape
from .spec import Constraints, Monotone, Prefer, Problem
from .twolayer import WORK_PER_SPREAD, reach_line, reach_pairs, shapes_with_count

__all__ = [
    "by_spans",
    "depth_dp",
    "extreme_count",
    "nearest_exact",
    "outside_bounds",
    "reach",
    "reach_upto",
    "residue_class",
    "residue_possible",
    "salvage",
    "scan",
    "sound_bounds",
    "span_limit",
]

#: Nearest counts: spans up to which the window DPs list the side band in one go.
NEAREST_LISTING_SPAN = 32


def sound_bounds(problem: Problem, depth: int, high: int) -> list[tuple[int, int]]:
    """Width bounds per hidden layer that no shape with count <= ``high`` can break.

    Width ``b_i`` multiplies its two neighbours (each at least the smallest allowed width,
    or the input/output size at the ends), and every other term of the count is positive,
    so ``b_i * (left + right + bias) <= high``. The pair rules then carry each layer's
    bounds to its neighbours (:func:`_along_the_chain`). Nothing else is assumed: shapes far
    from uniform, such as [70, 564] at 784 -> 10 and 100,000 weights, stay inside. A layer
    whose bounds cross (``lo > hi``) has no valid width.
    """
    rules, q = problem.constraints, problem.constraints.multiple_of
    floor = max(rules.min_width, q)
    floor = -(-floor // q) * q
    pins = rules.pin_map()
    bounds = []
    for i in range(1, depth + 1):
        left = problem.input_size if i == 1 else floor
        right = problem.output_size if i == depth else floor
        top = high // (left + right + int(problem.bias))
        if rules.max_width is not None:
            top = min(top, rules.max_width)
        top = top // q * q
        lo, hi = (pins[i], pins[i]) if i in pins else (floor, top)
        bounds.append((lo, hi))
    return _along_the_chain(bounds, problem.constraints)


def _along_the_chain(bounds: list[tuple[int, int]], rules: Constraints) -> list[tuple[int, int]]:
    """Bounds tightened by the pair rules between neighbours ``x -> y``: every rule is
    ``down * x <= y <= up * x`` (a ratio range ``lo <= x/y <= hi`` gives ``x/hi <= y <= x/lo``,
    a max ratio ``r`` gives ``x/r <= y <= r*x``, an order rule a factor 1), so bounds pass
    forwards (``y <= up * hi(x)``, ``y >= down * lo(x)``) and backwards (``x <= hi(y) / down``,
    ``x >= lo(y) / up``), rounded inwards to multiples of q, until nothing changes."""
    up: Fraction | None = None
    down = Fraction(0)
    if rules.max_ratio is not None:
        up, down = rules.max_ratio, 1 / rules.max_ratio
    if rules.ratio_range is not None:
        lo, hi = rules.ratio_range
        up, down = min(up, 1 / lo) if up is not None else 1 / lo, max(down, 1 / hi)
    if rules.monotone is Monotone.NON_INCREASING:
        up = min(up, Fraction(1)) if up is not None else Fraction(1)
    elif rules.monotone is Monotone.NON_DECREASING:
        down = max(down, Fraction(1))
    if up is None and not down:
        return bounds
    q = rules.multiple_of
    los, his = [lo for lo, _ in bounds], [hi for _, hi in bounds]
    changed = True
    while changed:
        changed = False
        for i in range(len(bounds) - 1):
            for j, k, grow, shrink in ((i, i + 1, up, down), (i + 1, i, _inverse(down), _inverse(up))):
                hi = his[k] if grow is None else min(his[k], math.floor(grow * his[j]) // q * q)
                lo = max(los[k], -(-math.ceil(shrink * los[j]) // q) * q) if shrink else los[k]
                if (lo, hi) != (los[k], his[k]):
                    los[k], his[k], changed = lo, hi, True
        if any(lo > hi for lo, hi in zip(los, his, strict=True)):
            break  # no valid width: nothing more to learn
    return list(zip(los, his, strict=True))


def _inverse(factor: Fraction | None) -> Fraction | None:
    """``1 / factor`` for the reverse direction: a missing upper factor (``None``) becomes a
    lower factor 0 (no bound), and a lower factor 0 a missing upper factor."""
    if factor is None:
        return Fraction(0)
    return None if factor == 0 else 1 / factor


def span_limit(problem: Problem, m: int, high: int) -> int:
    """Largest spread (in multiples of q) any valid shape of depth ``m`` can have."""
    if m == 1:
        return 0
    q, bounds = problem.constraints.multiple_of, sound_bounds(problem, m, high)
    limit = (max(hi for _, hi in bounds) - min(lo for lo, _ in bounds)) // q
    if problem.constraints.max_spread is not None:
        limit = min(limit, problem.constraints.max_spread // q)
    return max(limit, 0)


def depth_dp(problem: Problem, m: int) -> DepthDP:
    return DepthDP(problem.input_size, problem.output_size, m, problem.bias, problem.constraints)


def reach(
    dp: DepthDP,
    span: int,
    low: int,
    high: int,
    budget: WorkBudget,
    listing: bool = False,
    missed: set[tuple[tuple[int, int], ...]] | None = None,
) -> list[Reachable]:
    """Shapes reaching the band at this span: the exact depth-2 search, the bounded search,
    or (when the caller needs every count listed, or the tables would be too large) the
    window DPs.

    Depth 2 returns spread exactly ``q*span``; the others return every spread up to it.
    ``missed``: windows known to miss the band (:func:`~cpshape.dp.reach_windows`).
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
    return found + list(reach_windows(dp, span, low, high, budget, rest, missed))


def reach_upto(
    dp: DepthDP, span: int, low: int, high: int, budget: WorkBudget, listing: bool = False
) -> list[Reachable]:
    """Every shape with spread at most ``q*span`` that reaches the band (at depth 2 spread by
    spread; raises ``BudgetExhausted`` when the budget runs out on the way)."""
    if dp.depth != 2:
        return reach(dp, span, low, high, budget, listing)
    found: list[Reachable] = []
    for t in range(span + 1):
        found += reach(dp, t, low, high, budget)
        if budget.exhausted:
            raise BudgetExhausted
    return found


def scan(
    dp: DepthDP, low: int, high: int, first: int, last: int, budget: WorkBudget, listing: bool = False
) -> tuple[int, list[Reachable] | None]:
    """The least span in ``first..last`` that reaches the band: ``(span, reaches)``, or
    ``(last + 1, None)`` when none does. On budget exhaustion raises ``Stopped(span)``.

    Above depth 2 a window of span ``s`` lies inside one of span ``s + 1``, so reaching the
    band is monotone in the span and :func:`least_span` gallops and bisects. Depth 2 looks
    at spreads of exactly ``q*span`` and is scanned one span at a time.
    """
    near, missed = False, set[tuple[tuple[int, int], ...]]()
    if dp.depth > 2:
        # Spans whose every window misses the band at a corner need no search; a pin far
        # from the other widths puts this floor near the least spread (without pins it is
        # a span or two, and the scan gallops as usual).
        opened = _open_floor(dp, first, last, low, high)
        near, first = opened > first and bool(dp.rules.pins), opened
        # There the corners cut each window to a few widths per layer, which the window
        # DPs search directly; the bounded search's tables would span the whole window.
        listing = listing or near
    if dp.depth > 2 and not listing and bounded_applies(dp, first):
        # The bounded search's hulls rule out spans without tables: start where they cannot.
        first = relaxed_floor(dp, first, last, low, high, budget)
    found = least_span(
        first,
        last,
        lambda span: reach(dp, span, low, high, budget, listing, missed) or None,
        budget,
        dp.depth == 2,
        near=near,
    )
    return (last + 1, None) if found is None else found


def _open_floor(dp: DepthDP, first: int, last: int, low: int, high: int) -> int:
    """The least span in ``first..last + 1`` with a window whose corners straddle the band
    (:meth:`~cpshape.dp.DepthDP.bases`; such windows only gain bases as the span grows)."""
    missed, probe, step = first - 1, first, 1  # gallop (the floor is usually near first)
    while probe <= last and not dp.bases(probe, low, high):
        missed, probe, step = probe, probe + step, 2 * step
    lo, hi = missed + 1, min(probe, last + 1)  # then bisect: hi is open, or past the last span
    while lo < hi:
        mid = (lo + hi) // 2
        if dp.bases(mid, low, high):
            hi = mid
        else:
            lo = mid + 1
    return lo


def by_spans(
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
    ``listing``: use only the window DPs. Raises ``Stopped`` or ``BudgetExhausted`` when the
    budget runs out first.
    """
    low, high = band
    target = problem.params
    searched = dp.depth > 2 and not listing and bounded_applies(dp, limit)
    proof = "closed form" if dp.depth == 1 else "bounded search" if searched else "dp"
    if problem.prefer is Prefer.SPREAD:
        span, reaches = scan(dp, low, high, floor, limit, budget, listing)
        if reaches is None:
            return None, proof
        try:
            count = best_count(reaches, target)
            widths = canonical_widths(reaches, count, budget)
        except BudgetExhausted:  # the least spread is known, its best count not yet
            raise Stopped(span, (span, reaches)) from None
    else:
        span, reaches = scan(dp, target, target, 0, limit, budget, listing)
        count = target
        if reaches is None:
            # No exact count at any spread: every shape lies in the widest window.
            everything = reach_upto(dp, limit, low, high, budget, listing)
            if not everything:
                return None, proof
            closest = abs(best_count(everything, target) - target)
            tied = []  # counts at the least |deviation|: least spread first, then below
            for option in sorted({target - closest, target + closest}):
                span, hit = scan(dp, option, option, 0, limit, budget, listing)
                if hit is not None:
                    tied.append((span, option, hit))
            _, count, reaches = min(tied, key=lambda t: (t[0], t[1]))
        widths = canonical_widths(reaches, count, budget)
    if dp.depth > 1:
        proof = "bounded search" if any(isinstance(r, BoundedReach) for r in reaches) else "dp"
    return (widths, count), proof


def outside_bounds(problem: Problem, depth: int, band: tuple[int, int]) -> bool:
    """Cheap certificate: every valid shape of ``depth`` counts outside ``band``.

    The count grows with every width, so no shape with a count in the band counts less than
    the widths at the lower ends of :func:`sound_bounds` give, or more than the upper ends
    give (those bounds hold for every count up to the band's top). Pins, minimum widths and
    ratio rules can push the first above the band, maximum widths the second below it; a
    layer whose bounds cross has no valid width at all.
    """
    low, high = band
    bounds = sound_bounds(problem, depth, high)
    if any(lo > hi for lo, hi in bounds):
        return True
    a, c, bias = problem.input_size, problem.output_size, problem.bias
    least = count_params(chain(a, [lo for lo, _ in bounds], c), bias)
    most = count_params(chain(a, [hi for _, hi in bounds], c), bias)
    return least > high or most < low


def extreme_count(problem: Problem, depth: int, band: tuple[int, int], sign: int) -> int | None:
    """The greatest (``sign = -1``) or least (``sign = 1``) count in ``band`` when the shape at
    the upper (lower) ends of :func:`sound_bounds` is valid and counts inside it: no shape
    with a count up to the band's top has a wider layer (no valid shape a narrower one), and
    the count grows with every width. ``None``: this shortcut does not decide."""
    bounds = sound_bounds(problem, depth, band[1])
    widths = tuple(hi if sign < 0 else lo for lo, hi in bounds)
    if any(lo > hi for lo, hi in bounds) or check_shape(problem, widths, band):
        return None
    return count_params(chain(problem.input_size, widths, problem.output_size), problem.bias)


def residue_class(problem: Problem) -> tuple[int, int]:
    """``(g, r)``: with every width a multiple of q, every count is ``r`` modulo ``g``
    (``g = q*gcd(a, c, q)``, ``r = 0`` without biases; ``g = q``, ``r = c mod q`` with them)."""
    q = problem.constraints.multiple_of
    if problem.bias:
        return q, problem.output_size % q
    return q * math.gcd(problem.input_size, problem.output_size, q), 0


def residue_possible(problem: Problem, band: tuple[int, int]) -> bool:
    """Cheap certificate (:func:`residue_class`): no count of the residue class in the band
    means no shape at all, whatever the depth.
    """
    g, residue = residue_class(problem)
    low, high = band
    return low + (residue - low) % g <= high


def salvage(
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


def nearest_exact(
    problem: Problem, m: int, band: tuple[int, int], sign: int, budget: WorkBudget
) -> int | None:
    """The greatest (``sign = -1``) or least (``sign = 1``) achievable count in ``band``, by
    deciding counts one at a time from the end nearest the target, skipping those the residue
    certificate rules out: closed form at depth 1, divisors at depth 2 (and the lists of
    :func:`~cpshape.pinned.pinned_shapes` where every layer but one or two is pinned), the
    interior search at depths 3-6 with pins (:func:`~cpshape.ends.solve_by_ends`, which holds
    pinned ends out), the least-span scan otherwise. Where the rules leave at most
    ``NEAREST_LISTING_SPAN`` spreads in all, the window DPs list every count of the band at
    once instead. Raises
    ``BudgetExhausted`` or ``Stopped`` when the budget ends first.
    """
    low, high = band
    dp = depth_dp(problem, m)
    if m == 1:
        pieces = reach_line(dp.input_size, dp.output_size, dp.bias, dp.rules, low, high)
        return None if not pieces else (pieces[0].floor(high) if sign < 0 else pieces[0].ceil(low))
    limit = span_limit(problem, m, high)
    if m > 2 and limit <= NEAREST_LISTING_SPAN:
        # few spreads are possible at all: list every count of the side band at once
        bits = band_bits(reach_upto(dp, limit, low, high, budget, listing=True), low, high, budget)
        if not bits:
            return None
        return low + bits.bit_length() - 1 if sign < 0 else low + (bits & -bits).bit_length() - 1
    g, residue = residue_class(problem)
    n = high - (high - residue) % g if sign < 0 else low + (residue - low) % g
    listed = pinned_shapes(problem, m) if m > 2 else None  # every shape of a count, listed
    shapes = None if listed is None else listed[0]
    if m == 2:
        shapes = functools.partial(shapes_with_count, dp.input_size, dp.output_size, dp.bias, dp.rules)
    a, c, rules = problem.input_size, problem.output_size, problem.constraints
    by_ends = 3 <= m <= ENDS_MAX_DEPTH and bool(rules.pins)
    while low <= n <= high:
        if shapes is not None:
            budget.spend(64 * WORK_PER_SPREAD)
            hit = bool(shapes(n))
        elif by_ends:  # pins at depths 3-6: the interior search, with pinned ends held out
            found = solve_by_ends(a, c, m, problem.bias, rules, (n, n), n, span_limit(problem, m, n), budget)
            hit = found is not None
        else:
            hit = scan(dp, n, n, 0, span_limit(problem, m, n), budget)[1] is not None
        if hit:
            return n
        if budget.exhausted:
            raise BudgetExhausted
        n += sign * g
    return None
