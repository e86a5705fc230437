"""The fixed benchmark suite: named problems, built on demand from plain data.

Every case is one :class:`cpshape.Problem` (often several depths). ``QUICK`` names the
subset ``run.py --quick`` runs (under two minutes); ``brute`` marks the cases small enough for exhaustive
enumeration (``brute.py``). Change the list deliberately: the point of a fixed suite is
that numbers from different runs compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cpshape import Constraints, Monotone, Problem

#: Sizes of the textbook model we still try: beyond these it is skipped, not timed.
TEXTBOOK_MAX_PARAMS = 10**9
TEXTBOOK_MAX_DEPTH = 24

ALL_DEPTHS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)


@dataclass(frozen=True)
class Case:
    name: str
    input_size: int
    output_size: int
    params: int
    depths: tuple[int, ...]
    bias: bool = True
    rules: dict[str, Any] = field(default_factory=dict)
    tolerance: str = "0"
    shared: bool = False
    brute: bool = False
    note: str = ""

    def problem(self) -> Problem:
        return Problem(
            self.input_size,
            self.output_size,
            self.params,
            self.depths,
            tolerance=Fraction(self.tolerance),
            bias=self.bias,
            constraints=Constraints(**self.rules),
            same_count=self.shared,
        )

    def textbook_skip(self) -> str | None:
        """Why the textbook model is not run on this case (None: it is run)."""
        if self.params > TEXTBOOK_MAX_PARAMS:
            return f"P>{TEXTBOOK_MAX_PARAMS:.0e}"
        if max(self.depths) > TEXTBOOK_MAX_DEPTH:
            return f"depth>{TEXTBOOK_MAX_DEPTH}"
        return None

    def rules_text(self) -> str:
        parts = [] if self.bias else ["no bias"]
        for key, value in self.rules.items():
            if key == "ratio_range":
                parts.append(f"ratio in [{value[0]}, {value[1]}]")
            elif key == "monotone":
                parts.append(str(Monotone(value).value))
            else:
                parts.append(f"{key}={value}")
        if self.shared:
            parts.append(f"shared ±{Fraction(self.tolerance) * 100}%")
        elif self.tolerance != "0":
            parts.append(f"±{Fraction(self.tolerance) * 100}%")
        else:
            parts.append("exact")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        rules = {k: [str(x) for x in v] if isinstance(v, tuple) else str(v) for k, v in self.rules.items()}
        return {
            "name": self.name,
            "input_size": self.input_size,
            "output_size": self.output_size,
            "params": self.params,
            "depths": list(self.depths),
            "bias": self.bias,
            "rules": rules,
            "tolerance": self.tolerance,
            "shared": self.shared,
            "description": self.rules_text(),
        }


MAX2 = {"max_ratio": 2}
HALVING = {"ratio_range": ("1", "2")}  # each layer 1x..2x the next: narrowing, at most halving
MULT8 = {"multiple_of": 8}
DOWN = {"monotone": Monotone.NON_INCREASING}
GEOMETRIC = {"ratio_range": ("3", "6")}  # each layer 3x..6x the next: a chain far from uniform

SUITE: tuple[Case, ...] = (
    # --- tiny: brute force confirms every answer -------------------------------------
    Case("tiny-4x3-1e3", 4, 3, 10**3, (1, 2, 3, 4), brute=True),
    Case("tiny-4x3-1e3-nobias", 4, 3, 10**3, (1, 2, 3, 4), bias=False, brute=True),
    Case("tiny-4x3-1e3-ratio2", 4, 3, 10**3, (2, 3, 4), rules=MAX2, brute=True),
    Case("tiny-4x3-1e3-range", 4, 3, 10**3, (2, 3, 4), rules=HALVING, brute=True),
    Case("tiny-4x3-1e3-mult8", 4, 3, 10**3, (1, 2, 3), rules=MULT8, tolerance="0.05", brute=True),
    Case("tiny-4x3-1e3-down", 4, 3, 10**3, (2, 3, 4), rules=DOWN, brute=True),
    Case("tiny-4x3-1e3-shared", 4, 3, 10**3, (1, 2, 3, 4), tolerance="0.01", shared=True, brute=True),
    Case("mnist-1e4", 784, 10, 10**4, (1, 2, 3, 4), brute=True),
    Case("mnist-1e5", 784, 10, 10**5, (1, 2, 3), brute=True),
    Case("64x10-1e4-mult8", 64, 10, 10**4, (1, 2, 3), rules=MULT8, tolerance="0.01", brute=True),
    # --- 784 -> 10 (MNIST-sized), exact counts, growing P ------------------------------
    Case("mnist-1e6", 784, 10, 10**6, (1, 2, 4, 8, 16)),
    Case("mnist-1e6-nobias", 784, 10, 10**6, (1, 2, 4, 8, 16), bias=False),
    Case("mnist-1e7", 784, 10, 10**7, (2, 4, 8, 16, 24)),
    Case("mnist-1e8", 784, 10, 10**8, (2, 4, 8, 16, 32, 64)),
    Case("mnist-1e9", 784, 10, 10**9, (2, 8, 32, 128)),
    Case("mnist-1e10-d128", 784, 10, 10**10, (128,), note="target: proven within 10 s"),
    Case("mnist-1e11-d16", 784, 10, 10**11, (16,), note="target: proven within 10 s"),
    Case("mnist-1e12", 784, 10, 10**12, (4, 32, 128)),
    Case("mnist-1e12-nobias", 784, 10, 10**12, (2, 16, 64), bias=False),
    Case("mnist-1e8-all-depths", 784, 10, 10**8, ALL_DEPTHS),
    # --- rules ---------------------------------------------------------------------------
    Case("mnist-1e6-ratio2", 784, 10, 10**6, (2, 4, 8, 16), rules=MAX2),
    Case("mnist-1e7-range", 784, 10, 10**7, (2, 4, 8), rules=HALVING),
    Case("mnist-1e6-down", 784, 10, 10**6, (2, 3, 4, 8), rules=DOWN),
    Case("64x10-1e5-mult8", 64, 10, 10**5, (1, 2, 4, 8), rules=MULT8, tolerance="0.01"),
    # with biases every multiple-of-8 shape counts 2 mod 8 (the output bias 10): P = 10**k + 2
    Case("mnist-1e8-mult8", 784, 10, 10**8 + 2, (2, 4, 8, 16), rules=MULT8),
    Case("64x10-1e9-mult8-ratio", 64, 10, 10**9 + 2, (4, 16, 64), rules={**MULT8, "max_ratio": "1.5"}),
    Case("64x10-1e7-mult8-none", 64, 10, 10**7, (2, 4, 8, 16), rules=MULT8, note="no shape: count = 2 mod 8"),
    Case("64x10-1e11-range", 64, 10, 10**11, (8, 32), rules=HALVING),
    Case("4x3-1e4-nobias-deep", 4, 3, 10**4, (1, 2, 4, 8, 16, 24), bias=False),
    Case(
        "64x10-1e6-ratio3-6", 64, 10, 10**6, (2, 3, 4, 6, 8), rules=GEOMETRIC,
        note="each layer 3-6x the next, the rescaling rule carried deeper (added 2026-12-01)",
    ),
    # --- shared count, 1% tolerance --------------------------------------------------------
    Case("mnist-1e6-shared", 784, 10, 10**6, (1, 2, 4, 8), tolerance="0.01", shared=True),
    Case("mnist-1e8-shared", 784, 10, 10**8, (2, 4, 8, 16), tolerance="0.01", shared=True),
    Case("64x10-1e10-shared", 64, 10, 10**10, (2, 8, 32), tolerance="0.01", shared=True),
    Case(
        "mnist-1e8-shared-d5-12", 784, 10, 10**8, tuple(range(5, 13)), tolerance="0.01", shared=True,
        note="the depth study: depths 5-12, one count (added 2026-12-01)",
    ),
)

#: The --quick subset: every rule once, small to large P, no case the textbook model needs long for.
QUICK = frozenset(
    {
        "tiny-4x3-1e3",
        "tiny-4x3-1e3-nobias",
        "tiny-4x3-1e3-ratio2",
        "tiny-4x3-1e3-shared",
        "mnist-1e4",
        "mnist-1e6-nobias",
        "mnist-1e7-range",
        "64x10-1e5-mult8",
        "4x3-1e4-nobias-deep",
        "mnist-1e8-shared",
        "mnist-1e11-d16",
    }
)


def select(pattern: str | None, quick: bool) -> list[Case]:
    """Cases whose name contains ``pattern`` (all when None), only ``quick`` ones if asked."""
    cases = [c for c in SUITE if not quick or c.name in QUICK]
    if pattern:
        cases = [c for c in cases if pattern in c.name]
    return cases


def by_name(name: str) -> Case:
    return next(c for c in SUITE if c.name == name)
