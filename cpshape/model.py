"""Problem spec -> CP-SAT model. Builds, never solves.

One model holds every depth it is given. For depth ``m`` hidden width ``i`` is
``width_i = q * units_i`` (``q`` = multiple_of) with one integer ``units_i`` per layer, so
"multiple of q" costs nothing. Each product of neighbouring widths is one
``AddMultiplicationEquality``; the count is the same sum of :func:`counting.edge_count`
terms the pure-Python counter uses, written over those variables. Names follow the docs:
``d{m}_units_{i}``, ``d{m}_count``, ``d{m}_spread``, ``d{m}_absdev``; every constraint is
named after the rule it encodes, so a dumped model reads like the spec.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .scan import sound_bounds
from .spec import Monotone, Problem

__all__ = ["DepthVars", "ShapeModel", "build_model"]


@dataclass
class DepthVars:
    """The CP-SAT variables of one depth."""

    depth: int
    units: list[cp_model.IntVar]
    count: cp_model.IntVar
    spread_units: cp_model.IntVar
    absdev: cp_model.IntVar


@dataclass
class ShapeModel:
    """A built model: the native ``ort_model`` plus the variables of each depth."""

    ort_model: cp_model.CpModel
    depths: dict[int, DepthVars]
    multiple_of: int
    shared_count: cp_model.IntVar | None = None
    joins: dict[int, cp_model.IntVar] | None = None  # shared mode: depth hits the shared count


def build_model(
    problem: Problem,
    depths: list[int],
    band: tuple[int, int],
    *,
    shared: bool = False,
    domains: dict[int, list[tuple[int, int]]] | None = None,
) -> ShapeModel:
    """The CP-SAT model of ``problem`` for ``depths`` with counts inside ``band``.

    ``domains`` optionally narrows a depth's width bounds (in widths, not units); callers
    pass only ranges proven to contain every optimal shape. With ``shared`` one count
    variable ``shared_count`` is hit exactly by every depth whose ``joins`` literal is true.
    """
    model = cp_model.CpModel()
    rules, q = problem.constraints, problem.constraints.multiple_of
    low, high = band
    a, c, bias = problem.input_size, problem.output_size, int(problem.bias)
    shared_count = model.new_int_var(low, high, "shared_count") if shared else None
    built: dict[int, DepthVars] = {}
    joins: dict[int, cp_model.IntVar] = {}
    for m in depths:
        bounds = (domains or {}).get(m) or sound_bounds(problem, m, high)
        units = []
        for i, (lo, hi) in enumerate(bounds, start=1):
            u_lo, u_hi = -(-lo // q), hi // q
            units.append(model.new_int_var(u_lo, max(u_lo, u_hi), f"d{m}_units_{i}"))
            if u_hi < u_lo:
                model.add_bool_or([]).with_name(f"d{m}_empty_domain_{i}")
        count = model.new_int_var(low, high, f"d{m}_count")
        # count = a*b_1 + sum b_i*b_(i+1) + b_m*c (+ b_1 + ... + b_m + c with biases)
        terms = [a * q * units[0], c * q * units[-1]]
        for i in range(m - 1):
            (lo1, hi1), (lo2, hi2) = bounds[i], bounds[i + 1]
            cap = max(lo1 * lo2, min(hi1 * hi2, high)) // (q * q)
            product = model.new_int_var((lo1 // q) * (lo2 // q), cap, f"d{m}_product_{i + 1}_{i + 2}")
            model.add_multiplication_equality(product, [units[i], units[i + 1]])
            terms.append(q * q * product)
        if bias:
            terms.extend(q * u for u in units)
            terms.append(c)
        model.add(count == sum(terms)).with_name(f"d{m}_count_definition")
        if shared_count is not None:
            joins[m] = model.new_bool_var(f"d{m}_joins")
            model.add(count == shared_count).only_enforce_if(joins[m]).with_name(f"d{m}_hits_shared_count")
        top = max(hi for _, hi in bounds) // q
        u_max = model.new_int_var(0, top, f"d{m}_max_units")
        u_min = model.new_int_var(0, top, f"d{m}_min_units")
        model.add_max_equality(u_max, units)
        model.add_min_equality(u_min, units)
        spread_units = model.new_int_var(0, top, f"d{m}_spread")
        model.add(spread_units == u_max - u_min).with_name(f"d{m}_spread_definition")
        if rules.max_spread is not None:
            model.add(q * spread_units <= rules.max_spread).with_name(f"d{m}_max_spread")
        absdev = model.new_int_var(0, max(high - problem.params, problem.params - low, 0), f"d{m}_absdev")
        model.add_abs_equality(absdev, count - problem.params)
        _add_pair_rules(model, problem, m, units)
        built[m] = DepthVars(m, units, count, spread_units, absdev)
    return ShapeModel(model, built, q, shared_count, joins if shared else None)


def _add_pair_rules(model: cp_model.CpModel, problem: Problem, m: int, units: list[cp_model.IntVar]) -> None:
    """Ratio and monotone rules between consecutive hidden widths (q cancels in each)."""
    rules = problem.constraints
    for i, (x, y) in enumerate(itertools.pairwise(units), start=1):
        tag = f"d{m}_layers_{i}_{i + 1}"
        if rules.max_ratio is not None:
            n, d = rules.max_ratio.numerator, rules.max_ratio.denominator
            model.add(d * x <= n * y).with_name(f"{tag}_max_ratio_down")
            model.add(d * y <= n * x).with_name(f"{tag}_max_ratio_up")
        if rules.ratio_range is not None:
            lo, hi = rules.ratio_range
            model.add(lo.denominator * x >= lo.numerator * y).with_name(f"{tag}_ratio_range_lo")
            model.add(hi.denominator * x <= hi.numerator * y).with_name(f"{tag}_ratio_range_hi")
        if rules.monotone is Monotone.NON_INCREASING:
            model.add(y <= x).with_name(f"{tag}_non_increasing")
        elif rules.monotone is Monotone.NON_DECREASING:
            model.add(y >= x).with_name(f"{tag}_non_decreasing")
