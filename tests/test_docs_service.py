"""The curl walkthrough of docs/service.md and the README's service lines, run as written
(curl and jq included) against a live ``ogi-workflow serve`` on the demo database, and the
commands of the deployment doc's systemd unit and container file started as written.

Only the port changes (a free one instead of 8000), and ``ogi-workflow`` is this
interpreter's. Each substitution must find its text, so a doc that drifts fails here."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from conftest import free_port

ROOT = Path(__file__).parents[1]
SERVICE = (ROOT / "docs" / "service.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")

pytestmark = pytest.mark.skipif(
    (shutil.which("curl") is None or shutil.which("jq") is None) and not os.environ.get("CI"),
    reason="curl or jq not installed (CI installs them)",
)


def _section(doc: str, heading: str) -> str:
    return doc.split(heading, 1)[1].split("\n## ", 1)[0]


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def _replaced(text: str, old: str, new: str) -> str:
    assert old in text, f"the doc no longer says {old!r}"
    return text.replace(old, new)


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """The environment with this interpreter's ``ogi-workflow`` first on the PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "ogi-workflow"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m ogi_workflow "$@"\n')
    shim.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


@pytest.fixture
def demo(tmp_path: Path, shell_env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """A folder holding the demo database (``ogi-demo/demo.sqlite``), and ``shell_env``."""
    subprocess.run(
        ["ogi-workflow", "demo"], cwd=tmp_path, env=shell_env, check=True, capture_output=True
    )
    return tmp_path, shell_env


def _run(script: str, folder: Path, env: dict[str, str]) -> str:
    """``script`` in bash, any server it started in the background stopped at the end."""
    stop = "trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\nset -e\n"
    done = subprocess.run(
        ["bash", "-c", stop + script],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"{script}\n--- stdout ---\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _ready(port: int) -> str:
    return f"until curl -sf http://127.0.0.1:{port}/healthz >/dev/null; do sleep 0.1; done\n"


def test_the_curl_walkthrough_drives_a_request_from_receipt_to_archive(
    demo: tuple[Path, dict[str, str]],
) -> None:
    folder, env = demo
    port = free_port()
    tokens, walk = _blocks(_section(SERVICE, "## From receipt to archive with curl"), "sh")
    tokens = _replaced(tokens, "serve --db $DB &", f"serve --db $DB --port {port} &")
    walk = _replaced(walk, "http://127.0.0.1:8000/v1", f"http://127.0.0.1:{port}/v1")
    out = _run(tokens + _ready(port) + walk, folder, env)
    # curl prints each answer without a newline; jq's list of events comes after the last.
    events = re.findall(r'^"(\w+)"$', out.rpartition("}")[2], re.M)
    assert events == [
        "receive",
        "register",
        "start_handling",
        "submit_for_review",
        "approve",
        "approve",
        "reply",
        "issue_letter",
        "archive",
    ], out
    with zipfile.ZipFile(folder / "reply.docx") as docx:
        assert "政府信息公开申请答复书" in docx.read("word/document.xml").decode()


def test_the_readmes_service_lines_answer_the_morning_list(
    demo: tuple[Path, dict[str, str]],
) -> None:
    folder, env = demo
    port = free_port()
    block = next(b for b in _blocks(README, "sh") if "ogi-workflow serve" in b)
    lines = [line for line in block.splitlines() if not line.startswith("python3 -m pip")]
    script = "\n".join(lines)
    script = _replaced(script, "ogi-workflow token create", "TOKEN=$(ogi-workflow token create")
    script = _replaced(script, "--actor 管理员", "--actor 管理员)")
    serve = "serve --db ogi-demo/demo.sqlite"
    script = _replaced(script, serve, f"{serve} --port {port} &")
    script = _replaced(script, "curl -H", _ready(port) + "curl -sf -H")
    script = _replaced(script, "<token>", "$TOKEN")
    script = _replaced(script, "127.0.0.1:8000/v1", f"127.0.0.1:{port}/v1")
    overdue = json.loads(_run(script, folder, env))
    assert overdue, "the demo has overdue requests"
    assert {"reg_no", "due_date"} <= set(overdue[0]), overdue[0]


def _serves(argv: list[str], port: int, env: dict[str, str], folder: Path) -> None:
    """Start ``argv`` (an ``ogi-workflow serve`` command of the deployment doc) and wait for
    its /healthz; stop it."""
    server = subprocess.Popen(
        argv, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /healthz"
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(30)
        if server.stderr is not None:
            server.stderr.close()


def test_the_systemd_unit_and_the_container_command_start_the_service(
    db_url: str, shell_env: dict[str, str], tmp_path: Path
) -> None:
    """Both as written, the database from ``OGI_DB`` (the unit's Environment=, the
    container's ``docker run -e``)."""
    deployment = _section(SERVICE, "## Deployment")
    (unit,) = _blocks(deployment, "ini")
    (container,) = _blocks(deployment, "dockerfile")
    assert re.search(r"^Environment=OGI_DB=postgresql://", unit, re.M), unit
    exec_start = re.search(r"^ExecStart=(.+)$", unit, re.M)
    cmd = re.search(r"^CMD (\[.+\])$", container, re.M)
    assert exec_start is not None, unit
    assert cmd is not None, container
    installs = re.search(r"^RUN pip install .*'/src\[(.+)\]'", container, re.M)
    assert installs is not None, container
    extras = re.findall(r"^(\w+) = \[", (ROOT / "pyproject.toml").read_text(), re.M)
    assert set(installs[1].split(",")) <= set(extras), (installs[1], extras)
    upgrade = re.search(r"`(ogi-workflow db upgrade --db \$OGI_DB)`", deployment)
    assert upgrade is not None, "the doc says to upgrade the database first"
    command = _replaced(upgrade[1], "$OGI_DB", db_url)
    subprocess.run(shlex.split(command), env=shell_env, check=True, capture_output=True)
    for written in (shlex.split(exec_start[1]), json.loads(cmd[1])):
        assert Path(written[0]).name == "ogi-workflow", written
        port = free_port()
        argv = ["ogi-workflow", *_replaced(" ".join(written[1:]), "8000", str(port)).split()]
        _serves(argv, port, {**shell_env, "OGI_DB": db_url}, tmp_path)
