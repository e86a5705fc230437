"""Summaries of benchmark rows: the results table (rich or Markdown) and the target check."""

from __future__ import annotations

from collections import Counter
from typing import Any

PROVEN = ("optimal", "infeasible")
SHORT = {"optimal": "opt", "infeasible": "infeas", "feasible": "FEAS", "unknown": "UNKNOWN"}
TARGET_CASES = {"mnist-1e10-d128": 10.0, "mnist-1e11-d16": 10.0}
COLUMNS = (
    "case",
    "rules",
    "depths",
    "status",
    "spread",
    "|dev|",
    "s (median)",
    "peak MB",
    "baseline |dev|",
    "textbook",
    "speed-up",
    "check",
)


def _statuses(depths: list[dict[str, Any]]) -> str:
    counts = Counter(d["status"] for d in depths)
    if set(counts) == {"optimal"}:
        return "optimal"
    return " + ".join(
        f"{n} {SHORT.get(s, s)}" for s, n in sorted(counts.items(), key=lambda kv: kv[0] != "optimal")
    )


def _failure(result: dict[str, Any]) -> str | None:
    if "timeout" in result:
        done = result.get("partial") or []
        return f"killed at {result['timeout']:.0f} s" + (f" after {len(done)} depths" if done else "")
    if "error" in result:
        return "ERROR " + str(result["error"])[:60]
    return None


def _num(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _agree_textbook(cp: dict[str, Any], tb: dict[str, Any], shared: bool) -> bool | None:
    """True/False when the textbook model proved its answer on some depth, None otherwise."""
    verdicts = []
    if shared:
        one = tb["depths"][0]
        joined = [d for d in cp["depths"] if d["joined"] and d["spread"] is not None]
        if one["status"] == "optimal" and joined and cp.get("shared_count") is not None:
            target = joined[0]["params"] - joined[0]["deviation"]
            mine = [max(d["spread"] for d in joined), abs(cp["shared_count"] - target)]
            verdicts.append(mine == one["values"])
        return None if not verdicts else all(verdicts)
    mine_by = {d["depth"]: d for d in cp["depths"]}
    for t in tb["depths"]:
        mine = mine_by[t["depth"]]
        if t["status"] == "optimal":
            verdicts.append(
                mine["spread"] is not None and [mine["spread"], abs(mine["deviation"])] == t["values"]
            )
        elif t["status"] == "infeasible":
            verdicts.append(mine["status"] == "infeasible")
    return None if not verdicts else all(verdicts)


def _agree_brute(cp: dict[str, Any], brute: dict[str, Any]) -> bool:
    mine_by = {d["depth"]: d for d in cp["depths"]}
    if brute.get("shared") is not None and cp.get("shared_count") != brute["shared"]:
        return False
    for b in brute["depths"]:
        mine = mine_by[b["depth"]]
        if b["spread"] is None:
            if mine["status"] != "infeasible":
                return False
        elif mine["spread"] is None or (mine["spread"], abs(mine["deviation"])) != (b["spread"], b["absdev"]):
            return False
    return True


def summarise(row: dict[str, Any]) -> dict[str, Any]:
    """Display strings and the numbers the target check needs, for one case."""
    case, cp = row["case"], row["cpshape"]
    out: dict[str, Any] = {
        "case": case["name"],
        "rules": case["description"],
        "depths": ",".join(map(str, case["depths"])),
    }
    fail = _failure(cp)
    if fail:
        out.update(status=fail, proven=False, median=None, peak=cp.get("peak_mb"))
        out.update({k: "-" for k in COLUMNS if k not in out})
        if cp.get("peak_mb"):
            out["peak MB"] = f"{cp['peak_mb']:.0f}"
        out["textbook"], out["speed-up"], out["check"] = (*_textbook(row, None)[:2], "-")
        return out
    depths = cp["depths"]
    with_shape = [d for d in depths if d["spread"] is not None]
    out["status"] = _statuses(depths)
    out["proven"] = all(d["status"] in PROVEN for d in depths)
    out["best_found"] = all(d["status"] in PROVEN or d["widths"] for d in depths)
    out["spread"] = _num(max((d["spread"] for d in with_shape), default=None))
    out["|dev|"] = _num(max((abs(d["deviation"]) for d in with_shape), default=None))
    out["median"], out["peak"] = cp["median"], cp["peak_mb"]
    out["s (median)"] = f"{cp['median']:.3f}" + ("" if len(cp["times"]) > 1 else " (1 run)")
    out["peak MB"] = f"{cp['peak_mb']:.0f}"
    base = cp["baseline"]
    invalid = sum(not b["valid"] for b in base)
    out["baseline |dev|"] = _num(max(abs(b["deviation"]) for b in base)) + (
        f" ({invalid}/{len(base)} invalid)" if invalid else ""
    )
    tb = _textbook(row, cp["median"], out["proven"])
    out["textbook"], out["speed-up"], out["ratio"], out["tb_agree"] = tb
    checks = []
    if out["tb_agree"] is not None:
        checks.append("textbook ok" if out["tb_agree"] else "TEXTBOOK DIFFERS")
    brute = row.get("brute")
    if brute is not None:
        if _failure(brute):
            checks.append("brute " + str(_failure(brute)))
        elif brute.get("too_large"):
            checks.append("brute: too large")
        else:
            ok = _agree_brute(cp, brute)
            out["brute_agree"] = ok
            checks.append("brute ok" if ok else "BRUTE DIFFERS")
    out["check"] = "; ".join(checks) or "-"
    return out


def _x(ratio: float) -> str:
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.2g}x"


