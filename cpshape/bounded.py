"""Windows decided by a bounded depth-first search over the offsets (numpy tables).

In a window of span ``s`` every width is ``b_i = q*(w + d_i)`` with ``0 <= d_i <= s``, and
(see :mod:`cpshape.aggregate`) the count splits into a part that grows with the base width
and a small remainder:

    count = F0(w) + q^2*w*D + V,
    D = d_1 + d_m + 2*(d_2 + ... + d_(m-1)),
    V = q*(a + beta)*d_1 + q*(c + beta)*d_m + q*beta*(d_2 + ... + d_(m-1)) + q^2*sum d_i*d_(i+1).

``V`` is at most about ``q^2*m*s^2``, far below ``q^2*w`` once ``w`` is large, so a count
fixes ``D`` to one or two values per base width.

*Hulls first.* Over every allowed shape of a window, the points ``(D, V)`` have a lower and
an upper convex hull (:class:`_Hull`: the Lagrangian relaxation of ``[Vmin(D), Vmax(D)]``,
found by a few batched chain DPs over the offsets, no tables). A count whose ``V`` lies
outside them at every ``D`` is out of the window's reach. Spans whose every window the hulls
rule out are skipped by :func:`relaxed_floor` (reaching the band is monotone in the span, so
they prove every smaller span misses too), and within a span only the windows and the ``D``
the hulls leave are handed on.

*Tables.* For every layer ``i``, offset ``e`` and partial aggregate ``D`` the tables hold
the least and the greatest ``V`` the layers ``i..m`` can add (``Vmin``/``Vmax``, over every
continuation the rules allow), for the partial aggregates that can still lead to a ``D``
left (:func:`_bands`). They depend on the span and on which offsets the rules allow, not on
``w``, so one set serves every base width whose window the rules cut the same way. A
depth-first search then picks ``d_1, d_2, ...`` in increasing order and drops every branch
whose remaining ``[Vmin, Vmax]`` misses what the count still needs: the first leaf it
reaches is the lexicographically smallest shape of the window with that count, and a search
that ends without a leaf proves that the window has none. Failed states are remembered
(for every window of the set), so no state is expanded twice. Windows whose rules (ratios,
bounds, pins) cut them in more than ``MAX_TABLE_SETS`` different ways per span, or whose
tables would exceed ``MAX_TABLE_BYTES``, are left to the window DPs.

Unlike the bitset DPs, the cost does not grow with the number of reachable counts: it is
the hulls, the tables (``m * (s+1)^2`` array operations over at most ``2ms + 1``
aggregates) and the nodes the search expands, which stays small where shapes are plentiful
(large ``P``) or obviously absent. All are charged to the :class:`~cpshape.dp.WorkBudget`.
"""

from __future__ import annotations

import bisect
import sys
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .dp import BudgetExhausted, DepthDP, Stopped, WorkBudget, least_span
from .hulls import _Hull, _hull, hull_tolerance
from .sweep import Sweep, sweep_applies
from .tables import (
    _build_tables,
    _layers,
    _pairs,
    _pairs_vary,
    _Search,
    _top,
    table_bytes,
    table_entries,
)

__all__ = ["BoundedReach", "reach_bounded"]

#: Sets of tables built per span (windows whose rules differ need their own set).
MAX_TABLE_SETS = 4
#: Memory one set of tables may take (min and max tables together, every layer).
MAX_TABLE_BYTES = 256 * 2**20
#: Offset pairs ``(span + 1)^2`` beyond which the bounded search does not apply (its hulls
#: and pair masks take a few bytes per pair: 2^22 pairs, spans up to 2047, stay near 100 MB).
MAX_PAIR_CELLS = 1 << 22


