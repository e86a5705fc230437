"""Depths 3 to 6 exactly, by the interior widths (pure Python).

With the interior widths ``u_2..u_(m-1)`` fixed (``u = b / q``), the count is linear in the
two end widths:

    count = alpha*u_1 + gamma*u_m + delta,
    alpha = q*(a + q*u_2 + beta),   gamma = q*(q*u_(m-1) + c + beta),
    delta = q^2 * sum(u_i*u_(i+1) over interior pairs) + beta*(q*sum(interior u) + c),

so for each interior tuple and ``u_1`` the valid ``u_m`` form one interval (band, bounds,
pins and the pair rule with ``u_(m-1)`` all bound it) and the best ``u_m`` is read off in
O(1). For a narrow band only the residue classes of ``u_1`` modulo ``gamma/gcd(alpha,
gamma)`` that can hit it are visited (a modular inverse).

The search runs with a spread cap ``B = 1, 2, 3, ..., 8, 10, 12, 15, ...`` (+25 % a step;
from the least cap whose corners open, and with pins in steps of a quarter of the distance
from it): every interior tuple within ``B`` of ``u_2`` and of the pins, every ``u_2`` that
could still reach the band with spread ``<= B`` (``_corners``; on chains far from uniform
with the pair rules carried along the chain, ``_layer_bounds``). A cap that finds shapes is
exhaustive for spreads up to ``B``, so the least spread it finds is optimal. Cost grows like
``B^(m-2)``, which is why the DP takes over above depth 6. A pinned first layer is made the
input (``Ends.without_end``; its width still counts towards the spread), so the ends are
layers 2 and ``m`` and one interior layer fewer is enumerated; a pinned last layer likewise
becomes the output.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from .budget import Stopped
from .dp import PAIR_WORDS, BudgetExhausted, WorkBudget, within_pairs
from .linear_ends import Box, Ends, Record, best_shape, uniform_center
from .spec import Constraints

__all__ = ["MAX_DEPTH", "quick_by_ends", "reduced", "solve_by_ends"]

MAX_DEPTH = 6
#: Budget words charged per first width tried (about 3.5 us of Python here, at 2-4 s per 1e9
#: words), so the search stops within the budget like the others.
WORDS_PER_END = 1000


def _interiors(e: Ends, bound: list[int], center: int, budget: WorkBudget) -> Iterator[tuple[int, ...]]:
    """Interior tuples that could belong to a shape of spread ``<= bound[0]`` in the band.

    ``bound[0]`` may shrink while the caller consumes tuples (a better shape was found).
    Every layer's widths lie within ``bound[0]`` of the pins and of the widths already
    chosen, and where that leaves many, within what the corners allow (:func:`_corners`).
    """
    k = e.m - 2

    def extend(prefix: tuple[int, ...], widths: tuple[int, int] | None = None) -> Iterator[tuple[int, ...]]:
        cap = bound[0]
        if len(prefix) == k:
            if max((*prefix, *e.held)) - min((*prefix, *e.held)) <= cap:
                yield prefix
            return
        lo, hi = _corners(e, prefix, cap) if widths is None else widths
        budget.spend(64 * PAIR_WORDS * max(0, hi - lo + 1))  # one pair check per width tried
        if budget.exhausted:
            raise BudgetExhausted
        lo, hi = e.next_range(prefix[-1], lo, hi)  # the pair rules with the layer before
        for u in range(lo, hi + 1):
            yield from extend((*prefix, u))

    lo2, hi2 = _corners(e, (), bound[0])
    if lo2 > hi2:
        return
    start = min(max(center, lo2), hi2)
    for direction in (range(start, hi2 + 1), range(start - 1, lo2 - 1, -1)):
        for u2 in direction:
            third = _corners(e, (u2,), bound[0]) if k > 1 else None
            budget.spend(64 * (1 if third is None else max(1, third[1] - third[0] + 1)))
            if budget.exhausted:
                raise BudgetExhausted
            yield from extend((u2,), third)


#: First-width ranges at least this long (less one) are searched as a box where they can
#: (:meth:`~cpshape.linear_ends.Ends.box`), shorter ones width by width.
BOX_WIDTHS = 16
#: Width ranges longer than this are cut by the corners' counts (shorter ones are looped over).
CORNER_RANGE = 16


def _corners(e: Ends, prefix: tuple[int, ...], cap: int, cut: bool = False) -> tuple[int, int]:
    """The units ``u`` of interior layer ``len(prefix) + 2`` (after ``prefix``, which starts
    at layer 2) that a shape of spread ``<= cap`` in the band could have; ``lo > hi`` if none.

    Every width of such a shape lies within ``cap`` of the pins, of ``prefix`` and of ``u``;
    so the other free layers lie in ``[max - cap, min + cap]`` of those, and its count lies
    between the counts with every free layer at that range's bottom and at its top. Both
    grow with ``u``: the widths they allow form one interval, found by bisection. A range
    of at most ``CORNER_RANGE`` widths is returned uncut unless ``cut``.
    """
    layer = len(prefix) + 2
    fixed = {**e.pins, **{2 + i: u for i, u in enumerate(prefix)}}
    anchors = [*fixed.values(), *e.held]
    lo, hi = e.u_min, e.u_max
    if anchors:
        lo, hi = max(lo, max(anchors) - cap), min(hi, min(anchors) + cap)
    if layer in e.pins:
        lo, hi = max(lo, e.pins[layer]), min(hi, e.pins[layer])
    if hi - lo + 1 <= (0 if cut else CORNER_RANGE):
        return lo, hi

    def extreme(u: int, top: bool) -> int:
        if e.far:  # far from uniform: the pair rules narrow the free layers much more
            return e.count(_layer_bounds(e, {**fixed, layer: u}, cap)[top])
        values = [*anchors, u]
        free = min(e.u_max, min(values) + cap) if top else max(e.u_min, max(values) - cap)
        return e.count(tuple(fixed.get(j, u if j == layer else free) for j in range(1, e.m + 1)))

    if extreme(lo, top=False) > e.high or extreme(hi, top=True) < e.low:
        return lo, lo - 1
    a, b = lo, hi  # the largest u whose least count is <= high
    while a < b:
        mid = (a + b + 1) // 2
        a, b = (mid, b) if extreme(mid, top=False) <= e.high else (a, mid - 1)
    top_u = a
    if extreme(top_u, top=True) < e.low:
        return lo, lo - 1
    a, b = lo, top_u  # the least u whose greatest count is >= low
    while a < b:
        mid = (a + b) // 2
        a, b = (a, mid) if extreme(mid, top=True) >= e.low else (mid + 1, b)
    return a, top_u


def _layer_bounds(e: Ends, fixed: dict[int, int], cap: int) -> tuple[list[int], list[int]]:
    """Per layer (1..m), a least and a greatest unit that a shape of spread ``<= cap`` with the
    ``fixed`` units can have: the bounds and pins, every width within ``cap`` of every other,
    and the pair rules carried along the chain both ways (twice). Each bound is a monotone
    function of the fixed units (maxima and minima of ``ceil``/``floor`` of non-negative
    multiples), so the corners' counts at these bounds still grow with ``u``. Where the
    bounds cross no shape exists; the counts at them are then bounds of nothing, still sound.
    """
    m = e.m
    lo, hi = [e.u_min] * m, [e.u_max] * m
    lo[0], hi[0] = max(lo[0], e.first_range[0]), min(hi[0], e.first_range[1])
    lo[-1], hi[-1] = max(lo[-1], e.last_range[0]), min(hi[-1], e.last_range[1])
    for j, u in fixed.items():
        lo[j - 1] = hi[j - 1] = u
    for _ in range(2):
        top, bottom = max(*lo, *e.held), min(*hi, *e.held)  # the held layers count too
        for j in range(m):
            lo[j], hi[j] = max(lo[j], top - cap), min(hi[j], bottom + cap)
        for j in range(1, m):
            lo[j] = within_pairs(e.after, lo[j - 1], lo[j], hi[j])[0]
            hi[j] = within_pairs(e.after, hi[j - 1], lo[j], hi[j])[1]
        for j in range(m - 2, -1, -1):
            lo[j] = within_pairs(e.before, lo[j + 1], lo[j], hi[j])[0]
            hi[j] = within_pairs(e.before, hi[j + 1], lo[j], hi[j])[1]
    return lo, hi


def _search(
    e: Ends, cap: int, target: int, center: int, budget: WorkBudget
) -> tuple[list[Record], list[Box]]:
    """Every ``(u_1, interior..., )`` prefix with a valid last width at spread ``<= cap``: the
    least spread it reaches is returned first in each record ``(spread, u_1, *interior)``;
    and the boxes: interior tuples whose own spread some shape reaches with both ends inside
    it, for a band at least as wide as ``gamma`` (:class:`~cpshape.linear_ends.Box`: each
    of those first widths has a last width in the band, so they are not listed one by one)."""
    found: list[Record] = []
    boxes: list[Box] = []
    limit = e.rules.max_spread // e.q if e.rules.max_spread is not None else None
    bound = [cap]
    for inner in _interiors(e, bound, center, budget):
        cap = bound[0]
        budget.spend(64 * WORDS_PER_END)  # the two end ranges (exact fractions with rules)
        lo1, hi1 = e.end_range(inner[0], first=True)
        lom, him = e.end_range(inner[-1], first=False)
        i_min, i_max = min((*inner, *e.held)), max((*inner, *e.held))
        lo1, hi1 = max(lo1, i_max - cap), min(hi1, i_min + cap)
        lom, him = max(lom, i_max - cap), min(him, i_min + cap)
        lo1, hi1 = max(lo1, lom - cap), min(hi1, him + cap)  # u_m within cap of u_1
        lom, him = max(lom, lo1 - cap), min(him, hi1 + cap)
        if lo1 > hi1 or lom > him:
            continue
        # the band and u_m's range bound u_1 (count = alpha*u_1 + gamma*u_m + delta)
        alpha, gamma, delta = e.coefficients(inner)
        lo1 = max(lo1, -(-(e.low - delta - gamma * him) // alpha))
        hi1 = min(hi1, (e.high - delta - gamma * lom) // alpha)
        if lo1 > hi1:
            continue
        box = None
        if hi1 - lo1 >= BOX_WIDTHS:
            box = e.box(inner, (alpha, gamma, delta), (lo1, hi1), (lom, him), (i_min, i_max))
        if box is not None:
            if limit is None or box.spread <= limit:
                boxes.append(box)
                bound[0] = min(bound[0], box.spread)
            continue
        for u1 in e.first_candidates(inner, lo1, hi1, (i_min + i_max) // 2, budget):
            budget.spend(64 * WORDS_PER_END)
            if budget.exhausted:
                raise BudgetExhausted
            lo, hi = e.last_interval(
                u1, inner, max(lom, max(i_max, u1) - cap), min(him, min(i_min, u1) + cap)
            )
            if lo > hi:
                continue
            um = min(max(min(i_min, u1), lo), hi)
            spread = max(i_max, u1, um) - min(i_min, u1, um)
            if limit is not None and spread > limit:
                continue
            found.append((spread, u1, *inner))
            bound[0] = min(bound[0], spread)
        if budget.exhausted:
            raise BudgetExhausted
    return found, boxes


def _least_open_cap(e: Ends, span_limit: int) -> int:
    """The least spread cap (at least 1, or ``span_limit`` if that is 0) at which some second
    width passes the corners (:func:`_corners`), ``span_limit + 1`` if none does: below it no
    shape reaches the band. Caps only widen the corners' ranges, so this is a bisection. A
    pin far from the other widths puts it near the least spread, where the caps then step
    in small steps."""
    lo, hi = min(1, span_limit), span_limit + 1
    first, last = _corners(e, (), lo, cut=True)
    if first <= last:
        return lo  # the common case: open at once
    lo += 1
    while lo < hi:
        mid = (lo + hi) // 2
        first, last = _corners(e, (), mid, cut=True)
        lo, hi = (lo, mid) if first <= last else (mid + 1, hi)
    return lo


def _cap_cost(e: Ends, cap: int, budget_left: int) -> int:
    """Words a search at ``cap`` spends at the least, about: a pair check per width of each
    interior layer past the second, within ``cap`` of the one before, for each second-layer
    width the corners allow (measured without pins: 1.4-108 times this, depths 3-6, rules
    and P from 1e3 to 1e9; with a far pin 0.2, as the pin cuts the other layers too). 0
    where even every width of the second layer is within ``budget_left``."""
    per_width = (cap + 1) ** max(0, e.m - 3) * PAIR_WORDS // 4
    if (e.u_max - e.u_min + 1) * per_width <= budget_left:
        return 0  # affordable whatever the corners allow: no need to find them
    lo, hi = _corners(e, (), cap)
    if e.far and lo <= hi:  # the pair rules, not the cap, bound the layers past the second
        low, high = _layer_bounds(e, {**e.pins, 2: (lo + hi) // 2}, cap)
        per_width = math.prod(max(1, min(cap, y - x) + 1) for x, y in zip(low[2:-1], high[2:-1], strict=True))
        per_width = per_width * PAIR_WORDS // 4
    return max(0, hi - lo + 1) * per_width


def reduced(e: Ends | None) -> Ends | None:
    """``e`` with its pinned end layers made the input or the output, down to depth 3."""
    while e is not None and e.m > 3 and (1 in e.pins or e.m in e.pins):
        e = e.without_end(first=1 in e.pins)  # a pinned end: one interior layer fewer
    return e


def solve_by_ends(
    a: int,
    c: int,
    m: int,
    bias: bool,
    rules: Constraints,
    band: tuple[int, int],
    target: int,
    span_limit: int,
    budget: WorkBudget,
    known: int = 0,
) -> tuple[tuple[int, ...], int] | None:
    """Least spread, then least |deviation| (below on a tie), then smallest widths.

    ``span_limit`` is the largest possible spread in units; ``None`` means proven infeasible.
    ``known``: spreads below it (in units) are known to reach nothing, the caps start there.
    Raises ``Stopped(span)`` when the budget runs out first, or (without pins) before a cap
    whose search would cost more than the budget left (:func:`_cap_cost`): every spread below ``span``
    units was proven to reach nothing (the caps searched in full).
    """
    e = reduced(Ends(a, c, m, bias, rules, band))
    if e is None:
        return None
    target -= e.shift
    center = uniform_center(e, target)
    floor = _least_open_cap(e, span_limit)
    if floor > span_limit:
        return None
    pinned = bool(e.pins or e.held)
    origin = floor if pinned else 1  # with a pin, the least spread is near the floor
    cap = floor = max(floor, min(known, span_limit))
    while True:
        cap = min(cap, span_limit)
        if not pinned and _cap_cost(e, cap, budget.left) > budget.left:  # (pins cut more than it knows)
            raise Stopped(floor)
        try:
            found, boxes = _search(e, cap, target, center, budget)
        except BudgetExhausted:
            raise Stopped(floor) from None
        if found or boxes:
            break
        floor = cap + 1  # a cap that finds nothing proves every spread up to it
        if cap >= span_limit:
            return None
        cap += max(1, (cap - origin + 1) // 4)
    units, count = best_shape(e, found, boxes, target)
    units = (*e.left, *units, *e.right)
    return tuple(e.q * u for u in units), count + e.shift


def quick_by_ends(
    a: int,
    c: int,
    m: int,
    bias: bool,
    rules: Constraints,
    band: tuple[int, int],
    target: int,
    span_limit: int,
    budget: WorkBudget,
    words: int,
    max_units: int,
) -> tuple[bool, tuple[tuple[int, ...], int] | None, int, bool]:
    """:func:`solve_by_ends` within ``words`` of ``budget`` (charged to it), if the uniform
    width is at most ``max_units`` units: ``(settled, its answer, spreads ruled out, whether
    the width was above max_units and nothing was tried)``."""
    if uniform_center(Ends(a, c, m, bias, rules, band), target) > max_units:
        return False, None, 0, True
    quick = WorkBudget(min(words, max(budget.left, 0)), budget.deadline)
    try:
        return True, solve_by_ends(a, c, m, bias, rules, band, target, span_limit, quick), 0, False
    except Stopped as stop:
        return False, None, stop.span, False
    finally:
        budget.charge(quick)
