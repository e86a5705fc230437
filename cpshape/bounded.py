"""Windows decided by a bounded depth-first search over the offsets (numpy tables).

In a window of span ``s`` every width is ``b_i = q*(w + d_i)`` with ``0 <= d_i <= s``, and
(see :mod:`cpshape.aggregate`) the count splits into a part that grows with the base width
and a small remainder:

    count = F0(w) + q^2*w*D + V,
    D = d_1 + d_m + 2*(d_2 + ... + d_(m-1)),
    V = q*(a + beta)*d_1 + q*(c + beta)*d_m + q*beta*(d_2 + ... + d_(m-1)) + q^2*sum d_i*d_(i+1).

``V`` is at most about ``q^2*m*s^2``, far below ``q^2*w`` once ``w`` is large, so a count
fixes ``D`` to one or two values per base width. For every layer ``i``, offset ``e`` and
partial aggregate ``D`` the tables hold the least and the greatest ``V`` the layers
``i..m`` can add (``Vmin``/``Vmax``, over every continuation the rules allow). They depend
on the span and on which offsets the rules allow, not on ``w``, so one set serves every base
width whose window the rules cut the same way. A depth-first search then
picks ``d_1, d_2, ...`` in increasing order and drops every branch whose remaining
``[Vmin, Vmax]`` misses what the count still needs: the first leaf it reaches is the
lexicographically smallest shape of the window with that count, and a search that ends
without a leaf proves that the window has none. Failed states are remembered, so no state is
expanded twice. Windows whose rules (ratios, bounds, pins) cut them in more than
``MAX_TABLE_SETS`` different ways per span are left to the window DPs.

Unlike the bitset DPs, the cost does not grow with the number of reachable counts: it is
the tables (``m * (s+1)^2`` array operations over ``2ms + 1`` aggregates) plus the nodes
the search expands, which stays small where shapes are plentiful (large ``P``) or
obviously absent. Both are charged to the :class:`~cpshape.dp.WorkBudget`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .dp import BudgetExhausted, DepthDP, WorkBudget
from .spec import Monotone

__all__ = ["BoundedReach", "reach_bounded"]

#: Budget words charged per offset a search node tries (about a microsecond; the DPs shift
#: about 250 words in that time).
NODE_COST = 250
#: Sets of tables built per span (windows whose rules differ need their own set).
MAX_TABLE_SETS = 4
#: Table entries allowed per span (min and max tables together), to bound memory (8 bytes each).
MAX_TABLE_ENTRIES = 20_000_000


@dataclass
class _Tables:
    """``lo[i][e, D]`` / ``hi[i][e, D]``: least / greatest ``V`` of layers ``i..m-1`` (0-based)
    with ``d_i = e`` and their share of ``D`` equal to ``D``; ``lo > hi`` marks no continuation.
    """

    lo: list[np.ndarray]
    hi: list[np.ndarray]
    gain: list[list[int]]  # the per-layer linear part of V: gain[i][e]
    weight: list[int]  # the layer's weight in D
    vmin: int  # least V of any whole shape (bounds the D worth trying for a count)
    vmax: int


def _linear_gain(dp: DepthDP, i: int, e: int) -> int:
    q, beta, m = dp.rules.multiple_of, int(dp.bias), dp.depth
    g = q * beta * e
    if i == 0:
        g += q * dp.input_size * e
    if i == m - 1:
        g += q * dp.output_size * e
    return g


def _build_tables(
    dp: DepthDP, span: int, pairs: np.ndarray, layers: list[np.ndarray], budget: WorkBudget
) -> _Tables:
    m, s, q = dp.depth, span, dp.rules.multiple_of
    weight = [1 if i in (0, m - 1) else 2 for i in range(m)]
    gain = [[_linear_gain(dp, i, e) for e in range(s + 1)] for i in range(m)]
    # One array holds (V, -V) so that a single minimum gives both Vmin and Vmax.
    top = q * q * (m - 1) * s * s + max(gain[0]) + max(gain[-1]) + m * max(gain[m // 2])
    dtype = np.int32 if top < 2**29 else np.int64
    big = np.iinfo(dtype).max // 2
    offsets = np.arange(s + 1, dtype=dtype)
    sign = np.array([1, -1], dtype=dtype)[:, None, None]
    lo_all: list[np.ndarray] = [np.empty(0)] * m
    hi_all: list[np.ndarray] = [np.empty(0)] * m
    reach = weight[m - 1] * s  # largest D the layers from here on can hold
    both = np.full((2, s + 1, reach + 1), big, dtype=dtype)
    for e in range(s + 1):
        if layers[m - 1][e]:
            both[:, e, weight[m - 1] * e] = sign[:, 0, 0] * gain[m - 1][e]
    lo_all[m - 1], hi_all[m - 1] = both[0], -both[1]
    for i in range(m - 2, -1, -1):
        reach += weight[i] * s
        budget.spend(16 * (s + 1) * (s + 1) * (reach + 1))  # charged up front: an entry is ~1/4 word
        if budget.exhausted:
            raise BudgetExhausted
        nxt = np.full((2, s + 1, reach + 1), big, dtype=dtype)
        width = both.shape[2]
        for e in range(s + 1):
            if not layers[i][e]:
                continue
            ok = pairs[e]
            if not ok.any():
                continue
            sub = both if ok.all() else both[:, ok]
            edge = sign * ((q * q * e) * offsets[ok])[None, :, None]
            best = (sub + edge).min(axis=1)
            shift = weight[i] * e
            live = best < big // 2
            g = np.array([gain[i][e], -gain[i][e]], dtype=dtype)[:, None]
            nxt[:, e, shift : shift + width] = np.where(live, best + g, big)
        both = nxt
        lo_all[i], hi_all[i] = both[0], -both[1]
    return _Tables(lo_all, hi_all, gain, weight, int(lo_all[0].min()), int(hi_all[0].max()))


def _masks(dp: DepthDP, base: int, span: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The offsets allowed in window ``base``: pairs by the pair rule, layers by bounds and pins."""
    r, q, s = dp.rules, dp.rules.multiple_of, span
    widths = [q * (base + d) for d in range(s + 1)]
    pairs = np.ones((s + 1, s + 1), dtype=bool)
    d = np.arange(s + 1)
    if r.monotone is Monotone.NON_INCREASING:
        pairs &= d[None, :] <= d[:, None]
    elif r.monotone is Monotone.NON_DECREASING:
        pairs &= d[None, :] >= d[:, None]
    ratios = [] if r.max_ratio is None else [(1 / r.max_ratio, r.max_ratio)]
    if r.ratio_range is not None:
        ratios.append(r.ratio_range)
    for lo, hi in ratios:  # x / y within [lo, hi] for x -> y
        if widths[-1] * max(lo.numerator, lo.denominator, hi.numerator, hi.denominator) < 2**62:
            x = np.array(widths, dtype=np.int64)[:, None]
            y = np.array(widths, dtype=np.int64)[None, :]
        else:  # exact Python integers
            x = np.array(widths, dtype=object)[:, None]
            y = np.array(widths, dtype=object)[None, :]
        pairs &= (x * lo.denominator >= lo.numerator * y) & (x * hi.denominator <= hi.numerator * y)
    pins = r.pin_map()
    ok = np.array([x >= r.min_width and (r.max_width is None or x <= r.max_width) for x in widths])
    layers = []
    for i in range(1, dp.depth + 1):
        layer = ok.copy()
        if i in pins:
            layer &= np.array([x == pins[i] for x in widths])
        layers.append(layer)
    return pairs, layers