def _textbook(
    row: dict[str, Any], median: float | None, proven: bool = False
) -> tuple[str, str, float | None, bool | None]:
    """(cell text, speed-up text, ratio where the textbook model finished, agreement with cpshape).

    Where the textbook model ran out of time the ratio is only a lower bound, shown as
    ``>=`` and only when cpshape itself proved its answers.
    """
    tb = row.get("textbook", {})
    if "skipped" in tb:
        return f"skipped ({tb['skipped']})", "-", None, None
    fail = _failure(tb)
    if fail:
        return fail, "-", None, None
    seconds = tb["seconds"]
    finished = tb["finished"]
    statuses = _statuses(tb["depths"][:1] if row["case"]["shared"] else tb["depths"])
    text = f"{seconds:.2f} s {statuses}"
    if not median:
        return text, "-", None, None
    ratio = seconds / median
    agree = _agree_textbook(row["cpshape"], tb, row["case"]["shared"])
    if finished:
        return text, _x(ratio), ratio, agree
    return text, f">={_x(ratio)}" if proven else "-", None, agree


def _depth_notes(row: dict[str, Any]) -> list[str]:
    """One note per depth that is not proven or took at least a second."""
    cp = row["cpshape"]
    notes = [
        f"d{d['depth']}: {d['status']} ({d['proof']}, {d['seconds']:.2f} s)"
        for d in cp.get("depths", cp.get("partial", []))
        if d["status"] not in PROVEN or d["seconds"] >= 1.0
    ]
    if "timeout" in cp:
        done = {d["depth"] for d in cp.get("partial", [])}
        missing = [str(m) for m in row["case"]["depths"] if m not in done]
        notes.append(f"killed at {cp['timeout']:.0f} s before finishing depth(s) {', '.join(missing)}")
    return notes


