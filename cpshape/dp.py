"""Exact dynamic programme over layers on big-integer bitsets (pure Python).

For one depth ``m`` and a *window* of widths (every hidden width a multiple of ``q`` in
``[q*w, q*(w+s)]``, so the spread is at most ``q*s``), the DP computes the exact set of
reachable parameter counts. It walks the layers from the output back to the input: for
each candidate width ``x`` of hidden layer ``i`` it keeps a bitset whose bit ``k`` says "the
edges from layer ``i`` to the output can add exactly ``base_i + k`` parameters". A
transition to a narrower or wider neighbour is a left shift by the edge's extra count;
user rules between consecutive layers (ratios, monotone) simply drop transitions and
per-layer rules (bounds, pins, multiple-of) drop candidates. Counts above the band's upper
end are masked away as they appear (every edge only adds), so a bitset never holds more
bits than the band allows.

Iterating ``s = 0, 1, 2, ...`` and taking the union over all base widths ``w`` proves the
least spread: the first ``s`` with a reachable count in the band is optimal because every
smaller ``s`` was shown, exhaustively, to reach none. The same bitsets give the least
``|deviation|`` at that spread and, walking forward greedily, the lexicographically smallest
widths that hit a chosen count. ``docs/model.md`` explains the method with these names.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from .budget import BudgetExhausted, Stopped, WorkBudget, least_span
from .counting import edge_count
from .spec import Constraints, Monotone
from .windows import Window, Windows, undominated

__all__ = [
    "BudgetExhausted",
    "DepthDP",
    "Reach",
    "Reachable",
    "Stopped",
    "Window",
    "WorkBudget",
    "band_bits",
    "best_count",
    "canonical_widths",
    "far_from_uniform",
    "least_span",
    "pair_factors",
    "pair_rule",
    "reach_windows",
    "within_pairs",
]

PairRule = Callable[[int, int], bool]
#: Budget words charged per pair of consecutive widths a DP step looks at (the pair rule's
#: check and the loop, about a microsecond here), on top of the shifts themselves.
PAIR_WORDS = 256
#: Shifts longer than this many bits check the budget at once (a shorter one costs less than
#: the check), so that a DP step over long bitsets stops inside its budget.
BIG_SHIFT = 1 << 16
#: Memory the window DP's bitsets may take at once (a window needing more is left to others).
MAX_DP_BYTES = 256 * 2**20


def pair_rule(rules: Constraints) -> PairRule | None:
    """The rules between consecutive hidden widths ``x -> y`` as one exact predicate."""
    checks: list[PairRule] = []
    if rules.max_ratio is not None:
        n, d = rules.max_ratio.numerator, rules.max_ratio.denominator
        checks.append(lambda x, y: x * d <= n * y and y * d <= n * x)
    if rules.ratio_range is not None:
        lo, hi = rules.ratio_range
        checks.append(
            lambda x, y: x * lo.denominator >= lo.numerator * y and x * hi.denominator <= hi.numerator * y
        )
    if rules.monotone is Monotone.NON_INCREASING:
        checks.append(lambda x, y: y <= x)
    elif rules.monotone is Monotone.NON_DECREASING:
        checks.append(lambda x, y: y >= x)
    if not checks:
        return None
    return lambda x, y: all(check(x, y) for check in checks)


#: One pair rule's bounds on a layer as fractions of its neighbour, ``(lo_num, lo_den,
#: hi_num, hi_den)``, ``hi_num`` ``None`` where there is no upper bound.
PairFactors = tuple[tuple[int, int, int | None, int], ...]


def pair_factors(r: Constraints, after: bool) -> PairFactors:
    """The pair rules' bounds on a width right after its neighbour (``after``) or right
    before it, as integer fractions of the neighbour (the same in units of ``q``): the
    widths :func:`pair_rule` allows next to a neighbour form one interval."""
    bounds: list[tuple[Fraction, Fraction | None]] = []  # bounds on the layer / neighbour
    if r.max_ratio is not None:
        bounds.append((1 / r.max_ratio, r.max_ratio))
    if r.ratio_range is not None:  # b_i / b_(i+1) in [lo, hi]
        rlo, rhi = r.ratio_range
        bounds.append((1 / rhi, 1 / rlo) if after else (rlo, rhi))
    if r.monotone is not Monotone.NONE:
        bigger = (r.monotone is Monotone.NON_INCREASING) != after
        bounds.append((Fraction(1), None) if bigger else (Fraction(0), Fraction(1)))
    return tuple(
        (lo.numerator, lo.denominator, None, 1)
        if hi is None
        else (lo.numerator, lo.denominator, hi.numerator, hi.denominator)
        for lo, hi in bounds
    )


def far_from_uniform(rules: Constraints) -> bool:
    """Whether the pair rules force every width a factor away from the next: a ratio range
    that excludes 1 (each layer at least ``lo > 1`` times the next, or at most ``hi < 1``)."""
    if rules.ratio_range is None:
        return False
    lo, hi = rules.ratio_range
    return lo > 1 or hi < 1


def within_pairs(factors: PairFactors, neighbour: int, lo: int, hi: int) -> tuple[int, int]:
    """``lo..hi`` cut to the widths the pair rules (``factors``) allow next to ``neighbour``."""
    for lo_num, lo_den, hi_num, hi_den in factors:
        lo = max(lo, -(-lo_num * neighbour // lo_den))
        if hi_num is not None:
            hi = min(hi, hi_num * neighbour // hi_den)
    return lo, hi


@dataclass(frozen=True)
class DepthDP(Windows):
    """The DP for one depth: sizes, bias switch, per-layer rules and pair rule (its windows:
    :class:`~cpshape.windows.Windows`)."""

    input_size: int
    output_size: int
    depth: int
    bias: bool
    rules: Constraints

    # ------------------------------------------------------------------ the DP
    def _edge_extra(self, x: int, y: int, x0: int, y0: int) -> int:
        return edge_count(x, y, self.bias) - edge_count(x0, y0, self.bias)

    def _layers(self, win: Window) -> tuple[list[tuple[int, ...]], int, int]:
        cands = list(win.candidates)
        base = self.count([c[0] for c in cands])
        return cands, base, win.high - base

    def backward(self, win: Window, budget: WorkBudget, keep: bool) -> tuple[int, int, list[dict[int, int]]]:
        """Reachable count offsets (bit k: count ``base + k``) and, if ``keep``, every layer's sets."""
        cands, base, cap = self._layers(win)
        if cap < 0:
            return 0, base, []
        after = pair_factors(self.rules, after=True)  # the pair rule as an interval of y
        c, m, bias = self.output_size, self.depth, self.bias
        # every pair of neighbouring candidates is looked at, kept by the pair rule or not:
        # charged up front, so that a window too wide for the budget is never started
        pairs = sum(len(cands[i]) * len(cands[i + 1]) for i in range(m - 1))
        budget.spend(64 * PAIR_WORDS * (pairs + len(cands[-1])))
        if budget.exhausted or max(cap + 1, self._set_bits(cands, cap, keep)) > 8 * MAX_DP_BYTES:
            raise BudgetExhausted  # (the mask alone holds cap + 1 bits)
        mask = (1 << (cap + 1)) - 1
        last0 = cands[-1][0]
        current = {
            x: (1 << extra) if (extra := self._edge_extra(x, c, last0, c)) <= cap else 0 for x in cands[-1]
        }
        kept = [current] if keep else []
        for i in range(m - 2, -1, -1):
            x0, y0 = cands[i][0], cands[i + 1][0]
            nxt: dict[int, int] = {}
            base_edge, widest = edge_count(x0, y0, bias), max(cands[i + 1])
            for x in cands[i]:
                acc = 0
                y_lo, y_hi = within_pairs(after, x, 0, widest)
                for y, bits in current.items():
                    if not bits or not y_lo <= y <= y_hi:
                        continue
                    extra = edge_count(x, y, bias) - base_edge
                    if extra <= cap:
                        shift = bits.bit_length() + extra
                        budget.spend(shift)
                        if shift > BIG_SHIFT and budget.exhausted:  # a few us of work each
                            raise BudgetExhausted
                        acc |= (bits << extra) & mask
                nxt[x] = acc
            if budget.exhausted:
                raise BudgetExhausted
            current = nxt
            if keep:
                kept.append(current)
        kept.reverse()
        a, first0 = self.input_size, cands[0][0]
        total = 0
        for x, bits in current.items():
            extra = self._edge_extra(a, x, a, first0)
            if bits and extra <= cap:
                total |= (bits << extra) & mask
        return total, base, kept

    def _set_bits(self, cands: list[tuple[int, ...]], cap: int, keep: bool) -> int:
        """A bound on the bits :meth:`backward` holds at once: per layer, one set per candidate,
        each no longer than the count offsets the layers after it can add (at most ``cap``),
        two layers at a time (every layer if ``keep``)."""
        c, m = self.output_size, self.depth
        reach = self._edge_extra(cands[-1][-1], c, cands[-1][0], c)  # largest offset so far
        sizes = [len(cands[-1]) * min(cap + 1, reach + 1)]
        for i in range(m - 2, -1, -1):
            reach += self._edge_extra(cands[i][-1], cands[i + 1][-1], cands[i][0], cands[i + 1][0])
            sizes.append(len(cands[i]) * min(cap + 1, reach + 1))
        return sum(sizes) if keep else max(a + b for a, b in itertools.pairwise([0, *sizes]))

    def reachable(self, win: Window, budget: WorkBudget) -> tuple[int, int]:
        """``(bits, base)``: count ``base + k`` is reachable in the window iff bit ``k`` is set."""
        bits, base, _ = self.backward(win, budget, keep=False)
        lowest = win.low - base
        if lowest > 0:
            bits = (bits >> lowest) << lowest
        return bits, base

    def lex_min(self, win: Window, target: int, budget: WorkBudget) -> tuple[int, ...] | None:
        """Lexicographically smallest widths in the window whose count is exactly ``target``."""
        _, base, kept = self.backward(win, budget, keep=True)
        need = target - base
        if need < 0 or not kept:
            return None
        cands = list(win.candidates)
        rule = pair_rule(self.rules)
        a, widths = self.input_size, []
        prev, prev0 = a, a
        for i, layer_sets in enumerate(kept):
            y0 = cands[i][0]
            for y in cands[i]:
                if i and rule is not None and not rule(prev, y):
                    continue
                rest = need - self._edge_extra(prev, y, prev0, y0)
                if rest >= 0 and (layer_sets[y] >> rest) & 1:
                    widths.append(y)
                    need, prev, prev0 = rest, y, y0
                    break
            else:
                return None
        return tuple(widths)