@dataclass
class _Search:
    """Depth-first search in one window for shapes with ``V`` in ``[vlo, vhi]`` and a given ``D``."""

    tables: _Tables
    pairs: np.ndarray
    layers: list[np.ndarray]
    budget: WorkBudget
    qq: int
    failed: set[tuple[int, int, int, int, int]] = field(default_factory=set)

    def first(self, big_d: int, vlo: int, vhi: int) -> tuple[int, ...] | None:
        """Lexicographically smallest offsets with aggregate ``big_d`` and ``V`` in the range."""
        return self._extend(-1, 0, big_d, vlo, vhi)

    def _extend(self, i: int, e: int, big_d: int, vlo: int, vhi: int) -> tuple[int, ...] | None:
        """Offsets ``d_(i+1)..`` after ``d_i = e`` (``i = -1``: before the first layer) whose
        share of ``D`` is ``big_d`` and whose share of ``V`` lies in ``[vlo, vhi]``."""
        tb, m = self.tables, len(self.layers)
        if i == m - 1:
            return () if big_d == 0 and vlo <= 0 <= vhi else None
        key = (i, e, big_d, vlo, vhi)
        if key in self.failed:
            return None
        self.budget.spend(64 * NODE_COST * len(self.layers[0]))
        if self.budget.exhausted:
            raise BudgetExhausted
        j = i + 1
        lo, hi = tb.lo[j], tb.hi[j]
        if not 0 <= big_d < lo.shape[1]:
            self.failed.add(key)
            return None
        qq_e = self.qq * e
        allowed, pairs = self.layers[j], (self.pairs[e] if i >= 0 else None)
        for f in range(len(allowed)):
            if not allowed[f] or (pairs is not None and not pairs[f]):
                continue
            edge = qq_e * f
            if int(lo[f, big_d]) + edge > vhi or int(hi[f, big_d]) + edge < vlo:
                continue
            g = edge + tb.gain[j][f]
            rest = self._extend(j, f, big_d - tb.weight[j] * f, vlo - g, vhi - g)
            if rest is not None:
                return (f, *rest)
        self.failed.add(key)
        return None


