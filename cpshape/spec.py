"""The problem spec: what to solve, validated on construction (pure Python).

Every bad value raises :class:`SpecError` (a ``ValueError``) whose message names the field
and the value. Ratios and tolerances are exact :class:`fractions.Fraction` values, so a
bound such as ``1.25`` is never rounded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from numbers import Rational
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .budget import WorkBudget

__all__ = [
    "INT64_LIMIT",
    "Constraints",
    "Monotone",
    "Prefer",
    "Problem",
    "SolverSettings",
    "SpecError",
    "to_fraction",
]

#: CP-SAT keeps every domain and every partial sum of a linear expression within
#: +/-(2**62 - 1); the spec refuses problems whose model could reach that.
INT64_LIMIT = 2**62 - 1


class SpecError(ValueError):
    """Invalid problem input; the message names the offending field and value."""


class Monotone(StrEnum):
    NONE = "none"
    NON_INCREASING = "non-increasing"
    NON_DECREASING = "non-decreasing"


class Prefer(StrEnum):
    """Which objective comes first: the width spread or the count deviation."""

    SPREAD = "spread"
    DEVIATION = "deviation"


def to_fraction(value: object, name: str) -> Fraction:
    """Exact fraction from an int, Fraction, decimal string (``"1.25"``, ``"5%"``) or float.

    Floats go through their shortest decimal repr, so ``1.25`` and ``0.01`` are exact.
    """
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, Rational):
            return Fraction(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError
            return Fraction(repr(value))
        if isinstance(value, str):
            text = value.strip().replace("_", "")
            if text.endswith("%"):
                return Fraction(text[:-1].strip()) / 100
            return Fraction(text)
    except (TypeError, ValueError, ZeroDivisionError):
        pass
    raise SpecError(f"{name} must be a number, got {value!r}")


def _int(value: object, name: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise SpecError(f"{name} must be >= {minimum}, got {value}")
    if value > INT64_LIMIT:
        raise SpecError(f"{name} = {value} exceeds CP-SAT's integer limit 2**62 - 1 = {INT64_LIMIT}")
    return value


@dataclass(frozen=True)
class Constraints:
    """Shape rules applied to every depth. Layers are numbered 1..depth (first hidden = 1)."""

    min_width: int = 1
    max_width: int | None = None
    max_ratio: Fraction | None = None
    ratio_range: tuple[Fraction, Fraction] | None = None
    monotone: Monotone = Monotone.NONE
    multiple_of: int = 1
    pins: tuple[tuple[int, int], ...] = ()
    max_spread: int | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        _int(self.min_width, "min_width", 1)
        if self.max_width is not None:
            _int(self.max_width, "max_width", 1)
            if self.max_width < self.min_width:
                raise SpecError(f"min_width {self.min_width} > max_width {self.max_width}")
        if self.max_ratio is not None:
            ratio = to_fraction(self.max_ratio, "max_ratio")
            if ratio < 1:
                raise SpecError(f"max_ratio must be >= 1, got {_show(ratio)}")
            set_(self, "max_ratio", ratio)
        if self.ratio_range is not None:
            try:
                lo_raw, hi_raw = self.ratio_range
            except (TypeError, ValueError):
                raise SpecError(f"ratio_range must be a pair lo, hi, got {self.ratio_range!r}") from None
            lo, hi = to_fraction(lo_raw, "ratio_range lo"), to_fraction(hi_raw, "ratio_range hi")
            if lo <= 0:
                raise SpecError(f"ratio_range lo must be > 0, got {_show(lo)}")
            if lo > hi:
                raise SpecError(f"ratio_range lo {_show(lo)} > hi {_show(hi)}")
            set_(self, "ratio_range", (lo, hi))
        try:
            set_(self, "monotone", Monotone(self.monotone))
        except ValueError:
            choices = ", ".join(m.value for m in Monotone)
            raise SpecError(f"monotone must be one of {choices}; got {self.monotone!r}") from None
        _int(self.multiple_of, "multiple_of", 1)
        pins: dict[int, int] = {}
        for item in self.pins:
            try:
                layer, width = item
            except (TypeError, ValueError):
                raise SpecError(f"a pin is a pair (layer, width), got {item!r}") from None
            _int(layer, "pinned layer", 1)
            _int(width, f"pinned width of layer {layer}", 1)
            if layer in pins and pins[layer] != width:
                raise SpecError(f"layer {layer} is pinned twice ({pins[layer]} and {width})")
            if width % self.multiple_of:
                raise SpecError(
                    f"pinned width {width} of layer {layer} is not a multiple of {self.multiple_of}"
                )
            if width < self.min_width or (self.max_width is not None and width > self.max_width):
                raise SpecError(f"pinned width {width} of layer {layer} is outside the width bounds")
            pins[layer] = width
        set_(self, "pins", tuple(sorted(pins.items())))
        if self.max_spread is not None:
            _int(self.max_spread, "max_spread", 0)

    def pin_map(self) -> dict[int, int]:
        return dict(self.pins)


def _show(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


@dataclass(frozen=True)
class Problem:
    """One run: sizes, depths, target count and its band, bias switch, constraints, mode."""

    input_size: int
    output_size: int
    params: int
    depths: tuple[int, ...]
    tolerance: Fraction = Fraction(0)
    tolerance_abs: int | None = None
    bias: bool = True
    constraints: Constraints = field(default_factory=Constraints)
    same_count: bool = False
    prefer: Prefer = Prefer.SPREAD

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        _int(self.input_size, "input_size", 1)
        _int(self.output_size, "output_size", 1)
        _int(self.params, "params", 1)
        try:
            depths = tuple(self.depths)
        except TypeError:
            raise SpecError(f"depths must be a list of integers, got {self.depths!r}") from None
        if not depths:
            raise SpecError("depths is empty: give at least one depth (number of hidden layers)")
        for depth in depths:
            _int(depth, "depth", 1)
        set_(self, "depths", tuple(sorted(set(depths))))
        tol = to_fraction(self.tolerance, "tolerance")
        if not 0 <= tol < 1:
            raise SpecError(f"tolerance must be in [0, 1), got {_show(tol)}")
        set_(self, "tolerance", tol)
        if self.tolerance_abs is not None:
            _int(self.tolerance_abs, "tolerance_abs", 0)
            if tol:
                raise SpecError("give tolerance (relative) or tolerance_abs (a count), not both")
        if not isinstance(self.bias, bool):
            raise SpecError(f"bias must be true or false, got {self.bias!r}")
        if not isinstance(self.constraints, Constraints):
            raise SpecError("constraints must be a Constraints instance")
        if not isinstance(self.same_count, bool):
            raise SpecError(f"same_count must be true or false, got {self.same_count!r}")
        try:
            set_(self, "prefer", Prefer(self.prefer))
        except ValueError:
            raise SpecError(f"prefer must be 'spread' or 'deviation', got {self.prefer!r}") from None
        for layer, _ in self.constraints.pins:
            if layer > min(depths):
                raise SpecError(f"pinned layer {layer} is outside depth {min(depths)} (layers are 1..depth)")
        self._check_overflow()

    def band(self) -> tuple[int, int]:
        """Inclusive range [low, high] of accepted counts."""
        if self.tolerance_abs is not None:
            return max(1, self.params - self.tolerance_abs), self.params + self.tolerance_abs
        low = math.ceil(self.params * (1 - self.tolerance))
        high = math.floor(self.params * (1 + self.tolerance))
        return max(1, low), high

    def max_model_value(self) -> int:
        """Largest magnitude the CP-SAT model can hold: sum of the count's term bounds."""
        high = self.band()[1]
        return (max(self.depths) + 3) * 4 * high

    def _check_overflow(self) -> None:
        if self.max_model_value() > INT64_LIMIT:
            high = self.band()[1]
            limit = INT64_LIMIT // ((max(self.depths) + 3) * 4)
            raise SpecError(
                f"params band upper end {high} is too large: the CP-SAT model of depth "
                f"{max(self.depths)} would exceed the 64-bit limit 2**62 - 1; keep the band's upper end "
                f"below {limit} (that is (2**62 - 1) / (4 * (depth + 3)))"
            )


