"""The bounded search's convex hulls (see :mod:`cpshape.bounded`).

For a window of span ``s`` and the offsets the rules allow, :func:`_hull` gives the lower
and upper convex hulls of the points ``(D, V)`` of every allowed shape (the Lagrangian
relaxation of ``[Vmin(D), Vmax(D)]``, a few batched chain DPs over the offsets, no tables):
a count whose ``V`` lies outside them at every ``D`` is out of the window's reach. The
work is charged to the :class:`~cpshape.dp.WorkBudget`.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .budget import BudgetExhausted, WorkBudget
from .dp import DepthDP
from .tables import NODE_COST, _linear_gain

#: Hulls spanning fewer aggregates than this tabulate their bounds at every ``D`` once.
HULL_TABLE = 1 << 10
#: Edges are refined until their bound is within ``q^2*w / HULL_TOLERANCE`` of the hull, for
#: the least base width ``w`` the hull serves (0: the exact hull). Where ``V``'s range at one
#: ``D`` is below ``q^2*w`` (large counts), a window passes the looser bound with a chance at
#: most ``2 / HULL_TOLERANCE`` higher: at 8, P = 10^12 took twice as long (more windows went
#: on to the tables), at 512 it is unchanged.
HULL_TOLERANCE = 512


def hull_tolerance(dp: DepthDP, w: int) -> int:
    """How loose a hull serving windows of base ``w`` and up may be (see :func:`_hull`)."""
    return dp.rules.multiple_of**2 * w // HULL_TOLERANCE if HULL_TOLERANCE else 0


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
    #: Per edge, how far below (above) its chord the lower (upper) bound lies: 0 on the
    #: hull's own edges, positive on edges left unrefined (``tolerance`` of :func:`_hull`).
    lower_slack: tuple[int, ...] = ()
    upper_slack: tuple[int, ...] = ()

    @cached_property
    def vmin(self) -> int:
        return min([v for _, v in self.lower] + _edge_extremes(self.lower, self.lower_slack, -1))

    @cached_property
    def vmax(self) -> int:
        return max([v for _, v in self.upper] + _edge_extremes(self.upper, self.upper_slack, 1))

    def bounds(self, big_d: int) -> tuple[int, int] | None:
        """Integer bounds on ``V`` at aggregate ``big_d`` (None: no shape has that ``D``)."""
        lower, upper = self.lower, self.upper
        if not lower[0][0] <= big_d <= lower[-1][0]:
            return None
        if self._at is not None:
            return self._at[0][big_d - lower[0][0]], self._at[1][big_d - lower[0][0]]
        return _chord(lower, big_d, True, self.lower_slack), _chord(upper, big_d, False, self.upper_slack)

    @cached_property
    def _at(self) -> tuple[list[int], list[int]] | None:
        """Both bounds at every ``D`` of the hull, by walking its edges once (``None`` when it
        spans more than ``HULL_TABLE`` aggregates: then each is found by bisection)."""
        if self.lower[-1][0] - self.lower[0][0] >= HULL_TABLE:
            return None
        return _walk(self.lower, True, self.lower_slack), _walk(self.upper, False, self.upper_slack)

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


def _edge_extremes(hull: list[tuple[int, int]], slack: tuple[int, ...], sign: int) -> list[int]:
    """Per edge with slack, the bound's least (``sign = -1``) or greatest value on it."""
    pick = min if sign < 0 else max
    return [pick(a[1], b[1]) + sign * e for a, b, e in zip(hull, hull[1:], slack, strict=False) if e]


