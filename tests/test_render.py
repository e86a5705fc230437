"""Renderers: golden files for table/CSV/Markdown/JSON, the JSON schema, widths and deviations.

Regenerate the golden files with ``CPSHAPE_REGEN_GOLDEN=1 pytest tests/test_render.py``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from _reports import sample_report

from cpshape import render
from cpshape.counting import chain, count_params
from cpshape.result import Report, Status

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("CPSHAPE_REGEN_GOLDEN") == "1"

CASES: dict[str, Callable[[], str]] = {
    "table.txt": lambda: render.render_table(sample_report(), width=100),
    "table_shared_80.txt": lambda: render.render_table(sample_report(same_count=True), width=80),
    "results.csv": lambda: render.render_csv(sample_report()),
    "results.md": lambda: render.render_markdown(sample_report()),
    "results.json": lambda: render.render_json(sample_report()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    text = CASES[name]()
    path = GOLDEN / name
    if REGEN:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; CPSHAPE_REGEN_GOLDEN=1 to accept"


def test_table_is_plain_text_without_a_terminal() -> None:
    text = render.render_table(sample_report(), width=100)
    assert "\x1b[" not in text
    assert all(len(line) <= 100 and line == line.rstrip() for line in text.splitlines())


def test_table_footer_says_whether_every_depth_is_proven() -> None:
    report = sample_report()
    proven = dataclasses.replace(report, results=report.results[1:3])
    assert "All 2 depths proven optimal." in render.render_table(proven)
    decided = dataclasses.replace(report, results=report.results[:3])  # infeasible, 2 optimal
    text = render.render_table(decided)
    assert "Every depth is decided: 2 optimal, 1 infeasible (proven: no shape in the band)." in text
    assert "Not every depth" not in text
    assert "Not every depth is proven optimal: 2 optimal, 1 feasible, 1 infeasible, 1 unknown." in (
        render.render_table(report)
    )


def test_json_schema_keys_and_order() -> None:
    document = json.loads(render.render_json(sample_report()))
    assert list(document) == [
        "cpshape",
        "ortools",
        "problem",
        "solver",
        "band",
        "shared_count",
        "all_optimal",
        "results",
    ]
    keys = [
        "depth",
        "widths",
        "params",
        "deviation",
        "spread",
        "status",
        "nearest",
        "seconds",
        "proof",
        "joined",
    ]
    assert all(list(row) == keys for row in document["results"])
    assert {row["status"] for row in document["results"]} == {s.value for s in Status}
    assert document["band"] == [950, 1050]
    assert document["problem"]["tolerance"] == "0.05"


def test_json_results_recount() -> None:
    document = json.loads(render.render_json(sample_report()))
    problem = document["problem"]
    for row in document["results"]:
        if row["widths"] is None:
            assert row["params"] is None and row["deviation"] is None and row["spread"] is None
            continue
        assert row["params"] == count_params(chain(problem["input"], row["widths"], problem["output"]))
        assert row["deviation"] == row["params"] - problem["params"]
        assert row["spread"] == max(row["widths"]) - min(row["widths"])


def test_json_nearest_and_joined() -> None:
    rows = json.loads(render.render_json(sample_report()))["results"]
    assert rows[0]["nearest"] == {"below": 963, "above": None} and rows[1]["nearest"] is None
    assert {row["joined"] for row in rows} == {None}  # only meaningful in shared mode
    shared = json.loads(render.render_json(sample_report(same_count=True)))
    assert shared["shared_count"] == 1006 and [r["joined"] for r in shared["results"]][1:3] == [True, False]


def test_seconds_is_the_only_timing_field() -> None:
    report = sample_report()
    slower = dataclasses.replace(
        report, results=tuple(dataclasses.replace(r, seconds=r.seconds * 3 + 1) for r in report.results)
    )
    fast, slow = render.to_dict(report), render.to_dict(slower)
    assert fast != slow
    for document in (fast, slow):
        for row in document["results"]:
            del row["seconds"]
    assert fast == slow


def test_csv_rows() -> None:
    rows = list(csv.DictReader(io.StringIO(render.render_csv(sample_report()))))
    assert [row["depth"] for row in rows] == ["1", "2", "3", "12", "13"]
    assert rows[3]["widths"] == "9 9 9 8 9 9 9 9 9 9 9 9"  # CSV never compacts
    assert (rows[0]["widths"], rows[0]["nearest_below"], rows[0]["nearest_above"]) == ("", "963", "")
    assert rows[1]["params"] == str(count_params([4, 27, 28, 3]))


def test_markdown_is_a_table_with_one_row_per_depth() -> None:
    lines = render.render_markdown(sample_report()).splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 2 + 5
    assert all(line.count("|") == 8 for line in table)


@pytest.mark.parametrize(
    ("widths", "text"),
    [
        ((64, 64, 64), "64 64 64"),
        ((66, 66, 66, 65, 66, 66, 66, 66, 66, 66, 66, 66), "66x3 65 66x8"),
        ((5, 5, 4, 4, 3, 3), "5 5 4 4 3 3"),
        ((8,) * 6, "8x6"),
        ((9, 8, 8, 8, 7, 7), "9 8x3 7 7"),
        ((1, 1, 1, 1, 1), "1 1 1 1 1"),
    ],
)
def test_compact_widths(widths: tuple[int, ...], text: str) -> None:
    assert render.compact_widths(widths) == text


@pytest.mark.parametrize(
    ("deviation", "target", "text"),
    [
        (0, 1000, "0 (0%)"),
        (6, 1000, "+6 (+0.60%)"),
        (-25, 100, "-25 (-25.00%)"),
        (14, 4_197_377, "+14 (+0.00033%)"),
        (1, 10**12, "+1 (+<0.00000001%)"),
        (-1, 10**12, "-1 (-<0.00000001%)"),
        (1234, 10**6, "+1,234 (+0.12%)"),
    ],
)
def test_deviation_text(deviation: int, target: int, text: str) -> None:
    assert render.deviation_text(deviation, target) == text


def test_depth_ranges_use_the_flag_syntax() -> None:
    assert render.depth_ranges((1, 2, 3, 8, 10, 11)) == "1-3,8,10-11"
    assert render.depth_ranges((5,)) == "5"


def test_titles_state_the_problem() -> None:
    report: Report = sample_report()
    title = render.problem_title(report.problem)
    assert title == "4 inputs -> 3 outputs, depths 1-3,12-13: P = 1,000 ±5% (band 950..1,050), bias on"
    assert render.constraints_text(report.problem) == "widths 1..120"


def test_versions_come_from_metadata_without_importing_ortools() -> None:
    code = (
        "import sys; from cpshape import render; v = render.package_versions(); "
        "assert 'ortools.sat' not in sys.modules, 'imported'; print(v['cpshape'])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == render.package_versions()["cpshape"]


def test_progress_reporter_disabled_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    with render.progress_reporter(3, enabled=False) as tick:
        for result in sample_report().results:
            tick(result)
    assert capsys.readouterr() == ("", "")
