"""Brute force for the tiny cases: enumerate every width vector whose count stays in the band.

Own copy in the style of ``tests/reference.py``: its own count and rule checks, nothing
from the solver. The only shortcut is sound pruning: every term of the count is positive,
so a prefix whose count (with each remaining width at its smallest) already exceeds the
band's upper end cannot be extended. ``MAX_NODES`` caps the enumeration; beyond it the
case is reported as too large, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from cpshape import Monotone, Problem

MAX_NODES = 30_000_000


class TooLarge(Exception):
    pass


def count(a: int, widths: tuple[int, ...], c: int, bias: bool) -> int:
    sizes = [a, *widths, c]
    weights = sum(sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1))
    return weights + (sum(sizes[1:]) if bias else 0)


def pair_ok(problem: Problem, x: int, y: int) -> bool:
    r = problem.constraints
    if r.max_ratio is not None and (Fraction(x, y) > r.max_ratio or Fraction(y, x) > r.max_ratio):
        return False
    if r.ratio_range is not None and not r.ratio_range[0] <= Fraction(x, y) <= r.ratio_range[1]:
        return False
    if r.monotone is Monotone.NON_INCREASING and y > x:
        return False
    return not (r.monotone is Monotone.NON_DECREASING and y < x)


def shapes(problem: Problem, depth: int) -> Iterator[tuple[tuple[int, ...], int]]:
    """Every valid width vector of ``depth`` with its count inside the band."""
    r, (low, high) = problem.constraints, problem.band()
    a, c, bias = problem.input_size, problem.output_size, problem.bias
    q = r.multiple_of
    floor = -(-max(r.min_width, q) // q) * q
    top = min(high, r.max_width or high)
    nodes = 0

    def least_rest(last: int, left: int) -> int:
        # smallest count the remaining `left` layers can add after width `last`
        if left == 0:
            return last * c + (c if bias else 0)
        return (
            last * floor
            + (floor if bias else 0)
            + (left - 1) * (floor * floor + (floor if bias else 0))
            + (floor * c + (c if bias else 0))
        )

    def grow(prefix: tuple[int, ...], so_far: int) -> Iterator[tuple[tuple[int, ...], int]]:
        nonlocal nodes
        left = depth - len(prefix)
        prev = prefix[-1] if prefix else a
        for w in range(floor, top + 1, q):
            nodes += 1
            if nodes > MAX_NODES:
                raise TooLarge
            edge = prev * w + (w if bias else 0)
            if so_far + edge + least_rest(w, left - 1) > high:
                break  # every term grows with w
            if prefix and not pair_ok(problem, prefix[-1], w):
                continue
            if left == 1:
                n = so_far + edge + w * c + (c if bias else 0)
                if low <= n <= high and all(w2 == pin for i, pin in r.pins for w2 in [(*prefix, w)[i - 1]]):
                    widths = (*prefix, w)
                    if r.max_spread is None or max(widths) - min(widths) <= r.max_spread:
                        yield widths, n
            else:
                yield from grow((*prefix, w), so_far + edge)

    yield from grow((), 0)


def _check(problem: Problem, widths: tuple[int, ...], n: int) -> None:
    assert count(problem.input_size, widths, problem.output_size, problem.bias) == n


def solve_brute(problem: Problem) -> dict[str, Any]:
    """Per depth ``{depth, spread, absdev, count, widths}`` (None when no shape); shared too."""
    target = problem.params
    try:
        if not problem.same_count:
            out = []
            for m in problem.depths:
                best = None
                for widths, n in shapes(problem, m):
                    _check(problem, widths, n)
                    key = (max(widths) - min(widths), abs(n - target), n, widths)
                    best = key if best is None or key < best else best
                out.append(_row(m, best))
            return {"depths": out}
        # shared: per depth the least spread at each count; then least largest spread, nearest count
        per: dict[int, dict[int, tuple[int, tuple[int, ...]]]] = {}
        for m in problem.depths:
            table: dict[int, tuple[int, tuple[int, ...]]] = {}
            for widths, n in shapes(problem, m):
                key = (max(widths) - min(widths), widths)
                if n not in table or key < table[n]:
                    table[n] = key
            per[m] = table
        joinable = [m for m in problem.depths if per[m]]
        counts = set.intersection(*(set(per[m]) for m in joinable)) if joinable else set()
        if not counts:
            return {"depths": [_row(m, None) for m in problem.depths], "shared": None}
        shared = min(counts, key=lambda n: (max(per[m][n][0] for m in joinable), abs(n - target), n))
        rows = [
            _row(m, (per[m][shared][0], abs(shared - target), shared, per[m][shared][1]) if per[m] else None)
            for m in problem.depths
        ]
        return {"depths": rows, "shared": shared}
    except TooLarge:
        return {"too_large": True}


def _row(m: int, best: tuple[int, int, int, tuple[int, ...]] | None) -> dict[str, Any]:
    if best is None:
        return {"depth": m, "spread": None, "absdev": None, "count": None, "widths": None}
    spread, absdev, n, widths = best
    return {"depth": m, "spread": spread, "absdev": absdev, "count": n, "widths": list(widths)}
