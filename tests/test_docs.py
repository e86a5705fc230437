"""Every ``cpshape`` command and TOML snippet in docs/ really works (against the stand-in solver)."""

from __future__ import annotations

import importlib
import re
import shlex
import shutil
from pathlib import Path

import pytest
from _reports import FakeSolver
from typer.testing import CliRunner

from cpshape import config
from cpshape.cli import app

solve_module = importlib.import_module("cpshape.solver")
ROOT = Path(__file__).resolve().parents[1]
PAGES = ("getting-started.md", "cli.md", "config.md", "index.md", "pytorch.md")
COMMAND_PAGES = tuple(f"commands/{p.name}" for p in sorted((ROOT / "docs" / "commands").glob("*.md")))
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def blocks(page: str, language: str) -> list[str]:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    return [body for lang, body in BLOCK.findall(text) if lang == language]


def commands(page: str) -> list[str]:
    found = []
    for body in blocks(page, "bash"):
        for line in body.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            found += [part.strip() for part in line.split("&&") if part.strip().startswith("cpshape ")]
    return found


@pytest.mark.parametrize("page", PAGES + COMMAND_PAGES)
def test_documented_commands_run(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve_module, "solve", FakeSolver())
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    ran = 0
    for command in commands(page):
        args = shlex.split(command)[1:]
        target = None
        if ">" in args:
            target = Path(args[args.index(">") + 1])
            args = args[: args.index(">")]
        if "--install-completion" in args:
            continue
        result = runner.invoke(app, args, env={"NO_COLOR": "1"})
        assert result.exit_code in (0, 1), f"{command}: {result.stderr}"
        if target is not None:
            target.write_text(result.stdout)
        ran += 1
    assert ran > 0


def test_documented_toml_loads(tmp_path: Path) -> None:
    snippets = [s for page in PAGES for s in blocks(page, "toml")]
    assert snippets
    for i, snippet in enumerate(snippets):
        path = tmp_path / f"{i}.toml"
        path.write_text(snippet)
        problem, _ = config.build(config.load(path))
        assert problem.depths
