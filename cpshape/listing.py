"""Every count one depth reaches in a band, all base widths at once, in numpy (pure Python).

The aggregate DP (:mod:`cpshape.aggregate`) writes every width of a window as
``b_i = q*(w + d_i)`` with ``0 <= d_i <= s`` and the count as ``F0(w) + q^2*w*D + K``, with

    D = d_1 + d_m + 2*(d_2 + ... + d_(m-1)),
    K = q*(a*d_1 + c*d_m) + q^2*T + beta*q*(d_1 + ... + d_m),   T = sum d_i*d_(i+1).

The reachable pairs ``(D, K)`` do not depend on the base ``w``. :func:`pair_sets` finds them
with one DP from the last layer to the first whose state, per offset of the current layer,
is one bitset over ``(D, L)`` with ``L = K/q - a*d_1`` (every ``K`` is a multiple of ``q``;
the first layer's input term is added per first offset at the end): ``(s+1)^2*(m-1)`` shifts of
``(2(m-1)s+1)*(L_max+1)`` bits, against the per-row tables' ``(s+1)^3*(m-1)`` shifts that
keep ``d_1`` and ``d_m`` apart for the shapes' widths. :class:`AggregateCounts` then lists a
range's counts or tests given counts for every base at once.
"""

from __future__ import annotations

import bisect

import numpy as np

from .aggregate import _allowed, _monotone, aggregate_applies
from .dp import BudgetExhausted, DepthDP, WorkBudget
from .spec import Monotone

__all__ = ["AggregateCounts", "aggregate_counts", "listable_bases", "pair_sets"]

#: Counts up to this fit numpy's int64 with room for the sums in :meth:`AggregateCounts.counts`.
INT64_SAFE = 2**62
#: Largest ``(D, K)`` membership table (booleans) kept for :meth:`AggregateCounts.member`.
MEMBER_TABLE = 2**24
#: A range of counts is listed through a boolean mask (no sorting) when it holds at most this
#: many counts and at most ``MASK_DENSITY`` per listing step; else the listing is sorted.
MASK_BAND, MASK_DENSITY = 1 << 24, 512
#: Budget words per step of a listing (mask or sort) and of a membership test, as measured.
LIST_WORDS, SORT_WORDS, MEMBER_WORDS = 4, 48, 4
#: Candidates tested at once by :meth:`AggregateCounts.member` (bounds its temporary arrays).
MEMBER_BLOCK = 1 << 15
#: Bits shifted by :func:`pair_sets` per budget word, and bits unpacked or table cells marked
#: per budget word, as measured (2-4 s per 1e9 words; 784 -> 10 and 64 -> 10, depths 6-19,
#: spans 10-30: 0.5-2x the time the rest of the exact searches take per word charged).
SHIFT_BITS, UNPACK_BITS = 256, 4


def _row(dp: DepthDP, span: int) -> int:
    """Bits per ``D`` in :func:`pair_sets`: one more than the largest ``L``."""
    m, s, q = dp.depth, span, dp.rules.multiple_of
    return dp.output_size * s + q * (m - 1) * s * s + int(dp.bias) * m * s + 1


def _cost(dp: DepthDP, span: int) -> int:
    """Budget words of :func:`pair_sets` and of collecting its pairs in :class:`AggregateCounts`."""
    m, s, rows, row = dp.depth, span, 2 * (dp.depth - 1) * span + 1, _row(dp, span)
    size, cells = rows * row, rows * (dp.input_size * span + row)
    steps = (s + 1) ** 2 if _monotone(dp) is Monotone.NONE else (s + 1) * (s + 2) // 2
    return steps * (m - 1) * size // SHIFT_BITS + ((s + 1) * size + cells) // UNPACK_BITS


def _offered(dp: DepthDP, span: int) -> int:
    """The listing is offered where the aggregate DP's per-row tables (``(s+1)^3*(m-1)``
    shifts of ``(2ms+1)*((m-1)s^2+1)`` bits) would fit, as before :func:`pair_sets`: beyond
    that the exact pieces of the deep depths answer faster than listing them (100 -> 1,
    10^9 +- 1 %, multiple of 4, non-increasing, depths 4-12 at span 27: listing depths 11 and
    12 too ran out of a 5e9-word budget in 8.9 s)."""
    m, s = dp.depth, span
    return (s + 1) ** 3 * (m - 1) * (2 * m * s + 1) * ((m - 1) * s * s + 1) // 256


