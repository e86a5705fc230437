"""Depth 2 exactly, one spread at a time (pure Python).

At depth 2 the spread is ``|b_1 - b_2|``, often large (784 -> 10 at 100,000 weights needs
[70, 564]), so the window DP would walk thousands of spans. Instead fix the spread
``s = q*t`` and the direction: the shape is ``(x, x+s)`` or ``(x+s, x)`` with ``x = q*u``.
Its count is strictly increasing in ``u``; every pair rule is a bound on the ratio
``rho = b_1/b_2``, which is monotone in ``u``; width bounds and pins bound ``u`` directly.
So the valid ``u`` form one interval, found by bisection with exact integer tests, and the
count closest to any target is a bisection too: O(log P) work per spread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from .counting import chain, count_params
from .dp import WorkBudget
from .spec import Constraints, Monotone

__all__ = ["PairReach", "reach_pairs"]

#: Work charged per spread examined (in the DP budget's units), so both searches share one budget.
WORK_PER_SPREAD = 2_000


def _first_true(lo: int, hi: int, pred: Callable[[int], bool]) -> int:
    """Smallest ``u`` in ``[lo, hi]`` with ``pred(u)`` for a predicate false-then-true; else ``hi + 1``."""
    while lo <= hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid - 1
        else:
            lo = mid + 1
    return lo


@dataclass(frozen=True)
class PairReach:
    """Depth-2 shapes with spread exactly ``q*t`` in one direction, ``u`` in ``[u_lo, u_hi]``."""

    input_size: int
    output_size: int
    bias: bool
    q: int
    t: int
    wide_first: bool  # (x+s, x) when true, (x, x+s) when false
    u_lo: int
    u_hi: int

    def shape(self, u: int) -> tuple[int, int]:
        small, large = self.q * u, self.q * (u + self.t)
        return (large, small) if self.wide_first else (small, large)

    def count(self, u: int) -> int:
        return count_params(chain(self.input_size, self.shape(u), self.output_size), self.bias)

    def _below(self, target: int) -> int:
        """Largest ``u`` in range with count <= target (``u_lo - 1`` if none)."""
        return _first_true(self.u_lo, self.u_hi, lambda u: self.count(u) > target) - 1

    def nearest(self, target: int) -> list[int]:
        u = self._below(target)
        return [self.count(v) for v in (u, u + 1) if self.u_lo <= v <= self.u_hi]

    def hits(self, count: int) -> bool:
        u = self._below(count)
        return u >= self.u_lo and self.count(u) == count

    def widths(self, count: int, budget: WorkBudget) -> tuple[int, ...] | None:
        u = self._below(count)
        return self.shape(u) if u >= self.u_lo and self.count(u) == count else None

    def band_bits(self, low: int, budget: WorkBudget) -> int:
        bits = 0
        for u in range(self.u_lo, self.u_hi + 1):
            bits |= 1 << (self.count(u) - low)
        budget.spend(64 * (self.u_hi - self.u_lo + 1))
        return bits


def _ratio_bounds(rules: Constraints) -> tuple[Fraction | None, Fraction | None]:
    """Every pair rule as bounds on rho = b_1 / b_2."""
    lows: list[Fraction] = []
    highs: list[Fraction] = []
    if rules.max_ratio is not None:
        lows.append(1 / rules.max_ratio)
        highs.append(rules.max_ratio)
    if rules.ratio_range is not None:
        lows.append(rules.ratio_range[0])
        highs.append(rules.ratio_range[1])
    if rules.monotone is Monotone.NON_INCREASING:
        lows.append(Fraction(1))
    elif rules.monotone is Monotone.NON_DECREASING:
        highs.append(Fraction(1))
    return (max(lows) if lows else None), (min(highs) if highs else None)


def reach_pairs(
    input_size: int, output_size: int, bias: bool, rules: Constraints, t: int, low: int, high: int,
    budget: WorkBudget,
) -> list[PairReach]:
    """Depth-2 shapes of spread exactly ``q*t`` whose count lies in ``[low, high]``."""
    budget.spend(64 * WORK_PER_SPREAD)
    q = rules.multiple_of
    rho_lo, rho_hi = _ratio_bounds(rules)
    pins = rules.pin_map()
    found = []
    for wide_first in (False, True) if t else (False,):
        piece = PairReach(input_size, output_size, bias, q, t, wide_first, 1, high)
        lo, hi = max(1, -(-rules.min_width // q)), high
        if rules.max_width is not None:
            hi = min(hi, rules.max_width // q - t)
        for layer, width in pins.items():
            b1_small = (layer == 1) != wide_first  # is this layer the narrow one?
            u = width // q if b1_small else width // q - t
            lo, hi = max(lo, u), min(hi, u)
        if lo > hi:
            continue

        def rho(u: int, piece: PairReach = piece) -> Fraction:
            b1, b2 = piece.shape(u)
            return Fraction(b1, b2)

        # rho grows with u for (x, x+s) and shrinks for (x+s, x); constant when t == 0.
        if rho_lo is not None:
            if t == 0 or not wide_first:
                lo = max(lo, _first_true(lo, hi, lambda u, r=rho_lo: rho(u) >= r))
            else:
                hi = min(hi, _first_true(lo, hi, lambda u, r=rho_lo: rho(u) < r) - 1)
        if rho_hi is not None and lo <= hi:
            if t == 0 or wide_first:
                lo = max(lo, _first_true(lo, hi, lambda u, r=rho_hi: rho(u) <= r))
            else:
                hi = min(hi, _first_true(lo, hi, lambda u, r=rho_hi: rho(u) > r) - 1)
        if lo > hi:
            continue
        lo = max(lo, _first_true(lo, hi, lambda u, p=piece: p.count(u) >= low))
        hi = min(hi, _first_true(lo, hi, lambda u, p=piece: p.count(u) > high) - 1)
        if lo <= hi:
            found.append(PairReach(input_size, output_size, bias, q, t, wide_first, lo, hi))
    return found