@dataclass(frozen=True)
class BoundedReach:
    """The counts of one window, answered by the bounded search (see the module docstring)."""

    dp: DepthDP
    w: int
    low: int
    high: int
    search: _Search | Sweep
    aggregates: tuple[int, ...]  # the D whose counts may meet the band (the hull's verdict)

    @cached_property
    def _f0(self) -> int:
        return self.dp.uniform(self.w)

    @cached_property
    def _ranges(self) -> list[tuple[int, int, int]]:
        """``(D, least V, greatest V)`` of every aggregate that some shape has and whose counts
        can meet the band, by least count."""
        qq_w = self.dp.rules.multiple_of**2 * self.w
        return sorted(self._by_d, key=lambda r: qq_w * r[0] + r[1])

    @cached_property
    def _by_d(self) -> list[tuple[int, int, int]]:
        """The same ranges, by ``D``."""
        vlo, vhi = self.search.ranges(self.aggregates)
        return [r for r in zip(self.aggregates, vlo, vhi, strict=True) if r[1] <= r[2]]

    @cached_property
    def _span_v(self) -> tuple[list[int], int, int]:
        """The ``D`` of :attr:`_by_d`, and the least and greatest ``V`` over all of them."""
        ranges = self._by_d
        vmin, vmax = min((r[1] for r in ranges), default=0), max((r[2] for r in ranges), default=0)
        return [r[0] for r in ranges], vmin, vmax

    @cached_property
    def _ranges_down(self) -> list[tuple[int, int, int]]:
        """The same, by greatest count, greatest first."""
        qq_w = self.dp.rules.multiple_of**2 * self.w
        return sorted(self._ranges, key=lambda r: -(qq_w * r[0] + r[2]))

    def _blocks(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """``(D, F0(w) + q^2*w*D)`` of every aggregate whose counts can meet ``[lo, hi]``."""
        qq_w, f0 = self.dp.rules.multiple_of**2 * self.w, self._f0
        ds, vmin, vmax = self._span_v
        first = bisect.bisect_left(ds, -((f0 + vmax - lo) // qq_w))
        last = bisect.bisect_right(ds, (hi - f0 - vmin) // qq_w)
        return [
            (d, base)
            for d, vlo, vhi in self._by_d[first:last]
            if lo - vhi <= (base := f0 + qq_w * d) <= hi - vlo
        ]

    def _first(self, lo: int, hi: int) -> tuple[int, ...] | None:
        """Smallest offsets (over every ``D``) whose count lies in ``[lo, hi]``."""
        found = [self.search.first(d, lo - base, hi - base) for d, base in self._blocks(lo, hi)]
        return min((f for f in found if f is not None), default=None)

    def count_range(self) -> tuple[int, int] | None:
        """Bounds on the window's counts in the band, from the root ranges (no search): every
        reachable count lies inside, the ends need not be reachable; ``None``: none at all."""
        if not self._ranges:
            return None
        qq_w = self.dp.rules.multiple_of**2 * self.w
        lo = min(self._f0 + qq_w * d + vmin for d, vmin, _ in self._ranges)
        hi = max(self._f0 + qq_w * d + vmax for d, _, vmax in self._ranges)
        return (max(lo, self.low), min(hi, self.high)) if max(lo, self.low) <= min(hi, self.high) else None

    def first_shape(self) -> tuple[int, ...] | None:
        """The smallest offsets of any shape in the band (no count is preferred)."""
        return self._first(self.low, self.high)

    def exists(self, lo: int, hi: int) -> bool:
        lo, hi = max(lo, self.low), min(hi, self.high)
        return any(self.search.first(d, lo - base, hi - base) is not None for d, base in self._blocks(lo, hi))

    def ceil(self, count: int) -> int | None:
        """The least reachable count ``>= count``: per aggregate ``D`` (in increasing order of
        the counts it can give), the least ``V`` that reaches it."""
        lo, best = max(count, self.low), None
        qq_w = self.dp.rules.multiple_of ** 2 * self.w
        for big_d, vmin, vmax in self._ranges:
            base = self._f0 + qq_w * big_d
            top = self.high if best is None else best - 1
            if base + vmin > top:
                break
            v = self.search.least_v(big_d, max(lo - base, vmin), min(top - base, vmax))
            if v is not None:
                best = base + v
        return best

    def floor(self, count: int) -> int | None:
        """The greatest reachable count ``<= count`` (as :meth:`ceil`, downwards)."""
        hi, best = min(count, self.high), None
        qq_w = self.dp.rules.multiple_of ** 2 * self.w
        for big_d, vmin, vmax in self._ranges_down:
            base = self._f0 + qq_w * big_d
            bottom = self.low if best is None else best + 1
            if base + vmax < bottom:
                break
            v = self.search.greatest_v(big_d, max(bottom - base, vmin), min(hi - base, vmax))
            if v is not None:
                best = base + v
        return best

    def hits(self, count: int) -> bool:
        return self.exists(count, count)

    def widths(self, count: int, budget: WorkBudget) -> tuple[int, ...] | None:
        offsets = self._first(count, count)
        q = self.dp.rules.multiple_of
        return None if offsets is None else tuple(q * (self.w + d) for d in offsets)

    def band_bits(self, low: int, budget: WorkBudget) -> int:
        raise NotImplementedError("the bounded search answers queries, it does not list counts")


def bounded_applies(dp: DepthDP, span: int) -> bool:
    """Whether the bounded search can run at this depth and span (the recursion limit, int64
    values, offset-pair arrays of at most ``MAX_PAIR_CELLS``: the hulls and the pair masks
    hold one entry per pair of offsets); whether its tables fit the memory cap is decided per
    set of tables."""
    if (span + 1) ** 2 > MAX_PAIR_CELLS:
        return False
    return 3 <= dp.depth <= sys.getrecursionlimit() - 200 and _top(dp, span) < 2**60


def _groups(
    dp: DepthDP, span: int, bases: list[int], budget: WorkBudget
) -> tuple[list[list[tuple[int, np.ndarray, list[np.ndarray]]]], list[int]]:
    """The windows ``bases`` grouped by the offsets their rules allow (windows with an empty
    layer dropped): the ``MAX_TABLE_SETS`` groups with the most windows, in base order, and the
    bases of the rest."""
    groups: dict[bytes, list[tuple[int, np.ndarray, list[np.ndarray]]]] = {}
    vary = _pairs_vary(dp)
    fixed = None if vary or not bases else _pairs(dp, bases[0], span)
    r, q = dp.rules, dp.rules.multiple_of
    uncut = fixed is not None and not r.pins and r.min_width <= q * min(bases)
    if uncut and (r.max_width is None or r.max_width >= q * (max(bases) + span)):
        layers = _layers(dp, bases[0], span)  # no bound or pin cuts any window: one group
        return [[(w, fixed, layers) for w in bases]], []
    for w in bases:
        layers = _layers(dp, w, span)
        if not all(layer.any() for layer in layers):
            continue  # a layer with no allowed width: no shape in this window
        if fixed is None:  # a (span+1)^2 mask per base: a few numpy passes over it
            budget.spend(64 * ((span + 1) ** 2 + 256))
            if budget.exhausted:
                raise BudgetExhausted
        pairs = _pairs(dp, w, span) if fixed is None else fixed
        key = (pairs.tobytes() if vary else b"") + b"".join(layer.tobytes() for layer in layers)
        groups.setdefault(key, []).append((w, pairs, layers))
    ranked = sorted(groups.values(), key=lambda g: -len(g))  # stable: ties keep base order
    served = sorted(ranked[:MAX_TABLE_SETS], key=lambda g: g[0][0])
    leftover = sorted(w for group in ranked[MAX_TABLE_SETS:] for w, _, _ in group)
    return served, leftover


def _candidates(
    dp: DepthDP, hull: _Hull, windows: list[tuple[int, np.ndarray, list[np.ndarray]]], low: int, high: int
) -> list[tuple[int, list[int]]]:
    """The windows the hull cannot rule out, each with the aggregates ``D`` still possible."""
    qq = dp.rules.multiple_of ** 2
    found = []
    for w, _, _ in windows:
        f0 = dp.uniform(w)
        aggregates = hull.aggregates(qq * w, low - f0, high - f0)
        if aggregates:
            found.append((w, aggregates))
    return found


def reach_bounded(
    dp: DepthDP, span: int, bases: list[int], low: int, high: int, budget: WorkBudget
) -> tuple[list[BoundedReach], list[int]]:
    """The windows ``bases`` of width ``span`` that reach the band ``[low, high]``, and the
    bases left to the window DP.

    Every set of tables is exact for the windows it serves. Windows whose rules differ
    (pins, bounds or ratios that cut them differently) need their own set; the
    ``MAX_TABLE_SETS`` sets serving the most windows are built, the rest are left over, and
    so are the windows of a set whose tables would not fit ``MAX_TABLE_BYTES``. A set's
    hull (:class:`_Hull`) first rules out what it can; the tables are built only for the
    windows left, and only for the aggregates ``D`` these can still have.
    """
    served, leftover = _groups(dp, span, bases, budget)
    found = []
    for group in served:
        w, pairs, layers = group[0]
        hull = _hull(dp, span, pairs, layers, budget, hull_tolerance(dp, w))
        if hull is None:
            continue
        alive = _candidates(dp, hull, group, low, high)
        if not alive:
            continue
        band = (min(a[0] for _, a in alive), max(a[-1] for _, a in alive))
        search: _Search | Sweep | None = None
        entries, wanted = table_entries(dp, span, band), [d for _, a in alive for d in a]
        ends = sweep_applies(dp, span, pairs, layers, len(wanted), entries)
        if ends is not None:
            sweep = Sweep(dp, pairs, layers, budget, ends)  # depth 4: no tables where it pays
            search = sweep if sweep.pays(wanted, entries) else None
        if search is None:
            if table_bytes(dp, span, band) > MAX_TABLE_BYTES:
                leftover.extend(w for w, _ in alive)
                continue
            tables = _build_tables(dp, span, pairs, layers, budget, band)
            search = _Search(tables, pairs, layers, budget, dp.rules.multiple_of**2)  # shared by the windows
        for w, aggregates in alive:
            reach = BoundedReach(dp, w, low, high, search, tuple(aggregates))
            if reach.exists(low, high):
                found.append(reach)
    found.sort(key=lambda r: r.w)
    return found, sorted(leftover)


def relaxed_floor(dp: DepthDP, first: int, last: int, low: int, high: int, budget: WorkBudget) -> int:
    """A span in ``first..last + 1`` below which no window reaches the band, proven by the
    hulls alone (no tables): the least span the hulls cannot rule out, found by galloping
    and bisection over the spans (:func:`~cpshape.dp.least_span`). Each rejected span is a
    proof on its own (reaching the band
    is monotone in the span), so where the budget runs out the spans proven so far stand.
    """

    def open_(span: int) -> bool:  # some window of this span the hulls do not rule out
        if not bounded_applies(dp, span):
            return True
        served, leftover = _groups(dp, span, list(dp.bases(span, low, high)), budget)
        if leftover:
            return True
        for group in served:
            w, pairs, layers = group[0]
            hull = _hull(dp, span, pairs, layers, budget, hull_tolerance(dp, w))
            if hull is not None and _candidates(dp, hull, group, low, high):
                return True
        return False

    try:
        found = least_span(first, last, lambda span: True if open_(span) else None, budget, double=True)
    except Stopped as stop:  # the spans proven so far stand
        return stop.span
    return last + 1 if found is None else found[0]
