"""The digits data shipped inside the package."""

from __future__ import annotations

import numpy as np

from cpshape.datasets import DIGITS_CLASSES, DIGITS_FEATURES, load_digits


def test_digits_shape_dtype_and_labels() -> None:
    x, y = load_digits()
    assert x.shape == (1797, DIGITS_FEATURES) == (1797, 64)
    assert x.dtype == np.float32
    assert y.shape == (1797,)
    assert y.dtype == np.int64
    assert y.min() == 0
    assert y.max() == DIGITS_CLASSES - 1 == 9
    assert set(np.unique(y).tolist()) == set(range(10))
    assert x.min() == 0.0
    assert x.max() == 16.0
    assert np.array_equal(x, np.round(x))  # integer pixel counts 0..16
    assert x.flags.c_contiguous


def test_digits_first_row() -> None:
    x, y = load_digits()
    assert y[:10].tolist() == list(range(10))
    assert x[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