def targets(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The issue's targets, each with met/not met and the cases that miss it."""
    sums = [summarise(r) for r in rows]
    not_proven = [s["case"] for s in sums if not s["proven"]]
    slow = [
        f"{s['case']} ({s['median']:.2f} s)" if s["median"] is not None else f"{s['case']} ({s['status']})"
        for s in sums
        if s["median"] is None or s["median"] >= 1.0
    ]
    ratios = [(s["case"], s["ratio"]) for s in sums if s.get("ratio") is not None]
    below = [f"{name} ({_x(r)})" for name, r in ratios if r < 50]
    big = []
    for s in sums:
        if s["case"] in TARGET_CASES:
            ok = s["proven"] and s["median"] is not None and s["median"] <= TARGET_CASES[s["case"]]
            big.append(
                f"{s['case']}: {'met' if ok else 'NOT met'} ({s['status']}, "
                + (f"{s['median']:.2f} s)" if s["median"] is not None else "no time)")
            )
    peaks = [s["peak"] for s in sums if s["peak"] is not None]
    unmarked = [s["case"] for s in sums if not s["proven"] and not s.get("best_found")]
    wrong = [s["case"] for s in sums if s.get("tb_agree") is False or s.get("brute_agree") is False]
    return {
        "all proven optimal": {"met": not not_proven, "misses": not_proven},
        "median < 1 s": {"met": not slow, "misses": slow},
        ">= 50x the textbook model where it finishes": {
            "met": not below if ratios else None,
            "misses": below,
            "compared": len(ratios),
            "min": min((r for _, r in ratios), default=None),
        },
        "1e10 d128 and 1e11 d16 proven within 10 s": {
            "met": all("NOT" not in b for b in big) if big else None,
            "misses": [b for b in big if "NOT" in b],
            "detail": big,
        },
        "peak memory < 1 GB": {
            "met": max(peaks) < 1024 if peaks else None,
            "misses": [],
            "max_mb": max(peaks, default=None),
        },
        "unproven cases return a shape marked feasible": {"met": not unmarked, "misses": unmarked},
        "answers agree with brute force / textbook": {"met": not wrong, "misses": wrong},
    }


def render(data: dict[str, Any], markdown: bool = False) -> str:
    sums = [summarise(r) for r in data["rows"]]
    m = data["machine"]
    machine = (
        f"{m.get('cpu')}, {m.get('cores')} cores, {m.get('ram_gb')} GB RAM; Python {m.get('python')}, "
        f"ortools {m.get('ortools')}, cpshape {m.get('cpshape')} @ {m.get('commit', '?')}"
        f" ({m.get('cpshape_tree', '?')}, sources {m.get('cpshape_sha', '?')}); {m.get('date')}"
    )
    s = data["settings"]
    setting = (
        f"time limit {s['time_limit']:g} s, hard timeout {s['hard_timeout']:g} s, "
        f"median of up to {s['repeat']} solves; total run {data.get('total_seconds', 0):.0f} s"
    )
    changed = len({r.get("sources") for r in data["rows"]} - {None}) > 1
    if changed:
        setting += "; WARNING: cpshape's sources changed during the run (see 'sources' per row in the JSON)"
    goals = targets(data["rows"])  # recomputed, so --load applies the current rules
    notes = [f"{x['case']} {n}" for x, row in zip(sums, data["rows"], strict=True) for n in _depth_notes(row)]
    goal_lines = [
        f"{ {True: 'met', False: 'NOT met', None: 'not measured'}[g['met']] }: {name}"
        + (f" — {', '.join(g['misses'])}" if g["misses"] else "")
        for name, g in goals.items()
    ]
    if markdown:
        lines = [
            "| " + " | ".join(c.replace("|", "\\|") for c in COLUMNS) + " |",
            "|" + "---|" * len(COLUMNS),
        ]
        lines += ["| " + " | ".join(str(x[c]).replace("|", "\\|") for c in COLUMNS) + " |" for x in sums]
        return "\n".join(
            [
                *lines,
                "",
                "Machine:",
                "",
                f"- CPU: {m.get('cpu')}, {m.get('cores')} cores; RAM {m.get('ram_gb')} GB; {m.get('os')}",
                f"- Python {m.get('python')}, ortools {m.get('ortools')}, cpshape {m.get('cpshape')}",
                f"- cpshape sources {m.get('cpshape_sha', '?')} at commit {m.get('commit', '?')} "
                f"({m.get('cpshape_tree', '?')}); run started {m.get('date')}",
                "",
                f"Settings: {setting}.",
                "",
                "Unproven or slow (>= 1 s) depths:",
                "",
                *(f"- {n}" for n in notes or ["none"]),
                "",
                "Targets:",
                "",
                *(f"- {g}" for g in goal_lines),
            ]
        )
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain text
        lines = ["  ".join(COLUMNS)] + ["  ".join(str(x[c]) for c in COLUMNS) for x in sums]
        return "\n".join([*lines, machine, setting, *notes, *goal_lines])
    table = Table(title="cpshape benchmark suite", caption=f"{machine}\n{setting}")
    for c in COLUMNS:
        table.add_column(c, overflow="fold")
    for x in sums:
        table.add_row(*(str(x[c]) for c in COLUMNS))
    console = Console(width=220, record=True)
    with console.capture() as cap:
        console.print(table)
        for n in notes:
            console.print(n, markup=False)
        for g in goal_lines:
            console.print(g, markup=False)
    return cap.get()
