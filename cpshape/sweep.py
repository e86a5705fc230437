"""Depth-4 windows of the bounded search decided by a sweep over the interior pair (no tables).

In a window of span ``s`` (widths ``q*(w + d_i)``, see :mod:`cpshape.bounded`), fixing the
two interior offsets ``d_2, d_3`` leaves ``d_1 + d_4 = K = D - 2*(d_2 + d_3)`` and makes the
window's remainder linear in ``d_1``:

    V = alpha*d_1 + gamma,
    alpha = q*(a - c) + q^2*(d_2 - d_3),
    gamma = K*(q*(c + beta) + q^2*d_3) + q*beta*(d_2 + d_3) + q^2*d_2*d_3.

The rules leave ``d_1`` an interval for each pair: bounds and pins cut each layer to an
interval, and ratio and monotone rules allow, next to a fixed offset, an interval of the
other (:func:`intervals` checks this and gives up otherwise). So the ``d_1`` whose ``V``
lies in a range form an interval too, found by two divisions, and one numpy pass over the
pairs with ``0 <= K <= 2*s`` answers a query exactly: whether the window has a shape, its
lexicographically smallest one (least ``d_1``, then ``d_2``, then ``d_3``), the least and
greatest ``V`` in a range (per pair ``V`` is monotone in ``d_1``). The pairs are sorted by
``d_2 + d_3``, so a query reads one slice of them. Where a span's windows ask few queries
(:meth:`Sweep.pays`), this is cheaper than building the tables.
"""

from __future__ import annotations

import numpy as np

from .budget import BudgetExhausted, WorkBudget
from .dp import DepthDP

__all__ = ["Sweep", "intervals", "sweep_applies", "table_ns"]

#: The sweep holds a dozen int64 arrays over the interior pairs: at most this many pairs.
MAX_SWEEP_PAIRS = 1 << 20
#: What a query and a table build cost, in nanoseconds (784 -> 10, no rule, spans 16-445,
#: this machine): a sweep pass ``PASS_NS`` plus ``PAIR_NS`` per pair it reads; a build
#: ``BUILD_NS`` per layer and offset plus 0.45 ns per entry and offset. The sweep serves a
#: span's windows when one pass per window and aggregate costs less than the build: at span
#: 0 a build costs some 5 passes, at span 445 some 70-350.
PASS_NS, PAIR_NS, BUILD_NS = 50_000, 40, 15_000
#: Budget words per pass and per pair it reads: the time above at the tables' rate (their
#: charge comes to some 1.5*10^8 words a second, the interior search's to 2*10^8).
PASS_WORDS, PAIR_WORDS = 8_000, 6
#: Clamp for the wanted range of ``V`` (every ``V`` and ``gamma`` is far inside it).
_CLAMP = 2**61


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Per row of a boolean matrix, the first and last ``True`` (``1, 0`` where none), or
    ``None`` if some row's ``True`` entries are not contiguous."""
    n = mask.shape[1]
    count = mask.sum(axis=1)
    first = mask.argmax(axis=1)
    last = n - 1 - mask[:, ::-1].argmax(axis=1)
    if np.any((count > 0) & (last - first + 1 != count)):
        return None
    return np.where(count > 0, first, 1), np.where(count > 0, last, 0)


def intervals(pairs: np.ndarray, layers: list[np.ndarray]) -> tuple[np.ndarray, ...] | None:
    """``d_1``'s interval given ``d_2`` and ``d_4``'s given ``d_3`` (both ends per offset,
    from the pair rule and the end layers' masks), or ``None`` where one is not an interval."""
    first = _runs(pairs.T & layers[0][None, :])  # row d_2: the d_1 allowed before it
    last = _runs(pairs & layers[3][None, :])  # row d_3: the d_4 allowed after it
    if first is None or last is None:
        return None
    return (*first, *last)


