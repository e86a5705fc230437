"""One benchmark job in a fresh process: ``worker.py KIND CASE REPEAT TIME_LIMIT``.

KIND is ``cpshape`` (plus the closed-form baseline), ``textbook`` or ``brute``. Prints one
JSON object on stdout. Timings are taken around the solve call only, after every import;
peak memory is this process's ``ru_maxrss``.
"""

from __future__ import annotations

import inspect
import json
import resource
import statistics
import sys
import time
import traceback
from typing import Any

from cases import by_name

import cpshape
from cpshape.methods import baseline
from cpshape.result import check_shape

#: Stop repeating once one solve takes this long: its median would not change the verdict.
SLOW_REPEAT = 5.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _depth(r: cpshape.DepthResult) -> dict[str, Any]:
    return {
        "depth": r.depth,
        "status": r.status.value,
        "spread": r.spread,
        "deviation": r.deviation,
        "params": r.params,
        "proof": r.proof,
        "seconds": r.seconds,
        "joined": r.joined,
        "widths": list(r.widths) if r.widths else None,
    }


def _stream(r: cpshape.DepthResult) -> None:
    """Each finished depth of the first solve, at once: a killed child still tells how far it got."""
    print(json.dumps({"partial": _depth(r)}), flush=True)


def run_cpshape(name: str, repeat: int, time_limit: float) -> dict[str, Any]:
    from cpshape.solver import solve  # imported before timing

    problem = by_name(name).problem()
    settings = cpshape.SolverSettings(time_limit=time_limit)
    times: list[float] = []
    report = None
    for i in range(max(1, repeat)):
        start = time.perf_counter()
        extra = {"progress": _stream} if i == 0 and "progress" in inspect.signature(solve).parameters else {}
        report = solve(problem, settings, **extra)
        times.append(time.perf_counter() - start)
        if times[-1] > SLOW_REPEAT:
            break
    assert report is not None
    depths = [_depth(r) for r in report.results]
    base = []
    for r in baseline(problem):
        assert r.widths is not None
        base.append(
            {
                "depth": r.depth,
                "deviation": r.deviation,
                "widths": list(r.widths),
                "valid": not check_shape(problem, r.widths, (1, 2**63)),  # rules only, any count
            }
        )
    return {
        "times": times,
        "median": statistics.median(times),
        "depths": depths,
        "shared_count": report.shared_count,
        "baseline": base,
        "versions": report.versions,
    }


def main() -> None:
    kind, name, repeat, time_limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    try:
        if kind == "cpshape":
            out = run_cpshape(name, repeat, time_limit)
        elif kind == "textbook":
            from textbook import solve_textbook

            out = solve_textbook(by_name(name).problem(), time_limit)
        elif kind == "brute":
            from brute import solve_brute

            start = time.perf_counter()
            out = solve_brute(by_name(name).problem())
            out["seconds"] = time.perf_counter() - start
        else:
            raise SystemExit(f"unknown kind {kind!r}")
    except Exception as exc:  # reported, not raised: one broken case must not stop the suite
        out = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    out["peak_mb"] = _peak_mb()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
