"""Closed-form seed methods: the uniform-width baseline, shared uniform counts, rules of thumb.

Pure Python plus numpy; no solver imports. Every count is exact integer arithmetic.

With ``depth`` hidden layers all of width ``b`` between input ``a`` and output ``c``, the
count is the quadratic ``f(b) = (m-1) b^2 + (a + c + m) b + c`` with biases and
``f(b) = (m-1) b^2 + (a + c) b`` without (``m`` = depth; see
:func:`cpshape.counting.uniform_count`). The popular ``b (a + m b + c)`` counts one
hidden-to-hidden matrix too many.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from .counting import chain, count_params
from .result import DepthResult, Status
from .spec import Problem, SpecError

__all__ = [
    "BaselineMethod",
    "CommonResult",
    "RuleCheck",
    "SharedCount",
    "baseline",
    "common",
    "exact_uniform_width",
    "rules_of_thumb",
]

_CHUNK = 1 << 18
_NUMPY_LIMIT = 2**61  # int64 headroom for the discriminant and the recount


class BaselineMethod(StrEnum):
    ROUND = "round"  # the positive root, rounded to the uniform width whose count is nearest
    DECREMENT = "decrement"  # the root rounded up, then layers shrunk by 1 from the output side


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"{name} must be a positive integer, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class _Uniform:
    """``f(b) = quad * b^2 + lin * b + const``: the count of ``depth`` layers of width ``b``."""

    depth: int
    quad: int
    lin: int
    const: int

    @classmethod
    def of(cls, input_size: int, output_size: int, depth: int, bias: bool) -> _Uniform:
        lin = input_size + output_size + (depth if bias else 0)
        return cls(depth, depth - 1, lin, output_size if bias else 0)

    def at(self, width: int) -> int:
        return (self.quad * width + self.lin) * width + self.const

    def floor_root(self, params: int) -> int:
        """Largest ``b >= 0`` with ``f(b) <= params`` (0 also when even ``f(0) > params``)."""
        rest = params - self.const
        if rest <= 0:
            return 0
        if self.quad == 0:
            return rest // self.lin
        width = max(0, (math.isqrt(self.lin**2 + 4 * self.quad * rest) - self.lin) // (2 * self.quad))
        while self.at(width + 1) <= params:  # isqrt is exact; these only absorb the // rounding
            width += 1
        while width > 0 and self.at(width) > params:
            width -= 1
        return width

    def exact(self, params: int) -> int | None:
        width = self.floor_root(params)
        return width if width >= 1 and self.at(width) == params else None

    def hits(self, counts: np.ndarray) -> np.ndarray:
        """Boolean mask: which int64 ``counts`` are ``f(b)`` for an integer ``b >= 1``.

        The float square root is only a guess: the floor of the real root is within
        1e-6 of the guess, so the exact int64 check of ``b0`` and ``b0 + 1`` is complete.
        """
        if self.quad == 0:
            rest = counts - self.const
            return (rest >= self.lin) & (rest % self.lin == 0)
        disc = self.lin**2 + 4 * self.quad * (counts - self.const)
        guess = (np.sqrt(disc.astype(np.float64)) - self.lin) / (2 * self.quad)
        low = np.floor(guess).astype(np.int64)
        mask = np.zeros(counts.shape, dtype=bool)
        for width in (low, low + 1):
            mask |= (width >= 1) & ((self.quad * width + self.lin) * width + self.const == counts)
        return mask


def exact_uniform_width(
    input_size: int, output_size: int, depth: int, params: int, bias: bool = True
) -> int | None:
    """The width ``b >= 1`` with ``uniform_count(a, c, depth, b, bias) == params``, or None."""
    for value, name in ((input_size, "input_size"), (output_size, "output_size"), (depth, "depth")):
        _positive_int(value, name)
    _positive_int(params, "params")
    return _Uniform.of(input_size, output_size, depth, bias).exact(params)


# --- baseline -----------------------------------------------------------------------------


def _round_widths(quad: _Uniform, params: int) -> tuple[int, ...]:
    low = quad.floor_root(params)
    best = low if low >= 1 and params - quad.at(low) <= quad.at(low + 1) - params else low + 1
    return (best,) * quad.depth


def _decrement_widths(problem: Problem, quad: _Uniform) -> tuple[int, ...]:
    params = problem.params
    low = quad.floor_root(params)
    top = low if low >= 1 and quad.at(low) == params else low + 1
    widths = [top] * quad.depth
    gap = abs(quad.at(top) - params)

    def count() -> int:
        return count_params(chain(problem.input_size, widths, problem.output_size), problem.bias)

    for layer in reversed(range(quad.depth)):  # last hidden layer first
        if widths[layer] == 1:
            break
        widths[layer] -= 1
        new_gap = abs(count() - params)
        if new_gap >= gap:
            widths[layer] += 1
            break
        gap = new_gap
    return tuple(widths)


def baseline(problem: Problem, method: str = "round") -> list[DepthResult]:
    """The closed-form uniform-width answer, one :class:`DepthResult` per depth.

    ``round``: the width ``b >= 1`` nearest the positive root of ``f(b) = params``; of
    ``floor(root)`` and ``ceil(root)`` it takes the one whose count is nearer (ties: the
    smaller width). Exact integer arithmetic (``math.isqrt``), so ``params = 10**12`` is fine.

    ``decrement``: ``ceil(root)`` for every layer, then the last hidden layer, the one
    before it, ... each lose one unit while that strictly reduces ``|params - target|``.

    The result ignores ``problem.constraints`` and ``problem.same_count``. Its status is
    ``FEASIBLE`` when the count lies in ``problem.band()``, else ``UNKNOWN``: a heuristic
    proves nothing, neither optimality nor infeasibility.
    """
    try:
        kind = BaselineMethod(method)
    except ValueError:
        choices = ", ".join(m.value for m in BaselineMethod)
        raise SpecError(f"baseline method must be one of {choices}; got {method!r}") from None
    low_band, high_band = problem.band()
    results: list[DepthResult] = []
    for depth in problem.depths:
        start = time.perf_counter()
        quad = _Uniform.of(problem.input_size, problem.output_size, depth, problem.bias)
        if kind is BaselineMethod.ROUND:
            widths = _round_widths(quad, problem.params)
        else:
            widths = _decrement_widths(problem, quad)
        params = count_params(chain(problem.input_size, widths, problem.output_size), problem.bias)
        status = Status.FEASIBLE if low_band <= params <= high_band else Status.UNKNOWN
        results.append(
            DepthResult(
                depth=depth,
                status=status,
                widths=widths,
                params=params,
                seconds=time.perf_counter() - start,
                proof=f"baseline:{kind.value}",
                target=problem.params,
            )
        )
    return results


# --- common: the smallest count every depth reaches with a uniform width -------------------


@dataclass(frozen=True)
class SharedCount:
    """A set of depths that all reach ``params`` exactly with uniform widths."""

    depths: tuple[int, ...]
    params: int
    widths: dict[int, int]


@dataclass(frozen=True)
class CommonResult:
    """Answer of :func:`common`.

    ``params`` is the smallest count every depth hits with a uniform width, or None when
    no count up to ``searched_up_to`` (= ``max_params``) works: an exhaustive proof.
    When found, ``searched_up_to == params`` (every smaller count was ruled out).
    ``best_subsets``: the largest subsets (2 or more depths) that share a count up to
    ``searched_up_to``, each with its smallest shared count, by count; empty if no two
    depths share one (or when the subset search was switched off).
    """

    params: int | None
    widths: dict[int, int]
    searched_up_to: int
    best_subsets: tuple[SharedCount, ...] = field(default=())


def _counts(quad: _Uniform, max_params: int, numpy_ok: bool) -> Iterator[np.ndarray | list[int]]:
    """``f(1), f(2), ...`` up to ``max_params`` in chunks (increasing)."""
    last = quad.floor_root(max_params)
    for first in range(1, last + 1, _CHUNK):
        stop = min(first + _CHUNK, last + 1)
        if numpy_ok:
            width = np.arange(first, stop, dtype=np.int64)
            yield (quad.quad * width + quad.lin) * width + quad.const
        else:
            yield [quad.at(w) for w in range(first, stop)]


def _hit_sets(chunk: np.ndarray | list[int], others: Sequence[_Uniform]) -> list[tuple[frozenset[int], int]]:
    """(depths of ``others`` that hit it, count) for the counts of ``chunk`` hit at all.

    One entry per distinct set of depths, with its first (smallest) count in ``chunk``.
    """
    if not isinstance(chunk, np.ndarray):
        found: dict[frozenset[int], int] = {}
        for params in chunk:
            members = frozenset(o.depth for o in others if o.exact(params) is not None)
            if members and members not in found:
                found[members] = params
        return list(found.items())
    if not others:
        return []
    table = np.stack([other.hits(chunk) for other in others], axis=1)
    hit = table.any(axis=1)
    table, counts = table[hit], chunk[hit]
    if not counts.size:
        return []
    rows, where = np.unique(table, axis=0, return_index=True)
    return [
        (frozenset(o.depth for o, flag in zip(others, row.tolist(), strict=True) if flag), int(counts[i]))
        for row, i in zip(rows, where.tolist(), strict=True)
    ]


def _first_full(lead: _Uniform, others: Sequence[_Uniform], max_params: int, numpy_ok: bool) -> int | None:
    for chunk in _counts(lead, max_params, numpy_ok):
        if isinstance(chunk, np.ndarray):
            alive = chunk
            for other in others:  # narrow the candidates depth by depth
                alive = alive[other.hits(alive)]
                if not alive.size:
                    break
            if alive.size:
                return int(alive[0])
        else:
            for params in chunk:
                if all(other.exact(params) is not None for other in others):
                    return params
    return None


def _widths(quads: Sequence[_Uniform], depths: Iterable[int], params: int) -> dict[int, int]:
    by_depth = {q.depth: q for q in quads}
    widths: dict[int, int] = {}
    for depth in sorted(depths):
        width = by_depth[depth].exact(params)
        if width is None:  # pragma: no cover - the scan only reports exact hits
            raise RuntimeError(f"internal error: depth {depth} does not reach {params}")
        widths[depth] = width
    return widths


def _best_subsets(quads: Sequence[_Uniform], max_params: int, numpy_ok: bool) -> tuple[SharedCount, ...]:
    """Largest subsets (>= 2 depths) sharing a count, each with its smallest shared count.

    Depths are scanned sparsest first; scanning one tests only the depths after it, so every
    subset is found (once) while scanning its sparsest member, in increasing count order.
    """
    order = sorted(quads, key=lambda q: (q.floor_root(max_params), -q.depth))
    best_size = 2
    found: dict[frozenset[int], int] = {}
    for i, lead in enumerate(order[:-1]):
        rest = order[i + 1 :]
        if 1 + len(rest) < best_size:
            break
        for chunk in _counts(lead, max_params, numpy_ok):
            for hits, params in _hit_sets(chunk, rest):
                members = hits | {lead.depth}
                if len(members) >= best_size and members not in found:
                    found[members] = params
                    best_size = len(members)
    shared = [
        SharedCount(tuple(sorted(members)), params, _widths(quads, members, params))
        for members, params in found.items()
        if len(members) == best_size
    ]
    return tuple(sorted(shared, key=lambda s: (s.params, s.depths)))


def common(
    input_size: int,
    output_size: int,
    depths: Iterable[int],
    bias: bool = True,
    max_params: int = 10**12,
    subsets: bool = False,
) -> CommonResult:
    """Smallest count ``P <= max_params`` that every depth hits with an exact uniform width.

    Scans the uniform counts ``f(1) < f(2) < ...`` of the depth with the fewest of them up
    to ``max_params`` (the deepest) and tests every other depth exactly: a float square
    root guesses ``b``, int64 arithmetic checks ``b`` and ``b + 1`` (pure-Python
    ``math.isqrt`` when ``max_params`` is beyond int64 headroom). About
    ``sqrt(max_params / (depth - 1))`` candidates: ~3e5 for depth 12 at 1e12.

    ``subsets=True`` (used only when no shared count exists) also reports the largest
    subsets of depths that do share a count. It scans every depth but the shallowest, each
    against the depths after it: ~0.5 s for depths 5..12 at 1e12, but it grows with the
    number of depths times the number of candidates, hence off by default.
    """
    _positive_int(input_size, "input_size")
    _positive_int(output_size, "output_size")
    _positive_int(max_params, "max_params")
    try:
        wanted = sorted({_positive_int(d, "depth") for d in depths})
    except TypeError:
        raise SpecError(f"depths must be a list of positive integers, got {depths!r}") from None
    if not wanted:
        raise SpecError("depths is empty: give at least one depth (number of hidden layers)")
    quads = [_Uniform.of(input_size, output_size, d, bias) for d in wanted]
    headroom = max(q.lin**2 + 4 * q.quad * max_params + 2 * max_params for q in quads)
    numpy_ok = headroom < _NUMPY_LIMIT
    lead = min(quads, key=lambda q: (q.floor_root(max_params), -q.depth))
    others = [q for q in quads if q is not lead]
    params = _first_full(lead, others, max_params, numpy_ok)
    if params is None:
        best = _best_subsets(quads, max_params, numpy_ok) if subsets else ()
        return CommonResult(None, {}, max_params, best)
    widths = _widths(quads, wanted, params)
    return CommonResult(params, widths, params, (SharedCount(tuple(wanted), params, widths),))


# --- rules of thumb ------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleCheck:
    """One classic heuristic (folklore, not advice) and whether ``widths`` follow it."""

    name: str
    passed: bool
    detail: str


def _listing(widths: Iterable[int]) -> str:
    return ", ".join(str(w) for w in widths)


def rules_of_thumb(input_size: int, output_size: int, widths: Sequence[int]) -> list[RuleCheck]:
    """Check three folklore heuristics for hidden widths. They are heuristics, not advice.

    1. ``between``: every width lies between the output and input sizes (inclusive).
    2. ``below-twice-input``: every width is below ``2 * input_size``.
    3. ``two-thirds``: every width is within 25% of ``t = round(2/3 * input + output)``,
       i.e. ``|w - t| <= t / 4`` (``2a/3`` is never a half, so ``t = (2a + 3c + 1) // 3``).
    """
    a = _positive_int(input_size, "input_size")
    c = _positive_int(output_size, "output_size")
    hidden = list(widths)
    if not hidden:
        raise SpecError("widths is empty: give at least one hidden width")
    for width in hidden:
        _positive_int(width, "hidden width")
    low, high = min(a, c), max(a, c)
    outside = [w for w in hidden if not low <= w <= high]
    big = [w for w in hidden if w >= 2 * a]
    target = (2 * a + 3 * c + 1) // 3
    far = [w for w in hidden if 4 * abs(w - target) > target]
    return [
        RuleCheck(
            "between",
            not outside,
            f"widths {_listing(outside)} outside [{low}, {high}]"
            if outside
            else f"all widths in [{low}, {high}]",
        ),
        RuleCheck(
            "below-twice-input",
            not big,
            f"widths {_listing(big)} not below 2 * {a} = {2 * a}" if big else f"all widths below {2 * a}",
        ),
        RuleCheck(
            "two-thirds",
            not far,
            (f"widths {_listing(far)} " if far else "all widths ")
            + f"{'not ' if far else ''}within 25% of round(2/3 * {a} + {c}) = {target}",
        ),
    ]
