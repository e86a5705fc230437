"""Independent reference answers for tests: brute force over every width vector.

Shares nothing with the solver but the problem spec: its own count, its own rule checks.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from fractions import Fraction

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
    for x, y in itertools.pairwise(widths):
        if r.max_ratio is not None and (x > r.max_ratio * y or y > r.max_ratio * x):
            return False
        if r.ratio_range is not None and not r.ratio_range[0] <= Fraction(x, y) <= r.ratio_range[1]:
            return False
        if r.monotone is Monotone.NON_INCREASING and y > x:
            return False
        if r.monotone is Monotone.NON_DECREASING and y < x:
            return False
    return True


def all_shapes(problem: Problem, depth: int, max_width: int) -> Iterator[tuple[tuple[int, ...], int]]:
    """Every valid shape of ``depth`` with widths <= max_width and its count, band ignored."""
    for widths in itertools.product(range(1, max_width + 1), repeat=depth):
        if obeys(problem, widths):
            yield widths, plain_count(problem.input_size, widths, problem.output_size, problem.bias)


def shapes(problem: Problem, depth: int, max_width: int) -> Iterator[tuple[tuple[int, ...], int]]:
    """Every valid shape of ``depth`` with widths <= max_width and its count, in the band."""
    low, high = problem.band()
    for widths, n in all_shapes(problem, depth, max_width):
        if low <= n <= high:
            yield widths, n


def best(problem: Problem, depth: int, max_width: int) -> tuple[int, int, int, tuple[int, ...]] | None:
    """(spread, |dev|, count, widths) minimum (or |dev| first), the solver's documented order."""
    keys = []
    for widths, n in shapes(problem, depth, max_width):
        spread, dev = max(widths) - min(widths), abs(n - problem.params)
        first = (spread, dev) if problem.prefer == "spread" else (dev, spread)
        keys.append((*first, n, widths))
    return min(keys) if keys else None


def nearest(problem: Problem, depth: int, max_width: int) -> tuple[int | None, int | None]:
    """Achievable counts just below the band and just above it (the latter searched up to 2*high)."""
    low, high = problem.band()
    counts = {n for _, n in all_shapes(problem, depth, max_width)}
    below = [n for n in counts if n < low]
    above = [n for n in counts if high < n <= 2 * high]
    return (max(below) if below else None), (min(above) if above else None)


def shared_best(problem: Problem, max_width: int) -> tuple[int, dict[int, tuple[int, ...]]] | None:
    """Shared-count mode by brute force: (count, {joined depth: widths}) or None if no depth joins.

    Order: most depths joining, least largest spread among them, count closest to the target
    (below on a tie); with ``prefer="deviation"`` the count's distance before the spread.
    Each joined depth then takes its least spread and smallest widths.
    """
    per_depth: dict[int, dict[int, tuple[int, tuple[int, ...]]]] = {}
    for m in problem.depths:
        at: dict[int, tuple[int, tuple[int, ...]]] = {}
        for widths, n in shapes(problem, m, max_width):
            key = (max(widths) - min(widths), widths)
            if n not in at or key < at[n]:
                at[n] = key
        per_depth[m] = at
    counts = {n for at in per_depth.values() for n in at}
    if not counts:
        return None

    def rank(n: int) -> tuple[int, int, int, int]:
        joined = [m for m in problem.depths if n in per_depth[m]]
        largest = max(per_depth[m][n][0] for m in joined)
        if problem.prefer == "deviation":
            return -len(joined), abs(n - problem.params), largest, n
        return -len(joined), largest, abs(n - problem.params), n

    n = min(counts, key=rank)
    return n, {m: at[n][1] for m, at in per_depth.items() if n in at}


def reachable_bits(a: int, c: int, bias: bool, layers: Sequence[Sequence[int]], cap: int) -> int:
    """Bitset of every count <= cap of chains a -> layers[0] -> ... -> layers[-1] -> c.

    A forward pass (input to output) over Python ints, written independently of the solver's
    backward DP: state = last width, value = bitset of partial counts so far.
    """
    mask = (1 << (cap + 1)) - 1
    state = {y: (1 << (a * y + (y if bias else 0))) & mask for y in layers[0]}
    for layer in layers[1:]:
        nxt: dict[int, int] = {}
        for y in layer:
            acc = 0
            for x, bits in state.items():
                acc |= bits << (x * y + (y if bias else 0))
            nxt[y] = acc & mask
        state = nxt
    total = 0
    for x, bits in state.items():
        total |= bits << (x * c + (c if bias else 0))
    return total & mask


def exact_within_spread(a: int, c: int, bias: bool, depth: int, target: int, spread: int) -> bool:
    """Whether some depth-``depth`` chain with spread <= ``spread`` has exactly ``target`` parameters."""
    base = 1
    while True:
        lowest = plain_count(a, (base,) * depth, c, bias)
        if lowest > target:
            return False
        if plain_count(a, (base + spread,) * depth, c, bias) >= target:
            layer = range(base, base + spread + 1)
            if (reachable_bits(a, c, bias, [layer] * depth, target) >> target) & 1:
                return True
        base += 1
