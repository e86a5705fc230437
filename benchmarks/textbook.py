"""The textbook CP-SAT model, written here from the problem statement alone.

What a first attempt looks like: every hidden width an integer in ``[1, P]`` (``q * u``
with ``u`` in ``[1, P // q]`` for multiple-of ``q``), one ``AddMultiplicationEquality`` per
product of neighbouring widths, the spread as ``max - min`` via ``AddMaxEquality`` /
``AddMinEquality``, the count as a linear sum, ratio and monotone rules as linear
inequalities. Two lexicographic stages: minimise the spread, fix it, minimise
``|count - target|``. ``num_workers=1``. The time limit covers both stages of one depth
(stage 2 gets what stage 1 left). No bounds tightening, no DP, no hints.

Each depth is its own model (an infeasible depth must not sink the others); a shared-count
case is one model over all depths (minimise the largest spread, then ``|shared - target|``).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from ortools.sat.python import cp_model

from cpshape import Monotone, Problem

Stat = dict[str, Any]


def _depth_vars(model: cp_model.CpModel, problem: Problem, m: int, tag: str) -> tuple[Any, Any]:
    """Widths, count and spread of depth ``m``; returns (count, spread)."""
    rules, q = problem.constraints, problem.constraints.multiple_of
    low, high = problem.band()
    a, c = problem.input_size, problem.output_size
    units = [model.new_int_var(1, max(1, high // q), f"{tag}_u{i}") for i in range(m)]
    widths = [q * u for u in units]
    terms: list[Any] = [a * widths[0], c * widths[-1]]
    for i in range(m - 1):
        prod = model.new_int_var(1, high // (q * q) + 1, f"{tag}_p{i}")
        model.add_multiplication_equality(prod, [units[i], units[i + 1]])
        terms.append(q * q * prod)
    if problem.bias:
        terms.extend(widths)
        terms.append(c)
    count = model.new_int_var(low, high, f"{tag}_count")
    model.add(count == sum(terms))
    if rules.min_width > 1:
        for u in units:
            model.add(q * u >= rules.min_width)
    if rules.max_width is not None:
        for u in units:
            model.add(q * u <= rules.max_width)
    for x, y in itertools.pairwise(units):
        if rules.max_ratio is not None:
            n, d = rules.max_ratio.numerator, rules.max_ratio.denominator
            model.add(d * x <= n * y)
            model.add(d * y <= n * x)
        if rules.ratio_range is not None:
            lo, hi = rules.ratio_range
            model.add(lo.denominator * x >= lo.numerator * y)
            model.add(hi.denominator * x <= hi.numerator * y)
        if rules.monotone is Monotone.NON_INCREASING:
            model.add(y <= x)
        elif rules.monotone is Monotone.NON_DECREASING:
            model.add(y >= x)
    top = max(1, high // q)
    big = model.new_int_var(1, top, f"{tag}_max")
    small = model.new_int_var(1, top, f"{tag}_min")
    model.add_max_equality(big, units)
    model.add_min_equality(small, units)
    spread = model.new_int_var(0, top, f"{tag}_spread")
    model.add(spread == q * (big - small))
    return count, spread


def _two_stages(model: cp_model.CpModel, first: Any, second: Any, time_limit: float) -> Stat:
    """Minimise ``first``, fix it, minimise ``second``; statuses and values of both."""
    start = time.perf_counter()
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    out: Stat = {"stages": []}
    for expr in (first, second):
        left = time_limit - (time.perf_counter() - start)
        if left <= 0.01:
            out["stages"].append("no time")
            break
        solver.parameters.max_time_in_seconds = left
        model.minimize(expr)
        status = solver.solve(model)
        out["stages"].append(solver.status_name(status).lower())
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        value = round(solver.objective_value)
        out.setdefault("values", []).append(value)
        model.add(expr == value)
    out["seconds"] = time.perf_counter() - start
    stages = out["stages"]
    if stages and stages[0] == "infeasible":
        out["status"] = "infeasible"
    elif stages == ["optimal", "optimal"]:
        out["status"] = "optimal"
    elif out.get("values"):
        out["status"] = "feasible"
    else:
        out["status"] = "unknown"
    return out


def solve_textbook(problem: Problem, time_limit: float) -> Stat:
    """Run the textbook model on every depth of ``problem`` (or one shared model)."""
    start = time.perf_counter()
    depths: list[Stat] = []
    if problem.same_count:
        model = cp_model.CpModel()
        low, high = problem.band()
        shared = model.new_int_var(low, high, "shared")
        largest = model.new_int_var(0, high, "largest_spread")
        for m in problem.depths:
            count, spread = _depth_vars(model, problem, m, f"d{m}")
            model.add(count == shared)
            model.add(largest >= spread)
        absdev = model.new_int_var(0, max(high - problem.params, problem.params - low), "absdev")
        model.add_abs_equality(absdev, shared - problem.params)
        one = _two_stages(model, largest, absdev, time_limit)
        depths = [{"depth": m, **one} for m in problem.depths]
    else:
        for m in problem.depths:
            model = cp_model.CpModel()
            count, spread = _depth_vars(model, problem, m, f"d{m}")
            low, high = problem.band()
            absdev = model.new_int_var(0, max(high - problem.params, problem.params - low), "absdev")
            model.add_abs_equality(absdev, count - problem.params)
            depths.append({"depth": m, **_two_stages(model, spread, absdev, time_limit)})
    statuses = {d["status"] for d in depths}
    finished = statuses <= {"optimal", "infeasible"}
    return {"depths": depths, "finished": finished, "seconds": time.perf_counter() - start}
