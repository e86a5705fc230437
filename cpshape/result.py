"""Solutions, statuses and the run report, plus exact re-verification (pure Python)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import StrEnum

from .counting import chain, count_params
from .spec import Monotone, Problem, SolverSettings

__all__ = ["DepthResult", "Report", "Status", "VerificationError", "check_shape", "verify"]


class Status(StrEnum):
    OPTIMAL = "optimal"  # proven optimal (by CP-SAT or by the exact DP, see `proof`)
    FEASIBLE = "feasible"  # a valid shape, optimality not proven within the limits
    INFEASIBLE = "infeasible"  # proven: no shape satisfies the constraints within the band
    UNKNOWN = "unknown"  # limits ran out before any shape or proof was found


class VerificationError(RuntimeError):
    """A solver answer failed the independent recount: an internal error, never a result."""


@dataclass(frozen=True)
class DepthResult:
    depth: int
    status: Status
    widths: tuple[int, ...] | None = None
    params: int | None = None
    nearest: tuple[int | None, int | None] | None = None
    seconds: float = 0.0
    proof: str = ""  # which method proved the status ("dp", "cp-sat", "closed form", ...)
    joined: bool = True  # shared mode: whether this depth hits the shared count
    target: int = 0

    @property
    def deviation(self) -> int | None:
        return None if self.params is None else self.params - self.target

    @property
    def spread(self) -> int | None:
        return None if not self.widths else max(self.widths) - min(self.widths)


@dataclass(frozen=True)
class Report:
    problem: Problem
    settings: SolverSettings
    results: tuple[DepthResult, ...]
    shared_count: int | None = None
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def all_optimal(self) -> bool:
        return all(r.status is Status.OPTIMAL for r in self.results)

    @property
    def all_within_band(self) -> bool:
        return all(r.widths is not None for r in self.results)

    def by_depth(self, depth: int) -> DepthResult:
        return next(r for r in self.results if r.depth == depth)


def check_shape(problem: Problem, widths: tuple[int, ...], band: tuple[int, int] | None = None) -> list[str]:
    """Every rule of ``problem`` that ``widths`` breaks (empty list: the shape is valid).

    Independent of the solver: plain integer arithmetic, ratios cross-multiplied exactly.
    """
    rules = problem.constraints
    low, high = band or problem.band()
    broken: list[str] = []
    if not widths or any(not isinstance(w, int) or w < 1 for w in widths):
        return [f"widths must be positive integers, got {widths}"]
    count = count_params(chain(problem.input_size, widths, problem.output_size), problem.bias)
    if not low <= count <= high:
        broken.append(f"count {count} outside band [{low}, {high}]")
    if min(widths) < rules.min_width:
        broken.append(f"width below min_width {rules.min_width}")
    if rules.max_width is not None and max(widths) > rules.max_width:
        broken.append(f"width above max_width {rules.max_width}")
    if rules.max_spread is not None and max(widths) - min(widths) > rules.max_spread:
        broken.append(f"spread above max_spread {rules.max_spread}")
    if any(w % rules.multiple_of for w in widths):
        broken.append(f"width not a multiple of {rules.multiple_of}")
    for layer, width in rules.pins:
        if widths[layer - 1] != width:
            broken.append(f"layer {layer} is not pinned to {width}")
    for x, y in itertools.pairwise(widths):
        if rules.max_ratio is not None:
            r = rules.max_ratio
            if x * r.denominator > r.numerator * y or y * r.denominator > r.numerator * x:
                broken.append(f"widths {x}, {y} differ by more than a factor {r}")
        if rules.ratio_range is not None:
            lo, hi = rules.ratio_range
            if x * lo.denominator < lo.numerator * y or x * hi.denominator > hi.numerator * y:
                broken.append(f"ratio {x}/{y} outside [{lo}, {hi}]")
        if rules.monotone is Monotone.NON_INCREASING and y > x:
            broken.append(f"widths increase ({x} -> {y})")
        if rules.monotone is Monotone.NON_DECREASING and y < x:
            broken.append(f"widths decrease ({x} -> {y})")
    return broken


def verify(problem: Problem, result: DepthResult, band: tuple[int, int] | None = None) -> DepthResult:
    """Recount ``result`` and re-check every rule; raise :class:`VerificationError` on mismatch."""
    if result.widths is None:
        if result.status in (Status.OPTIMAL, Status.FEASIBLE):
            raise VerificationError(f"depth {result.depth}: status {result.status} without widths")
        return result
    if len(result.widths) != result.depth:
        raise VerificationError(f"depth {result.depth}: got {len(result.widths)} widths")
    count = count_params(chain(problem.input_size, result.widths, problem.output_size), problem.bias)
    if count != result.params:
        raise VerificationError(f"depth {result.depth}: solver says {result.params}, recount gives {count}")
    broken = check_shape(problem, result.widths, band)
    if broken:
        raise VerificationError(
            f"depth {result.depth}: widths {list(result.widths)} break: {'; '.join(broken)}"
        )
    return result
