"""A valid shape where the exact searches ran out: the sketch (pure Python, no proof).

Each interior tuple of a few families fixes the free interior layers; the count is then
linear in the two ends (:class:`~cpshape.linear_ends.Ends`), so the ends that hit the band
are read off its residue classes. The families:

- **uniform**: every free interior layer one width ``v``, between the uniform width and
  the pins, the first and last interior layers a few units off it;
- **wide**: the first and last interior layers up to about ``2*sqrt(v)`` units off the
  uniform width. Near it, the residue of the target modulo ``gamma`` (which picks the first
  width) moves only a few units per unit of ``u_(m-1)`` (the target is close to a
  quadratic in the widths), so the ends of the uniform family land far from ``v`` in the
  same way; offsets of the order of ``sqrt(v)`` give fresh residues. 4 -> 3, 5e10, depth 4,
  non-decreasing: spread 17,283 -> 1,193 (the optimum is 595);
- **geometric**, for chains a ratio range holds far from uniform (every width a factor
  ``rho`` from the next): the interior ``x, x/rho, x/rho^2, ...`` for ``rho`` across the
  range and ``x`` around the width whose chain has the target count.

The best (least spread, then least ``|deviation|``) valid shape found is returned.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

from .budget import BudgetExhausted, WorkBudget
from .dp import pair_rule
from .ends import WORDS_PER_END, reduced
from .linear_ends import Ends, uniform_center
from .spec import Constraints

__all__ = ["SKETCH_FIRSTS", "SKETCH_VALUES", "SKETCH_WORDS", "sketch_by_ends"]

#: The sketch's interior tuples per family (fewer from depth 8 on: each costs a pass over
#: the layers, 0.1 s at depth 10 against 1.3 s at depth 128 for all 2,048) and first widths
#: per tuple.
SKETCH_VALUES, SKETCH_FIRSTS = 2048, 16
#: The ratios the geometric family tries across a ratio range.
SKETCH_RATIOS = 8
#: The sketch's work cap in words, at the interior search's rates (``WORDS_PER_END`` a tuple
#: and a first width tried, ``RESIDUE_WORDS`` a residue class listed): some 14 times what
#: 2,048 tuples of 16 first widths cost, about 2.5 s. Narrow bands over a wide first layer
#: leave thousands of residue classes per tuple: 100000 -> 3, 3*10^13 +-1000, depth 4 takes
#: 0.95 s of it (37 s, after a 5 s limit, before the classes were listed in numpy).
SKETCH_WORDS = 5 * 10**8

Tuples = dict[tuple[int, ...], tuple[int, int]]  # interior -> (u_1 to start at, u_m to aim at)


def sketch_by_ends(
    a: int, c: int, m: int, bias: bool, rules: Constraints, band: tuple[int, int], target: int
) -> tuple[tuple[int, ...], int] | None:
    """A valid shape in the band, no proof of anything: the best (least spread, then least
    ``|deviation|``) over the families above. ``None`` if none of them reaches the band.
    It is the shape CP-SAT must beat where the exact searches ran out; it stops after
    ``SKETCH_WORDS`` of work (the best found by then)."""
    e = reduced(Ends(a, c, m, bias, rules, band)) if m >= 3 else None
    if e is None:
        return None
    values = max(128, SKETCH_VALUES * 8 // max(8, e.m))
    if e.far:
        tuples = _geometric(e, target, values)
    else:
        center = uniform_center(e, max(1, target - e.shift))
        tuples = _uniform(e, center, values)
        for inner, at in _wide(e, center, values).items():
            tuples.setdefault(inner, at)  # the uniform family's first: it decides ties
    rule = pair_rule(rules)
    best: tuple[tuple[int, int], tuple[int, ...], int] | None = None
    budget = WorkBudget(SKETCH_WORDS)
    for inner, (first_at, last_at) in tuples.items():
        if max(inner) > e.u_max or min(inner) < e.u_min:
            continue
        lo1, hi1 = e.end_range(inner[0], first=True)
        lom, him = e.end_range(inner[-1], first=False)
        alpha, gamma, delta = e.coefficients(inner)
        lo1 = max(lo1, -(-(e.low - delta - gamma * him) // alpha))
        hi1 = min(hi1, (e.high - delta - gamma * lom) // alpha)
        try:
            candidates = e.first_candidates(inner, lo1, hi1, first_at, budget)
            firsts = list(itertools.islice(candidates, SKETCH_FIRSTS))
            budget.spend(64 * WORDS_PER_END * (1 + len(firsts)))
            if budget.exhausted:
                raise BudgetExhausted
        except BudgetExhausted:
            break  # the best found so far
        for u1 in firsts:
            lo, hi = e.last_interval(u1, inner, lom, him)
            if lo > hi:
                continue
            units = (*e.left, u1, *inner, min(max(last_at, lo), hi), *e.right)
            widths = tuple(e.q * u for u in units)
            if rule is not None and not all(rule(x, y) for x, y in itertools.pairwise(widths)):
                continue
            count = e.count(units[len(e.left) : len(units) - len(e.right)]) + e.shift
            key = (max(widths) - min(widths), abs(count - target))
            if rules.max_spread is not None and key[0] > rules.max_spread:
                continue
            if best is None or key < best[0]:
                best = (key, widths, count)
    return None if best is None else (best[1], best[2])


def _interior(e: Ends, v: int, first: int, last: int) -> tuple[int, ...]:
    """Every free interior layer at ``v``, the first ``first`` and the last ``last`` off it."""
    return tuple(e.pins.get(j, v + (j == 2) * first + (j == e.m - 1) * last) for j in range(2, e.m))


def _uniform(e: Ends, center: int, values: int) -> Tuples:
    """The uniform family (module docstring), ``center`` the uniform width."""
    anchors = [center, *e.pins.values(), *e.held]
    margin = (max(anchors) - min(anchors)) // 4 + 16
    lo_v, hi_v = max(e.u_min, min(anchors) - margin), min(e.u_max, max(anchors) + margin)
    step = max(1, -(-(hi_v - lo_v + 1) // values))
    # one end of the interior a unit wider, or both up to k units off v where v has few
    # values (no pins far off): more tuples, more chances for the ends to land near v
    k = math.isqrt(3 * values // len(range(lo_v, hi_v + 1, step))) // 2
    grid = [(first, last) for first in range(-k, k + 1) for last in range(-k, k + 1)]
    offsets = [(0, 0), (1, 0), (0, 1), *grid]
    widths = range(lo_v, hi_v + 1, step)
    return {_interior(e, v, first, last): (v, v) for v in widths for first, last in offsets}


def _wide(e: Ends, center: int, values: int) -> Tuples:
    """The wide family (module docstring): about ``values`` tuples on a grid."""
    reach = 2 * math.isqrt(center) + 16
    spacing = max(1, (2 * reach + 1) // max(1, math.isqrt(values)))
    grid = itertools.product(range(-reach, reach + 1, spacing), repeat=2)
    return {_interior(e, center, first, last): (center, center) for first, last in grid}


def _geometric(e: Ends, target: int, values: int) -> Tuples:
    """The geometric family (module docstring): ``SKETCH_RATIOS`` ratios, and for each the
    widths ``x`` nearest the one whose chain ``rho*x, x, x/rho, ...`` has the target count."""
    assert e.rules.ratio_range is not None
    lo, hi = e.rules.ratio_range
    ratios = sorted({lo + (hi - lo) * Fraction(i, SKETCH_RATIOS - 1) for i in range(SKETCH_RATIOS)})
    per_ratio = max(1, values // len(ratios))
    rest = target - e.shift  # the count the free layers must make
    tuples: Tuples = {}
    for rho in ratios:

        def chain(x: int, rho: Fraction = rho) -> tuple[int, ...]:  # layers 1..m, in units
            return tuple(max(1, round(x / rho ** (j - 2))) for j in range(1, e.m + 1))

        # the chain's count grows with x and is at least x^2 (b_1*b_2 or b_2*b_3)
        low, high = 1, math.isqrt(max(1, rest)) + 1
        while low < high:
            mid = (low + high) // 2
            low, high = (mid + 1, high) if e.count(chain(mid)) < rest else (low, mid)
        for x in range(max(1, low - per_ratio // 2), low + per_ratio - per_ratio // 2):
            units = chain(x)
            inner = tuple(e.pins.get(j, units[j - 1]) for j in range(2, e.m))
            tuples.setdefault(inner, (units[0], units[-1]))
    return tuples
