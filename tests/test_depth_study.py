"""examples/depth_study.py --quick end to end: every depth trained at one exact shared count."""

from __future__ import annotations

import csv
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from cpshape.counting import chain, count_params
from cpshape.datasets import DIGITS_CLASSES, DIGITS_FEATURES

pytestmark = [pytest.mark.torch, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "depth_study.py"


def load_script(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("depth_study", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_depth_study_quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    study = load_script(monkeypatch)
    started = time.perf_counter()
    try:
        code = study.main(["--quick", "--out", str(tmp_path)])
    except NotImplementedError:
        pytest.skip("cpshape.solve raises NotImplementedError: the solver has not landed yet")
    elapsed = time.perf_counter() - started
    assert code == 0
    with (tmp_path / "results.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert list(rows[0]) == ["depth", "widths", "params", "seed", "train_accuracy", "test_accuracy"]
    assert sorted({int(row["depth"]) for row in rows}) == list(range(1, 9))
    assert {row["seed"] for row in rows} == {"0"}
    for row in rows:
        widths = [int(w) for w in row["widths"].split()]
        assert len(widths) == int(row["depth"])
        assert int(row["params"]) == count_params(chain(DIGITS_FEATURES, widths, DIGITS_CLASSES))
        assert 0.0 <= float(row["test_accuracy"]) <= 1.0
        assert 0.0 <= float(row["train_accuracy"]) <= 1.0
    assert len({row["params"] for row in rows}) == 1
    png = (tmp_path / "accuracy_vs_depth.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert elapsed < 60, f"--quick took {elapsed:.1f}s"
