"""The bounded search's numpy tables, offset masks and the search on them (see :mod:`cpshape.bounded`).

For a window of span ``s`` (widths ``q*(w + d_i)``, ``0 <= d_i <= s``) and the offsets the
rules allow (:func:`_masks`), :func:`_build_tables` gives per layer, offset and partial
aggregate ``D`` the least and greatest ``V`` the remaining layers can add, charged to the
:class:`~cpshape.dp.WorkBudget`. The window's convex hulls are in :mod:`cpshape.hulls`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .dp import BudgetExhausted, DepthDP, WorkBudget
from .spec import Monotone

#: Budget words charged per microsecond or so of a search node (the DPs shift about 250 words
#: in that time).
NODE_COST = 250
#: Table values are far inside this, so a wanted range may be clipped to it before numpy sees it.
_CLAMP = 2**62
#: A layer of the tables is built in one gather (rather than offset by offset) when it needs
#: at most this many (offset, next offset, column) cells and has at most ``GATHER_WIDTH``
#: columns per offset: there a few numpy calls beat a few per offset (as measured).
GATHER_CELLS, GATHER_WIDTH = 1 << 14, 4
#: Spans above which a search node tests its children with numpy rather than a plain loop
#: (the loop walks the offsets listed once per layer and column; 48 -> 128 measured on the
#: suite: mnist-1e12 949 -> 878 ms, 64x10-1e9-mult8-ratio 222 -> 184 ms, the rest the same).
_NUMPY_NODE = 128

@dataclass
class _Tables:
    """``lo[i][e, D - start[i]]`` / ``hi[i][e, D - start[i]]``: least / greatest ``V`` of layers
    ``i..m-1`` (0-based) with ``d_i = e`` and their share of ``D`` equal to ``D``; ``lo > hi``
    marks no continuation. Layer ``i`` holds the shares ``start[i] <= D < start[i] + width``
    that can still lead to a whole aggregate in the band the tables were built for.
    """

    lo: list[np.ndarray]
    hi: list[np.ndarray]
    start: list[int]
    gain: list[list[int]]  # the per-layer linear part of V: gain[i][e]
    weight: list[int]  # the layer's weight in D


def _linear_gain(dp: DepthDP, i: int, e: int) -> int:
    q, beta, m = dp.rules.multiple_of, int(dp.bias), dp.depth
    g = q * beta * e
    if i == 0:
        g += q * dp.input_size * e
    if i == m - 1:
        g += q * dp.output_size * e
    return g


def _bands(m: int, span: int, band: tuple[int, int] | None) -> list[tuple[int, int]]:
    """Per layer, the shares ``D`` of layers ``i..m-1`` worth a table column: at most what they
    can hold, and within reach of the band ``[D_lo, D_hi]`` of whole aggregates (the layers
    before ``i`` add between 0 and their largest share)."""
    weight = [1 if i in (0, m - 1) else 2 for i in range(m)]
    d_lo, d_hi = band if band is not None else (0, 2 * (m - 1) * span)
    bands = []
    before, rest = 0, sum(weight) * span  # largest shares of layers 0..i-1 and of i..m-1
    for i in range(m):
        bands.append((max(0, d_lo - before), min(rest, d_hi)))
        before += weight[i] * span
        rest -= weight[i] * span
    return bands


def table_entries(dp: DepthDP, span: int, band: tuple[int, int] | None = None) -> int:
    """Entries of the tables of this span (both tables, every layer), for the band of ``D``."""
    return 2 * (span + 1) * sum(max(0, hi - lo + 1) for lo, hi in _bands(dp.depth, span, band))


def table_bytes(dp: DepthDP, span: int, band: tuple[int, int] | None = None) -> int:
    """Memory the tables of this span take (both tables, every layer), for the band of ``D``."""
    return table_entries(dp, span, band) * np.dtype(_dtype(dp, span)).itemsize


def _top(dp: DepthDP, span: int) -> int:
    """Above every ``|V|`` (and every table value) of this span."""
    m, s, q = dp.depth, span, dp.rules.multiple_of
    return q * q * m * s * s + q * (dp.input_size + dp.output_size + m) * s + 1


def _dtype(dp: DepthDP, span: int) -> type:
    return np.int32 if _top(dp, span) < 2**29 else np.int64


def _build_tables(
    dp: DepthDP,
    span: int,
    pairs: np.ndarray,
    layers: list[np.ndarray],
    budget: WorkBudget,
    band: tuple[int, int] | None = None,
) -> _Tables:
    """The tables for whole aggregates ``D`` in ``band`` (default: every ``D``)."""
    m, s, q = dp.depth, span, dp.rules.multiple_of
    weight = [1 if i in (0, m - 1) else 2 for i in range(m)]
    gain = [[_linear_gain(dp, i, e) for e in range(s + 1)] for i in range(m)]
    bands = _bands(m, s, band)
    start = [lo for lo, _ in bands]
    widths = [max(0, hi - lo + 1) for lo, hi in bands]
    # One array holds (V, -V) so that a single minimum gives both Vmin and Vmax.
    dtype = _dtype(dp, s)
    big = np.iinfo(dtype).max // 2
    sign = np.array([1, -1], dtype=dtype)[:, None, None]
    lo_all: list[np.ndarray] = [np.empty(0)] * m
    hi_all: list[np.ndarray] = [np.empty(0)] * m
    both = np.full((2, s + 1, widths[m - 1]), big, dtype=dtype)
    for e in range(s + 1):
        if layers[m - 1][e] and 0 <= weight[m - 1] * e - start[m - 1] < widths[m - 1]:
            both[:, e, weight[m - 1] * e - start[m - 1]] = sign[:, 0, 0] * gain[m - 1][e]
    lo_all[m - 1], hi_all[m - 1] = both[0], -both[1]
    allowed = pairs.sum(axis=1).tolist()
    for i in range(m - 2, -1, -1):
        width, below = widths[i], start[i + 1]
        # columns D of this layer whose rest D - weight*e lies in the layer below, per e
        first_col, end_col = below - start[i], below + both.shape[2] - start[i]
        cols = [
            (max(0, first_col + weight[i] * e), min(width, end_col + weight[i] * e)) for e in range(s + 1)
        ]
        work = sum(allowed[e] * max(0, b - a) for e, (a, b) in enumerate(cols) if layers[i][e])
        budget.spend(16 * (s + 1) + 16 * work)  # charged up front: an entry is ~1/4 word
        if budget.exhausted:
            raise BudgetExhausted
        g = sign[:, :, 0] * np.array(gain[i], dtype=dtype)[None, :]  # (2, s+1): +gain, -gain
        gathered = width <= GATHER_WIDTH * (s + 1) and (s + 1) ** 2 * width <= GATHER_CELLS
        step = _layer_gathered if gathered else _layer_by_offset
        both = step(both, pairs, layers[i], width, cols, start[i] - below, weight[i], q * q, g, big)
        lo_all[i], hi_all[i] = both[0], -both[1]
    return _Tables(lo_all, hi_all, start, gain, weight)


def _layer_by_offset(
    both: np.ndarray,
    pairs: np.ndarray,
    layer: np.ndarray,
    width: int,
    cols: list[tuple[int, int]],
    shift0: int,
    weight: int,
    qq: int,
    g: np.ndarray,
    big: int,
) -> np.ndarray:
    """One layer of :func:`_build_tables`, offset by offset: ``out[:, e, c]`` is the least
    ``both[:, f, c + shift0 - weight*e] + sign*qq*e*f`` over the ``f`` that ``pairs[e]``
    allows, plus ``g[:, e]``; ``big`` where nothing continues (``both`` holds ``(V, -V)``)."""
    s1, dtype = both.shape[1], both.dtype
    offsets = np.arange(s1, dtype=dtype)
    sign = np.array([1, -1], dtype=dtype)[:, None, None]
    out = np.full((2, s1, width), big, dtype=dtype)
    scratch = np.empty(2 * s1 * max(width, 1), dtype=dtype)  # reused: no fresh pages per offset
    for e in range(s1):
        if not layer[e]:
            continue
        ok = pairs[e]
        first, last = cols[e]
        if not ok.any() or first >= last:
            continue
        lo_col = first + shift0 - weight * e
        sub = both[:, :, lo_col : lo_col + last - first]
        sub = sub if ok.all() else sub[:, ok]
        edge = sign * ((qq * e) * offsets[ok])[None, :, None]
        total = scratch[: sub.size].reshape(sub.shape)
        best = np.add(sub, edge, out=total).min(axis=1)
        live = best < big // 2
        out[:, e, first:last] = np.where(live, best + g[:, e, None], big)
    return out


def _layer_gathered(
    both: np.ndarray,
    pairs: np.ndarray,
    layer: np.ndarray,
    width: int,
    cols: list[tuple[int, int]],
    shift0: int,
    weight: int,
    qq: int,
    g: np.ndarray,
    big: int,
) -> np.ndarray:
    """The same layer in one go for small tables: every offset's columns gathered at once from
    ``both`` padded with ``big`` (a handful of numpy calls instead of a few per offset)."""
    s1, below, dtype = both.shape[1], both.shape[2], both.dtype
    # column c of offset e reads column c + shift0 - weight*e of the layer below
    e = np.arange(s1)
    index = np.arange(width)[None, :] + (shift0 - weight * e)[:, None]  # (e, c)
    pad = max(0, -int(index.min(initial=0)))
    padded = np.full((2, s1, pad + below + max(0, int(index.max(initial=0)) - below + 1)), big, dtype=dtype)
    padded[:, :, pad : pad + below] = both
    gathered = padded[:, :, index + pad]  # (2, f, e, c)
    offsets = np.arange(s1, dtype=dtype)
    edge = np.array([1, -1], dtype=dtype)[:, None, None] * (qq * np.outer(offsets, offsets)).astype(dtype)
    total = gathered + edge.transpose(0, 2, 1)[:, :, :, None]  # edge[f, e] = qq*e*f, symmetric
    if not pairs.all():
        total = np.where(pairs.T[None, :, :, None], total, big)
    best = total.min(axis=1)  # (2, e, c)
    live = (best < big // 2) & layer[None, :, None]
    return np.where(live, best + g[:, :, None], big)


def _masks(dp: DepthDP, base: int, span: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The offsets allowed in window ``base``: pairs by the pair rule, layers by bounds and pins."""
    return _pairs(dp, base, span), _layers(dp, base, span)


