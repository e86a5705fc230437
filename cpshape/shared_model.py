"""The CP-SAT shared model: which depths join one count, and their shapes, when the exact
searches of :mod:`cpshape.shared` do not decide it (``dp_work = 0``, the deviation first with
no common count among the first candidates, a budget run out, or more depth sets than they
try).

One ``joins`` literal per depth; stages: as many depths as possible join, then the least
largest spread among them and the count closest to the target (in the order ``prefer``
gives), the count itself, each depth's spread and widths.
"""

from __future__ import annotations

import time
from dataclasses import replace

from .model import build_model
from .result import DepthResult, Status, verify
from .spec import Prefer, Problem, SolverSettings
from .stages import Stages

__all__ = ["shared_by_cp_sat"]


def shared_by_cp_sat(
    problem: Problem,
    settings: SolverSettings,
    depths: list[int],
    alone: dict[int, DepthResult],
    band: tuple[int, int],
    start: float,
) -> tuple[list[DepthResult], int | None]:
    """CP-SAT shared model for the depths the DP could not settle within its budget."""
    shape = build_model(problem, depths, band, shared=True)
    assert shape.shared_count is not None and shape.joins is not None
    model, joins = shape.ort_model, shape.joins
    stages = Stages(shape, settings)
    dvs = [shape.depths[m] for m in depths]
    largest = model.new_int_var(0, band[1], "largest_spread")
    for m, dv in shape.depths.items():
        model.add(largest >= dv.spread_units).only_enforce_if(joins[m])
    absdev = model.new_int_var(0, max(band[1] - problem.params, problem.params - band[0]), "absdev")
    model.add_abs_equality(absdev, shape.shared_count - problem.params)
    order = [largest, absdev] if problem.prefer is Prefer.SPREAD else [absdev, largest]
    joined = -sum(joins.values())
    for expr in [
        joined,
        *order,
        shape.shared_count,
        *(dv.spread_units for dv in dvs),
        *(u for dv in dvs for u in dv.units),
    ]:
        if stages.minimize(expr) is None:
            break
    elapsed = (time.perf_counter() - start) / len(problem.depths)
    joined = {m: stages.found and stages.values.get(joins[m].index, 0) == 1 for m in depths}
    results = []
    for m in problem.depths:
        if m not in depths or (stages.found and not joined[m]):
            results.append(replace(alone[m], joined=False))
        elif not stages.found and not stages.proven and alone[m].widths is not None:
            # No shared count within the limits: the depth's own shape, valid but not joined.
            results.append(replace(alone[m], status=Status.FEASIBLE, joined=False, seconds=elapsed))
        elif not stages.found:
            status = Status.INFEASIBLE if stages.proven else Status.UNKNOWN
            results.append(
                DepthResult(m, status, seconds=elapsed, proof="cp-sat", joined=False, target=problem.params)
            )
        else:
            status = Status.OPTIMAL if stages.proven else Status.FEASIBLE
            params = stages.count(m)
            results.append(
                verify(
                    problem,
                    DepthResult(
                        m,
                        status,
                        stages.widths(m),
                        params,
                        seconds=elapsed,
                        proof="cp-sat",
                        target=problem.params,
                    ),
                    band,
                )
            )
    joined_counts = [stages.count(m) for m in depths if joined[m]]
    shared = joined_counts[0] if joined_counts else None
    return results, shared
