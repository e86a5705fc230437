"""Windows of the exact searches (pure Python): the widths one window holds.

A window of span ``s`` at base ``w`` holds every hidden width ``q*(w+d)``, ``0 <= d <= s``,
that the per-layer rules (bounds, pins, multiple-of) allow. The count grows with every
width, so the window's corners (every width at its least, or at its greatest) bound its
counts: :meth:`Windows.bases` lists the bases whose corners straddle a band and
:meth:`Windows.corners` cuts each layer to the widths some count in the band can use. A
window whose every layer lies inside a neighbour's reaches nothing more
(:func:`undominated`). ``docs/model.md`` explains why a pin far from the other widths
needs these cuts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .counting import edge_count, uniform_count
from .spec import Constraints

__all__ = ["Window", "Windows", "undominated"]


@dataclass(frozen=True)
class Window:
    """Candidate widths per hidden layer and the count band they are judged against."""

    candidates: tuple[tuple[int, ...], ...]
    low: int
    high: int


class Windows:
    """The window methods of :class:`~cpshape.dp.DepthDP` (which holds these fields)."""

    input_size: int
    output_size: int
    depth: int
    bias: bool
    rules: Constraints

    def window(self, base: int, span: int, low: int, high: int) -> Window | None:
        """Widths ``q*(base+d)``, ``0 <= d <= span``, filtered by per-layer rules and by what
        the band allows (:meth:`corners`)."""
        ranges = self.window_ranges(base, span, low, high)
        return None if ranges is None else self.listed(ranges, low, high)

    def window_ranges(self, base: int, span: int, low: int, high: int) -> list[tuple[int, int]] | None:
        """:meth:`window`'s least and greatest width per layer, without listing the widths."""
        ranges = self.candidates(base, span)
        return None if ranges is None else self.corners(ranges, low, high)

    def listed(self, ranges: list[tuple[int, int]], low: int, high: int) -> Window:
        """The window holding every multiple of q in each layer's range."""
        q = self.rules.multiple_of
        return Window(tuple(tuple(range(lo, hi + 1, q)) for lo, hi in ranges), low, high)

    def candidates(self, base: int, span: int) -> list[tuple[int, int]] | None:
        """Per layer, the least and greatest of the widths ``q*(base+d)``, ``0 <= d <= span``,
        that the per-layer rules allow (every multiple of q between them is allowed too);
        ``None`` if a layer has none."""
        r, q = self.rules, self.rules.multiple_of
        lo, hi = self._free_range(base, span)
        pins = r.pin_map()
        ranges = []
        for i in range(1, self.depth + 1):
            if i in pins:
                if pins[i] % q or not lo <= pins[i] <= hi:
                    return None
                ranges.append((pins[i], pins[i]))
            elif lo > hi:
                return None
            else:
                ranges.append((lo, hi))
        return ranges

    def _free_range(self, base: int, span: int) -> tuple[int, int]:
        """The least and greatest width ``q*(base+d)``, ``0 <= d <= span``, within the bounds."""
        r, q = self.rules, self.rules.multiple_of
        lo, hi = max(q * base, -(-r.min_width // q) * q), q * (base + span)
        return lo, hi if r.max_width is None else min(hi, r.max_width // q * q)

    def corners(self, ranges: list[tuple[int, int]], low: int, high: int) -> list[tuple[int, int]] | None:
        """``ranges`` (per layer, least and greatest width) without the widths no count in
        ``[low, high]`` can use; ``None`` if no count can.

        The count grows with every width, so with the other layers at their least (greatest)
        widths, layer ``i`` at ``x`` counts at least (at most) the least (greatest) corner
        plus (minus) ``x``'s distance from that corner times its neighbours' sum there. A pin
        far from the window's other widths makes the window as wide as the spread, while the
        counts near the band use only a few widths at one end of each layer; this keeps those.
        Repeated until nothing changes (a tighter layer moves its neighbours' corners).
        """
        a, c, bias, q = self.input_size, self.output_size, int(self.bias), self.rules.multiple_of
        los, his = [lo for lo, _ in ranges], [hi for _, hi in ranges]
        while True:
            least, most = self.count(los), self.count(his)
            if least > high or most < low:
                return None
            changed = False
            for i in range(len(los)):
                left = (a, a) if i == 0 else (los[i - 1], his[i - 1])
                right = (c, c) if i == len(los) - 1 else (los[i + 1], his[i + 1])
                up = los[i] + (high - least) // (left[0] + right[0] + bias) // q * q
                down = his[i] - (most - low) // (left[1] + right[1] + bias) // q * q
                if los[i] < down or his[i] > up:
                    los[i], his[i], changed = max(los[i], down), min(his[i], up), True
                    if los[i] > his[i]:
                        return None
            if not changed:
                return list(zip(los, his, strict=True))

    def _extreme_count(self, base: int, span: int, top: bool) -> int | None:
        """The count with every width at the top (or the bottom) of its window candidates,
        as :meth:`candidates` lists them."""
        if not self.rules.pins:
            lo, hi = self._free_range(base, span)
            if lo > hi:
                return None
            return uniform_count(self.input_size, self.output_size, self.depth, hi if top else lo, self.bias)
        ranges = self.candidates(base, span)
        return None if ranges is None else self.count([hi if top else lo for lo, hi in ranges])

    def uniform(self, base: int) -> int:
        """``F0``: the count with every hidden width ``q*base``."""
        q = self.rules.multiple_of
        return uniform_count(self.input_size, self.output_size, self.depth, q * base, self.bias)

    def count(self, widths: list[int] | tuple[int, ...]) -> int:
        sizes = (self.input_size, *widths, self.output_size)
        return sum(edge_count(x, y, self.bias) for x, y in itertools.pairwise(sizes))

    def bases(self, span: int, low: int, high: int) -> range:
        """Base widths ``w`` whose window can reach the band (an interval: counts grow with w)."""
        q, r = self.rules.multiple_of, self.rules
        w_min = max(1, -(-r.min_width // q) - span)
        w_max = (r.max_width // q) if r.max_width is not None else high
        for _, pin in r.pins:
            w_min, w_max = max(w_min, pin // q - span), min(w_max, pin // q)
        if w_min > w_max:
            return range(0)

        def first(pred: Callable[[int], bool]) -> int:
            lo, hi = w_min, w_max + 1  # smallest w in [w_min, w_max] with pred, else w_max + 1
            while lo < hi:
                mid = (lo + hi) // 2
                if pred(mid):
                    hi = mid
                else:
                    lo = mid + 1
            return lo

        def reaches_low(w: int) -> bool:
            top = self._extreme_count(w, span, top=True)
            return top is not None and top >= low

        def above_high(w: int) -> bool:
            bottom = self._extreme_count(w, span, top=False)
            return bottom is not None and bottom > high

        start = first(reaches_low)
        stop = first(above_high)
        return range(start, max(start, stop))



def undominated(
    dp: Windows, span: int, low: int, high: int, bases: Sequence[int], charge: Callable[[], None]
) -> list[list[tuple[int, int]]]:
    """The windows of ``bases`` (in order, as :meth:`Windows.window_ranges`) that no neighbour
    contains: a window whose every layer's widths lie among another's reaches nothing the
    other does not (the pair rule judges both alike), so only the wider one is searched.
    With a pin far from the other widths, the corners leave each window the same few widths
    at the far end, and one window per span holds the others. ``charge()`` is called once
    per base (the caller's budget: a span may have very many bases)."""
    kept: list[list[tuple[int, int]]] = []
    for base in bases:
        charge()
        ranges = dp.window_ranges(base, span, low, high)
        if ranges is None:
            continue
        if kept and _inside(ranges, kept[-1]):
            continue
        while kept and _inside(kept[-1], ranges):
            kept.pop()
        kept.append(ranges)
    return kept


def _inside(inner: list[tuple[int, int]], outer: list[tuple[int, int]]) -> bool:
    return all(o[0] <= i[0] and i[1] <= o[1] for i, o in zip(inner, outer, strict=True))
