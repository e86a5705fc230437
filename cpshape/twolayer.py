"""Depth 2 exactly, one spread at a time, and depth 1 (pure Python).

At depth 2 the spread is ``|b_1 - b_2|``, often large (784 -> 10 at 100,000 weights needs
[70, 564]), so the window DP would walk thousands of spans. Instead fix the spread
``s = q*t`` and the direction: the shape is ``(x, x+s)`` or ``(x+s, x)`` with ``x = q*u``.
Its count is strictly increasing in ``u``; every pair rule is a bound on the ratio
``rho = b_1/b_2``, which is monotone in ``u``; width bounds and pins bound ``u`` directly.
So the valid ``u`` form one interval, found by bisection with exact integer tests, and the
count closest to any target is a bisection too: O(log P) work per spread. Depth 1 is the
same with a single width (``LineReach``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from .counting import chain, count_params
from .dp import WorkBudget, pair_rule
from .spec import Constraints, Monotone, Prefer, Problem

__all__ = [
    "LineReach",
    "PairReach",
    "by_listing",
    "depth2_by_divisors",
    "divisors",
    "reach_line",
    "reach_pairs",
    "shapes_with_count",
]

#: Depth 2 enumerates every shape by factorisation when the band holds at most this many counts
#: (spread first), or scans outwards from the target through at most this many (deviation first).
DIVISOR_BAND = 1024
DIVISOR_SCAN = 20_000
#: Work charged per spread examined (in the DP budget's units), so both searches share one
#: budget: about its cost, 0.1-0.25 ms of bisections per spread here (784 -> 10, with and
#: without ratio rules), against 2-4 s per 1e9 words. (At 2,000 a shared count over a
#: depth-2 chain far from uniform walked 115,000 spreads, 15 s, inside a 5 s budget.)
WORK_PER_SPREAD = 40_000


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

    def shape(self, u: int) -> tuple[int, ...]:
        small, large = self.q * u, self.q * (u + self.t)
        return (large, small) if self.wide_first else (small, large)

    def count(self, u: int) -> int:
        return count_params(chain(self.input_size, self.shape(u), self.output_size), self.bias)

    def _below(self, target: int) -> int:
        """Largest ``u`` in range with count <= target (``u_lo - 1`` if none)."""
        return _first_true(self.u_lo, self.u_hi, lambda u: self.count(u) > target) - 1

    def ceil(self, count: int) -> int | None:
        u = self._below(count - 1) + 1
        return self.count(u) if u <= self.u_hi else None

    def floor(self, count: int) -> int | None:
        u = self._below(count)
        return self.count(u) if u >= self.u_lo else None

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


@dataclass(frozen=True)
class LineReach(PairReach):
    """Depth-1 shapes ``(q*u,)``, ``u`` in ``[u_lo, u_hi]``: the count is linear in ``u``."""

    def shape(self, u: int) -> tuple[int, ...]:
        return (self.q * u,)


def reach_line(
    input_size: int, output_size: int, bias: bool, rules: Constraints, low: int, high: int
) -> list[LineReach]:
    """The depth-1 shapes whose count lies in ``[low, high]`` (at most one piece)."""
    q = rules.multiple_of
    lo, hi = max(1, -(-rules.min_width // q)), high
    if rules.max_width is not None:
        hi = min(hi, rules.max_width // q)
    for _, width in rules.pins:
        lo, hi = max(lo, width // q), min(hi, width // q)
    piece = LineReach(input_size, output_size, bias, q, 0, False, lo, hi)
    lo = max(lo, _first_true(lo, hi, lambda u: piece.count(u) >= low))
    hi = min(hi, _first_true(lo, hi, lambda u: piece.count(u) > high) - 1)
    return [LineReach(input_size, output_size, bias, q, 0, False, lo, hi)] if lo <= hi else []


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
    input_size: int,
    output_size: int,
    bias: bool,
    rules: Constraints,
    t: int,
    low: int,
    high: int,
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


# ------------------------------------------------------------ every shape of one count
def _is_prime(n: int) -> bool:
    """Deterministic Miller-Rabin for n < 3.3e24 (bases 2..41)."""
    if n < 2:
        return False
    small = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
    for p in small:
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in small:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _factor(n: int, out: dict[int, int]) -> None:
    """Prime factorisation by trial division of small primes, then Pollard's rho (Brent)."""
    for p in (2, 3, 5, 7, 11, 13):
        while n % p == 0:
            out[p] = out.get(p, 0) + 1
            n //= p
    if n == 1:
        return
    if _is_prime(n):
        out[n] = out.get(n, 0) + 1
        return
    c = 1
    while True:
        x = y = 2
        d = 1
        while d == 1:
            x = (x * x + c) % n
            y = (y * y + c) % n
            y = (y * y + c) % n
            d = math.gcd(abs(x - y), n)
        if d != n:
            _factor(d, out)
            _factor(n // d, out)
            return
        c += 1


def divisors(n: int) -> list[int]:
    """All positive divisors of ``n`` in increasing order."""
    primes: dict[int, int] = {}
    _factor(n, primes)
    divs = [1]
    for p, e in primes.items():
        divs = [d * p**k for d in divs for k in range(e + 1)]
    return sorted(divs)


def shapes_with_count(
    input_size: int, output_size: int, bias: bool, rules: Constraints, count: int
) -> list[tuple[int, int]]:
    """Every valid depth-2 shape whose count is exactly ``count``, from the factorisation

    count = (b1 + c + beta) * (b2 + a + beta) - (a + beta) * (c + beta) + beta * c,  beta = bias,

    so the shapes are the divisor pairs of ``count + (a + beta)(c + beta) - beta*c``.
    """
    a, c, beta = input_size, output_size, int(bias)
    if count < 1:
        return []
    product = count + (a + beta) * (c + beta) - beta * c
    found = []
    check = pair_rule(rules)
    pins = rules.pin_map()
    for x in divisors(product):
        b1, b2 = x - c - beta, product // x - a - beta
        if b1 < 1 or b2 < 1:
            continue
        widths = (b1, b2)
        if any(w % rules.multiple_of or w < rules.min_width for w in widths):
            continue
        if rules.max_width is not None and max(widths) > rules.max_width:
            continue
        if rules.max_spread is not None and abs(b1 - b2) > rules.max_spread:
            continue
        if any(widths[layer - 1] != width for layer, width in pins.items()):
            continue
        if check is None or check(b1, b2):
            found.append(widths)
    return found


def depth2_by_divisors(
    problem: Problem, band: tuple[int, int]
) -> tuple[tuple[int, ...], int] | tuple[()] | None:
    """Depth 2 by factorisation: every shape of a count is a divisor pair (:func:`shapes_with_count`).

    Returns the optimal ``(widths, count)``, ``()`` when the band holds no shape (proven:
    every count in it was factorised), or ``None`` when the band is too wide to enumerate.
    """
    a, c, rules = problem.input_size, problem.output_size, problem.constraints

    def shapes(count: int) -> list[tuple[int, ...]]:
        return list(shapes_with_count(a, c, problem.bias, rules, count))

    return by_listing(problem, band, shapes)


def by_listing(
    problem: Problem, band: tuple[int, int], shapes: Callable[[int], list[tuple[int, ...]]]
) -> tuple[tuple[int, ...], int] | tuple[()] | None:
    """The optimum over every shape ``shapes(count)`` lists for the counts of the band, in
    the solver's order (spread, |deviation|, count, widths; or deviation first): ``()`` when
    no count has one, ``None`` when the band holds too many counts to list."""
    low, high = band
    target = problem.params
    if problem.prefer is Prefer.SPREAD:
        if high - low >= DIVISOR_BAND:
            return None
        keys = [(max(w) - min(w), abs(n - target), n, w) for n in range(low, high + 1) for w in shapes(n)]
        return (min(keys)[3], min(keys)[2]) if keys else ()
    for k in range(max(high - target, target - low) + 1):
        if k >= DIVISOR_SCAN:
            return None
        keys = [
            (max(w) - min(w), n, w)
            for n in sorted({target - k, target + k})
            if low <= n <= high
            for w in shapes(n)
        ]
        if keys:
            return min(keys)[2], min(keys)[1]
    return ()
