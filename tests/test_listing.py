"""The aggregate pairs ``(D, K)`` of :mod:`cpshape.listing` against two independent methods:
an enumeration of every offset tuple, and the per-row tables of :mod:`cpshape.aggregate`
(a different DP, which keeps the first and last offsets apart)."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

import cpshape.listing as listing_module
from cpshape import Constraints, Problem
from cpshape.aggregate import _tables, aggregate_applies
from cpshape.dp import BudgetExhausted, DepthDP, WorkBudget
from cpshape.listing import AggregateCounts, aggregate_counts, listable_bases
from cpshape.scan import depth_dp
from cpshape.spec import Monotone


def _rules(rng: random.Random) -> Constraints:
    orders = [{}, {"monotone": "non-increasing"}, {"monotone": "non-decreasing"}, {"ratio_range": (1, 9)}]
    return Constraints(multiple_of=rng.choice([1, 1, 2, 3, 8]), **rng.choice(orders))


def _pairs(counts: AggregateCounts) -> set[tuple[int, int]]:
    return set(zip(counts.big_d.tolist(), counts.k.tolist(), strict=True))


def _offsets_pairs(dp: DepthDP, span: int) -> set[tuple[int, int]]:
    """``(D, K)`` of every offset tuple that keeps the order rule, from their definitions."""
    m, q, beta = dp.depth, dp.rules.multiple_of, int(dp.bias)
    order = dp.rules.monotone
    if dp.rules.ratio_range is not None:  # a ratio bound of exactly 1 is the order it implies
        order = Monotone.NON_INCREASING
    found = set()
    for d in itertools.product(range(span + 1), repeat=m):
        steps = list(itertools.pairwise(d))
        if order is Monotone.NON_INCREASING and any(y > x for x, y in steps):
            continue
        if order is Monotone.NON_DECREASING and any(y < x for x, y in steps):
            continue
        big_d = d[0] + d[-1] + 2 * sum(d[1:-1])
        t = sum(x * y for x, y in steps)
        ends = q * (dp.input_size * d[0] + dp.output_size * d[-1])
        found.add((big_d, ends + q * q * t + beta * q * sum(d)))
    return found


def _rows_pairs(dp: DepthDP, span: int) -> set[tuple[int, int]]:
    """``(D, K)`` from the per-row tables: rows ``(d_1, d_m, D)`` with their ``T`` bits."""
    q, beta, tables = dp.rules.multiple_of, int(dp.bias), _tables(dp, span, WorkBudget(10**12))
    found = set()
    for d1, dm, big_d, row in tables.rows:
        ends = q * (dp.input_size * d1 + dp.output_size * dm) + beta * q * (big_d + d1 + dm) // 2
        found.update((big_d, ends + q * q * t) for t in range(row.bit_length()) if row >> t & 1)
    return found


def _band_counts(
    rng: random.Random, p: Problem, span: int, bases_up_to: int, widths: tuple[int, int]
) -> tuple[AggregateCounts, int, int]:
    """The listing of ``p``'s only depth at ``span`` over a band from a uniform count at a
    random base up to ``bases_up_to``, ``widths`` counts wide (drawn), with its ends."""
    dp = depth_dp(p, p.depths[0])
    low = dp.uniform(rng.randint(3, bases_up_to))
    high = low + rng.randint(*widths)
    bases = listable_bases(dp, span, low, high, WorkBudget(10**9))
    assert bases
    return aggregate_counts(dp, span, bases, low, high, WorkBudget(10**9)), low, high


@pytest.mark.parametrize("seed", range(24))
def test_pairs_match_the_offsets_and_the_row_tables(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Depths 4-9, spans 0-6, multiple-of up to 8, every order rule, biases on and off, both
    ways of collecting the pairs (the table, and sorting when the table would be too large):
    the same pairs as the row tables, and on the smaller cases as every offset tuple."""
    rng = random.Random(seed)
    depth, span = rng.randint(4, 9), rng.randint(0, 6)
    a, c, bias = rng.randint(1, 900), rng.randint(1, 12), rng.random() < 0.5
    p = Problem(a, c, 10**6, (depth,), bias=bias, constraints=_rules(rng))
    dp = depth_dp(p, depth)
    assert aggregate_applies(dp, 100, span)
    expected = _rows_pairs(dp, span)
    if (span + 1) ** depth <= 20_000:
        assert expected == _offsets_pairs(dp, span)
    for table in (listing_module.MEMBER_TABLE, -1):
        monkeypatch.setattr(listing_module, "MEMBER_TABLE", table)
        counts = AggregateCounts(dp, span, [100], 0, 2**40)
        assert _pairs(counts) == expected
        keys = counts.big_d * (counts.k_max + 1) + counts.k
        assert np.all(np.diff(keys) > 0)  # sorted, each once
        assert counts.k_max == max(k for _, k in expected)
        assert (counts.table is not None) == (table > 0)