def _pairs_vary(dp: DepthDP) -> bool:
    """Whether the pair masks depend on the base (ratio rules do; monotone rules do not)."""
    return dp.rules.max_ratio is not None or dp.rules.ratio_range is not None


def _pairs(dp: DepthDP, base: int, span: int) -> np.ndarray:
    """``pairs[d, e]``: the pair rule allows width ``q*(base+d)`` followed by ``q*(base+e)``."""
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
    return pairs


def _layers(dp: DepthDP, base: int, span: int) -> list[np.ndarray]:
    """Per layer, the offsets whose width the bounds and pins allow."""
    r, q = dp.rules, dp.rules.multiple_of
    lo, hi = q * base, q * (base + span)  # the window's widths are the multiples of q in between
    first = max(0, -(-(r.min_width - lo) // q))  # first offset at or above min_width
    last = span if r.max_width is None else min(span, (r.max_width - lo) // q) if r.max_width >= lo else -1
    ok = np.zeros(span + 1, dtype=bool)
    if first <= last:
        ok[first : last + 1] = True
    pins = r.pin_map()
    layers = []
    for i in range(1, dp.depth + 1):
        layer = ok
        if i in pins:
            layer = np.zeros(span + 1, dtype=bool)
            pin = pins[i]
            if lo <= pin <= hi and (pin - lo) % q == 0:
                layer[(pin - lo) // q] = ok[(pin - lo) // q]
        layers.append(layer)
    return layers


@dataclass
class _Search:
    """Depth-first search in one window for shapes with ``V`` in ``[vlo, vhi]`` and a given ``D``.

    The failed states depend on the tables and the offset masks alone (not on the base
    width), so one search, and what it has learnt, serves every window of a set of tables.
    """

    tables: _Tables
    pairs: np.ndarray
    layers: list[np.ndarray]
    budget: WorkBudget
    qq: int
    failed: set[tuple[int, int, int, int, int]] = field(default_factory=set)

    def __post_init__(self) -> None:
        s = len(self.layers[0]) - 1
        offsets = np.arange(s + 1, dtype=np.int64)
        self._edges = [self.qq * e * offsets for e in range(s + 1)]
        self._open = [[layer & self.pairs[e] for e in range(s + 1)] for layer in self.layers]
        # on narrow spans the same as lists, the layer's own mask last (the first layer's)
        self._lists = []
        if s + 1 <= _NUMPY_NODE:
            for row, layer in zip(self._open, self.layers, strict=True):
                self._lists.append([*(x.tolist() for x in row), layer.tolist()])
        # per (layer, column) on narrow spans: the offsets with a continuation, and their range
        self._live: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        # a node is a handful of numpy operations on the s+1 offsets, then one step per child
        self._cost = 64 * NODE_COST * (6 + (s + 1) // 64)

    def first(self, big_d: int, vlo: int, vhi: int) -> tuple[int, ...] | None:
        """Lexicographically smallest offsets with aggregate ``big_d`` and ``V`` in the range."""
        return self._extend(-1, 0, big_d, vlo, vhi)

    def least_v(self, big_d: int, vlo: int, vhi: int) -> int | None:
        """The least ``V`` in ``[vlo, vhi]`` that a shape with aggregate ``big_d`` has (bisection)."""
        first = self.first
        if vlo > vhi or first(big_d, vlo, vhi) is None:
            return None
        while vlo < vhi:
            mid = (vlo + vhi) // 2
            if first(big_d, vlo, mid) is not None:
                vhi = mid
            else:
                vlo = mid + 1
        return vlo

    def greatest_v(self, big_d: int, vlo: int, vhi: int) -> int | None:
        """The greatest such ``V`` (bisection)."""
        first = self.first
        if vlo > vhi or first(big_d, vlo, vhi) is None:
            return None
        while vlo < vhi:
            mid = (vlo + vhi + 1) // 2
            if first(big_d, mid, vhi) is not None:
                vlo = mid
            else:
                vhi = mid - 1
        return vlo

    def ranges(self, aggregates: tuple[int, ...]) -> tuple[list[int], list[int]]:
        """The least and greatest ``V`` of each aggregate (least above greatest: none)."""
        tb = self.tables
        columns = np.array(aggregates, dtype=np.int64) - tb.start[0]
        return tb.lo[0][:, columns].min(axis=0).tolist(), tb.hi[0][:, columns].max(axis=0).tolist()

    def _extend(self, i: int, e: int, big_d: int, vlo: int, vhi: int) -> tuple[int, ...] | None:
        """Offsets ``d_(i+1)..`` after ``d_i = e`` (``i = -1``: before the first layer) whose
        share of ``D`` is ``big_d`` and whose share of ``V`` lies in ``[vlo, vhi]``."""
        tb, m = self.tables, len(self.layers)
        if i == m - 1:
            return () if big_d == 0 and vlo <= 0 <= vhi else None
        key = (i, e, big_d, vlo, vhi)
        if key in self.failed:
            return None
        self.budget.spend(self._cost)
        if self.budget.exhausted:
            raise BudgetExhausted
        j = i + 1
        column = big_d - tb.start[j]
        if not 0 <= column < tb.lo[j].shape[1]:
            self.failed.add(key)
            return None
        qq_e, gain, weight = self.qq * e, tb.gain[j], tb.weight[j]
        for f in self._children(i, j, e, column, vlo, vhi):
            g = qq_e * f + gain[f]
            rest = self._extend(j, f, big_d - weight * f, vlo - g, vhi - g)
            if rest is not None:
                return (f, *rest)
        self.failed.add(key)
        return None

    def _children(self, i: int, j: int, e: int, column: int, vlo: int, vhi: int) -> list[int]:
        """The offsets of layer ``j`` after ``d_i = e`` whose range at ``column`` meets
        ``[vlo, vhi]``, in increasing order: a few numpy operations on wide spans; on narrow
        ones (where it is faster) a plain loop over the offsets that have a continuation at
        that column, listed with their range once per (layer, column)."""
        tb = self.tables
        if len(self.layers[j]) > _NUMPY_NODE:
            ok, edge = (self.layers[j] if i < 0 else self._open[j][e]), self._edges[e]
            lo, hi = tb.lo[j][:, column], tb.hi[j][:, column]
            ok = ok & (lo <= hi) & (lo + edge <= min(vhi, _CLAMP)) & (hi + edge >= max(vlo, -_CLAMP))
            return np.flatnonzero(ok).tolist()
        live = self._live.get((j, column))
        if live is None:
            rows = zip(tb.lo[j][:, column].tolist(), tb.hi[j][:, column].tolist(), strict=True)
            live = [(f, low, high) for f, (low, high) in enumerate(rows) if low <= high]
            self._live[(j, column)] = live
        qq_e, allowed = self.qq * e, self._lists[j][e if i >= 0 else -1]
        return [f for f, low, high in live if allowed[f] and low + qq_e * f <= vhi and high + qq_e * f >= vlo]
