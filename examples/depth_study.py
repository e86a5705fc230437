"""Depth study: does depth help at a fixed, exactly equal parameter count?

cpshape solves one MLP shape per depth with a *shared* count (every depth has exactly the
same number of trainable parameters), the shapes are built in PyTorch, trained on the small
handwritten digits data bundled with cpshape, and test accuracy is compared across depths.

    python examples/depth_study.py --out study/ --quick     # about half a minute on 2 cores
    python examples/depth_study.py --out study/             # 3 seeds, more epochs

Writes ``results.csv`` and ``accuracy_vs_depth.png`` into ``--out``.
Needs the extras: pip install 'cpshape[torch,plot]'.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

import cpshape
from cpshape.datasets import DIGITS_CLASSES, DIGITS_FEATURES, load_digits
from cpshape.torch_export import models_from_report, torch_param_count

TEST_FRACTION = 0.2
SPLIT_SEED = 0
BATCH_SIZE = 64
LEARNING_RATE = 1e-3


class StudyError(Exception):
    """The study cannot go on (no shared count, no shape); main() prints it and returns 1."""


@dataclass(frozen=True)
class Run:
    depth: int
    widths: tuple[int, ...]
    params: int
    seed: int
    train_accuracy: float
    test_accuracy: float


@dataclass(frozen=True)
class Split:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for results.csv and the plot")
    parser.add_argument("--quick", action="store_true", help="1 seed, few epochs (under a minute)")
    parser.add_argument("--params", type=int, default=20_000, help="target parameter count")
    parser.add_argument("--tolerance", type=float, default=0.02, help="relative band around --params")
    parser.add_argument("--depths", type=int, nargs="+", default=list(range(1, 9)), help="depths to compare")
    parser.add_argument("--seeds", type=int, default=None, help="training seeds per depth (3; quick: 1)")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (60; quick: 20)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads (1 is fastest for these tiny models)"
    )
    args = parser.parse_args(argv)
    if args.seeds is None:
        args.seeds = 1 if args.quick else 3
    if args.epochs is None:
        args.epochs = 20 if args.quick else 60
    if args.seeds < 1 or args.epochs < 1 or args.threads < 1:
        parser.error("--seeds, --epochs and --threads must be >= 1")
    return args


def solve_shapes(params: int, depths: Sequence[int], tolerance: float) -> cpshape.Report:
    """One shape per depth, all with exactly the same parameter count (shared mode)."""
    problem = cpshape.Problem(
        input_size=DIGITS_FEATURES,
        output_size=DIGITS_CLASSES,
        params=params,
        depths=tuple(depths),
        tolerance=tolerance,
        bias=True,
        same_count=True,
    )
    return cpshape.solve(problem, cpshape.SolverSettings(seed=0))


def make_split() -> Split:
    """A fixed train/test split (seeded permutation); pixels scaled from 0..16 to 0..1."""
    features, labels = load_digits()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    n_test = round(len(labels) * TEST_FRACTION)
    test, train = order[:n_test], order[n_test:]
    x = torch.from_numpy(features / np.float32(16.0))
    y = torch.from_numpy(labels)
    return Split(x[train], y[train], x[test], y[test])


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        predicted = model(x).argmax(dim=1)
    return float((predicted == y).float().mean())


def train(model: nn.Module, split: Split, seed: int, epochs: int) -> tuple[float, float]:
    """Re-initialise ``model`` from ``seed``, train it with Adam, return (train, test) accuracy."""
    torch.manual_seed(seed)
    for module in model.modules():
        if isinstance(module, nn.Linear):
            module.reset_parameters()
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    n = len(split.y_train)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            optimiser.zero_grad()
            loss = loss_fn(model(split.x_train[batch]), split.y_train[batch])
            loss.backward()
            optimiser.step()
    return accuracy(model, split.x_train, split.y_train), accuracy(model, split.x_test, split.y_test)


def write_csv(runs: Sequence[Run], path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["depth", "widths", "params", "seed", "train_accuracy", "test_accuracy"])
        for run in runs:
            widths = " ".join(str(w) for w in run.widths)
            row = [run.depth, widths, run.params, run.seed, f"{run.train_accuracy:.4f}"]
            writer.writerow([*row, f"{run.test_accuracy:.4f}"])


def plot_accuracy(runs: Sequence[Run], report: cpshape.Report, path: Path) -> None:
    """Mean test accuracy per depth (line) with every seed's result (points)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    depths = sorted({run.depth for run in runs})
    means = [float(np.mean([r.test_accuracy for r in runs if r.depth == d])) for d in depths]
    axes.scatter(
        [r.depth for r in runs], [r.test_accuracy for r in runs], alpha=0.6, s=18, zorder=3, label="one seed"
    )
    axes.plot(depths, means, marker="o", color="black", label="mean over seeds")
    axes.set_xticks(depths)
    axes.set_xlabel("depth (hidden layers)")
    axes.set_ylabel("test accuracy")
    axes.grid(True, alpha=0.3)
    axes.legend(loc="lower left", fontsize=8)
    count = report.shared_count if report.shared_count is not None else runs[0].params
    axes.set_title(f"digits (64 -> 10): every depth has exactly {count:,} parameters", fontsize=10)
    figure.tight_layout()
    figure.savefig(path)


def run_study(args: argparse.Namespace) -> list[Run]:
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    report = solve_shapes(args.params, args.depths, args.tolerance)
    print(f"solved {len(report.results)} depths in {time.perf_counter() - started:.1f}s", flush=True)
    if report.shared_count is None:
        raise StudyError("no parameter count is shared by every depth; widen --tolerance")
    for result in report.results:
        if result.widths is None:
            print(f"  depth {result.depth}: no shape ({result.status.value}), skipped")
        else:
            print(f"  depth {result.depth}: widths {list(result.widths)}, {result.params:,} params")
    split = make_split()
    runs: list[Run] = []
    for seed in range(args.seeds):
        for depth, model in models_from_report(report).items():
            widths = report.by_depth(depth).widths or ()
            train_acc, test_acc = train(model, split, seed, args.epochs)
            runs.append(Run(depth, widths, torch_param_count(model), seed, train_acc, test_acc))
            print(f"  seed {seed} depth {depth}: train {train_acc:.3f} test {test_acc:.3f}", flush=True)
    if not runs:
        raise StudyError("no depth has a shape; nothing to train")
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(runs, args.out / "results.csv")
    plot_accuracy(runs, report, args.out / "accuracy_vs_depth.png")
    print(f"wrote {args.out / 'results.csv'} and {args.out / 'accuracy_vs_depth.png'}")
    print(f"total {time.perf_counter() - started:.1f}s")
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        run_study(args)
    except StudyError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
