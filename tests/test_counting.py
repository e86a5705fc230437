"""Exact parameter counts: hand cases, the uniform closed form, and properties."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import plain_count

from cpshape.counting import LayerCount, breakdown, chain, count_params, edge_count, uniform_count

sizes_st = st.lists(st.integers(1, 300), min_size=2, max_size=8)


def test_mnist_16_16_hand_count() -> None:
    sizes = [784, 16, 16, 10]
    weights = 784 * 16 + 16 * 16 + 16 * 10
    assert weights == 12_960
    assert count_params(sizes, bias=False) == 12_960
    assert count_params(sizes) == 12_960 + 42 == 13_002


def test_tiny_chain_hand_count() -> None:
    # 2 -> 2 -> 2: two 2x2 matrices (8 weights) and 2 + 2 biases.
    assert count_params([2, 2, 2]) == 12
    assert count_params([2, 2, 2], bias=False) == 8


def test_edge_count_and_chain() -> None:
    assert edge_count(3, 5, bias=False) == 15
    assert edge_count(3, 5, bias=True) == 20
    assert chain(784, [16, 16], 10) == (784, 16, 16, 10)
    assert chain(4, (), 3) == (4, 3)


def test_breakdown_rows() -> None:
    rows = breakdown([784, 16, 16, 10])
    assert rows == [
        LayerCount(784, 16, 12_544, 16),
        LayerCount(16, 16, 256, 16),
        LayerCount(16, 10, 160, 10),
    ]
    assert [r.total for r in rows] == [12_560, 272, 170]
    assert all(r.biases == 0 for r in breakdown([784, 16, 16, 10], bias=False))


@pytest.mark.parametrize("bad", [[], [5], [3, 0, 2], [3, -1], [3, 2.0], [True, 3]])
def test_bad_sizes_rejected(bad: list[object]) -> None:
    with pytest.raises(ValueError):
        count_params(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        breakdown(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(
    ("a", "c", "m", "b"), [(784, 10, 1, 100), (784, 10, 3, 64), (4, 3, 5, 7), (1, 1, 12, 1)]
)
def test_uniform_count_closed_form(a: int, c: int, m: int, b: int, bias: bool) -> None:
    expected = b * (a + c) + (m - 1) * b * b + ((m * b + c) if bias else 0)
    assert uniform_count(a, c, m, b, bias) == expected
    assert uniform_count(a, c, m, b, bias) == count_params(chain(a, [b] * m, c), bias)


def test_popular_uniform_formula_is_wrong() -> None:
    # The often-quoted b*(a + m*b + c) counts m hidden-to-hidden matrices; there are only m - 1.
    a, c, m, b = 784, 10, 3, 64
    popular = b * (a + m * b + c)
    exact = count_params(chain(a, [b] * m, c), bias=False)
    assert exact == 784 * 64 + 2 * 64 * 64 + 64 * 10 == 59_008
    assert popular == 63_104
    assert popular != exact
    assert popular - exact == b * b


@settings(max_examples=200, derandomize=True, deadline=None)
@given(sizes=sizes_st, bias=st.booleans())
def test_breakdown_adds_up(sizes: list[int], bias: bool) -> None:
    rows = breakdown(sizes, bias)
    assert len(rows) == len(sizes) - 1
    assert sum(r.total for r in rows) == count_params(sizes, bias)
    assert sum(r.weights for r in rows) == count_params(sizes, bias=False)
    assert [(r.in_features, r.out_features) for r in rows] == list(itertools.pairwise(sizes))


@settings(max_examples=200, derandomize=True, deadline=None)
@given(sizes=sizes_st, bias=st.booleans(), data=st.data())
def test_count_strictly_increases_in_each_width(sizes: list[int], bias: bool, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(sizes) - 1))
    grown = [*sizes]
    grown[i] += data.draw(st.integers(1, 50))
    assert count_params(grown, bias) > count_params(sizes, bias)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(sizes=sizes_st)
def test_bias_adds_one_per_non_input_neuron(sizes: list[int]) -> None:
    assert count_params(sizes, bias=True) - count_params(sizes, bias=False) == sum(sizes[1:])


@settings(max_examples=200, derandomize=True, deadline=None)
@given(sizes=sizes_st, bias=st.booleans())
def test_count_matches_reference(sizes: list[int], bias: bool) -> None:
    assert count_params(sizes, bias) == plain_count(sizes[0], tuple(sizes[1:-1]), sizes[-1], bias)