def _walk(hull: list[tuple[int, int]], up: bool, slack: tuple[int, ...] = ()) -> list[int]:
    """The hull's value at every ``x`` from its first vertex to its last, rounded up (``up``)
    or down, exactly (as :func:`_chord`)."""
    values = [hull[0][1]]
    for k, ((x1, y1), (x2, y2)) in enumerate(itertools.pairwise(hull)):
        den, off = x2 - x1, (slack[k] if k < len(slack) else 0) * (-1 if up else 1)
        for x in range(x1 + 1, x2):
            num = y1 * den + (y2 - y1) * (x - x1)
            values.append((-(-num // den) if up else num // den) + off)
        values.append(y2)
    return values


def _chord(hull: list[tuple[int, int]], x: int, up: bool, slack: tuple[int, ...] = ()) -> int:
    """The hull's value at ``x`` rounded up (``up``, the lower hull) or down, exactly, moved
    by the slack of its edge there."""
    k = bisect.bisect_left(hull, (x, -(2**63)))
    if hull[k][0] == x:
        return hull[k][1]
    (x1, y1), (x2, y2) = hull[k - 1], hull[k]
    num, den = y1 * (x2 - x1) + (y2 - y1) * (x - x1), x2 - x1
    off = (slack[k - 1] if k - 1 < len(slack) else 0) * (-1 if up else 1)
    return (-(-num // den) if up else num // den) + off


def _hull(
    dp: DepthDP,
    span: int,
    pairs: np.ndarray,
    layers: list[np.ndarray],
    budget: WorkBudget,
    tolerance: int = 0,
) -> _Hull | None:
    """The window's :class:`_Hull`, or None when no allowed shape exists.

    Each hull is found by the usual recursion on the Lagrangian: the extreme points first,
    then for every edge ``A-B`` found so far the shape minimising ``(D_B - D_A)*U - (U_B -
    U_A)*D`` (``U = V`` for the lower hull, ``-V`` for the upper one), a chain DP over the
    offsets; a shape strictly below the edge is a new hull point, else the edge is final. The
    minimisations of one round run together, as one batch of DPs.

    An edge whose best shape lies at most ``tolerance`` below its chord is not refined: every
    shape lies above the chord moved down by that gap (its ``slack``), a valid bound that is
    looser by at most ``tolerance`` (rules such as monotone give hulls of hundreds of
    vertices, each found by a batch of DPs, where a count needs only a bound to within a
    fraction of ``q^2*w``, the step of ``V`` between neighbouring ``D``).
    """
    m, s = dp.depth, span
    weight = [1 if i in (0, m - 1) else 2 for i in range(m)]
    qq = dp.rules.multiple_of ** 2
    allowed = np.array(layers)
    inf = np.int64(2**62)
    free = bool(allowed.all() and pairs.all())  # no rule cuts the window: no value is ever inf
    # Each minimised ``alpha*sign*V - beta*D`` is multilinear in the offsets (no square), so
    # over a window no rule cuts, the box [0, s]^m, it is least at a corner: there the DPs
    # need only the offsets 0 and s.
    offsets = np.array([0, s] if free and s > 1 else range(s + 1), dtype=np.int64)
    if free:
        allowed, pairs = allowed[:, offsets], pairs[np.ix_(offsets, offsets)]
    gain = [[_linear_gain(dp, i, int(e)) for e in offsets] for i in range(m)]
    gains = np.array(gain, dtype=np.int64)
    shares = np.array(weight, dtype=np.int64)[:, None] * offsets[None, :]
    product = qq * np.outer(offsets, offsets)
    n = len(offsets)

    def minimise(alpha: list[int], beta: list[int], sign: list[int]) -> list[tuple[int, int] | None]:
        """Per batch item, ``(D, V)`` of a shape minimising ``alpha*sign*V - beta*D``."""
        found: list[tuple[int, int] | None] = []
        chunk = max(1, min(64, 2**22 // (n * n)))
        for at in range(0, len(alpha), chunk):
            a = np.array(alpha[at : at + chunk], dtype=np.int64) * np.array(sign[at : at + chunk])
            b = np.array(beta[at : at + chunk], dtype=np.int64)
            budget.spend(32 * m * len(a) * n * n + 64 * NODE_COST * 12 * m)  # + numpy calls
            if budget.exhausted:
                raise BudgetExhausted
            a, b = a[:, None], b[:, None]
            cost = a[:, None, :] * gains[None] - b[:, None, :] * shares[None]  # (B, m, n)
            value = np.where(allowed[m - 1][None], cost[:, m - 1], inf)
            # the same at every layer; inf // 2 keeps value + edge (at most 1.5 inf) inside int64
            edges = np.where(pairs[None], a[:, :, None] * product[None], inf // 2)
            rows, cols = np.arange(len(a))[:, None], np.arange(n)[None, :]
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
            index = np.stack(path, axis=1)  # (B, m): positions in ``offsets``
            offs = offsets[index]
            dead = value[rows[:, 0], path[0]] >= inf // 2
            layer = np.arange(m)[None, :]
            big_d = (shares[layer, index]).sum(axis=1).tolist()
            v = gains[layer, index].sum(axis=1) + qq * (offs[:, :-1] * offs[:, 1:]).sum(axis=1)
            for k, (dk, vk) in enumerate(zip(big_d, v.tolist(), strict=True)):
                found.append(None if dead[k] else (dk, vk))
        return found

    top = 1 + qq * (m - 1) * s * s + sum(max(g) for g in gain)  # above every V (gains grow with e)
    wide = 1 + 2 * (m - 1) * s  # above every D
    if 8 * top * wide >= 2**60:  # the DP's values could overflow: bounds that hold anyway
        return _Hull([(0, 0), (wide - 1, 0)], [(0, top), (wide - 1, top)])
    ends = minimise([1, 1, 1, 1], [-top, top, -top, top], [1, 1, -1, -1])
    if ends[0] is None:
        return None
    points: dict[int, set[tuple[int, int]]] = {}  # per sign, hull points (D, sign*V)
    slack: dict[tuple[int, int, int], int] = {}  # (sign, D_A, D_B): an unrefined edge's gap
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
            gap = (b[0] - a[0]) * a[1] - (b[1] - a[1]) * a[0] - ((b[0] - a[0]) * u[1] - (b[1] - a[1]) * u[0])
            if gap > 0 and -(-gap // (b[0] - a[0])) <= tolerance:
                slack[sign, a[0], b[0]] = -(-gap // (b[0] - a[0]))  # u lies this far below A-B
            elif gap > 0:
                points[sign].add(u)
                split += [(sign, a, u), (sign, u, b)]
        todo = split
    lower, upper = ([(d, sign * u) for d, u in sorted(points[sign])] for sign in (1, -1))
    lower_slack, upper_slack = (
        tuple(slack.get((sign, a[0], b[0]), 0) for a, b in itertools.pairwise(chain))
        for sign, chain in ((1, lower), (-1, upper))
    )
    return _Hull(lower, upper, lower_slack, upper_slack)
