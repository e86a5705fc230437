"""Every dense chain with exactly ``P`` weights: exact counting and ordered listing.

A *shape* here is a full chain of layer sizes ``(n_0, n_1, ..., n_k)`` with ``k >= 1``
weight matrices, every size ``>= 1`` (input and output included) and exactly
``sum(n_i * n_(i+1)) == P`` weights. Biases are not counted. The *depth* of a shape is its
number of hidden layers, ``len(shape) - 2``; ``max_depth`` keeps shapes with at most that
many hidden layers (``max_depth=0``: only the single-matrix shapes ``(x, P // x)``).

Feasibility has a closed form, which makes listing output-sensitive (no dead ends):
from a last size ``x`` with ``e`` weight matrices still to place and ``r`` weights left,

* ``e == 0``: possible iff ``r == 0``;
* ``e == 1``: possible iff ``x`` divides ``r``;
* ``e >= 2``: possible iff ``r >= x + e - 1`` (next size 1, then ones, last size
  ``r - x - e + 2``).

Pure Python (plus numpy object arrays for the depth-limited count); no solver imports.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .spec import SpecError

__all__ = ["count_shapes", "iter_shapes", "list_shapes"]

Shape = tuple[int, ...]


def _check(params: object, max_depth: object) -> tuple[int, int]:
    """Validate ``P`` and ``max_depth``; return ``P`` and the largest matrix count to use."""
    if isinstance(params, bool) or not isinstance(params, int) or params < 1:
        raise SpecError(f"params must be a positive integer, got {params!r}")
    if max_depth is None:
        return params, params  # at most P matrices: every one holds >= 1 weight
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 0:
        raise SpecError(f"max_depth must be an integer >= 0 (hidden layers), got {max_depth!r}")
    return params, min(max_depth + 1, params)


def _count_unlimited(total: int) -> int:
    """Shapes of any depth: ``F(r, x)`` = ways to finish from last size ``x`` with ``r`` left.

    ``F(0, x) = 1``; for ``r > 0`` the next size ``y`` must leave a finishable remainder,
    i.e. ``x * y == r`` or ``y <= r - x * y``. Rows are filled by increasing ``r``.
    Work is about ``P^2 ln(P) / 2`` integer additions.
    """
    rows: list[list[int]] = [[]]  # rows[r][x] for 1 <= x <= r; row 0 handled inline (== 1)
    for r in range(1, total + 1):
        row = [0] * (r + 1)
        for x in range(1, r + 1):
            s = 1 if r % x == 0 else 0  # the last matrix: x * (r // x) == r
            for y in range(1, r // (x + 1) + 1):
                s += rows[r - x * y][y]
            row[x] = s
        rows.append(row)
    return sum(rows[total])


def _count_limited(total: int, edges: int) -> int:
    """Shapes with at most ``edges`` weight matrices, one layer of matrices at a time.

    ``layer[y, r]`` = chains with the current number of matrices, ``r`` weights and last
    size ``y``; appending size ``z`` shifts row ``y`` by ``y * z`` into row ``z``.
    """
    size = total + 1
    layer = np.zeros((size, size), dtype=object)
    for y in range(1, size):
        layer[y, y::y] = 1  # (x, y) holds x * y weights
    found = int(sum(layer[1:, total]))
    for placed in range(1, edges):
        # ``placed`` matrices ending in size y weigh >= placed - 1 + y: only rows
        # y <= total - placed + 1 and columns r >= placed can be non-zero.
        nxt = np.zeros((size, size), dtype=object)
        for y in range(1, total - placed + 2):
            row = layer[y, placed:]
            for z in range(1, (total - placed) // y + 1):
                shift = y * z
                nxt[z, placed + shift :] += row[: size - placed - shift]
        layer = nxt
        found += int(sum(layer[1:, total]))
    return found


def count_shapes(params: int, max_depth: int | None = None) -> int:
    """Exact number of dense chains with exactly ``params`` weights (see the module doc).

    >>> [count_shapes(p) for p in range(1, 7)]
    [1, 3, 5, 10, 14, 27]
    >>> count_shapes(4, max_depth=0)
    3
    """
    total, edges = _check(params, max_depth)
    if edges >= total:
        return _count_unlimited(total)
    return _count_limited(total, edges)


def _first_sizes(total: int, edges: int) -> Iterator[int]:
    if edges == 1:
        return (x for x in range(1, total + 1) if total % x == 0)
    return iter(range(1, total - edges + 2))


def _next_sizes(x: int, r: int, e: int) -> Iterator[int]:
    """Next sizes ``y`` after ``x`` (``r`` weights, ``e >= 1`` matrices left), increasing."""
    if e == 1:
        return iter((r // x,) if r % x == 0 else ())
    top = r // (x + 1) if e == 2 else (r - e + 2) // (x + 1)
    if e == 2:  # the remainder r - x*y goes into one matrix y * n: y must divide r
        return (y for y in range(1, top + 1) if r % y == 0)
    return iter(range(1, top + 1))


def _of_length(total: int, edges: int) -> Iterator[Shape]:
    """Shapes with exactly ``edges`` matrices, lexicographic; iterative depth-first search."""
    prefix: list[int] = []
    left: list[int] = []  # weights left after the matrices so far, per prefix position
    stack: list[Iterator[int]] = [_first_sizes(total, edges)]
    while stack:
        y = next(stack[-1], None)
        if y is None:
            stack.pop()
            if prefix:
                prefix.pop()
                left.pop()
            continue
        r = left[-1] - prefix[-1] * y if prefix else total
        prefix.append(y)
        left.append(r)
        placed = len(prefix) - 1
        if placed == edges:
            yield tuple(prefix)
            prefix.pop()
            left.pop()
        else:
            stack.append(_next_sizes(y, r, edges - placed))


def iter_shapes(params: int, max_depth: int | None = None) -> Iterator[Shape]:
    """Every dense chain with exactly ``params`` weights, lazily.

    Order: by length (fewest layers first), then lexicographically. Each shape costs
    ``O(len(shape))`` amortised (plus divisor scans), so the first shapes of a huge
    ``params`` come at once.

    >>> list(iter_shapes(2))
    [(1, 2), (2, 1), (1, 1, 1)]
    """
    total, edges = _check(params, max_depth)
    for k in range(1, edges + 1):
        yield from _of_length(total, k)


def list_shapes(params: int, max_depth: int | None = None, limit: int | None = 100_000) -> list[Shape]:
    """:func:`iter_shapes` as a list, refusing (``SpecError``) more than ``limit`` shapes.

    ``limit=None`` lists everything, however many there are.
    """
    _check(params, max_depth)
    if limit is None:
        return list(iter_shapes(params, max_depth))
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise SpecError(f"limit must be an integer >= 0 or None, got {limit!r}")
    shapes: list[Shape] = []
    for shape in iter_shapes(params, max_depth):
        if len(shapes) == limit:
            count = count_shapes(params, max_depth)
            depth = "" if max_depth is None else f" with at most {max_depth} hidden layers"
            raise SpecError(
                f"params={params} has {count} shapes{depth}, more than the listing limit {limit}; "
                "count them instead, lower params or max_depth, or raise the limit"
            )
        shapes.append(shape)
    return shapes
