"""Shape enumeration: exact counts and ordered listings against a direct brute force."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpshape.counting import count_params
from cpshape.shapes import count_shapes, iter_shapes, list_shapes
from cpshape.spec import SpecError

Shape = tuple[int, ...]


def brute_shapes(total: int, max_depth: int | None = None) -> list[Shape]:
    """Every chain with exactly ``total`` weights by plain recursion, sorted (length, lex)."""
    found: list[Shape] = []

    def grow(prefix: list[int], left: int) -> None:
        if len(prefix) >= 2 and left == 0:
            found.append(tuple(prefix))
            return  # every further matrix adds >= 1 weight
        if max_depth is not None and len(prefix) - 1 >= max_depth + 1:
            return
        for nxt in range(1, left // prefix[-1] + 1):
            grow([*prefix, nxt], left - prefix[-1] * nxt)

    for first in range(1, total + 1):
        grow([first], total)
    return sorted(found, key=lambda s: (len(s), s))


def test_seed_counts() -> None:
    assert [count_shapes(p) for p in range(1, 7)] == [1, 3, 5, 10, 14, 27]


def test_seed_listing_p4() -> None:
    expected = [
        (1, 4), (2, 2), (4, 1),
        (1, 1, 3), (1, 2, 1), (2, 1, 2), (3, 1, 1),
        (1, 1, 1, 2), (2, 1, 1, 1),
        (1, 1, 1, 1, 1),
    ]  # fmt: skip
    assert list(iter_shapes(4)) == expected
    assert list_shapes(4) == expected


@pytest.mark.parametrize("total", range(1, 13))
def test_listing_and_count_match_brute_force(total: int) -> None:
    expected = brute_shapes(total)
    assert list(iter_shapes(total)) == expected
    assert count_shapes(total) == len(expected)


@pytest.mark.parametrize("total", range(1, 13))
@pytest.mark.parametrize("max_depth", [0, 1, 2, 3, 5])
def test_max_depth_matches_brute_force(total: int, max_depth: int) -> None:
    expected = brute_shapes(total, max_depth)
    assert all(len(s) - 2 <= max_depth for s in expected)
    assert list(iter_shapes(total, max_depth)) == expected
    assert count_shapes(total, max_depth) == len(expected)


@pytest.mark.parametrize("total", range(2, 61))
def test_two_count_algorithms_agree(total: int) -> None:
    # max_depth >= P - 1 takes the unlimited row DP, max_depth = P - 2 the layered one;
    # they differ by exactly the all-ones chain, the only shape with P matrices.
    full = count_shapes(total, total - 1)
    assert full == count_shapes(total)
    assert count_shapes(total, total - 2) == full - 1


def test_max_depth_zero_is_divisor_count() -> None:
    for total in (1, 12, 97, 360):
        divisors = sum(1 for d in range(1, total + 1) if total % d == 0)
        assert count_shapes(total, 0) == divisors
        assert list(iter_shapes(total, 0)) == [(d, total // d) for d in range(1, total + 1) if total % d == 0]


def test_depth_layers_sum_to_total() -> None:
    total = 40
    per_depth = [count_shapes(total, d) - (count_shapes(total, d - 1) if d else 0) for d in range(total)]
    assert sum(per_depth) == count_shapes(total)
    assert per_depth[-1] == 1  # only the all-ones chain has P - 1 hidden layers


@settings(max_examples=40, deadline=None)
@given(total=st.integers(1, 18), max_depth=st.none() | st.integers(0, 8))
def test_listing_properties(total: int, max_depth: int | None) -> None:
    shapes = list(iter_shapes(total, max_depth))
    assert len(shapes) == count_shapes(total, max_depth)
    assert len(set(shapes)) == len(shapes)
    assert shapes == sorted(shapes, key=lambda s: (len(s), s))
    for shape in shapes:
        assert len(shape) >= 2 and min(shape) >= 1
        assert count_params(shape, bias=False) == total
        if max_depth is not None:
            assert len(shape) - 2 <= max_depth


def test_iter_is_lazy_for_large_params() -> None:
    it = iter_shapes(10**9)
    first = [next(it) for _ in range(3)]
    assert first == [(1, 10**9), (2, 5 * 10**8), (4, 25 * 10**7)]
    assert all(count_params(s, bias=False) == 10**9 for s in first)


def test_list_limit_guard() -> None:
    assert len(list_shapes(6, limit=27)) == 27
    with pytest.raises(SpecError, match=r"has 27 shapes.*limit 26"):
        list_shapes(6, limit=26)
    with pytest.raises(SpecError, match="at most 1 hidden layers"):
        list_shapes(12, max_depth=1, limit=2)
    assert len(list_shapes(12, limit=None)) == count_shapes(12)


@pytest.mark.parametrize("bad", [0, -3, 1.5, True, "10"])
def test_bad_params(bad: object) -> None:
    with pytest.raises(SpecError, match="params"):
        count_shapes(bad)  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="params"):
        list(iter_shapes(bad))  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 2.0, False])
def test_bad_max_depth(bad: object) -> None:
    with pytest.raises(SpecError, match="max_depth"):
        count_shapes(5, bad)  # type: ignore[arg-type]


def test_bad_limit() -> None:
    with pytest.raises(SpecError, match="limit"):
        list_shapes(5, limit=-1)
