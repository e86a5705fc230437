"""Exact parameter counts of dense chains (pure Python, no solver imports).

A dense chain is the list of layer sizes ``[a, b_1, ..., b_m, c]``: input size ``a``,
hidden widths ``b_1..b_m`` (the *depth* is ``m``) and output size ``c``. Layer ``i`` maps
``n_i`` features to ``n_(i+1)`` and holds ``n_i * n_(i+1)`` weights plus, with biases,
``n_(i+1)`` biases (one per non-input neuron).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "LayerCount",
    "breakdown",
    "chain",
    "count_params",
    "edge_count",
    "uniform_count",
]


@dataclass(frozen=True, slots=True)
class LayerCount:
    """Parameters of one weight matrix (and its biases) in a dense chain."""

    in_features: int
    out_features: int
    weights: int
    biases: int

    @property
    def total(self) -> int:
        return self.weights + self.biases


def chain(input_size: int, widths: Sequence[int], output_size: int) -> tuple[int, ...]:
    """The full list of layer sizes ``(a, b_1, ..., b_m, c)``."""
    return (input_size, *widths, output_size)


def edge_count(n_in: int, n_out: int, bias: bool) -> int:
    """Parameters of one dense layer ``n_in -> n_out``: weights plus optional biases.

    This is the single place the per-layer formula lives; the CP-SAT model and the
    dynamic programme both build the count from it.
    """
    return n_in * n_out + (n_out if bias else 0)


def _check_sizes(sizes: Sequence[int]) -> None:
    if len(sizes) < 2:
        raise ValueError(f"a dense chain needs at least two sizes, got {list(sizes)}")
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"layer sizes must be positive integers, got {size!r}")


def breakdown(sizes: Sequence[int], bias: bool = True) -> list[LayerCount]:
    """Per-layer weights and biases of the dense chain ``sizes``."""
    _check_sizes(sizes)
    return [
        LayerCount(n_in, n_out, n_in * n_out, n_out if bias else 0)
        for n_in, n_out in itertools.pairwise(sizes)
    ]


def count_params(sizes: Sequence[int], bias: bool = True) -> int:
    """Exact trainable parameter count of the dense chain ``sizes``.

    >>> count_params([784, 16, 16, 10])
    13002
    >>> count_params([784, 16, 16, 10], bias=False)
    12960
    """
    _check_sizes(sizes)
    return sum(edge_count(n_in, n_out, bias) for n_in, n_out in itertools.pairwise(sizes))


def uniform_count(input_size: int, output_size: int, depth: int, width: int, bias: bool = True) -> int:
    """Count of ``depth`` hidden layers all of ``width``: b(a+c) + (m-1)b^2 (+ m b + c)."""
    b = width
    total = b * (input_size + output_size) + (depth - 1) * b * b
    return total + (depth * b + output_size if bias else 0)
