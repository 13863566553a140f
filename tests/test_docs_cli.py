"""Every command example in docs/cli.md, run in order in an empty folder."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ogi_workflow.cli import app

DOC = Path(__file__).parents[1] / "docs" / "cli.md"
BLOCK = re.compile(r"```console\n\$ (?P<command>[^\n]+)\n(?P<output>.*?)```", re.S)


def examples() -> list[tuple[str, str, int]]:
    found = []
    for match in BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        output = match["output"]
        code = 0
        if (status := re.search(r"\[exit (\d+)\]\n\Z", output)) is not None:
            code = int(status[1])
            output = output[: status.start()]
        found.append((match["command"], output, code))
    return found


def test_docs_have_examples() -> None:
    commands = [c for c, _, _ in examples()]
    assert len(commands) >= 8
    assert all(c.startswith("ogi-workflow ") for c in commands)


def test_cli_examples_in_docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command, expected, code in examples():
        result = runner.invoke(app, shlex.split(command)[1:])
        output = result.stdout + result.stderr
        pattern = ".*".join(re.escape(part) for part in expected.split("..."))
        assert re.fullmatch(pattern, output, re.S), f"{command}\n--- got ---\n{output}"
        assert result.exit_code == code, command