def table_ns(dp: DepthDP, span: int, entries: int) -> int:
    """What building the tables (``entries`` of them) costs, in the units of ``PASS_NS``."""
    return (dp.depth - 1) * (span + 1) * BUILD_NS + entries * (span + 1) * 9 // 20


def sweep_applies(
    dp: DepthDP, span: int, pairs: np.ndarray, layers: list[np.ndarray], queries: int, entries: int
) -> tuple[np.ndarray, ...] | None:
    """Where the sweep may serve (depth 4, at most ``MAX_SWEEP_PAIRS`` interior pairs,
    ``queries`` passes, their fixed part, cheaper than building the tables of ``entries``,
    intervals for both ends): those :func:`intervals`, else ``None``."""
    if dp.depth != 4 or (span + 1) ** 2 > MAX_SWEEP_PAIRS or queries * PASS_NS > table_ns(dp, span, entries):
        return None
    return intervals(pairs, layers)


class Sweep:
    """The exact queries of :class:`~cpshape.bounded.BoundedReach` for depth 4 (see the
    module docstring); one serves every window whose rules cut the offsets alike."""

    def __init__(
        self,
        dp: DepthDP,
        pairs: np.ndarray,
        layers: list[np.ndarray],
        budget: WorkBudget,
        ends: tuple[np.ndarray, ...] | None = None,
    ) -> None:
        """``ends``: the :func:`intervals` of these masks, if already known."""
        self.dp, self.budget = dp, budget
        q, beta, s = dp.rules.multiple_of, int(dp.bias), len(layers[0]) - 1
        qq = q * q
        ends = intervals(pairs, layers) if ends is None else ends
        if ends is None:
            raise ValueError("the rules do not leave the end offsets intervals")
        lo1, hi1, lo4, hi4 = ends
        allowed = pairs & layers[1][:, None] & layers[2][None, :]
        d2, d3 = np.nonzero(allowed)
        order = np.argsort(d2 + d3, kind="stable")
        d2, d3 = d2[order].astype(np.int64), d3[order].astype(np.int64)
        budget.spend(64 * PAIR_WORDS * (s + 1) ** 2)
        if budget.exhausted:
            raise BudgetExhausted
        self.span, self.t = s, d2 + d3
        self._cols: dict[str, np.ndarray] = {
            "d2": d2,
            "d3": d3,
            "lo1": lo1[d2],
            "hi1": hi1[d2],
            "lo4": lo4[d3],
            "hi4": hi4[d3],
            "alpha": q * (dp.input_size - dp.output_size) + qq * (d2 - d3),
            "g0": q * beta * (d2 + d3) + qq * d2 * d3,
            "g1": q * (dp.output_size + beta) + qq * d3,
        }

    def pays(self, aggregates: list[int], entries: int) -> bool:
        """Whether a pass per aggregate (one per window and ``D``) costs less than building
        the tables of ``entries`` (``PASS_NS``)."""
        s, t = self.span, self.t
        lows = np.searchsorted(t, -((2 * s - np.array(aggregates)) // 2), side="left")
        highs = np.searchsorted(t, np.array(aggregates) // 2, side="right")
        cost = len(aggregates) * PASS_NS + PAIR_NS * int((highs - lows).sum())
        return cost <= table_ns(self.dp, s, entries)

    def _pass(self, big_d: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
        """The pairs whose ``K`` can hold ``d_1 + d_4``: their columns, ``K``, ``gamma`` and
        the ends ``L, R`` of ``d_1``'s interval (empty where ``L > R``)."""
        s = self.span
        first = np.searchsorted(self.t, -((2 * s - big_d) // 2), side="left")  # 2t >= D - 2s
        last = np.searchsorted(self.t, big_d // 2, side="right")  # 2t <= D
        self.budget.spend(64 * (PAIR_WORDS * int(last - first) + PASS_WORDS))
        if self.budget.exhausted:
            raise BudgetExhausted
        cols = {k: v[first:last] for k, v in self._cols.items()}
        k = big_d - 2 * self.t[first:last]
        low = np.maximum(cols["lo1"], k - cols["hi4"])
        high = np.minimum(cols["hi1"], k - cols["lo4"])
        return cols, k, k * cols["g1"] + cols["g0"], np.stack([low, high])

    def _hits(
        self, big_d: int, vlo: int, vhi: int
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
        """As :meth:`_pass`, the interval of ``d_1`` cut to ``V`` in ``[vlo, vhi]``."""
        cols, k, gamma, (low, high) = self._pass(big_d)
        vlo, vhi = max(vlo, -_CLAMP), min(vhi, _CLAMP)
        alpha = cols["alpha"]
        up = alpha > 0
        step = np.where(alpha == 0, 1, alpha)
        # alpha*d_1 in [vlo - gamma, vhi - gamma]: divide, flipping the ends where alpha < 0
        top = np.where(up, vhi - gamma, vlo - gamma)
        bottom = np.where(up, vlo - gamma, vhi - gamma)
        first = -((-bottom) // step)
        last = top // step
        flat = alpha == 0
        if flat.any():  # V = gamma whatever d_1
            inside = (vlo <= gamma) & (gamma <= vhi)
            first = np.where(flat, np.where(inside, low, high + 1), first)
            last = np.where(flat, high, last)
        return cols, k, gamma, np.stack([np.maximum(low, first), np.minimum(high, last)])

    def first(self, big_d: int, vlo: int, vhi: int) -> tuple[int, ...] | None:
        """Lexicographically smallest offsets with aggregate ``big_d`` and ``V`` in the range."""
        if vlo > vhi:
            return None
        cols, k, _, (low, high) = self._hits(big_d, vlo, vhi)
        ok = np.flatnonzero(low <= high)
        if not len(ok):
            return None
        n = self.span + 1
        key = (low[ok] * n + cols["d2"][ok]) * n + cols["d3"][ok]
        at = int(ok[int(key.argmin())])
        d1 = int(low[at])
        return d1, int(cols["d2"][at]), int(cols["d3"][at]), int(k[at]) - d1

    def least_v(self, big_d: int, vlo: int, vhi: int) -> int | None:
        """The least ``V`` in ``[vlo, vhi]`` that a shape with aggregate ``big_d`` has."""
        return self._extreme_v(big_d, vlo, vhi, 1)

    def greatest_v(self, big_d: int, vlo: int, vhi: int) -> int | None:
        """The greatest such ``V``."""
        return self._extreme_v(big_d, vlo, vhi, -1)

    def _extreme_v(self, big_d: int, vlo: int, vhi: int, sign: int) -> int | None:
        """Per pair ``V`` is monotone in ``d_1``: its least (``sign = 1``) or greatest value
        in the range lies at one end of the pair's interval; the extreme over the pairs."""
        if vlo > vhi:
            return None
        cols, _, gamma, (low, high) = self._hits(big_d, vlo, vhi)
        ok = low <= high
        if not ok.any():
            return None
        alpha = cols["alpha"][ok]
        at = np.where(sign * alpha >= 0, low[ok], high[ok])  # where sign*V is least
        return int(sign * (sign * (alpha * at + gamma[ok])).min())

    def ranges(self, aggregates: tuple[int, ...]) -> tuple[list[int], list[int]]:
        """The least and the greatest ``V`` of every shape with each aggregate (an empty
        range, least above greatest, where none has it)."""
        vmin, vmax = [], []
        for big_d in aggregates:
            cols, _, gamma, (low, high) = self._pass(big_d)
            ok = low <= high
            if not ok.any():
                vmin.append(1)
                vmax.append(0)
                continue
            alpha = cols["alpha"][ok]
            at_low, at_high = alpha * low[ok] + gamma[ok], alpha * high[ok] + gamma[ok]
            vmin.append(int(np.minimum(at_low, at_high).min()))
            vmax.append(int(np.maximum(at_low, at_high).max()))
        return vmin, vmax
