"""Lexicographic stages on one CP-SAT model (:func:`cpshape.model.build_model`): optimise
one objective, fix its optimum, hint the solution found, optimise the next. The limits hold
for all stages together, and a stage after an unproven one is never called proven.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from .model import ShapeModel, build_model
from .result import DepthResult, VerificationError
from .spec import Problem, SolverSettings

__all__ = ["Stages", "certify"]


class Stages:
    """Lexicographic stages on one CP-SAT model: optimise, fix the optimum, re-hint, repeat."""

    def __init__(self, shape: ShapeModel, settings: SolverSettings) -> None:
        self.shape, self.model = shape, shape.ort_model
        self.solver = cp_model.CpSolver()
        params = self.solver.parameters
        params.num_workers = settings.workers
        params.random_seed = settings.seed
        # The limits are for all stages together: each stage gets what the earlier ones left.
        self.deterministic_left = settings.deterministic_limit
        self.wall_left = settings.time_limit
        self.proven = True
        self.found = False
        self.values: dict[int, int] = {}

    def minimize(self, expr: cp_model.LinearExprT) -> int | None:
        """Optimise ``expr``; return its value and pin it, or ``None`` if nothing was found.

        After a stage fails to prove optimality, later stages cannot be proven either.
        """
        if self.deterministic_left <= 0 or (self.wall_left is not None and self.wall_left <= 0):
            self.proven = False
            return None
        params = self.solver.parameters
        params.max_deterministic_time = self.deterministic_left
        if self.wall_left is not None:
            params.max_time_in_seconds = self.wall_left
        self.model.minimize(expr)
        status = self.solver.solve(self.model)
        self.deterministic_left -= self.solver.response_proto.deterministic_time
        if self.wall_left is not None:
            self.wall_left -= self.solver.wall_time
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if status == cp_model.INFEASIBLE and self.found:
                raise VerificationError("CP-SAT lost a solution it had found in an earlier stage")
            self.proven = self.proven and status == cp_model.INFEASIBLE
            return None
        self.found = True
        self.proven = self.proven and status == cp_model.OPTIMAL
        value = round(self.solver.objective_value)
        self.model.add(expr == value)
        self.model.clear_hints()
        extra = list((self.shape.joins or {}).values())
        for var in [*(v for dv in self.shape.depths.values() for v in (*dv.units, dv.count)), *extra]:
            self.values[var.index] = self.solver.value(var)
            self.model.add_hint(var, self.values[var.index])
        return value

    def widths(self, m: int) -> tuple[int, ...]:
        return tuple(self.shape.multiple_of * self.values[v.index] for v in self.shape.depths[m].units)

    def count(self, m: int) -> int:
        return self.values[self.shape.depths[m].count.index]


def certify(
    problem: Problem, settings: SolverSettings, results: list[DepthResult], shared: int | None
) -> None:
    """Check every answer against one CP-SAT model holding every depth, widths fixed."""
    band = problem.band()
    joined = [r for r in results if r.widths is not None and shared is not None and r.joined]
    alone = [r for r in results if r.widths is not None and r not in joined]
    for group, group_band in ((joined, (shared, shared)), (alone, band)):
        if not group:
            continue
        domains = {r.depth: [(w, w) for w in r.widths or ()] for r in group}
        depths = [r.depth for r in group]
        shape = build_model(problem, depths, (group_band[0] or 0, group_band[1] or 0), domains=domains)
        status = Stages(shape, settings).solver.solve(shape.ort_model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise VerificationError(
                f"the CP-SAT model rejects the shapes of depths {depths} (status {status})"
            )
