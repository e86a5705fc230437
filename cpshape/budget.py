"""The exact searches' deterministic work budget and the span scan they share (pure Python).

:class:`WorkBudget` counts work in 64-bit words shifted (every method charges its other work
at about its cost in those words), so a budget means the same on every machine;
:func:`least_span` gallops and bisects over spans for a monotone probe, and :class:`Stopped`
carries what a scan had proven when the budget ran out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["BudgetExhausted", "Stopped", "WorkBudget", "least_span"]

_T = TypeVar("_T")


class WorkBudget:
    """Deterministic work limit for the exact searches, counted in 64-bit words shifted.

    A wall-clock limit would make answers depend on the machine; this one does not. Only
    when the user sets ``time_limit`` does a ``deadline`` (``time.perf_counter()`` value)
    also end the search, so that the limit holds for the whole run.
    """

    def __init__(self, words: int, deadline: float | None = None) -> None:
        self.given = self.left = words
        self.deadline = deadline

    def spend(self, bits: int) -> None:
        self.left -= bits // 64 + 1

    def part(self, share: float) -> WorkBudget:
        """A budget of ``share`` of the words left, same deadline (settle it with :meth:`charge`)."""
        return WorkBudget(int(max(self.left, 0) * share), self.deadline)

    def charge(self, part: WorkBudget) -> None:
        """Count what a budget made by :meth:`part` spent."""
        self.left -= part.given - part.left

    @property
    def exhausted(self) -> bool:
        return self.left <= 0 or (self.deadline is not None and time.perf_counter() > self.deadline)


class BudgetExhausted(Exception):
    """The DP ran out of its work budget before deciding."""


def least_span(
    first: int,
    last: int,
    probe: Callable[[int], _T | None],
    budget: WorkBudget,
    one_by_one: bool = False,
    double: bool = False,
    near: bool = False,
) -> tuple[int, _T] | None:
    """The least span in ``first..last`` whose ``probe`` finds something, with what it found
    (``None`` if no span does), for a probe that is monotone: once a span finds, every larger
    one does. The scan gallops upwards (steps of a quarter of the distance covered, at least
    1/32 of the span, or with ``near`` (the answer is expected close to ``first``) not; with
    ``double``, the distance doubles) and then bisects between the last
    span that missed and the first that found; ``one_by_one`` scans one span at a time and
    stops at the first find. On budget exhaustion raises
    ``Stopped(span, best)``: every span below ``span`` is proven to find nothing.
    """
    missed = first - 1  # every span up to this one is proven to find nothing
    best: tuple[int, _T] | None = None
    span = first
    while span <= last and (best is None or span < best[0]):
        try:
            found = probe(span)
        except BudgetExhausted:
            raise Stopped(missed + 1, best) from None
        if found is not None:
            best = (span, found)
        else:
            missed = span
        if budget.exhausted:
            raise Stopped(missed + 1, best)
        if best is not None:  # bisect (missed, best); scanning one by one, the first find is the answer
            span = best[0] if one_by_one else max((missed + best[0]) // 2, missed + 1)
        else:
            if one_by_one:
                step = 1
            else:  # cheap probes double the distance covered
                step = span - first + 1 if double else max(1, (span - first) // 4, 0 if near else span // 32)
            span = min(last, span + step) if span < last else last + 1
    return best


class Stopped(Exception):
    """The budget ran out during a span scan: spans below ``span`` are proven to find nothing;
    ``best`` is the least span that found something so far, with what it found (or ``None``)."""

    def __init__(self, span: int, best: tuple[int, Any] | None = None) -> None:
        self.span, self.best = span, best
