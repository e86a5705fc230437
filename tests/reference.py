"""Independent reference answers for tests: brute force over every width vector.

Shares nothing with the solver but the problem spec: its own count, its own rule checks.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from cpshape.spec import Monotone, Problem


def plain_count(a: int, widths: tuple[int, ...], c: int, bias: bool) -> int:
    sizes = [a, *widths, c]
    weights = sum(sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1))
    return weights + (sum(sizes[1:]) if bias else 0)


def obeys(problem: Problem, widths: tuple[int, ...]) -> bool:
    r = problem.constraints
    if min(widths) < r.min_width or (r.max_width is not None and max(widths) > r.max_width):
        return False
    if r.max_spread is not None and max(widths) - min(widths) > r.max_spread:
        return False
    if any(w % r.multiple_of for w in widths):
        return False
    if any(widths[layer - 1] != width for layer, width in r.pins):
        return False
    for x, y in zip(widths, widths[1:], strict=False):
        if r.max_ratio is not None and (x > r.max_ratio * y or y > r.max_ratio * x):
            return False
        if r.ratio_range is not None and not r.ratio_range[0] <= x / __import__("fractions").Fraction(y) <= r.ratio_range[1]:
            return False
        if r.monotone is Monotone.NON_INCREASING and y > x:
            return False
        if r.monotone is Monotone.NON_DECREASING and y < x:
            return False
    return True


def shapes(problem: Problem, depth: int, max_width: int) -> Iterator[tuple[tuple[int, ...], int]]:
    """Every valid shape of ``depth`` with widths <= max_width and its count, in the band."""
    low, high = problem.band()
    for widths in itertools.product(range(1, max_width + 1), repeat=depth):
        n = plain_count(problem.input_size, widths, problem.output_size, problem.bias)
        if low <= n <= high and obeys(problem, widths):
            yield widths, n


def best(problem: Problem, depth: int, max_width: int) -> tuple[int, int, int, tuple[int, ...]] | None:
    """(spread, |dev|, count, widths) minimum (or |dev| first), the solver's documented order."""
    keys = []
    for widths, n in shapes(problem, depth, max_width):
        spread, dev = max(widths) - min(widths), abs(n - problem.params)
        first = (spread, dev) if problem.prefer == "spread" else (dev, spread)
        keys.append((*first, n, widths))
    return min(keys) if keys else None