@pytest.mark.parametrize("seed", range(8))
def test_membership_with_a_multiple_of_matches_the_listing(seed: int) -> None:
    """With ``q > 1`` the table is kept over ``K/q``: testing every count of a band (most of
    them not multiples of the steps) finds exactly the listed counts."""
    rng = random.Random(seed)
    depth, span = rng.randint(4, 6), rng.randint(1, 4)
    rules = Constraints(multiple_of=rng.choice([2, 3, 8]))
    a, c, bias = rng.randint(2, 50), rng.randint(1, 9), rng.random() < 0.5
    p = Problem(a, c, 10**6, (depth,), bias=bias, constraints=rules)
    counts, low, high = _band_counts(rng, p, span, 8, (2_000, 20_000))
    assert counts.table is not None
    listed = counts.counts(low, high, WorkBudget(10**9))
    asked = np.arange(low, high + 1, dtype=np.int64)
    assert np.array_equal(asked[counts.member(asked, WorkBudget(10**9))], listed)
    assert len(listed) > 0


def test_the_listing_is_charged_before_it_starts() -> None:
    """784 -> 10, depth 12, span 10: a budget below the DP's cost raises ``BudgetExhausted``
    without building anything; the listing is offered only where both its cost and the old
    per-row tables' cost fit a quarter of the budget left."""
    p = Problem(784, 10, 10**9, (12,), tolerance="0.001")
    dp, (low, high), span = depth_dp(p, 12), p.band(), 10
    cost, offered = listing_module._cost(dp, span), listing_module._offered(dp, span)
    assert 10**6 < cost < offered
    with pytest.raises(BudgetExhausted):
        aggregate_counts(dp, span, [9000], low, high, WorkBudget(cost - 1))
    assert listable_bases(dp, span, low, high, WorkBudget(4 * offered - 8)) is None
    assert listable_bases(dp, span, low, high, WorkBudget(4 * offered + 8))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("path", ["mask", "sort"])
def test_keep_matches_the_listing(seed: int, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``keep`` (through the listing's mask, or by ``isin`` where the listing is sorted) keeps
    exactly the candidates the listing of the range holds."""
    if path == "sort":
        monkeypatch.setattr(listing_module, "MASK_BAND", -1)
    rng = random.Random(seed)
    depth, span = rng.randint(4, 7), rng.randint(1, 5)
    a, c, bias = rng.randint(2, 60), rng.randint(1, 9), rng.random() < 0.5
    p = Problem(a, c, 10**6, (depth,), bias=bias, constraints=_rules(rng))
    counts, low, high = _band_counts(rng, p, span, 9, (1_000, 30_000))
    lo = rng.randint(low, high)
    hi = rng.randint(lo, high)
    listed = set(counts.counts(lo, hi, WorkBudget(10**9)).tolist())
    candidates = np.arange(lo, hi + 1, dtype=np.int64)
    kept = candidates[counts.keep(candidates, lo, hi, WorkBudget(10**9))]
    assert set(kept.tolist()) == listed
    assert np.all(np.diff(kept) > 0)
