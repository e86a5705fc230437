"""Counts common to several depths at one span: the core of the exact shared count.

Each depth's counts of spread at most ``q*span`` in the band come either as
:class:`~cpshape.listing.AggregateCounts` (the aggregate DP applies to every base: numpy
lists or tests many counts at once) or as the exact pieces of :func:`~cpshape.scan.reach_upto`
(:class:`Counts`: ``ceil``, ``floor`` and ``hits`` one count at a time).
:func:`closest_common_count` finds the common count closest to the target: where some depth
is listed, by listing in rings of growing distance from the target; otherwise by the
:func:`leapfrog` of every depth's next reachable count. :func:`line_and_pairs` lists the
counts depths 1 and 2 share, by depth 2's spread, for the shared count's candidate solves.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .bounded import BoundedReach
from .dp import PAIR_WORDS, BudgetExhausted, DepthDP, Reach, Reachable, WorkBudget
from .listing import MASK_BAND, MASK_DENSITY, AggregateCounts, aggregate_counts, listable_bases
from .scan import reach_upto, span_limit
from .spec import Problem
from .tables import NODE_COST
from .twolayer import LineReach, PairReach, reach_pairs

__all__ = ["Counts", "closest_common_count", "leapfrog", "line_and_pairs"]

#: Listing steps of the cheapest listed depth per ring around the target (bounds the arrays),
#: and the least number of counts on each side of a ring.
RING_STEPS, RING_MIN = 1 << 21, 1024


def closest_common_count(
    dps: list[DepthDP], spans: list[int], low: int, high: int, target: int, budget: WorkBudget
) -> int | None:
    """The count in ``[low, high]`` closest to ``target`` (below on a tie) that every depth
    ``dps[i]`` reaches with spread at most ``q*spans[i]``; ``None`` if there is none. Raises
    ``BudgetExhausted`` when the budget runs out first."""
    depths = sorted(zip(dps, spans, strict=True), key=lambda pair: pair[0].depth)
    bases = [listable_bases(dp, span, low, high, budget) for dp, span in depths]
    if any(found is not None for found in bases):
        listed = [(*pair, found) for pair, found in zip(depths, bases, strict=True) if found is not None]
        others = [pair for pair, found in zip(depths, bases, strict=True) if found is None]
        return _by_rings(listed, others, low, high, target, budget)
    sets = []
    for dp, span in depths:
        sets.append(Counts(reach_upto(dp, span, low, high, budget), low, high))
        if not sets[-1].pieces:
            return None  # this depth reaches no count in the band at this span
    up = leapfrog(sets, target, high, budget, upwards=True)
    reach = low if up is None else target - (up - target)  # below must be at least as close
    down = leapfrog(sets, target, max(low, reach), budget, upwards=False)
    return down if down is not None else up


def _by_rings(
    listed: list[tuple[DepthDP, int, list[int]]],
    others: list[tuple[DepthDP, int]],
    low: int,
    high: int,
    target: int,
    budget: WorkBudget,
) -> int | None:
    """:func:`closest_common_count` when the aggregate DP lists some depths (``listed``).

    Rings of growing distance from the target: in each, the shallowest listed depth (the
    sparsest, as a rule) gives the candidates; each other listed depth keeps those it reaches,
    by testing them or by listing its own counts there and intersecting, whichever is cheaper;
    the ``others`` then test the survivors, closest first. The first ring with a survivor holds
    the answer. A depth's tables are built when it is first needed: a span the first few
    depths already rule out costs nothing more.
    """
    built: dict[int, AggregateCounts | Counts] = {}

    def get(i: int) -> AggregateCounts | Counts:
        if i not in built and i < len(listed):
            built[i] = aggregate_counts(*listed[i], low, high, budget)
        elif i not in built:
            dp, span = others[i - len(listed)]
            built[i] = Counts(reach_upto(dp, span, low, high, budget), low, high)
        return built[i]

    first = get(0)
    assert isinstance(first, AggregateCounts)
    # a ring lists about RING_STEPS steps of the first depth; a dense listing goes through a
    # mask, so its ring is also kept within the mask's size
    steps, width = max(1, first.pairs * len(first.f0)), high - low + 1
    ring = -(-width * RING_STEPS // steps)
    if steps * MASK_DENSITY >= width:
        ring = min(ring, MASK_BAND // 2)
    ring = max(RING_MIN, ring)
    inner = 0  # every count closer to the target than this is settled
    while target - inner >= low or target + inner <= high:
        parts = [(max(low, target - inner - ring + 1), min(high, target - inner))]
        parts.append((max(low, target + max(inner, 1)), min(high, target + inner + ring - 1)))
        parts = [(lo, hi) for lo, hi in parts if lo <= hi]
        inner += ring
        if not parts:
            continue
        found = [first.counts(lo, hi, budget) for lo, hi in parts]  # per part, sorted
        for i in range(1, len(listed)):
            if not (n := sum(map(len, found))):
                break
            counts = get(i)
            assert isinstance(counts, AggregateCounts)
            if counts.member_cost(n) < sum(counts.list_cost(lo, hi) for lo, hi in parts):
                hit = counts.member(np.concatenate(found), budget)
                ends = np.cumsum([len(f) for f in found])[:-1]
                found = [f[h] for f, h in zip(found, np.split(hit, ends), strict=True)]
            else:
                found = [f[counts.keep(f, lo, hi, budget)] for f, (lo, hi) in zip(found, parts, strict=True)]
        candidates = np.concatenate(found)
        for x in candidates[np.lexsort((candidates, np.abs(candidates - target)))].tolist():
            budget.spend(64 * NODE_COST * len(others))
            if budget.exhausted:
                raise BudgetExhausted
            if all(get(i).hits(x) for i in range(len(listed), len(listed) + len(others))):
                return x
    return None


class Counts:
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


def leapfrog(sets: list[Counts], start: int, stop: int, budget: WorkBudget, upwards: bool) -> int | None:
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


def line_and_pairs(
    problem: Problem, band: tuple[int, int], line: LineReach, pool: WorkBudget
) -> Iterator[tuple[int, int]]:
    """The counts depths 1 and 2 both hit, by depth 2's least spread at each (depth 1's is 0),
    then closest to the target: depth 2's shapes of spread ``q*t`` are one or two intervals
    of the narrow width (:func:`~cpshape.twolayer.reach_pairs`), taken for ``t = 0, 1, ...``
    and kept where the count lies on depth 1's line. Raises ``BudgetExhausted`` when the
    budget runs out."""
    low, high = band
    a, c, bias, rules = problem.input_size, problem.output_size, problem.bias, problem.constraints
    q, target = rules.multiple_of, problem.params
    step = line.count(2) - line.count(1)  # depth 1 counts line.count(1) + step*(u - 1)
    offset = line.count(1)
    seen: set[int] = set()
    for t in range(span_limit(problem, 2, high) + 1):
        found = []
        for piece in reach_pairs(a, c, bias, rules, t, low, high, pool):
            pool.spend(64 * PAIR_WORDS * (piece.u_hi - piece.u_lo + 1))
            for u in range(piece.u_lo, piece.u_hi + 1):
                n = piece.count(u)
                if (n - offset) % step == 0 and n not in seen and line.hits(n):
                    seen.add(n)
                    found.append(n)
        if pool.exhausted:
            raise BudgetExhausted
        for n in sorted(found, key=lambda n: (abs(n - target), n)):
            yield q * t, n