@dataclass(frozen=True)
class Reach:
    """Counts reachable in one window: count ``base + k`` for every set bit ``k`` of ``bits``."""

    dp: DepthDP
    window: Window
    bits: int
    base: int

    def ceil(self, count: int) -> int | None:
        k = max(count - self.base, 0)
        above = self.bits >> k
        return None if not above else self.base + k + (above & -above).bit_length() - 1

    def floor(self, count: int) -> int | None:
        k = count - self.base
        if k < 0:
            return None
        below = self.bits if k >= self.bits.bit_length() else self.bits & ((1 << (k + 1)) - 1)
        return None if not below else self.base + below.bit_length() - 1

    def hits(self, count: int) -> bool:
        k = count - self.base
        return k >= 0 and bool((self.bits >> k) & 1)

    def widths(self, count: int, budget: WorkBudget) -> tuple[int, ...] | None:
        return self.dp.lex_min(self.window, count, budget)

    def band_bits(self, low: int, budget: WorkBudget) -> int:
        shift = self.base - low
        return (self.bits << shift) if shift >= 0 else (self.bits >> -shift)


class Reachable(Protocol):
    """What the searches share: the counts one piece of the search space reaches, all inside
    the band the piece was built for.

    ``ceil(n)`` / ``floor(n)``: the least reachable count ``>= n`` / the greatest ``<= n``
    (``None`` if there is none); ``hits(n)``: whether ``n`` is reachable; ``widths(n)``: the
    piece's lexicographically smallest widths with count ``n``; ``band_bits``: every count.
    """

    def ceil(self, count: int) -> int | None: ...
    def floor(self, count: int) -> int | None: ...
    def hits(self, count: int) -> bool: ...
    def widths(self, count: int, budget: WorkBudget) -> tuple[int, ...] | None: ...
    def band_bits(self, low: int, budget: WorkBudget) -> int: ...


