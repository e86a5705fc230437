"""Networks with every hidden layer pinned but one or two (pure Python).

A pin far from the other widths leaves spreads and sparse counts that no window of the other
searches reaches cheaply; with every layer but one or two pinned, the shapes of one count
can be listed outright instead (:func:`pinned_shapes`), and the band's optimum and the
nearest counts come from those lists (:func:`~cpshape.twolayer.by_listing`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

from .counting import edge_count
from .result import check_shape
from .spec import Constraints, Problem
from .twolayer import by_listing, shapes_with_count

__all__ = ["by_pinned", "pinned_line", "pinned_shapes"]


def by_pinned(
    problem: Problem, depth: int, band: tuple[int, int]
) -> tuple[tuple[tuple[int, ...], int] | tuple[()], str] | None:
    """Depth ``depth`` with at most two hidden layers free (:func:`pinned_shapes`): the optimum
    (or ``()``, proven: no shape) and the proof's name; ``None`` when the pins are not of that
    form or the band is too wide to enumerate."""
    found = pinned_shapes(problem, depth)
    if found is None:
        return None
    shapes, proof = found
    best = by_listing(problem, band, shapes)
    return None if best is None else (best, proof)


def pinned_shapes(problem: Problem, depth: int) -> tuple[Callable[[int], list[tuple[int, ...]]], str] | None:
    """For depth ``depth`` with every hidden layer pinned but one or two: every valid shape of
    a count, and how they are found (``None`` if the pins are not of that form).

    Two free neighbours ``i, i+1`` are a depth-2 network from the width before them to the
    width after them (the input and output sizes at the ends) plus the pinned edges' fixed
    count, so the shapes of a count are the divisor pairs of the depth-2 count left
    (:func:`shapes_with_count`; ``"divisors"``). Free layers that are not neighbours enter the
    count linearly, ``count = K + sum(A_i * b_i)`` with ``A_i`` the sum of the pinned
    neighbours (``+ 1`` with biases): one width is read off, and with two only one residue
    class of the other is tried (``"pinned widths"``). Each shape is checked against every
    rule of the whole shape. A pin far from the other widths leaves spreads and sparse counts
    that no window of the other searches reaches cheaply (784 -> 10, 10^8, depth 3, first
    layer pinned to 1,718: no shape, which CP-SAT did not prove in 10 s).
    """
    pins = problem.constraints.pin_map()
    free = [i for i in range(1, depth + 1) if i not in pins]
    sizes = [problem.input_size, *(pins.get(j, 0) for j in range(1, depth + 1)), problem.output_size]
    if len(free) == 2 and free[1] == free[0] + 1:
        return _pair_shapes(problem, sizes, free[0]), "divisors"
    if not 1 <= len(free) <= 2:
        return None
    if len(free) == 2 and _residue_steps(problem, sizes, free) > LINEAR_STEPS:
        return None  # small neighbours: too many shapes per count to list one by one
    return _linear_shapes(problem, sizes, free), "pinned widths"


#: Two free layers that are not neighbours are listed only if one count has at most this many
#: candidates in its residue class (up to twice the band's upper end).
LINEAR_STEPS = 2048


def _residue_steps(problem: Problem, sizes: list[int], free: list[int]) -> int:
    q, beta = problem.constraints.multiple_of, int(problem.bias)
    gains = [q * (sizes[i - 1] + sizes[i + 1] + beta) for i in free]
    step = gains[1] // math.gcd(*gains)
    return 2 * problem.band()[1] // (gains[0] * step) + 1


def pinned_line(problem: Problem, depth: int) -> tuple[int, int, int] | None:
    """With every hidden layer of ``depth`` pinned but one, ``b = q*u``: ``(layer, fixed,
    gain)``, every count being ``fixed + gain*u`` (``None`` if the pins are not of that form)."""
    pins = problem.constraints.pin_map()
    free = [i for i in range(1, depth + 1) if i not in pins]
    if len(free) != 1:
        return None
    sizes = [problem.input_size, *(pins.get(j, 0) for j in range(1, depth + 1)), problem.output_size]
    q, i = problem.constraints.multiple_of, free[0]
    fixed = sum(edge_count(x, y, problem.bias) for x, y in itertools.pairwise(sizes))  # b at 0
    return i, fixed, q * (sizes[i - 1] + sizes[i + 1] + int(problem.bias))


def _pair_shapes(problem: Problem, sizes: list[int], i: int) -> Callable[[int], list[tuple[int, ...]]]:
    depth = len(sizes) - 2
    fixed = sum(
        edge_count(x, y, problem.bias)
        for j, (x, y) in enumerate(itertools.pairwise(sizes))
        if j not in (i - 1, i, i + 1)  # the edges into, within and out of the free pair
    )
    rules = Constraints(min_width=problem.constraints.min_width, multiple_of=problem.constraints.multiple_of)

    def shapes(count: int) -> list[tuple[int, ...]]:
        found: list[tuple[int, ...]] = []
        if count - fixed <= 0:  # the pinned edges alone reach the count: the pair adds more
            return found
        for pair in shapes_with_count(sizes[i - 1], sizes[i + 2], problem.bias, rules, count - fixed):
            widths = (*sizes[1:i], *pair, *sizes[i + 2 : depth + 1])
            if not check_shape(problem, widths, (count, count)):
                found.append(widths)
        return found

    return shapes


def _linear_shapes(
    problem: Problem, sizes: list[int], free: list[int]
) -> Callable[[int], list[tuple[int, ...]]]:
    q, beta = problem.constraints.multiple_of, int(problem.bias)
    fixed = sum(edge_count(x, y, problem.bias) for x, y in itertools.pairwise(sizes))  # free widths at 0
    gains = [q * (sizes[i - 1] + sizes[i + 1] + beta) for i in free]  # per unit u of b_i = q*u
    least = max(1, -(-problem.constraints.min_width // q))

    def shapes(count: int) -> list[tuple[int, ...]]:
        rest = count - fixed
        if len(free) == 1:
            options = [(rest // gains[0],)] if rest > 0 and rest % gains[0] == 0 else []
        else:  # gains[0]*u + gains[1]*v = rest: u runs through one residue class mod gains[1]/g
            g = math.gcd(*gains)
            options = []
            if rest > 0 and rest % g == 0:
                step = gains[1] // g
                first = (rest // g) * pow(gains[0] // g, -1, step) % step if step > 1 else 0
                u = first + step * max(0, -(-(least - first) // step))
                while gains[0] * u + gains[1] * least <= rest:
                    options.append((u, (rest - gains[0] * u) // gains[1]))
                    u += step
        found = []
        for units in options:
            widths = list(sizes[1:-1])
            for i, u in zip(free, units, strict=True):
                widths[i - 1] = q * u
            if min(units) >= least and not check_shape(problem, tuple(widths), (count, count)):
                found.append(tuple(widths))
        return found

    return shapes
