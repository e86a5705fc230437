"""Small data sets shipped inside the package (loaded with numpy only, no downloads)."""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

__all__ = ["DIGITS_CLASSES", "DIGITS_FEATURES", "load_digits"]

#: Features (8x8 pixels) and classes of the bundled digits data.
DIGITS_FEATURES = 64
DIGITS_CLASSES = 10


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The handwritten digits data bundled from scikit-learn (see ``cpshape/data/README.md``).

    Returns ``(X, y)``: ``X`` is float32 of shape ``(1797, 64)`` with pixel values 0..16,
    ``y`` is int64 of shape ``(1797,)`` with labels 0..9.
    """
    source = resources.files("cpshape").joinpath("data", "digits.csv.gz")
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="ascii") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.float64)
    features = np.ascontiguousarray(table[:, :DIGITS_FEATURES], dtype=np.float32)
    labels = table[:, DIGITS_FEATURES].astype(np.int64)
    return features, labels
