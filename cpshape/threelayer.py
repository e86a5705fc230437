"""Depth 3 exactly, by the middle width (pure Python).

With the middle width fixed, the count is linear in the outer two (``u = b / q``):

    count = alpha * u1 + gamma * u3 + delta,
    alpha = q*(a + q*u2 + beta),  gamma = q*(q*u2 + c + beta),  delta = beta*(q*u2 + c),

so for each ``(u2, u1)`` the valid ``u3`` form one interval (band, width bounds, pins and
the ratio/monotone rules with ``u2`` are all bounds on ``u3``), and the best ``u3`` for the
spread or for the deviation is read off in O(1). The search walks ``u2`` outwards from the
uniform width and ``u1`` outwards from ``u2``, and stops once no shape there can beat the
best spread found: an exhaustive, exact search whose cost grows with the square of the
optimal spread, not with the count.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from fractions import Fraction

from .counting import uniform_count
from .dp import BudgetExhausted, WorkBudget
from .spec import Constraints, Monotone

__all__ = ["solve_depth3"]

Shape = tuple[int, int, int]


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _floor(x: Fraction) -> int:
    return x.numerator // x.denominator


class _Depth3:
    def __init__(self, a: int, c: int, bias: bool, rules: Constraints, low: int, high: int) -> None:
        self.a, self.c, self.beta, self.rules = a, c, int(bias), rules
        self.q = rules.multiple_of
        self.low, self.high = low, high
        q = self.q
        self.u_min = max(1, -(-rules.min_width // q))
        self.u_max = rules.max_width // q if rules.max_width is not None else high
        self.pins = {layer: w // q for layer, w in rules.pins}

    def coefficients(self, u2: int) -> tuple[int, int, int]:
        q, b = self.q, self.beta
        return q * (self.a + q * u2 + b), q * (q * u2 + self.c + b), b * (q * u2 + self.c)

    def count(self, u: Shape) -> int:
        alpha, gamma, delta = self.coefficients(u[1])
        return alpha * u[0] + gamma * u[2] + delta

    def neighbour_range(self, u2: int, layer: int) -> tuple[int, int]:
        """Units allowed for layer 1 or 3 next to middle ``u2``: bounds, pins and pair rules."""
        lo, hi = self.u_min, self.u_max
        if layer in self.pins:
            lo, hi = max(lo, self.pins[layer]), min(hi, self.pins[layer])
        r = self.rules
        bounds: list[tuple[Fraction, Fraction]] = []  # ratio (outer / middle) bounds
        if r.max_ratio is not None:
            bounds.append((1 / r.max_ratio, r.max_ratio))
        if r.ratio_range is not None:  # b_i / b_(i+1) in [lo, hi]
            rlo, rhi = r.ratio_range
            bounds.append((rlo, rhi) if layer == 1 else (1 / rhi, 1 / rlo))
        decreasing = r.monotone is Monotone.NON_INCREASING
        if r.monotone is not Monotone.NONE:
            one = Fraction(1)
            outer_bigger = decreasing == (layer == 1)
            bounds.append((one, Fraction(10**30)) if outer_bigger else (Fraction(0), one))
        for f_lo, f_hi in bounds:
            lo, hi = max(lo, _ceil(f_lo * u2)), min(hi, _floor(f_hi * u2))
        return lo, hi

    def middles(self) -> tuple[int, int]:
        lo, hi = self.u_min, self.u_max
        if 2 in self.pins:
            lo, hi = max(lo, self.pins[2]), min(hi, self.pins[2])
        return lo, hi

    def u3_interval(self, u1: int, u2: int, lo3: int, hi3: int, low: int, high: int) -> tuple[int, int]:
        alpha, gamma, delta = self.coefficients(u2)
        rest_lo, rest_hi = low - delta - alpha * u1, high - delta - alpha * u1
        return max(lo3, -(-rest_lo // gamma)), min(hi3, rest_hi // gamma)

    def outer_candidates(self, u2: int, lo: int, hi: int, best: float) -> Iterator[int]:
        """``u1`` values that can reach the band with middle ``u2``, nearest to ``u2`` first.

        When the band is narrower than ``gamma``, ``alpha*u1 + gamma*u3`` hits it only for
        ``u1`` in a few residue classes mod ``gamma/g`` (solved by a modular inverse), so
        only those are visited; otherwise every ``u1`` is.
        """
        alpha, gamma, delta = self.coefficients(u2)
        width = self.high - self.low + 1
        if width >= gamma or width > 4096:
            yield from self.walk(u2, lo, hi)
            return
        g = math.gcd(alpha, gamma)
        modulus = gamma // g
        residues = {(r - delta) // g for r in range(self.low, self.high + 1) if (r - delta) % g == 0}
        if modulus <= 64 * max(1, len(residues)):
            yield from self.walk(u2, lo, hi)  # dense: most u1 can reach the band anyway
            return
        inverse = pow(alpha // g, -1, modulus)
        classes = {r * inverse % modulus for r in residues}

        def side(start: int, step: int) -> Iterator[tuple[int, int]]:
            v = start
            while lo <= v <= hi or (step > 0 and v < lo) or (step < 0 and v > hi):
                if lo <= v <= hi:
                    yield abs(v - u2), v
                v += step

        streams = []
        for r in classes:
            below = u2 - (u2 - r) % modulus
            streams += [side(below, -modulus), side(below + modulus, modulus)]
        for _, v in heapq.merge(*streams):
            yield v

    def walk(self, center: int, lo: int, hi: int) -> Iterator[int]:
        """``lo..hi`` ordered by distance from ``center``."""
        center = min(max(center, lo), hi)
        yield center
        for k in range(1, hi - lo + 1):
            if center - k < lo and center + k > hi:
                return
            if center + k <= hi:
                yield center + k
            if center - k >= lo:
                yield center - k


def _center(d: _Depth3, target: int) -> int:
    """Uniform width (in units) whose count is nearest the target: where the walk starts."""
    lo, hi = 1, max(1, math.isqrt(target))
    while lo < hi:
        mid = (lo + hi) // 2
        if uniform_count(d.a, d.c, 3, d.q * mid, bool(d.beta)) < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def solve_depth3(
    a: int, c: int, bias: bool, rules: Constraints, band: tuple[int, int], target: int, budget: WorkBudget
) -> tuple[tuple[int, ...], int] | None:
    """Least spread, then least |deviation| (count below on a tie), then smallest widths.

    Returns ``(widths, count)``, or ``None`` when no depth-3 shape lies in the band (proven
    by exhausting every middle width). Raises ``BudgetExhausted`` if the budget runs out.
    """
    low, high = band
    d = _Depth3(a, c, bias, rules, low, high)
    limit = rules.max_spread // d.q if rules.max_spread is not None else None
    m_lo, m_hi = d.middles()
    best = math.inf  # least spread (units) seen
    candidates: list[tuple[int, int]] = []  # (u2, u1) pairs examined, for the later stages

    def spread_bound_ok(u2: int, s: float) -> bool:
        """Can any shape with middle u2 and spread <= s reach the band? (monotone bounds)"""
        if s == math.inf:
            return True
        s = int(s)
        top = (u2 + s, u2, u2 + s)
        bottom = (max(1, u2 - s), u2, max(1, u2 - s))
        return d.count(top) >= low and d.count(bottom) <= high

    center = min(max(_center(d, target), m_lo), m_hi)
    floor_units = d.u_min
    for direction in (range(center, m_hi + 1), range(center - 1, m_lo - 1, -1)):
        for u2 in direction:
            if direction.step > 0 and d.count((floor_units, u2, floor_units)) > high:
                break  # every wider middle overshoots the band
            if not spread_bound_ok(u2, best):
                break  # monotone in u2: further out can only be worse
            lo1, hi1 = d.neighbour_range(u2, 1)
            lo3, hi3 = d.neighbour_range(u2, 3)
            if lo1 > hi1 or lo3 > hi3:
                continue
            if budget.exhausted:
                raise BudgetExhausted
            for u1 in d.outer_candidates(u2, lo1, hi1, best):
                budget.spend(64 * 8)
                if abs(u1 - u2) > best:
                    if abs(u1 - u2) > best + 1:
                        break
                    continue
                i_lo, i_hi = d.u3_interval(u1, u2, lo3, hi3, low, high)
                if i_lo > i_hi:
                    continue
                u3 = min(max(min(u1, u2), i_lo), i_hi)  # nearest to the span of u1 and u2
                spread = max(u1, u2, u3) - min(u1, u2, u3)
                if limit is not None and spread > limit:
                    continue
                candidates.append((u2, u1))
                best = min(best, spread)
    if best == math.inf:
        return None
    s = int(best)
    # Stage 2: least |deviation| at spread <= s; stage 3: count below on a tie, smallest widths.
    options: list[tuple[int, int, Shape]] = []
    for u2, u1 in candidates:
        if abs(u1 - u2) > s:
            continue
        lo3, hi3 = d.neighbour_range(u2, 3)
        lo3, hi3 = max(lo3, max(u1, u2) - s), min(hi3, min(u1, u2) + s)
        i_lo, i_hi = d.u3_interval(u1, u2, lo3, hi3, low, high)
        if i_lo > i_hi:
            continue
        alpha, gamma, delta = d.coefficients(u2)
        near = (target - delta - alpha * u1) // gamma
        for u3 in {min(max(v, i_lo), i_hi) for v in (near, near + 1)}:
            n = d.count((u1, u2, u3))
            options.append((abs(n - target), n, (u1, u2, u3)))
    _dev, count, _ = min(options)
    shapes = []
    for u2, u1 in candidates:
        if abs(u1 - u2) > s:
            continue
        lo3, hi3 = d.neighbour_range(u2, 3)
        lo3, hi3 = max(lo3, max(u1, u2) - s), min(hi3, min(u1, u2) + s)
        alpha, gamma, delta = d.coefficients(u2)
        rest = count - delta - alpha * u1
        if rest % gamma == 0 and lo3 <= rest // gamma <= hi3:
            shapes.append((u1, u2, rest // gamma))
    u = min(shapes)
    return tuple(d.q * x for x in u), count