def reach_windows(
    dp: DepthDP,
    span: int,
    low: int,
    high: int,
    budget: WorkBudget,
    bases: Sequence[int] | None = None,
    missed: set[tuple[tuple[int, int], ...]] | None = None,
) -> list[Reach]:
    """Every window of width ``span`` (in multiples of q) that reaches the band, with its counts.

    ``missed`` (for one band): the windows, by their candidates' ends, known to miss it; each
    window found to miss is added. Windows of neighbouring spans often keep the same
    candidates once :meth:`~cpshape.windows.Windows.corners` has cut them, so a scan over
    spans asks each once; windows inside a neighbour are skipped (:func:`~cpshape.windows.undominated`).
    """
    q = dp.rules.multiple_of

    def charge() -> None:  # one base's window: its ranges, corners and domination check
        budget.spend(64 * PAIR_WORDS * dp.depth)
        if budget.exhausted:
            raise BudgetExhausted

    found = []
    every = dp.bases(span, low, high) if bases is None else bases
    for ranges in undominated(dp, span, low, high, every, charge):
        key = tuple(ranges)
        if missed is not None and key in missed:
            continue
        sizes = [(hi - lo) // q + 1 for lo, hi in ranges]
        if PAIR_WORDS * sum(x * y for x, y in itertools.pairwise(sizes)) > budget.left:
            raise BudgetExhausted  # the DP would charge more than is left: not even listed
        win = dp.listed(ranges, low, high)
        bits, origin = dp.reachable(win, budget)
        if bits:
            found.append(Reach(dp, win, bits, origin))
        elif missed is not None:
            missed.add(key)
    return found


def best_count(reaches: Sequence[Reachable], target: int) -> int:
    """The reachable count closest to ``target``; ties go to the count below the target."""
    options = {n for reach in reaches for n in (reach.floor(target), reach.ceil(target + 1)) if n is not None}
    return min(options, key=lambda count: (abs(count - target), count))


def canonical_widths(reaches: Sequence[Reachable], count: int, budget: WorkBudget) -> tuple[int, ...]:
    """Lexicographically smallest widths, over all pieces, whose count is exactly ``count``."""
    shapes = [w for reach in reaches if reach.hits(count) and (w := reach.widths(count, budget)) is not None]
    if not shapes:
        raise AssertionError(f"count {count} marked reachable but no widths reconstructed")
    return min(shapes)


def band_bits(reaches: Sequence[Reachable], low: int, high: int, budget: WorkBudget) -> int:
    """Union of the reachable counts as one bitset over the band (bit k: count ``low + k``)."""
    total = 0
    for reach in reaches:
        total |= reach.band_bits(low, budget)
    return total & ((1 << (high - low + 1)) - 1)