@dataclass(frozen=True)
class BoundedReach:
    """The counts of one window, answered by the bounded search (see the module docstring)."""

    dp: DepthDP
    w: int
    low: int
    high: int
    search: _Search

    @cached_property
    def _f0(self) -> int:
        return self.dp.uniform(self.w)

    @cached_property
    def _bounds(self) -> tuple[list[int], list[int]]:
        """Per aggregate ``D``: the least and greatest ``V`` of the window's shapes (lo > hi: none)."""
        tb = self.search.tables
        return tb.lo[0].min(axis=0).tolist(), tb.hi[0].max(axis=0).tolist()

    @cached_property
    def _ranges(self) -> list[tuple[int, int, int]]:
        """``(D, least V, greatest V)`` of every aggregate that some shape has, by least count."""
        qq_w, (vlo, vhi) = self.dp.rules.multiple_of**2 * self.w, self._bounds
        ranges = [(d, vlo[d], vhi[d]) for d in range(len(vlo)) if vlo[d] <= vhi[d]]
        return sorted(ranges, key=lambda r: qq_w * r[0] + r[1])

    @cached_property
    def _ranges_down(self) -> list[tuple[int, int, int]]:
        """The same, by greatest count, greatest first."""
        qq_w = self.dp.rules.multiple_of**2 * self.w
        return sorted(self._ranges, key=lambda r: -(qq_w * r[0] + r[2]))

    def _blocks(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """``(D, F0(w) + q^2*w*D)`` of every aggregate whose counts can meet ``[lo, hi]``."""
        qq_w, f0, tb = self.dp.rules.multiple_of**2 * self.w, self._f0, self.search.tables
        vlo, vhi = self._bounds
        d_lo = max(0, -((f0 + tb.vmax - lo) // qq_w))
        d_hi = min(len(vlo) - 1, (hi - f0 - tb.vmin) // qq_w)
        return [
            (d, base)
            for d in range(d_lo, d_hi + 1)
            if lo - vhi[d] <= (base := f0 + qq_w * d) <= hi - vlo[d] and vlo[d] <= vhi[d]
        ]

    def _first(self, lo: int, hi: int) -> tuple[int, ...] | None:
        """Smallest offsets (over every ``D``) whose count lies in ``[lo, hi]``."""
        found = [self.search.first(d, lo - base, hi - base) for d, base in self._blocks(lo, hi)]
        return min((f for f in found if f is not None), default=None)

    def first_shape(self) -> tuple[int, ...] | None:
        """The smallest offsets of any shape in the band (no count is preferred)."""
        return self._first(self.low, self.high)

    def exists(self, lo: int, hi: int) -> bool:
        lo, hi = max(lo, self.low), min(hi, self.high)
        return any(self.search.first(d, lo - base, hi - base) is not None for d, base in self._blocks(lo, hi))

    def _least_v(self, big_d: int, vlo: int, vhi: int) -> int | None:
        """The least ``V`` in ``[vlo, vhi]`` that a shape with aggregate ``big_d`` has (bisection)."""
        first = self.search.first
        if vlo > vhi or first(big_d, vlo, vhi) is None:
            return None
        while vlo < vhi:
            mid = (vlo + vhi) // 2
            if first(big_d, vlo, mid) is not None:
                vhi = mid
            else:
                vlo = mid + 1
        return vlo

    def _greatest_v(self, big_d: int, vlo: int, vhi: int) -> int | None:
        """The greatest such ``V`` (bisection)."""
        first = self.search.first
        if vlo > vhi or first(big_d, vlo, vhi) is None:
            return None
        while vlo < vhi:
            mid = (vlo + vhi + 1) // 2
            if first(big_d, mid, vhi) is not None:
                vlo = mid
            else:
                vhi = mid - 1
        return vlo

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
            v = self._least_v(big_d, max(lo - base, vmin), min(top - base, vmax))
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
            v = self._greatest_v(big_d, max(bottom - base, vmin), min(hi - base, vmax))
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
    """Whether the tables for this span fit the memory cap (and the search the recursion limit)."""
    m, s, q = dp.depth, span, dp.rules.multiple_of
    entries = 2 * m * (s + 1) * (2 * m * s + 1)
    top = q * q * m * s * s + q * (dp.input_size + dp.output_size + m) * s  # largest |V|
    return 3 <= m <= sys.getrecursionlimit() - 200 and entries <= MAX_TABLE_ENTRIES and top < 2**60


def reach_bounded(
    dp: DepthDP, span: int, bases: list[int], low: int, high: int, budget: WorkBudget
) -> tuple[list[BoundedReach], list[int]]:
    """The windows ``bases`` of width ``span`` that reach the band ``[low, high]``, and the
    bases left to the window DP.

    Every set of tables is exact for the windows it serves. Windows whose rules differ
    (pins, bounds or ratios that cut them differently) need their own set; the
    ``MAX_TABLE_SETS`` sets serving the most windows are built, the rest are left over.
    """
    groups: dict[bytes, list[tuple[int, np.ndarray, list[np.ndarray]]]] = {}
    for w in bases:
        pairs, layers = _masks(dp, w, span)
        if not all(layer.any() for layer in layers):
            continue  # a layer with no allowed width: no shape in this window
        key = pairs.tobytes() + b"".join(layer.tobytes() for layer in layers)
        groups.setdefault(key, []).append((w, pairs, layers))
    ranked = sorted(groups.values(), key=lambda g: -len(g))  # stable: ties keep base order
    served = ranked[:MAX_TABLE_SETS]
    leftover = sorted(w for group in ranked[MAX_TABLE_SETS:] for w, _, _ in group)
    found = []
    for group in sorted(served, key=lambda g: g[0][0]):
        tables = _build_tables(dp, span, group[0][1], group[0][2], budget)
        for w, pairs, layers in group:
            search = _Search(tables, pairs, layers, budget, dp.rules.multiple_of**2)
            reach = BoundedReach(dp, w, low, high, search)
            if reach.exists(low, high):
                found.append(reach)
    found.sort(key=lambda r: r.w)
    return found, leftover
