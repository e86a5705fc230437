"""The interior search's algebra (pure Python): with the interior widths fixed the count is
linear in the two end widths (see :mod:`cpshape.ends`), so each end's allowed units are one
interval, the last end's is read off the band, and the first end's candidates are visited
nearest the uniform width first (for narrow bands, only the residue classes that can hit
the band). Pinned end layers are held out: the network is searched with them made the input
or the output (:meth:`Ends.without_end`).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from .budget import BudgetExhausted, WorkBudget
from .counting import edge_count, uniform_count
from .dp import far_from_uniform, pair_factors, within_pairs
from .spec import Constraints

__all__ = ["Box", "Ends", "Record", "best_shape", "uniform_center"]


#: Budget words per residue class of ``u_1`` listed for a narrow band (0.05-0.1 us of numpy
#: work each; the searches charge ``WORDS_PER_END``, 1,000 words, per first width visited).
RESIDUE_WORDS = 16
#: Above this many residue classes they are listed in numpy; below, a few Python streams
#: merged are faster (an exact count has one: a numpy listing per interior tuple made the
#: interior search 2.6 times slower on 100 -> 1, 10^11, depth 4, max ratio 5/4).
NUMPY_RESIDUES = 64

#: A first width found with the interior after it: ``(spread, u_1, *interior)``.
Record = tuple[int, ...]


@dataclass(frozen=True)
class Box:
    """An interior tuple whose own spread (with the held widths) some shape reaches with both
    ends inside it: every shape of that spread has ``u_1`` in ``first`` and ``u_m`` in
    ``last``, and its count is ``alpha*u_1 + gamma*u_m + delta``."""

    spread: int
    inner: tuple[int, ...]
    first: tuple[int, int]
    last: tuple[int, int]
    alpha: int
    gamma: int
    delta: int

    def least_first(self, count: int) -> int | None:
        """The least ``u_1`` of a shape in the box with exactly ``count``, ``None`` if none:
        ``u_1`` runs over one residue class modulo ``gamma/gcd(alpha, gamma)`` (its inverse),
        cut to where ``u_m`` stays in ``last``."""
        v, a, g = count - self.delta, self.alpha, self.gamma
        lo = max(self.first[0], -(-(v - g * self.last[1]) // a))
        hi = min(self.first[1], (v - g * self.last[0]) // a)
        d = math.gcd(a, g)
        if lo > hi or v % d:
            return None
        modulus = g // d
        residue = (v // d) * pow(a // d, -1, modulus) % modulus if modulus > 1 else 0
        u = lo + (residue - lo) % modulus
        return u if u <= hi else None

    def nearest(
        self, target: int, band: tuple[int, int], worst: int, tries: int = 64
    ) -> tuple[int, int] | None:
        """``(|deviation|, count)`` of the box's count in ``band`` nearest ``target`` (below
        on a tie), ``None`` if none is within ``worst``: counts tried outward one at a time,
        then, after ``tries``, every first width with its best last width."""
        low = max(band[0], self.alpha * self.first[0] + self.gamma * self.last[0] + self.delta)
        high = min(band[1], self.alpha * self.first[1] + self.gamma * self.last[1] + self.delta)
        if low > high:
            return None
        start = max(0, low - target, target - high)
        for d in range(start, min(start + tries, worst + 1)):
            for count in (target - d, target + d):
                if low <= count <= high and self.least_first(count) is not None:
                    return d, count
        if start + tries > worst:
            return None
        options = []
        for u1 in range(self.first[0], self.first[1] + 1):
            base = self.alpha * u1 + self.delta
            lo = max(self.last[0], -(-(band[0] - base) // self.gamma))
            hi = min(self.last[1], (band[1] - base) // self.gamma)
            near = (target - base) // self.gamma
            if lo <= hi:
                counts = {base + self.gamma * min(max(v, lo), hi) for v in (near, near + 1)}
                options += [(abs(count - target), count) for count in counts]
        return min(options, default=None)


class Ends:
    """One depth as the interior search sees it: widths in units of ``q`` (multiple_of), the
    rules, the band, and the ends' coefficients for any interior tuple."""

    def __init__(self, a: int, c: int, m: int, bias: bool, rules: Constraints, band: tuple[int, int]) -> None:
        self.a, self.c, self.m, self.beta, self.rules = a, c, m, int(bias), rules
        self.q = rules.multiple_of
        self.low, self.high = band
        self.u_min = max(1, -(-rules.min_width // self.q))
        self.u_max = rules.max_width // self.q if rules.max_width is not None else self.high
        self.pins = {layer: w // self.q for layer, w in rules.pins}
        self.after, self.before = pair_factors(rules, after=True), pair_factors(rules, after=False)
        self.far = far_from_uniform(rules)  # each width a factor off the next (the corners)
        self._end_ranges: dict[tuple[int, bool], tuple[int, int]] = {}
        # Pinned end layers held out of the search (:meth:`without_end`): their units count
        # towards the spread, their pair rules bound the new end layers, their count is ``shift``.
        self.left: tuple[int, ...] = ()
        self.right: tuple[int, ...] = ()
        self.held: tuple[int, ...] = ()  # left and right together
        self.shift = 0
        self.first_range = self.last_range = (self.u_min, self.u_max)

    def without_end(self, first: bool) -> Ends | None:
        """The same search with the pinned layer 1 (``first``) made the input, or layer ``m``
        the output: depth ``m - 1``, the band less that layer's own count, its units held for
        the spread (``None``: the pin breaks the pair rule with the layer held before it)."""
        layer = 1 if first else self.m
        p, (lo, hi) = self.pins[layer], self.first_range if first else self.last_range
        if not lo <= p <= hi:
            return None
        # layer 1: a*w + beta*w; layer m: w*c + beta*c (its bias stays, as the output's)
        shift = self.q * p * (self.a + self.beta) if first else (self.q * p + self.beta) * self.c
        moved = tuple((k - first, w) for k, w in self.rules.pins if k != layer)
        band = (self.low - shift, self.high - shift)
        a, c = (self.q * p, self.c) if first else (self.a, self.q * p)
        e = Ends(a, c, self.m - 1, bool(self.beta), replace(self.rules, pins=moved), band)
        e.left, e.right = ((*self.left, p), self.right) if first else (self.left, (p, *self.right))
        e.held = (*e.left, *e.right)
        e.shift = self.shift + shift
        e.first_range, e.last_range = self.first_range, self.last_range
        bounds = within_pairs(self.after if first else self.before, p, e.u_min, e.u_max)
        if first:
            e.first_range = bounds
        else:
            e.last_range = bounds
        return e

    def coefficients(self, inner: tuple[int, ...]) -> tuple[int, int, int]:
        q, b = self.q, self.beta
        pairs = sum(x * y for x, y in itertools.pairwise(inner))
        delta = q * q * pairs + b * (q * sum(inner) + self.c)
        return q * (self.a + q * inner[0] + b), q * (q * inner[-1] + self.c + b), delta

    def count(self, units: tuple[int, ...]) -> int:
        """The count of the hidden widths ``q * units``."""
        q, bias, total, previous = self.q, bool(self.beta), 0, self.a
        for u in units:
            total += edge_count(previous, q * u, bias)
            previous = q * u
        return total + edge_count(previous, self.c, bias)

    def next_range(self, neighbour: int, lo: int, hi: int) -> tuple[int, int]:
        """``lo..hi`` cut to the units the pair rules allow right after ``neighbour``."""
        return within_pairs(self.after, neighbour, lo, hi)

    def end_range(self, neighbour: int, first: bool) -> tuple[int, int]:
        """Units allowed for layer 1 (``first``) or layer m next to ``neighbour`` (kept: the
        searches ask for the same neighbours at every cap)."""
        known = self._end_ranges.get((neighbour, first))
        if known is not None:
            return known
        layer = 1 if first else self.m
        lo, hi = self.first_range if first else self.last_range
        if layer in self.pins:
            lo, hi = max(lo, self.pins[layer]), min(hi, self.pins[layer])
        bounds = within_pairs(self.before if first else self.after, neighbour, lo, hi)
        self._end_ranges[neighbour, first] = bounds
        return bounds

    def box(
        self,
        inner: tuple[int, ...],
        coefficients: tuple[int, int, int],
        first: tuple[int, int],
        last: tuple[int, int],
        spread: tuple[int, int],
    ) -> Box | None:
        """``inner`` as a :class:`Box` (``coefficients``: its ``alpha, gamma, delta``;
        ``first``, ``last``: the ends' ranges; ``spread``: the least and greatest of ``inner``
        and the held widths), if the band is at least ``gamma`` wide and some shape with both
        ends within ``spread`` reaches it (then every first width there has a last width in
        the band); ``None`` otherwise."""
        alpha, gamma, delta = coefficients
        if self.high - self.low + 1 < gamma:
            return None
        xs = (max(first[0], spread[0]), min(first[1], spread[1]))
        ys = (max(last[0], spread[0]), min(last[1], spread[1]))
        if xs[0] > xs[1] or ys[0] > ys[1]:
            return None
        lo = max(xs[0], -(-(self.low - delta - gamma * ys[1]) // alpha))
        hi = min(xs[1], (self.high - delta - gamma * ys[0]) // alpha)
        if lo > hi:
            return None
        return Box(spread[1] - spread[0], inner, xs, ys, alpha, gamma, delta)

    def last_interval(self, u1: int, inner: tuple[int, ...], lo: int, hi: int) -> tuple[int, int]:
        alpha, gamma, delta = self.coefficients(inner)
        rest_lo, rest_hi = self.low - delta - alpha * u1, self.high - delta - alpha * u1
        return max(lo, -(-rest_lo // gamma)), min(hi, rest_hi // gamma)

    def first_candidates(
        self, inner: tuple[int, ...], lo: int, hi: int, center: int, budget: WorkBudget | None = None
    ) -> Iterator[int]:
        """``u_1`` values that can reach the band, nearest to ``center`` first (ties: the
        smaller first); for a narrow band only those of the residue classes that can hit it
        (:func:`residue_candidates`)."""
        alpha, gamma, delta = self.coefficients(inner)
        classes = residue_candidates(alpha, gamma, delta, (self.low, self.high), (lo, hi), center, budget)
        yield from _walk(center, lo, hi) if classes is None else classes


def residue_candidates(
    alpha: int,
    gamma: int,
    delta: int,
    band: tuple[int, int],
    bounds: tuple[int, int],
    center: int,
    budget: WorkBudget | None = None,
) -> Iterator[int] | None:
    """The ``u`` in ``bounds`` for which ``alpha*u + gamma*v + delta`` lies in ``band`` for
    some integer ``v``, by distance from ``center`` (ties: the smaller first); ``None`` where
    the band is too wide for this to cut much (then every ``u`` can). Listing the classes is
    charged to ``budget``, ``RESIDUE_WORDS`` a residue; many are listed in numpy."""
    (low, high), (lo, hi) = band, bounds
    width = high - low + 1
    if width >= gamma or width > 4096:
        return None
    g = math.gcd(alpha, gamma)
    modulus = gamma // g
    # the band's counts r = delta (mod g), as (r - delta) / g: one run of integers
    first, last = -((delta - low) // g), (high - delta) // g
    residues = max(0, last - first + 1)
    if residues and modulus <= 64 * residues:
        return None
    if budget is not None:
        budget.spend(64 * RESIDUE_WORDS * residues)
        if budget.exhausted:
            raise BudgetExhausted
    if not residues:
        return iter(())  # no count of the band is delta modulo g
    inverse = pow(alpha // g, -1, modulus)
    center = min(max(center, lo), hi)  # the same order, and no walk from outside
    if residues > NUMPY_RESIDUES and modulus < 2**31 and max(abs(lo), abs(hi)) < 2**60:
        r = np.arange(first, last + 1, dtype=np.int64) % modulus
        return _nearest_first(np.unique(r * inverse % modulus), modulus, center, lo, hi)
    streams = []
    for r in {r * inverse % modulus for r in range(first, last + 1)}:
        below = center - (center - r) % modulus
        streams += [_side(below, -modulus, lo, hi, center), _side(below + modulus, modulus, lo, hi, center)]
    return (v for _, v in heapq.merge(*streams))


def _nearest_first(classes: np.ndarray, modulus: int, center: int, lo: int, hi: int) -> Iterator[int]:
    """The values in ``lo..hi`` of the residue ``classes`` modulo ``modulus``, by distance
    from ``center`` (ties: the smaller first), ring by ring: ring ``k`` holds the distances
    ``k*modulus`` up to ``(k+1)*modulus`` (exclusive), one value per class on each side."""
    below = center - (center - classes) % modulus  # per class, the nearest value <= center
    on = below == center  # there the value above is a whole modulus away: the next ring
    k = 0
    while True:
        down = below - k * modulus
        up = np.where(on, below + k * modulus, below + (k + 1) * modulus)
        if k == 0:
            up = up[~on]
        if int(down.max()) < lo and (not len(up) or int(up.min()) > hi):
            return
        values = np.concatenate([down[down >= lo], up[up <= hi]])
        order = np.lexsort((values, np.abs(values - center)))
        yield from values[order].tolist()
        k += 1


def _side(start: int, step: int, lo: int, hi: int, center: int) -> Iterator[tuple[int, int]]:
    v = start
    while (step > 0 and v <= hi) or (step < 0 and v >= lo):
        if lo <= v <= hi:
            yield abs(v - center), v
        v += step


def _walk(center: int, lo: int, hi: int) -> Iterator[int]:
    """``lo..hi`` ordered by distance from ``center`` (ties: the smaller first)."""
    if lo > hi:
        return
    center = min(max(center, lo), hi)
    yield center
    for k in range(1, hi - lo + 1):
        if center - k < lo and center + k > hi:
            return
        if center - k >= lo:
            yield center - k
        if center + k <= hi:
            yield center + k


def uniform_center(e: Ends, target: int) -> int:
    lo, hi = 1, max(1, math.isqrt(max(0, target)))  # the target less held layers may be < 0
    while lo < hi:
        mid = (lo + hi) // 2
        if uniform_count(e.a, e.c, e.m, e.q * mid, bool(e.beta)) < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def best_shape(e: Ends, found: list[Record], boxes: list[Box], target: int) -> tuple[tuple[int, ...], int]:
    """The optimum among the interior search's records and boxes: least spread, then least
    ``|deviation|`` (below on a tie), then the smallest widths of that count (in units, the
    held layers left out) and the count."""
    held = e.held
    s = min([f[0] for f in found] + [b.spread for b in boxes])
    boxes = [b for b in boxes if b.spread == s]  # a box's shapes all have its spread
    kept = []  # records within s, with the last width's range at spread s and the coefficients
    for _, u1, *rest in found:
        inner = tuple(rest)
        top, bottom = max(*inner, u1, *held), min(*inner, u1, *held)
        if top - bottom <= s:
            lom, him = e.end_range(inner[-1], first=False)
            kept.append((u1, inner, max(lom, top - s), min(him, bottom + s), e.coefficients(inner)))
    options: list[tuple[int, int]] = []
    for u1, inner, lom, him, (alpha, gamma, delta) in kept:
        lo, hi = e.last_interval(u1, inner, lom, him)
        if lo > hi:
            continue
        near = (target - delta - alpha * u1) // gamma
        for um in {min(max(v, lo), hi) for v in (near, near + 1)}:
            count = e.count((u1, *inner, um))
            options.append((abs(count - target), count))
    for box in boxes:
        worst = min(options)[0] if options else target + e.high
        if (nearest := box.nearest(target, (e.low, e.high), worst)) is not None:
            options.append(nearest)
    _, count = min(options)
    shapes = []
    for u1, inner, lo, hi, (alpha, gamma, delta) in kept:  # every shape of that count, smallest
        rest_count = count - delta - alpha * u1
        if rest_count % gamma == 0 and lo <= rest_count // gamma <= hi:
            shapes.append((u1, *inner, rest_count // gamma))
    for box in boxes:
        if (u1 := box.least_first(count)) is not None:
            shapes.append((u1, *box.inner, (count - box.delta - box.alpha * u1) // box.gamma))
    return min(shapes), count