def pair_sets(dp: DepthDP, span: int) -> tuple[list[int], int]:
    """Per first offset ``d_1``: every reachable ``(D, L)`` as one bitset, bit ``D*row + L``,
    and ``row``, where ``L = K/q - a*d_1 = c*d_m + q*T + beta*(d_1 + ... + d_m)`` (``K`` is a
    multiple of ``q``). ``L`` never exceeds ``row - 1`` on the way (every term is
    non-negative), so a shift never carries one ``D`` into the next."""
    m, s, q, beta = dp.depth, span, dp.rules.multiple_of, int(dp.bias)
    row, mono = _row(dp, span), _monotone(dp)
    assert mono is not None  # aggregate_applies
    # the last layer: D gets d_m once, L its output term and bias
    layer = [1 << (d * row + dp.output_size * d + beta * d) for d in range(s + 1)]
    for i in range(m - 2, -1, -1):
        weight = 1 if i == 0 else 2
        nxt = []
        for d in range(s + 1):
            acc = 0
            for e, bits in enumerate(layer):
                if _allowed(mono, d, e):
                    acc |= bits << (q * d * e)  # T gains d_i * d_(i+1)
            nxt.append(acc << (weight * d * row + beta * d))
        layer = nxt
    return layer, row


class AggregateCounts:
    """Every count one depth reaches in the band at one span, all base widths at once, in numpy.

    The ``(D, K)`` pairs (``pairs``, from :func:`pair_sets`) list a range's counts
    (:meth:`counts`, ``pairs`` steps per base whose counts meet the range) or test given
    counts (:meth:`member`, a few steps per count and base), whichever is cheaper for the
    caller (:meth:`list_cost`, :meth:`member_cost`). Both charge the budget at about their cost.
    """

    def __init__(self, dp: DepthDP, span: int, bases: list[int], low: int, high: int) -> None:
        q, a = dp.rules.multiple_of, dp.input_size
        self.low, self.high, self.q = low, high, q
        layer, row = pair_sets(dp, span)
        self.d_max = 2 * (dp.depth - 1) * span
        size, top = (self.d_max + 1) * row, a * span + row  # K/q < top
        dense = (self.d_max + 1) * top <= MEMBER_TABLE  # mark the pairs in a table: sorted, each once

        def flags(bits: int) -> np.ndarray:  # one d_1's pairs as booleans, by (D, L)
            raw = np.frombuffer(bits.to_bytes((size + 7) // 8, "little"), np.uint8)
            return np.unpackbits(raw, bitorder="little")[:size].view(bool).reshape(self.d_max + 1, row)

        table = np.zeros((self.d_max + 1, top), bool) if dense else None
        if table is not None:
            for d1, bits in enumerate(layer):
                table[:, a * d1 : a * d1 + row] |= flags(bits)
            keys = np.flatnonzero(table)
        else:
            parts = []
            for d1, bits in enumerate(layer):
                found = np.flatnonzero(flags(bits))
                parts.append(found // row * top + found % row + a * d1)
            keys = np.unique(np.concatenate(parts))
        self.big_d, units = keys // top, keys % top  # units = K/q
        last = int(units.max()) if len(units) else 0
        self.k, self.k_max, self.pairs = q * units, q * last, len(units)
        # the membership table over (D, K/q)
        self.table = None if table is None else table[:, : last + 1]
        # per base: F0(w), q^2*w and its range of counts (both ends grow with w)
        self.f0 = [dp.uniform(w) for w in bases]
        self.step = [q * q * w for w in bases]
        self.tops = [f0 + qw * self.d_max + self.k_max for f0, qw in zip(self.f0, self.step, strict=True)]
        self._per_count = (span + 2) * (self.k_max // min(self.step, default=1) + 2)

    def _bases(self, lo: int, hi: int) -> range:
        """The bases whose counts can meet ``[lo, hi]``."""
        return range(bisect.bisect_left(self.tops, lo), bisect.bisect_right(self.f0, hi))

    def _plan(self, lo: int, hi: int) -> tuple[range, bool, int]:
        """How :meth:`counts` lists ``[lo, hi]``: the bases whose counts meet it, whether they
        are marked in a mask (dense enough, small enough) rather than sorted, and the budget
        words that takes."""
        bases = self._bases(lo, hi)
        steps = self.pairs * len(bases)
        masked = hi - lo < min(MASK_BAND, MASK_DENSITY * steps)
        return bases, masked, LIST_WORDS * steps + (hi - lo) // 16 if masked else SORT_WORDS * steps

    def list_cost(self, lo: int, hi: int) -> int:
        """Budget words :meth:`counts` spends on ``[lo, hi]``."""
        return self._plan(lo, hi)[2]

    def member_cost(self, n: int) -> int:
        """Budget words :meth:`member` spends on ``n`` counts (no table: beyond any listing)."""
        return n * self._per_count * MEMBER_WORDS if self.table is not None else 2**62

    def counts(self, lo: int, hi: int, budget: WorkBudget) -> np.ndarray:
        """Every reachable count in ``[lo, hi]`` (inside the band), sorted, each once: marked in
        a mask of the range where that is small enough, else sorted."""
        bases, masked, words = self._plan(lo, hi)
        _spend(budget, words)
        if masked:
            return np.flatnonzero(self._mask(bases, lo, hi)) + lo
        parts = [self._found(i, lo, hi) for i in bases]
        return np.unique(np.concatenate(parts)) + lo if parts else np.zeros(0, np.int64)

    def keep(self, candidates: np.ndarray, lo: int, hi: int, budget: WorkBudget) -> np.ndarray:
        """Which of the sorted ``candidates`` (all in ``[lo, hi]``) are reachable, by the same
        listing of ``[lo, hi]`` as :meth:`counts` (and at its cost), read through its mask
        where it has one instead of intersecting two sorted lists."""
        bases, masked, words = self._plan(lo, hi)
        if not masked:
            return np.isin(candidates, self.counts(lo, hi, budget), assume_unique=True)
        _spend(budget, words)
        return self._mask(bases, lo, hi)[candidates - lo]

    def _found(self, i: int, lo: int, hi: int) -> np.ndarray:
        """Base ``i``'s counts in ``[lo, hi]``, less ``lo``."""
        found = (self.f0[i] - lo) + self.step[i] * self.big_d + self.k
        if self.f0[i] < lo or self.tops[i] > hi:  # the base's counts straddle the range
            found = found[(found >= 0) & (found <= hi - lo)]
        return found

    def _mask(self, bases: range, lo: int, hi: int) -> np.ndarray:
        mask = np.zeros(hi - lo + 1, bool)
        for i in bases:
            mask[self._found(i, lo, hi)] = True
        return mask

    def member(self, counts: np.ndarray, budget: WorkBudget) -> np.ndarray:
        """Which of the sorted ``counts`` are reachable (needs the table: see :meth:`member_cost`)."""
        assert self.table is not None
        _spend(budget, self.member_cost(len(counts)))
        hit = np.zeros(len(counts), bool)
        if not len(counts):
            return hit
        for i in self._bases(int(counts[0]), int(counts[-1])):
            f0, qw = self.f0[i], self.step[i]
            first, last = np.searchsorted(counts, [f0, self.tops[i] + 1])
            for start in range(first, last, MEMBER_BLOCK):
                x = counts[start : min(last, start + MEMBER_BLOCK)] - f0
                # the D with 0 <= x - q^2*w*D <= k_max: at most k_max // (q^2*w) + 1 of them
                d = np.maximum(-((self.k_max - x) // qw), 0)
                found = hit[start : start + len(x)]
                for _ in range(self.k_max // qw + 1):
                    rest = x - qw * d
                    ok = (d <= self.d_max) & (rest >= 0) & (rest <= self.k_max)
                    if self.q > 1:  # every K is a multiple of q
                        ok &= rest % self.q == 0
                    units = np.clip(rest // self.q, 0, self.k_max // self.q)
                    found |= ok & self.table[np.minimum(d, self.d_max), units]
                    d = d + 1
        return hit


def _spend(budget: WorkBudget, words: int) -> None:
    budget.spend(64 * words)
    if budget.exhausted:
        raise BudgetExhausted


def aggregate_counts(
    dp: DepthDP, span: int, bases: list[int], low: int, high: int, budget: WorkBudget
) -> AggregateCounts:
    """Depth ``dp``'s counts in the band at spread up to ``q*span``, from the ``bases`` that
    :func:`listable_bases` gave."""
    _spend(budget, _cost(dp, span))  # charged up front: a span too large is never started
    return AggregateCounts(dp, span, bases, low, high)


def listable_bases(dp: DepthDP, span: int, low: int, high: int, budget: WorkBudget) -> list[int] | None:
    """The bases of depth ``dp`` at this span if :func:`aggregate_counts` can list them: the
    aggregate DP applies to every base, no count can overflow int64, and both its cost and
    :func:`_offered` are at most a quarter of the budget left; else ``None``."""
    bases = list(dp.bases(span, low, high))
    if dp.depth < 4 or not all(aggregate_applies(dp, w, span) for w in bases):
        return None
    if bases and dp.uniform(bases[-1] + span) > INT64_SAFE:  # the largest count of the widest window
        return None
    if max(_cost(dp, span), _offered(dp, span)) > budget.left // 4:
        return None
    return bases
