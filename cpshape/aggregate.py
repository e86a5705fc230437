"""The window DP on aggregates, for depths >= 4 (pure Python).

Write every width as ``b_i = q*(w + d_i)`` with ``0 <= d_i <= s``. Expanding the count,

    count = F0(w) + q^2*w*D + q*(a*d_1 + c*d_m) + q^2*T + beta*q*(D + d_1 + d_m)/2,

where ``F0(w)`` is the uniform count at width ``q*w``, ``D = d_1 + d_m + 2*(d_2 + ... +
d_(m-1))`` and ``T = sum d_i*d_(i+1)``. The reachable ``(d_1, d_m, D, T)`` do not depend on
``w``: one small DP per span serves every base width. Each ``(D, T)`` is one bit of an
integer (index ``D*(T_max+1) + T``), so a DP step is a shift, as in :mod:`cpshape.dp`, but
on bitsets of ``(2ms+1)(ms^2+1)`` bits instead of the count's whole range.

It applies when the window's rules do not depend on ``w``: no pins, width bounds that do
not cut the window, and ratio rules that every pair of widths in the window satisfies
(monotone rules are fine: they compare the ``d_i``; so is a ratio bound of exactly 1, the
monotone rule it implies). Otherwise the solver uses the window DP. The shared count's
listing of every count at once needs only the pairs ``(D, K)``: :mod:`cpshape.listing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .dp import BudgetExhausted, DepthDP, WorkBudget
from .spec import Monotone

__all__ = [
    "AggregateReach",
    "aggregate_applies",
    "reach_aggregate",
]

#: Budget words per row of the tables and base window that :func:`reach_aggregate` passes
#: over in Python (about 2 us here, at 2-4 s per 1e9 words).
ROW_WORDS = 512


def aggregate_applies(dp: DepthDP, base: int, span: int) -> bool:
    """Whether the window ``q*[base, base+span]`` has rules independent of ``base``."""
    r, q = dp.rules, dp.rules.multiple_of
    lo, hi = q * base, q * (base + span)
    if dp.depth < 4 or r.pins or lo < r.min_width or (r.max_width is not None and hi > r.max_width):
        return False
    if r.max_ratio is not None and hi * r.max_ratio.denominator > r.max_ratio.numerator * lo:
        return False
    if r.ratio_range is not None:
        rlo, rhi = r.ratio_range
        # every ratio x/y in the window lies in [lo/hi, hi/lo]; it must sit inside [rlo, rhi],
        # except that a bound of exactly 1 is the monotone rule it implies (see _monotone)
        if rlo != 1 and lo * rlo.denominator < rlo.numerator * hi:
            return False
        if rhi != 1 and hi * rhi.denominator > rhi.numerator * lo:
            return False
        if _monotone(dp) is None or (rlo == rhi == 1 and span):
            return False
    return True


def _monotone(dp: DepthDP) -> Monotone | None:
    """The order rule between consecutive widths: the monotone rule, or the one a ratio bound
    of exactly 1 implies (``width / next >= 1`` is non-increasing, ``<= 1`` non-decreasing);
    ``None`` when the two disagree."""
    mono, ratio = dp.rules.monotone, dp.rules.ratio_range
    implied = Monotone.NONE
    if ratio is not None and ratio[0] == 1:
        implied = Monotone.NON_INCREASING
    elif ratio is not None and ratio[1] == 1:
        implied = Monotone.NON_DECREASING
    if Monotone.NONE in (mono, implied) or mono is implied:
        return implied if mono is Monotone.NONE else mono
    return None


@dataclass(frozen=True)
class _Tables:
    """Backward sets per last offset ``d_m``: ``sets[dm][i][d]`` over ``(D_rest, T_rest)``."""

    span: int
    t_row: int
    sets: dict[int, list[list[int]]]
    rows: list[tuple[int, int, int, int]]  # (d1, dm, D, bits over T) for every non-empty row


def _allowed(mono: Monotone, d: int, e: int) -> bool:
    """The monotone rule between consecutive offsets (the only pair rule left at this point)."""
    if mono is Monotone.NON_INCREASING:
        return e <= d
    if mono is Monotone.NON_DECREASING:
        return e >= d
    return True


def _tables(dp: DepthDP, span: int, budget: WorkBudget) -> _Tables:
    m, s = dp.depth, span
    t_row = (m - 1) * s * s + 1
    mono = _monotone(dp)
    assert mono is not None  # aggregate_applies

    # Charge the whole table up front (at most (s+1)^2 shifts per layer and end offset, each of
    # up to (2ms+1)(ms^2+1) bits), so that a span too large for the budget is never started.
    budget.spend((s + 1) ** 3 * (m - 1) * (2 * m * s + 1) * t_row // 4)
    if budget.exhausted:
        raise BudgetExhausted
    sets: dict[int, list[list[int]]] = {}
    for dm in range(s + 1):
        layers: list[list[int]] = [[0] * (s + 1) for _ in range(m)]
        layers[m - 1][dm] = 1 << (dm * t_row)  # D gets d_m once (an end layer), T nothing yet
        for i in range(m - 2, -1, -1):
            weight = 1 if i == 0 else 2
            for d in range(s + 1):
                acc = 0
                for e, bits in enumerate(layers[i + 1]):
                    if bits and _allowed(mono, d, e):
                        acc |= bits << (weight * d * t_row + d * e)
                layers[i][d] = acc
            if budget.deadline is not None and budget.exhausted:
                raise BudgetExhausted
        sets[dm] = layers
    rows = []
    mask = (1 << t_row) - 1
    for dm, layers in sets.items():
        for d1, bits in enumerate(layers[0]):
            big_d = 0
            while bits:
                if row := bits & mask:
                    rows.append((d1, dm, big_d, row))
                bits >>= t_row
                big_d += 1
    return _Tables(s, t_row, sets, rows)


@dataclass(frozen=True)
class AggregateReach:
    """Counts reachable with base ``w`` at span ``s``, through the shared aggregate tables."""

    dp: DepthDP
    tables: _Tables
    w: int
    low: int
    high: int

    @cached_property
    def _f0(self) -> int:
        return self.dp.uniform(self.w)

    def _offset(self, d1: int, dm: int, big_d: int) -> int:
        """The count of every shape in row ``(d1, dm, D)`` with ``T = 0``."""
        dp, q, beta = self.dp, self.dp.rules.multiple_of, int(self.dp.bias)
        ends = q * (dp.input_size * d1 + dp.output_size * dm)
        return self._f0 + q * q * self.w * big_d + ends + beta * q * (big_d + d1 + dm) // 2

    def ceil(self, count: int) -> int | None:
        qq, best = self.dp.rules.multiple_of**2, None
        count = max(count, self.low)
        for d1, dm, big_d, row in self.tables.rows:
            base = self._offset(d1, dm, big_d)
            k = max(0, -((base - count) // qq))  # least k with base + qq*k >= count
            if above := row >> k:
                n = base + qq * (k + (above & -above).bit_length() - 1)
                if n <= self.high and (best is None or n < best):
                    best = n
        return best

    def floor(self, count: int) -> int | None:
        qq, best = self.dp.rules.multiple_of**2, None
        count = min(count, self.high)
        for d1, dm, big_d, row in self.tables.rows:
            base = self._offset(d1, dm, big_d)
            if count < base:
                continue
            k = (count - base) // qq  # greatest k with base + qq*k <= count
            if below := row & ((1 << (k + 1)) - 1):
                n = base + qq * (below.bit_length() - 1)
                if n >= self.low and (best is None or n > best):
                    best = n
        return best

    def hits(self, count: int) -> bool:
        return self.low <= count <= self.high and self._solutions(count) != []

    def _solutions(self, count: int) -> list[tuple[int, int, int, int]]:
        qq = self.dp.rules.multiple_of**2
        sols = []
        for d1, dm, big_d, row in self.tables.rows:
            rest = count - self._offset(d1, dm, big_d)
            if rest >= 0 and rest % qq == 0 and (row >> (rest // qq)) & 1:
                sols.append((d1, dm, big_d, rest // qq))
        return sols

    def widths(self, count: int, budget: WorkBudget) -> tuple[int, ...] | None:
        """Smallest widths: choose ``d_1, d_2, ...`` greedily among the surviving aggregates."""
        tb, q, m = self.tables, self.dp.rules.multiple_of, self.dp.depth
        solutions = self._solutions(count)
        if not solutions:
            return None
        chosen: list[int] = []
        prev = None
        alive: list[tuple[int, int, int]] = []
        mono = _monotone(self.dp) or Monotone.NONE
        for i in range(m):
            weight = 1 if i in (0, m - 1) else 2
            for d in range(tb.span + 1):
                if prev is not None and not _allowed(mono, prev, d):
                    continue
                nxt = []
                if i == 0:  # the first offset is part of each solution's count
                    alive = [(dm, big_d, t) for d1, dm, big_d, t in solutions if d1 == d]
                for dm, big_d, t in alive:
                    t_here = t - (prev * d if prev is not None else 0)
                    if t_here < 0 or big_d < 0:
                        continue
                    if (tb.sets[dm][i][d] >> (big_d * tb.t_row + t_here)) & 1:
                        nxt.append((dm, big_d - weight * d, t_here))
                if nxt:
                    chosen.append(d)
                    alive, prev = nxt, d
                    break
            else:
                return None
        return tuple(q * (self.w + d) for d in chosen)

    def band_bits(self, low: int, budget: WorkBudget) -> int:
        """Every count as a bitset from ``low``; each row costs a few operations on integers as
        wide as the band (charged, and ``BudgetExhausted`` raised when the budget runs out:
        a side band of 10^8 counts once took minutes past a 1 s limit)."""
        qq = self.dp.rules.multiple_of**2
        bits, width = 0, self.high - self.low + 1
        mask = (1 << width) - 1
        for d1, dm, big_d, row in self.tables.rows:
            budget.spend(4 * (width + self.low - low))
            if budget.exhausted:
                raise BudgetExhausted
            base = self._offset(d1, dm, big_d)
            if qq == 1:  # consecutive T are consecutive counts: one shift
                row = (row << (base - self.low)) if base >= self.low else (row >> (self.low - base))
                bits |= (row & mask) << (self.low - low)
                continue
            while row:
                k = (row & -row).bit_length() - 1
                n = base + qq * k
                if self.low <= n <= self.high:
                    bits |= 1 << (n - low)
                    budget.spend(n - low)
                row &= row - 1
        return bits


def reach_aggregate(
    dp: DepthDP, span: int, bases: list[int], low: int, high: int, budget: WorkBudget
) -> list[AggregateReach]:
    """The windows ``bases`` (all passing :func:`aggregate_applies`) that reach the band."""
    if not bases:
        return []
    tables = _tables(dp, span, budget)
    # one Python pass over the rows per base, about 2 us a row (it was charged a word a row:
    # 784 -> 10-like side bands of 10^8 counts ran 1.75e6 rows, 3 s, past a 1 s limit)
    budget.spend(64 * ROW_WORDS * len(tables.rows) * len(bases))
    if budget.exhausted:
        raise BudgetExhausted
    found = []
    for w in bases:
        reach = AggregateReach(dp, tables, w, low, high)
        if reach.ceil(low) is not None:
            found.append(reach)
    return found
