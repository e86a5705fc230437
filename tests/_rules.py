"""Random shape rules for the randomised tests (every kind of rule, each with some chance)."""

from __future__ import annotations

import random

from cpshape import Constraints, Problem


def random_rules(
    rng: random.Random,
    multiples: list[int],
    ratios: list[object],
    min_widths: tuple[int, int],
    max_widths: tuple[int, int],
    chance: float = 0.2,
) -> dict[str, object]:
    """Keyword arguments for ``Constraints``: monotone, multiple-of, max ratio, ratio range,
    width bounds, each drawn with its own probability."""
    rules: dict[str, object] = {}
    if rng.random() < 0.3:
        rules["monotone"] = rng.choice(["non-increasing", "non-decreasing"])
    if rng.random() < 0.3:
        rules["multiple_of"] = rng.choice(multiples)
    if rng.random() < chance:
        rules["max_ratio"] = rng.choice(ratios)
    if rng.random() < 0.15:
        rules["ratio_range"] = rng.choice([("1", "2"), ("0.9", "1.1")])
    if rng.random() < chance:
        rules["min_width"] = rng.randint(*min_widths)
    if rng.random() < chance:
        rules["max_width"] = rng.randint(*max_widths)
    return rules


def medium_problem(
    rng: random.Random, rules: dict[str, object], max_depth: int, prefer: bool
) -> Problem | None:
    """One depth of 3..max_depth at P in 1e4..2e5 with these rules, sometimes a pin, an exact
    or a narrow band, biases on or off, and (``prefer``) either objective first; ``None``
    when the draw is not a valid problem."""
    depth = rng.randint(3, max_depth)
    if rng.random() < 0.15:
        rules["pins"] = [(rng.randint(1, depth), rng.choice([32, 48, 64]))]
    try:
        return Problem(
            rng.randint(1, 800),
            rng.randint(1, 20),
            rng.randint(10**4, 2 * 10**5),
            (depth,),
            bias=rng.random() < 0.5,
            constraints=Constraints(**rules),  # type: ignore[arg-type]
            prefer=rng.choice(["spread", "spread", "deviation"]) if prefer else "spread",
            tolerance_abs=rng.choice([0, 0, 0, 3, 200]),
        )
    except ValueError:
        return None
