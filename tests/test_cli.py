"""The ``deadline`` and ``calendar`` commands against the CLI contract (docs/cli.md)."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from conftest import AGENCY, NOTICE_2027, fixed_clock, handling, open_staffed, sign_off
from typer.testing import CliRunner

from ogi_workflow import Outcome, mermaid_diagram
from ogi_workflow.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_deadline_json_contract_keys() -> None:
    code, out, _ = run(
        "deadline",
        "--received",
        "2026-09-28",
        "--pause",
        "2026-10-12:2026-10-20",
        "--extend",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["clock_start"] == "2026-09-28"
    assert data["due_date"] == "2026-12-07"
    assert data["paused_workdays"] == 6
    assert data["extended"] is True
    assert data["estimated"] is False


def test_deadline_corrected_on_restarts_the_clock() -> None:
    code, out, _ = run(
        "deadline",
        "--received",
        "2026-03-02",
        "--corrected-on",
        "2026-03-10",
        "--channel",
        "post",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert (data["clock_start"], data["due_date"], data["channel"]) == (
        "2026-03-10",
        "2026-04-08",
        "post",
    )


def test_deadline_explain_table_and_json() -> None:
    code, out, _ = run("deadline", "--received", "2026-02-13", "--explain")
    assert code == 0
    assert "春节" in out
    assert "调休上班日" in out
    assert "2026-03-19" in out
    code, out, _ = run("deadline", "--received", "2026-02-13", "--explain", "--json")
    lines = json.loads(out)["explain"]
    assert lines[-1] == {
        "date": "2026-03-19",
        "status": "counted",
        "day_kind": "workday",
        "workday_number": 20,
        "name": None,
        "source": lines[-1]["source"],
        "pause_reason": None,
        "estimated": False,
    }


def test_deadline_past_official_years_needs_opt_in() -> None:
    code, _, err = run("deadline", "--received", "2026-12-10", "--json")
    assert code == 2
    assert err.count("\n") == 1
    assert "2027" in err
    code, out, _ = run("deadline", "--received", "2026-12-10", "--allow-estimated", "--json")
    assert code == 0
    assert json.loads(out)["estimated"] is True


def test_deadline_with_calendar_file(tmp_path: Path) -> None:
    path = tmp_path / "2027.toml"
    path.write_text(
        'year = 2027\n[[notices]]\ntitle = "t"\ndate = 2026-11-10\n'
        '[[rest]]\nname = "元旦"\nfrom = 2027-01-01\nto = 2027-01-03\n',
        encoding="utf-8",
    )
    code, out, _ = run("deadline", "--received", "2026-12-10", "--calendar", str(path), "--json")
    assert code == 0, out
    assert json.loads(out) | {"due_date": "2027-01-08", "estimated": False} == json.loads(out)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--received", "2026-02-30"], "--received '2026-02-30' is not a date"),
        (["--received", "2026-03-02", "--channel", "pigeon"], "--channel 'pigeon'"),
        (["--received", "2026-03-02", "--pause", "2026-03-10:2026-03-05"], "ends before"),
        (
            [
                "--received",
                "2026-03-02",
                "--pause",
                "2026-03-05:2026-03-12",
                "--pause",
                "2026-03-10:2026-03-16",
            ],
            "overlaps",
        ),
        (["--received", "2026-03-02", "--pause", "2026-03-05"], "START:END"),
        (["--received", "2026-03-02", "--pause", "2026-03-05:2026-03-06:nap"], "reason 'nap'"),
        (["--received", "2026-03-02", "--as-of", "tomorrow"], "--as-of 'tomorrow'"),
    ],
)
def test_deadline_bad_input_exits_2_with_one_line(args: list[str], needle: str) -> None:
    code, out, err = run("deadline", *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert needle in err


def test_calendar_json_contract() -> None:
    code, out, _ = run("calendar", "2026", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["year"] == 2026
    assert data["official"] is True
    assert data["holidays"]["2026-02-16"] == "春节"
    assert "2026-02-14" in data["adjusted_workdays"]
    assert len(data["adjusted_workdays"]) == 6
    assert data["notices"][0]["url"].endswith("content_7047091.htm")
    # 261 weekdays - 19 holiday weekdays + 6 working weekend days (调休)
    assert data["workdays"] == 248


def test_calendar_unknown_year() -> None:
    code, _, err = run("calendar", "2030")
    assert code == 2
    assert "2030" in err
    code, out, _ = run("calendar", "2030", "--allow-estimated", "--json")
    data = json.loads(out)
    assert (data["official"], data["estimated"]) == (False, True)


def test_python_dash_m_and_console_script() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ogi_workflow", "calendar", "2025", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(proc.stdout)["year"] == 2025
    bad = subprocess.run(
        [sys.executable, "-m", "ogi_workflow", "deadline", "--received", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("ogi-workflow: error:")


def test_lifecycle_docs_show_the_current_diagram() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{mermaid_diagram()}```" in docs
    code, out, _ = run("diagram")
    assert (code, out) == (0, mermaid_diagram())


def test_storage_docs_show_the_current_schema() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "storage.md").read_text(encoding="utf-8")
    code, out, _ = run("schema")
    assert code == 0
    assert f"```sql\n{out}```" in docs
    assert "CREATE TABLE ogi_event" in run("schema", "--dialect", "sqlite")[1]
    assert run("schema", "--dialect", "oracle")[0] == 2


def test_demo_then_overdue_from_cron(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, text, _ = run("demo", "--out", str(out))
    assert code == 0
    assert "demo.sqlite" in text
    assert "逾期及临期申请" in text
    db = str(out / "demo.sqlite")
    # The demo's forgotten requests are overdue: exit 1, and each format says so.
    code, text, _ = run("overdue", "--db", db, "--as-of", "2030-01-01", "--format", "json")
    assert code == 1
    data = json.loads(text)
    assert data["items"]
    assert all(item["overdue"] for item in data["items"])
    code, text, _ = run("overdue", "--db", db, "--as-of", "2030-01-01", "--format", "csv")
    assert (code, text.splitlines()[0]) == (
        1,
        "id,reg_no,state,kind,deadline,due_date,workdays_left,overdue,estimated,handler,department,task,contact",
    )
    assert run("overdue", "--db", db, "--as-of", "2000-01-03", "--format", "json")[0] == 0
    assert run("overdue", "--db", db, "--format", "xml")[0] == 2
    assert run("overdue", "--db", db, "--within", "-1")[0] == 2


def test_overdue_on_a_mistyped_path_creates_nothing_and_exits_3(tmp_path: Path) -> None:
    code, _, err = run("overdue", "--db", str(tmp_path / "typo.sqlite"))
    assert code == 3
    assert "no such SQLite file" in err
    assert not (tmp_path / "typo.sqlite").exists()


def test_render_command_writes_the_letter(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert run("demo", "--out", str(out))[0] == 0
    db = str(out / "demo.sqlite")
    code, text, _ = run(
        "render",
        "--actor",
        "公开办",
        "--db",
        db,
        "2026-0001",
        "--kind",
        "notice_registration",
        "--format",
        "txt",
        "-o",
        str(tmp_path / "r.txt"),
    )
    assert code == 0
    assert "notice_registration" in text
    assert "政府信息公开申请登记回执" in (tmp_path / "r.txt").read_text(encoding="utf-8")
    code, _, _ = run(
        "render",
        "--actor",
        "公开办",
        "--db",
        db,
        "2026-0001",
        "--kind",
        "notice_registration",
        "--format",
        "docx",
        "-o",
        str(tmp_path / "r.docx"),
    )
    assert code == 0
    assert (tmp_path / "r.docx").read_bytes()[:2] == b"PK"
    assert (
        run("render", "--actor", "公开办", "--db", db, "2026-0001", "--format", "odt", "-o", "x")[0]
        == 2
    )
    code, _, err = run(
        "render", "--actor", "公开办", "--db", db, "2099-0001", "--format", "txt", "-o", "x"
    )
    assert code == 2
    assert "2099-0001" in err


def test_storage_docs_java_query_matches_the_overdue_list(tmp_path: Path) -> None:
    """The SQL in the JDBC example of docs/storage.md returns what Workflow.overdue does."""
    docs = (Path(__file__).parents[1] / "docs" / "storage.md").read_text(encoding="utf-8")
    java = docs.split("```java\n", 1)[1].split("```", 1)[0]
    sql = "".join(re.findall(r'"([^"]*)"', java.split("prepareStatement(", 1)[1].split(");")[0]))
    out = tmp_path / "demo"
    assert run("demo", "--out", str(out), "--today", "2026-11-22")[0] == 0
    db = out / "demo.sqlite"
    with closing(sqlite3.connect(db)) as conn:  # sqlite3's own context manager never closes
        rows = conn.execute(sql, ("demo-city", "2026-11-22")).fetchall()
    with open_staffed(str(db)) as wf:
        expected = [
            (i.reg_no, i.state.value, i.due_date.isoformat() if i.due_date else None, i.handler)
            for i in wf.overdue(date(2026, 11, 22))
        ]
    assert rows == expected
    assert rows


def test_reflow_command_loads_the_next_notice(tmp_path: Path) -> None:
    db = str(tmp_path / "r.sqlite")
    with open_staffed(
        db,
        agency={
            "code": "c",
            "name": "某市人民政府办公室",
            "abbreviation": "某府办信公开",
            "review_body": "某市人民政府",
            "court": "某市中级人民法院",
        },
    ) as wf:
        rid = wf.receive(
            {
                "applicant": {"kind": "natural_person", "name": "张三"},
                "description": "某文件",
                "received_at": "2026-12-10T09:00",
            },
            actor="窗口",
        ).id
        wf.register(rid, actor="登记员", on=date(2026, 12, 10))
    code, out, _ = run(
        "reflow", "--actor", "管理员", "--db", db, "--calendar", str(NOTICE_2027), "--json"
    )
    assert code == 0
    assert json.loads(out) == {
        "moved": 1,
        "requests": [
            {
                "agency": "c",
                "reg_no": "2026-0001",
                "before": "2027-01-08",
                "after": "2027-01-07",
                "estimated": False,
            }
        ],
    }
    code, out, _ = run("reflow", "--actor", "管理员", "--db", db)
    assert (code, out.strip()) == (0, "0 due date(s) moved")
    assert (
        run(
            "reflow", "--actor", "管理员", "--db", db, "--calendar", str(tmp_path / "missing.toml")
        )[0]
        == 2
    )


def test_approval_form_and_case_file_commands(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert run("demo", "--out", str(out))[0] == 0
    db = str(out / "demo.sqlite")
    form = tmp_path / "form.docx"
    code, text, _ = run(
        "approval-form", "--db", db, "--actor", "公开办", "2026-0001", "-o", str(form)
    )
    assert (code, text.strip()) == (0, str(form))
    assert form.read_bytes()[:2] == b"PK"
    code, _, err = run(
        "approval-form",
        "--db",
        db,
        "--actor",
        "公开办",
        "2026-0001",
        "--draft",
        "9",
        "-o",
        str(form),
    )
    assert code == 2
    assert "no draft #9" in err
    code, _, err = run(
        "approval-form", "--db", db, "--actor", "公开办", "2026-0001",
        "-o", str(tmp_path / "missing" / "form.docx"),
    )  # fmt: skip
    assert code == 3
    assert "cannot write" in err
    assert "Traceback" not in err
    case = tmp_path / "case.zip"
    assert run("case-file", "--db", db, "--actor", "公开办", "2026-0001", "-o", str(case))[0] == 0
    assert case.stat().st_size > 0


def test_forward_command_article_36_5(tmp_path: Path) -> None:
    """``forward``: the signed-off not_responsible draft goes out and the request is received
    in the agency of the database named by --to; bad input is exit 2 and one line."""
    db = str(tmp_path / "two.sqlite")
    resources = AGENCY | {"code": "city-nrb", "name": "某市自然资源和规划局"}
    open_staffed(db, agency=resources, clock=fixed_clock).close()
    with open_staffed(db, agency=AGENCY, clock=fixed_clock) as wf:
        rid = handling(wf)
        draft = {
            "reason": "该规划许可由市自然资源和规划局作出",
            "convenience": {"holder": resources["name"]},
        }
        sign_off(wf, rid, actor="李明", outcome=Outcome.NOT_RESPONSIBLE, details=draft,
                 on=date(2026, 3, 16))  # fmt: skip
    base = ["forward", "2026-0001", "--db", db, "--agency-code", "test-city", "--actor", "李明"]
    code, _, err = run(*base, "--to", "city-edu", "--reason", "由其负责", "--on", "2026-03-18")
    assert code == 2
    assert err.count("\n") == 1
    assert "'city-edu' is not an agency of this database (the others: city-nrb)" in err
    assert run(*base, "--to", "city-nrb", "--reason", "由其负责", "--on", "2026-13-01")[0] == 2
    code, out, _ = run(*base, "--to", "city-nrb", "--reason", "由其负责", "--on", "2026-03-18")
    assert (code, out) == (
        0,
        "2026-0001: not_responsible on 2026-03-18; forwarded to city-nrb as request #2\n",
    )
    code, _, err = run(*base, "--to", "city-nrb", "--reason", "由其负责", "--json")
    assert code == 2
    assert "is replied (已答复)" in err
