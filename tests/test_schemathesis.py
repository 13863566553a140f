"""Schemathesis, an independent tool, against a live server and its published spec.

It reads docs/openapi.json, generates requests that fit it and requests that do not, for
every operation (and chains of them), and checks every answer against the spec: no 5xx,
only documented statuses and media types, bodies matching their schemas, bad input refused,
nothing served without a token. The seed is fixed so that a run can be repeated;
tests/schemathesis.toml says which answers it may expect and why.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import (
    AGENCY,
    DETAILS,
    application,
    fixed_clock,
    handling,
    open_staffed,
    registered,
    signed_reply,
)
from test_service import OPENAPI, _Server

from ogi_workflow import Outcome
from ogi_workflow.service.app import create_app

pytestmark = pytest.mark.external

CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
SEED = 20261123
# Every role, so that no operation answers only 403: Schemathesis reports an operation it
# could not get past authorisation as untested.
EVERY_ROLE = (
    "admin",
    "registrar",
    "handler",
    "reviewer",
    "legal_reviewer",
    "secrecy_reviewer",
    "signer",
    "search_contact",
)


def _schemathesis() -> str:
    found = Path(sys.executable).with_name("schemathesis")
    if not found.exists():
        pytest.fail(f"schemathesis is not installed beside {sys.executable} (.[test])")
    return str(found)


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_spec(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'fuzz.sqlite'}"
    with open_staffed(url, agency=AGENCY, clock=fixed_clock) as wf:
        wf.add_person("全能", "全能", roles=EVERY_ROLE, actor="管理员")
        token = wf.create_token("全能", actor="管理员")[1]
        # Requests 1 to 3 exist, received, registered and replied.
        wf.receive(application("2026-03-02T09:30"), actor="窗口")
        registered(wf, "2026-03-03")
        replied = handling(wf, "2026-03-04")
        disclosed = Outcome.DISCLOSED
        on = date(2026, 3, 10)
        signed_reply(
            wf, replied, actor="李明", outcome=disclosed, details=DETAILS[disclosed], on=on
        )
    with _Server(create_app(url, clock=fixed_clock)) as base:
        run = subprocess.run(
            [
                _schemathesis(),
                "--config-file",
                str(CONFIG),
                "run",
                str(OPENAPI),
                "--url",
                base,
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                "all",
                # Revoking tokens by number would soon revoke its own and leave the rest of
                # the run unauthenticated; test_service.py revokes tokens.
                "--exclude-path",
                "/v1/tokens/{token_id}",
                "--seed",
                str(SEED),
                "--max-examples",
                "15",
                "--generation-database",
                "none",
                "--request-timeout",
                "60",
                "--workers",
                "1",
                "--no-color",
            ],
            cwd=tmp_path,  # its cache of failures stays out of the checkout
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    report = run.stdout[-12_000:] + run.stderr[-2_000:]
    assert run.returncode == 0, report
    assert "Authentication failed" not in report, report