@dataclass(frozen=True)
class SolverSettings:
    """CP-SAT parameters, recorded with every result.

    ``workers=1`` and a deterministic-time limit make runs reproducible: CP-SAT's single
    worker search is deterministic, wall-clock limits are not. ``time_limit`` (seconds of
    wall clock) is an extra safety net and is off by default. ``dp_work`` caps the exact
    searches in 64-bit words shifted (their other work is charged at its cost in such
    words; about 2-4 s per 1e9 here), also machine-independent; it is per depth, so the
    shared count's search over k depths gets ``k * dp_work``.
    """

    time_limit: float | None = None
    deterministic_limit: float = 60.0
    workers: int = 1
    seed: int = 0
    dp_work: int = 10**9

    def exact_budget(self, start: float, depths: int = 1) -> WorkBudget:
        """The exact searches' budget for one depth started at ``start`` (perf_counter):
        ``dp_work`` words and, with a ``time_limit``, half of that limit. A search over
        several ``depths`` at once (the shared count) gets their budgets together.
        """
        from .budget import WorkBudget

        deadline = None if self.time_limit is None else start + self.time_limit / 2
        return WorkBudget(self.dp_work * depths, deadline)

    def __post_init__(self) -> None:
        if self.time_limit is not None:
            if isinstance(self.time_limit, bool) or not isinstance(self.time_limit, int | float):
                raise SpecError(f"time_limit must be a number of seconds, got {self.time_limit!r}")
            if not self.time_limit > 0:
                raise SpecError(f"time_limit must be > 0 seconds, got {self.time_limit}")
        if not self.deterministic_limit > 0:
            raise SpecError(f"deterministic_limit must be > 0, got {self.deterministic_limit}")
        _int(self.workers, "workers", 1)
        _int(self.seed, "seed", 0)
        _int(self.dp_work, "dp_work", 0)
