"""Placeholder: the solver is being written. Signature is the contract."""

from __future__ import annotations

from .result import Report
from .spec import Problem, SolverSettings


def solve(problem: Problem, settings: SolverSettings | None = None) -> Report:
    raise NotImplementedError
