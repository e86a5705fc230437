"""Seed methods: uniform baseline, shared uniform counts, rules of thumb."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpshape import methods
from cpshape.counting import chain, count_params, uniform_count
from cpshape.methods import BaselineMethod, baseline, common, exact_uniform_width, rules_of_thumb
from cpshape.result import Status
from cpshape.spec import Problem, SpecError


def closest_uniform(a: int, c: int, m: int, target: int, bias: bool) -> int:
    """Brute force: the width b >= 1 whose uniform count is nearest target (ties: smaller b)."""
    best = 1
    b = 1
    while True:
        count = uniform_count(a, c, m, b, bias)
        if abs(count - target) < abs(uniform_count(a, c, m, best, bias) - target):
            best = b
        if count > target:
            return best
        b += 1


def ceil_uniform(a: int, c: int, m: int, target: int, bias: bool) -> int:
    b = 1
    while uniform_count(a, c, m, b, bias) < target:
        b += 1
    return b


# --- baseline --------------------------------------------------------------------------------


def test_seed_000_rounding_against_brute_force() -> None:
    problem = Problem(4, 3, 1000, tuple(range(5, 13)), bias=False)
    results = baseline(problem)
    assert [r.depth for r in results] == list(range(5, 13))
    for r in results:
        expected = min(range(1, 1001), key=lambda b: (abs(uniform_count(4, 3, r.depth, b, False) - 1000), b))
        assert r.widths == (expected,) * r.depth
        assert r.params == count_params(chain(4, r.widths, 3), bias=False)
        assert r.target == 1000 and r.proof == "baseline:round"
        assert r.status is (Status.FEASIBLE if r.params == 1000 else Status.UNKNOWN)


def test_uniform_count_is_not_the_popular_formula() -> None:
    # b * (a + m*b + c) counts one hidden-to-hidden matrix too many
    for m in range(1, 6):
        assert uniform_count(4, 3, m, 10, bias=False) == 10 * (4 + m * 10 + 3) - 100


def test_exact_solution_is_found() -> None:
    assert count_params([784, 16, 16, 10]) == 13_002
    assert count_params([784, 16, 16, 10], bias=False) == 12_960
    for bias, target in ((True, 13_002), (False, 12_960)):
        for method in BaselineMethod:
            (r,) = baseline(Problem(784, 10, target, (2,), bias=bias), method)
            assert r.widths == (16, 16) and r.params == target and r.status is Status.FEASIBLE
            assert r.deviation == 0 and r.spread == 0


@settings(max_examples=200, deadline=None)
@given(
    a=st.integers(1, 60),
    c=st.integers(1, 60),
    m=st.integers(1, 8),
    target=st.integers(1, 30_000),
    bias=st.booleans(),
)
def test_round_is_closest_uniform_width(a: int, c: int, m: int, target: int, bias: bool) -> None:
    (r,) = baseline(Problem(a, c, target, (m,), bias=bias), "round")
    assert r.widths == (closest_uniform(a, c, m, target, bias),) * m


@settings(max_examples=200, deadline=None)
@given(
    a=st.integers(1, 60),
    c=st.integers(1, 60),
    m=st.integers(1, 8),
    target=st.integers(1, 30_000),
    bias=st.booleans(),
)
def test_decrement_is_first_best_on_its_path(a: int, c: int, m: int, target: int, bias: bool) -> None:
    (r,) = baseline(Problem(a, c, target, (m,), bias=bias), "decrement")
    (rounded,) = baseline(Problem(a, c, target, (m,), bias=bias), "round")
    top = ceil_uniform(a, c, m, target, bias)
    # the path: all at ceil(root), then 1, 2, ..., m layers from the output side one less
    path = [(top,) * (m - k) + (top - 1,) * k for k in range(m + 1) if top - 1 >= 1 or k == 0]
    gaps = [abs(count_params(chain(a, w, c), bias) - target) for w in path]
    first_best = path[gaps.index(min(gaps))]
    assert r.widths == first_best
    assert r.spread is not None and r.spread <= 1
    assert r.deviation is not None and rounded.deviation is not None
    assert abs(r.deviation) <= abs(rounded.deviation)
    assert r.proof == "baseline:decrement"


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("depth", [1, 2, 5, 12, 40])
def test_round_exact_at_1e12(depth: int, bias: bool) -> None:
    target = 10**12
    (r,) = baseline(Problem(784, 10, target, (depth,), bias=bias))
    assert r.widths is not None and r.params is not None
    b = r.widths[0]
    gap = abs(r.params - target)
    assert gap <= abs(uniform_count(784, 10, depth, b + 1, bias) - target)
    assert gap <= abs(uniform_count(784, 10, depth, b - 1, bias) - target)
    assert uniform_count(784, 10, depth, b - 1, bias) <= target <= uniform_count(784, 10, depth, b + 1, bias)


def test_status_follows_band() -> None:
    strict = baseline(Problem(4, 3, 1000, (5,), bias=False))[0]
    loose = baseline(Problem(4, 3, 1000, (5,), bias=False, tolerance="1%"))[0]
    assert strict.params == loose.params and strict.params != 1000
    assert strict.status is Status.UNKNOWN
    assert loose.status is (Status.FEASIBLE if abs(loose.params - 1000) <= 10 else Status.UNKNOWN)


def test_tiny_target_gives_width_one() -> None:
    for method in BaselineMethod:
        (r,) = baseline(Problem(50, 50, 3, (4,)), method)
        assert r.widths == (1, 1, 1, 1)


def test_bad_method() -> None:
    with pytest.raises(SpecError, match="'ceil'"):
        baseline(Problem(4, 3, 1000, (5,)), "ceil")


def test_exact_uniform_width() -> None:
    assert exact_uniform_width(784, 10, 2, 13_002) == 16
    assert exact_uniform_width(784, 10, 2, 13_003) is None
    with pytest.raises(SpecError, match="depth"):
        exact_uniform_width(784, 10, 0, 100)


# --- common ----------------------------------------------------------------------------------


def uniform_counts(a: int, c: int, m: int, bias: bool, top: int) -> dict[int, int]:
    counts: dict[int, int] = {}
    b = 1
    while (p := uniform_count(a, c, m, b, bias)) <= top:
        counts[p] = b
        b += 1
    return counts


small_depths = st.lists(st.integers(1, 6), min_size=1, max_size=4, unique=True)


@settings(max_examples=150, deadline=None)
@given(a=st.integers(1, 12), c=st.integers(1, 12), depths=small_depths, bias=st.booleans(),
       top=st.integers(1, 4000), chunk=st.sampled_from([3, 7, 1 << 18]))  # fmt: skip
def test_common_against_brute_force(
    a: int, c: int, depths: list[int], bias: bool, top: int, chunk: int
) -> None:
    table = {m: uniform_counts(a, c, m, bias, top) for m in depths}
    shared = set.intersection(*(set(t) for t in table.values()))
    with patch.object(methods, "_CHUNK", chunk):  # small chunks: answers span several chunks
        result = common(a, c, depths, bias=bias, max_params=top, subsets=True)
    if shared:
        p = min(shared)
        assert result.params == p and result.searched_up_to == p
        assert result.widths == {m: table[m][p] for m in sorted(depths)}
        assert [s.depths for s in result.best_subsets] == [tuple(sorted(depths))]
    else:
        assert result.params is None and result.widths == {} and result.searched_up_to == top
        best: list[tuple[int, tuple[int, ...]]] = []
        for size in range(len(depths) - 1, 1, -1):
            for subset in combinations(sorted(depths), size):
                hit = set.intersection(*(set(table[m]) for m in subset))
                if hit:
                    best.append((min(hit), subset))
            if best:
                break
        got = [(s.params, s.depths) for s in result.best_subsets]
        assert got == sorted(best)
        for s in result.best_subsets:
            assert s.widths == {m: table[m][s.params] for m in s.depths}


@settings(max_examples=40, deadline=None)
@given(a=st.integers(1, 30), c=st.integers(1, 30), depths=small_depths, bias=st.booleans(),
       top=st.integers(1, 200_000))  # fmt: skip
def test_common_python_path_matches_numpy(a: int, c: int, depths: list[int], bias: bool, top: int) -> None:
    fast = common(a, c, depths, bias=bias, max_params=top, subsets=True)
    with patch.object(methods, "_NUMPY_LIMIT", 0):
        slow = common(a, c, depths, bias=bias, max_params=top, subsets=True)
    assert fast == slow


@pytest.mark.parametrize("depth", [1, 2, 12])
def test_hits_exact_beyond_float_precision(depth: int) -> None:
    # discriminants near 2**59 are not exact in float64; the guess + int64 check stays exact
    quad = methods._Uniform.of(784, 10, depth, True)
    top = quad.floor_root(2**59 // max(1, 4 * quad.quad))
    widths = np.arange(top - 3000, top + 1, dtype=np.int64)
    counts = (quad.quad * widths + quad.lin) * widths + quad.const
    assert quad.hits(counts).all()
    assert not quad.hits(counts + 1).any()
    assert [quad.exact(int(p)) for p in counts[-3:]] == widths[-3:].tolist()


def test_common_large_answer_is_smallest() -> None:
    result = common(784, 10, [5, 12], max_params=10**12)
    p = result.params
    assert p is not None and result.searched_up_to == p
    for m, b in result.widths.items():
        assert uniform_count(784, 10, m, b) == p
    # no smaller count is shared: every depth-12 count below p misses depth 5
    deep = uniform_counts(784, 10, 12, True, p - 1)
    shallow = uniform_counts(784, 10, 5, True, p - 1)
    assert not set(deep) & set(shallow)


@pytest.mark.parametrize(("a", "c", "bias"), [(784, 10, True), (4, 3, False), (4, 3, True)])
def test_seed_question_depths_5_to_12(a: int, c: int, bias: bool) -> None:
    result = common(a, c, range(5, 13), bias=bias, max_params=10**12)
    if result.params is None:
        assert result.searched_up_to == 10**12 and result.widths == {}
    else:
        assert all(uniform_count(a, c, m, b, bias) == result.params for m, b in result.widths.items())
        assert sorted(result.widths) == list(range(5, 13))


def test_common_subsets_flag() -> None:
    off = common(4, 3, range(5, 13), bias=False, max_params=10**6)
    on = common(4, 3, range(5, 13), bias=False, max_params=10**6, subsets=True)
    assert off.params is None and off.best_subsets == ()
    assert on.params is None and on.best_subsets
    for s in on.best_subsets:
        assert len(s.depths) >= 2
        assert all(uniform_count(4, 3, m, b, False) == s.params for m, b in s.widths.items())


def test_common_single_depth() -> None:
    result = common(4, 3, [7], bias=True, max_params=100)
    assert result.params == uniform_count(4, 3, 7, 1, True) and result.widths == {7: 1}
    assert common(4, 3, [7], max_params=result.params - 1).params is None


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [({"depths": []}, "depths"), ({"depths": [0, 3]}, "depth"), ({"depths": 5}, "depths"),
     ({"max_params": 0}, "max_params"), ({"input_size": 0}, "input_size")],
)  # fmt: skip
def test_common_bad_input(kwargs: dict[str, object], word: str) -> None:
    args: dict[str, object] = {"input_size": 4, "output_size": 3, "depths": [5, 6]} | kwargs
    with pytest.raises(SpecError, match=word):
        common(**args)  # type: ignore[arg-type]


# --- rules of thumb --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    a=st.integers(1, 500),
    c=st.integers(1, 500),
    widths=st.lists(st.integers(1, 1200), min_size=1, max_size=6),
)
def test_rules_of_thumb_reference(a: int, c: int, widths: list[int]) -> None:
    between, twice, thirds = rules_of_thumb(a, c, widths)
    assert (between.name, twice.name, thirds.name) == ("between", "below-twice-input", "two-thirds")
    assert between.passed == all(min(a, c) <= w <= max(a, c) for w in widths)
    assert twice.passed == all(w < 2 * a for w in widths)
    t = round(Fraction(2, 3) * a + c)
    assert thirds.passed == all(abs(w - t) <= Fraction(t, 4) for w in widths)
    assert str(t) in thirds.detail


def test_rules_of_thumb_cases() -> None:
    between, twice, thirds = rules_of_thumb(784, 10, [16, 16])
    assert between.passed and twice.passed and not thirds.passed
    assert "533" in thirds.detail  # round(2/3 * 784 + 10) = round(532.67)
    between, twice, _ = rules_of_thumb(4, 3, [5, 8])
    assert not between.passed and "5, 8" in between.detail
    assert not twice.passed and "8" in twice.detail
    # boundary: t = round(2/3 * 6 + 4) = 8, "near" is |w - 8| <= 2 inclusive
    assert [rules_of_thumb(6, 4, [w])[2].passed for w in (5, 6, 10, 11)] == [False, True, True, False]
    with pytest.raises(SpecError, match="widths"):
        rules_of_thumb(4, 3, [])
    with pytest.raises(SpecError, match="0"):
        rules_of_thumb(4, 3, [3, 0])
