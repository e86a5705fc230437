"""The bounded search's numpy tables, convex hulls and offset masks (see :mod:`cpshape.bounded`).

For a window of span ``s`` (widths ``q*(w + d_i)``, ``0 <= d_i <= s``) and the offsets the
rules allow (:func:`_masks`), :func:`_build_tables` gives per layer, offset and partial
aggregate ``D`` the least and greatest ``V`` the remaining layers can add, and
:func:`_hull` the lower and upper convex hulls of the points ``(D, V)`` of every allowed
shape. Both are charged to the :class:`~cpshape.dp.WorkBudget`.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from functools import cached_property

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
#: Hulls spanning fewer aggregates than this tabulate their bounds at every ``D`` once.
HULL_TABLE = 1 << 10

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


def table_bytes(dp: DepthDP, span: int, band: tuple[int, int] | None = None) -> int:
    """Memory the tables of this span take (both tables, every layer), for the band of ``D``."""
    m, s = dp.depth, span
    entries = 2 * (s + 1) * sum(max(0, hi - lo + 1) for lo, hi in _bands(m, s, band))
    return entries * np.dtype(_dtype(dp, s)).itemsize


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


@dataclass(frozen=True)
class _Hull:
    """The convex relaxation of the root ranges ``[Vmin(D), Vmax(D)]`` over every allowed
    shape of the window (any ``d_1``): ``lower`` holds the vertices ``(D, V)`` of the lower
    convex hull of the points ``(D(d), V(d))``, ``upper`` those of the upper hull, both sorted
    by ``D``. Between its vertices the lower hull lies at or below ``Vmin`` and the upper one
    at or above ``Vmax``, so a count whose ``V`` falls outside them at every ``D`` is out of
    reach: the same test as the tables' root, only weaker where ``Vmin`` is not convex.
    """

    lower: list[tuple[int, int]]
    upper: list[tuple[int, int]]

    @cached_property
    def vmin(self) -> int:
        return min(v for _, v in self.lower)

    @cached_property
    def vmax(self) -> int:
        return max(v for _, v in self.upper)

    def bounds(self, big_d: int) -> tuple[int, int] | None:
        """Integer bounds on ``V`` at aggregate ``big_d`` (None: no shape has that ``D``)."""
        lower, upper = self.lower, self.upper
        if not lower[0][0] <= big_d <= lower[-1][0]:
            return None
        if self._at is not None:
            return self._at[0][big_d - lower[0][0]], self._at[1][big_d - lower[0][0]]
        return _chord(lower, big_d, up=True), _chord(upper, big_d, up=False)

    @cached_property
    def _at(self) -> tuple[list[int], list[int]] | None:
        """Both bounds at every ``D`` of the hull, by walking its edges once (``None`` when it
        spans more than ``HULL_TABLE`` aggregates: then each is found by bisection)."""
        if self.lower[-1][0] - self.lower[0][0] >= HULL_TABLE:
            return None
        return _walk(self.lower, up=True), _walk(self.upper, up=False)

    def aggregates(self, qq_w: int, lo: int, hi: int) -> list[int]:
        """The ``D`` at which a count in ``[lo, hi]`` minus ``F0`` (``q^2*w*D + V``) may lie."""
        first = self.lower[0][0]
        d_lo = max(first, -((self.vmax - lo) // qq_w))
        d_hi = min(self.lower[-1][0], (hi - self.vmin) // qq_w)
        if self._at is not None:
            low_at, high_at = self._at
            return [
                d
                for d in range(d_lo, d_hi + 1)
                if lo - qq_w * d <= high_at[d - first] and hi - qq_w * d >= low_at[d - first]
            ]
        found = []
        for big_d in range(d_lo, d_hi + 1):
            v = self.bounds(big_d)
            if v is not None and lo - qq_w * big_d <= v[1] and hi - qq_w * big_d >= v[0]:
                found.append(big_d)
        return found


def _walk(hull: list[tuple[int, int]], up: bool) -> list[int]:
    """The hull's value at every ``x`` from its first vertex to its last, rounded up (``up``)
    or down, exactly (as :func:`_chord`)."""
    values = [hull[0][1]]
    for (x1, y1), (x2, y2) in itertools.pairwise(hull):
        den = x2 - x1
        for x in range(x1 + 1, x2 + 1):
            num = y1 * den + (y2 - y1) * (x - x1)
            values.append(-(-num // den) if up else num // den)
    return values


def _chord(hull: list[tuple[int, int]], x: int, up: bool) -> int:
    """The hull's value at ``x`` rounded up (``up``) or down, exactly."""
    k = bisect.bisect_left(hull, (x, -(2**63)))
    if hull[k][0] == x:
        return hull[k][1]
    (x1, y1), (x2, y2) = hull[k - 1], hull[k]
    num, den = y1 * (x2 - x1) + (y2 - y1) * (x - x1), x2 - x1
    return -(-num // den) if up else num // den


def _hull(
    dp: DepthDP, span: int, pairs: np.ndarray, layers: list[np.ndarray], budget: WorkBudget
) -> _Hull | None:
    """The window's :class:`_Hull`, or None when no allowed shape exists.

    Each hull is found by the usual recursion on the Lagrangian: the extreme points first,
    then for every edge ``A-B`` found so far the shape minimising ``(D_B - D_A)*U - (U_B -
    U_A)*D`` (``U = V`` for the lower hull, ``-V`` for the upper one), a chain DP over the
    offsets; a shape strictly below the edge is a new hull point, else the edge is final. The
    minimisations of one round run together, as one batch of DPs.
    """
    m, s = dp.depth, span
    weight = [1 if i in (0, m - 1) else 2 for i in range(m)]
    gain = [[_linear_gain(dp, i, e) for e in range(s + 1)] for i in range(m)]
    qq = dp.rules.multiple_of ** 2
    offsets = np.arange(s + 1, dtype=np.int64)
    gains = np.array(gain, dtype=np.int64)
    shares = np.array(weight, dtype=np.int64)[:, None] * offsets[None, :]
    product = qq * np.outer(offsets, offsets)
    allowed = np.array(layers)
    inf = np.int64(2**62)
    free = bool(allowed.all() and pairs.all())  # no rule cuts the window: no value is ever inf

    def minimise(alpha: list[int], beta: list[int], sign: list[int]) -> list[tuple[int, int] | None]:
        """Per batch item, ``(D, V)`` of a shape minimising ``alpha*sign*V - beta*D``."""
        found: list[tuple[int, int] | None] = []
        chunk = max(1, min(64, 2**22 // ((s + 1) * (s + 1))))
        for at in range(0, len(alpha), chunk):
            a = np.array(alpha[at : at + chunk], dtype=np.int64) * np.array(sign[at : at + chunk])
            b = np.array(beta[at : at + chunk], dtype=np.int64)
            budget.spend(32 * m * len(a) * (s + 1) * (s + 1) + 64 * NODE_COST * 12 * m)  # + numpy calls
            if budget.exhausted:
                raise BudgetExhausted
            a, b = a[:, None], b[:, None]
            cost = a[:, None, :] * gains[None] - b[:, None, :] * shares[None]  # (B, m, s+1)
            value = np.where(allowed[m - 1][None], cost[:, m - 1], inf)
            # the same at every layer; inf // 2 keeps value + edge (at most 1.5 inf) inside int64
            edges = np.where(pairs[None], a[:, :, None] * product[None], inf // 2)
            rows, cols = np.arange(len(a))[:, None], np.arange(s + 1)[None, :]
            choice = []
            for i in range(m - 2, -1, -1):
                both = value[:, None, :] + edges
                arg = both.argmin(axis=2)
                best = both[rows, cols, arg]
                if free:  # no rule cuts the window: every value is finite
                    value = best + cost[:, i]
                else:
                    value = np.where(allowed[i][None] & (best < inf // 4), best + cost[:, i], inf)
                choice.append(arg)
            choice.reverse()
            # every item's shape at once: its offsets layer by layer, then (D, V) exactly
            path = [value.argmin(axis=1)]
            for arg in choice:
                path.append(arg[rows[:, 0], path[-1]])
            offs = np.stack(path, axis=1)  # (B, m)
            dead = value[rows[:, 0], path[0]] >= inf // 2
            big_d = (shares[np.arange(m)[None, :], offs]).sum(axis=1).tolist()
            v = gains[np.arange(m)[None, :], offs].sum(axis=1) + qq * (offs[:, :-1] * offs[:, 1:]).sum(axis=1)
            for k, (dk, vk) in enumerate(zip(big_d, v.tolist(), strict=True)):
                found.append(None if dead[k] else (dk, vk))
        return found

    top = 1 + qq * (m - 1) * s * s + sum(max(g) for g in gain)  # above every V
    wide = 1 + 2 * (m - 1) * s  # above every D
    if 8 * top * wide >= 2**60:  # the DP's values could overflow: bounds that hold anyway
        return _Hull([(0, 0), (wide - 1, 0)], [(0, top), (wide - 1, top)])
    ends = minimise([1, 1, 1, 1], [-top, top, -top, top], [1, 1, -1, -1])
    if ends[0] is None:
        return None
    points: dict[int, set[tuple[int, int]]] = {}  # per sign, hull points (D, sign*V)
    todo = []  # (sign, a, b): an edge of that hull not yet known to be final
    for k, sign in ((0, 1), (2, -1)):
        left, right = ends[k], ends[k + 1]
        assert left is not None and right is not None
        a, b = (left[0], sign * left[1]), (right[0], sign * right[1])
        points[sign] = {a, b}
        if a != b:
            todo.append((sign, a, b))
    while todo:
        alpha = [b[0] - a[0] for _, a, b in todo]
        beta = [b[1] - a[1] for _, a, b in todo]
        found = minimise(alpha, beta, [sign for sign, _, _ in todo])
        split = []
        for (sign, a, b), new in zip(todo, found, strict=True):
            assert new is not None
            u = (new[0], sign * new[1])
            if (b[0] - a[0]) * u[1] - (b[1] - a[1]) * u[0] < (b[0] - a[0]) * a[1] - (b[1] - a[1]) * a[0]:
                points[sign].add(u)
                split += [(sign, a, u), (sign, u, b)]
        todo = split
    lower, upper = ([(d, sign * u) for d, u in sorted(points[sign])] for sign in (1, -1))
    return _Hull(lower, upper)


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


