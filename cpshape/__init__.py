"""cpshape: neural-network shapes to an exact parameter budget.

Data flows one way, one module per step:
config or CLI flags (``config``, ``cli``) -> problem spec (``spec``) -> CP-SAT model
(``model``, served by the exact searches in ``scan``, ``bounded``, ``tables``, ``dp``,
``aggregate``, ``twolayer``, ``ends``)
-> solve (``solver``, ``shared``) -> verified result (``result``) -> renderers (``render``).
Counting (``counting``) is shared by all of them.

The solver is imported lazily, so ``import cpshape`` and the counting helpers stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .counting import LayerCount, breakdown, chain, count_params, uniform_count
from .result import DepthResult, Report, Status, VerificationError
from .spec import Constraints, Monotone, Prefer, Problem, SolverSettings, SpecError

if TYPE_CHECKING:
    from .solver import solve

__version__ = "0.1.0"

__all__ = [
    "Constraints",
    "DepthResult",
    "LayerCount",
    "Monotone",
    "Prefer",
    "Problem",
    "Report",
    "SolverSettings",
    "SpecError",
    "Status",
    "VerificationError",
    "__version__",
    "breakdown",
    "chain",
    "count_params",
    "solve",
    "uniform_count",
]


def __getattr__(name: str) -> Any:
    if name == "solve":
        from .solver import solve

        return solve
    raise AttributeError(f"module 'cpshape' has no attribute {name!r}")
