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
from dataclasses import replace
from fractions import Fraction

from .counting import chain, count_params, uniform_count
from .dp import pair_rule
from .spec import Constraints, Monotone

__all__ = ["Ends", "uniform_center"]


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _floor(x: Fraction) -> int:
    return x.numerator // x.denominator


def _ratio_bounds(r: Constraints, neighbour: int, lo: int, hi: int, after: bool) -> tuple[int, int]:
    """``lo..hi`` cut to the units the pair rules allow a layer right after ``neighbour``
    (``after``) or right before it."""
    bounds: list[tuple[Fraction, Fraction]] = []  # bounds on the layer / neighbour
    if r.max_ratio is not None:
        bounds.append((1 / r.max_ratio, r.max_ratio))
    if r.ratio_range is not None:  # b_i / b_(i+1) in [lo, hi]
        rlo, rhi = r.ratio_range
        bounds.append((1 / rhi, 1 / rlo) if after else (rlo, rhi))
    if r.monotone is not Monotone.NONE:
        bigger = (r.monotone is Monotone.NON_INCREASING) != after
        bounds.append((Fraction(1), Fraction(10**30)) if bigger else (Fraction(0), Fraction(1)))
    for f_lo, f_hi in bounds:
        lo, hi = max(lo, _ceil(f_lo * neighbour)), min(hi, _floor(f_hi * neighbour))
    return lo, hi


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
        rule = pair_rule(rules)
        self.pair_ok = (lambda x, y: True) if rule is None else (lambda x, y: rule(self.q * x, self.q * y))
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
        bounds = _ratio_bounds(self.rules, p, e.u_min, e.u_max, after=first)
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
        widths = tuple(self.q * u for u in units)
        return count_params(chain(self.a, widths, self.c), bool(self.beta))

    def end_range(self, neighbour: int, first: bool) -> tuple[int, int]:
        """Units allowed for layer 1 (``first``) or layer m next to ``neighbour``."""
        layer = 1 if first else self.m
        lo, hi = self.first_range if first else self.last_range
        if layer in self.pins:
            lo, hi = max(lo, self.pins[layer]), min(hi, self.pins[layer])
        return _ratio_bounds(self.rules, neighbour, lo, hi, after=not first)

    def last_interval(self, u1: int, inner: tuple[int, ...], lo: int, hi: int) -> tuple[int, int]:
        alpha, gamma, delta = self.coefficients(inner)
        rest_lo, rest_hi = self.low - delta - alpha * u1, self.high - delta - alpha * u1
        return max(lo, -(-rest_lo // gamma)), min(hi, rest_hi // gamma)

    def first_candidates(self, inner: tuple[int, ...], lo: int, hi: int, center: int) -> Iterator[int]:
        """``u_1`` values that can reach the band, nearest to ``center`` first."""
        alpha, gamma, delta = self.coefficients(inner)
        width = self.high - self.low + 1
        if width < gamma and width <= 4096:
            g = math.gcd(alpha, gamma)
            modulus = gamma // g
            residues = {(r - delta) // g for r in range(self.low, self.high + 1) if (r - delta) % g == 0}
            if modulus > 64 * max(1, len(residues)):
                inverse = pow(alpha // g, -1, modulus)
                classes = {r * inverse % modulus for r in residues}
                streams = []
                for r in classes:
                    below = center - (center - r) % modulus
                    streams += [
                        _side(below, -modulus, lo, hi, center),
                        _side(below + modulus, modulus, lo, hi, center),
                    ]
                for _, v in heapq.merge(*streams):
                    yield v
                return
        yield from _walk(center, lo, hi)


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
    lo, hi = 1, max(1, math.isqrt(target))
    while lo < hi:
        mid = (lo + hi) // 2
        if uniform_count(e.a, e.c, e.m, e.q * mid, bool(e.beta)) < target:
            lo = mid + 1
        else:
            hi = mid
    return lo
