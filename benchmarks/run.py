"""Run the fixed cpshape benchmark suite, print a table and write JSON.

    .venv/bin/python benchmarks/run.py [--quick] [--repeat N] [--time-limit S] [--json OUT]
                                       [--only PATTERN] [--no-textbook] [--no-brute]
                                       [--hard-timeout S] [--markdown] [--load JSON]

Every case runs in a fresh subprocess (``worker.py``): the solve time is the median of N
solves timed inside the child (imports excluded), peak memory is the child's
``ru_maxrss``, and a child that overruns ``--hard-timeout`` is killed and reported as
``timeout``. Beside cpshape, in the same run: the textbook CP-SAT model (``textbook.py``,
same time limit), the closed-form baseline (deviation only) and, on the tiny cases, brute
force (``brute.py``). ``--load`` re-renders a saved JSON without solving anything.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cases import Case, select
from report import render, targets

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "out" / "results.json"


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, OS, Python, ortools and cpshape versions, git commit."""
    info: dict[str, Any] = {"cpu": platform.processor() or "unknown", "cores": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram_gb"] = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    import ortools

    import cpshape

    info.update(
        os=platform.platform(),
        python=platform.python_version(),
        ortools=ortools.__version__,
        cpshape=cpshape.__version__,
        date=time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    )
    try:
        info["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "cpshape"],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        info["cpshape_tree"] = "modified" if dirty else "clean"
        info["cpshape_sha"] = source_hash()
        info["cpshape_path"] = str(Path(cpshape.__file__).parent)
        if Path(cpshape.__file__).parent != HERE.parent / "cpshape":
            info["cpshape_tree"] = f"imported from {info['cpshape_path']}, not this checkout"
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def source_hash() -> str:
    """Short digest of the cpshape sources the children import (PYTHONPATH may point at a snapshot)."""
    spec = importlib.util.find_spec("cpshape")
    assert spec is not None and spec.origin is not None
    digest = hashlib.sha256()
    for path in sorted(Path(spec.origin).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:10]


def _spawn(cmd: list[str], hard: float) -> tuple[str, str, int | None, float, float]:
    """Run ``cmd``; (stdout, stderr, exit status or None if killed, wall seconds, peak MB).

    ``os.wait4`` reaps the child, so its own ``ru_maxrss`` is known even when the hard
    timeout killed it; output goes to temporary files, so a killed child's lines survive.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=HERE, text=True)
        code: int | None = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.perf_counter() - start > hard:
                proc.kill()
                _, _, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = -9 if code is None else code  # reaped above; keep Popen from waiting
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return out.read(), err.read(), code, wall, usage.ru_maxrss / 1024


def child(kind: str, case: Case, repeat: int, time_limit: float, hard: float) -> dict[str, Any]:
    """Run one worker: its JSON, or ``{"timeout": ...}`` / ``{"error": ...}`` plus what it printed."""
    cmd = [sys.executable, str(HERE / "worker.py"), kind, case.name, str(repeat), str(time_limit)]
    stdout, stderr, code, wall, peak = _spawn(cmd, hard)
    lines = stdout.strip().splitlines()
    partial = [json.loads(line)["partial"] for line in lines if line.startswith('{"partial"')]
    if code is None:
        return {"timeout": hard, "wall": wall, "peak_mb": peak, "partial": partial}
    try:
        out = json.loads(lines[-1])
        if "partial" in out:
            raise ValueError("no final line")
    except (IndexError, ValueError):
        tail = (stderr or stdout).strip().splitlines()[-3:]
        return {
            "error": f"exit {code}: {' | '.join(tail)}",
            "wall": wall,
            "peak_mb": peak,
            "partial": partial,
        }
    out.update(wall=wall, peak_mb=peak)
    return out


def run_case(case: Case, args: argparse.Namespace) -> dict[str, Any]:
    row: dict[str, Any] = {"case": case.as_dict(), "note": case.note, "sources": source_hash()}
    row["cpshape"] = child("cpshape", case, args.repeat, args.time_limit, args.hard_timeout)
    skip = case.textbook_skip()
    if args.no_textbook:
        row["textbook"] = {"skipped": "--no-textbook"}
    elif skip:
        row["textbook"] = {"skipped": skip}
    else:
        hard = args.time_limit * (1 if case.shared else len(case.depths)) + 30
        row["textbook"] = child("textbook", case, 1, args.time_limit, hard)
    if case.brute and not args.no_brute:
        row["brute"] = child("brute", case, 1, args.time_limit, args.hard_timeout)
    return row


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="cpshape benchmark suite", formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="the quick subset (< 2 minutes)")
    p.add_argument(
        "--repeat", type=int, default=3, help="solves per case; the median is reported (default 3)"
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        help="seconds: cpshape's SolverSettings.time_limit and the textbook model's limit (default 10)",
    )
    p.add_argument(
        "--hard-timeout",
        type=float,
        help="kill a cpshape/brute child after this (default 60, 30 with --quick)",
    )
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"output JSON (default {DEFAULT_JSON})")
    p.add_argument("--only", metavar="PATTERN", help="only cases whose name contains PATTERN")
    p.add_argument("--no-textbook", action="store_true", help="skip the textbook CP-SAT model")
    p.add_argument("--no-brute", action="store_true", help="skip brute force")
    p.add_argument(
        "--markdown", action="store_true", help="print the tables as Markdown (for docs/performance.md)"
    )
    p.add_argument("--load", type=Path, metavar="JSON", help="re-render a saved results file; solve nothing")
    args = p.parse_args(argv)
    if args.hard_timeout is None:
        args.hard_timeout = 30.0 if args.quick else 60.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.load:
        data = json.loads(args.load.read_text())
    else:
        cases = select(args.only, args.quick)
        if not cases:
            print(f"no case matches {args.only!r}", file=sys.stderr)
            return 2
        settings = {k: v for k, v in vars(args).items() if k not in ("json", "load", "markdown")}
        data = {"machine": machine(), "settings": {**settings, "json": str(args.json)}, "rows": []}
        start = time.perf_counter()
        for i, case in enumerate(cases, 1):
            print(f"[{i}/{len(cases)}] {case.name} ...", end="", file=sys.stderr, flush=True)
            row = run_case(case, args)
            data["rows"].append(row)
            walls = {k: row[k]["wall"] for k in ("cpshape", "textbook", "brute") if "wall" in row.get(k, {})}
            print(" " + ", ".join(f"{k} {w:.1f}s" for k, w in walls.items()), file=sys.stderr, flush=True)
        data["total_seconds"] = time.perf_counter() - start
        data["targets"] = targets(data["rows"])
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=1))
        print(f"wrote {args.json}", file=sys.stderr)
    print(render(data, markdown=args.markdown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
