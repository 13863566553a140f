"""The morning overdue check: what is listed, in which order, in each format, with which exit."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import AGENCY, application, fixed_clock, open_staffed
from typer.testing import CliRunner

from ogi_workflow import Urgency, Workflow
from ogi_workflow.cli import app

D = date
AS_OF = D(2026, 11, 20)  # a Friday


@pytest.fixture
def morning(db_url: str) -> Iterator[tuple[Workflow, dict[str, int]]]:
    """Requests in every situation the morning list cares about (dates hand-checked)."""
    wf = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    ids: dict[str, int] = {}

    def new(name: str, received: str, handler: str | None = None) -> int:
        rid = wf.receive(application(f"{received}T09:00"), actor="窗口").id
        wf.register(rid, actor="登记员", on=D.fromisoformat(received))
        if handler:
            wf.start_handling(rid, actor=handler, on=D.fromisoformat(received))
        ids[name] = rid
        return rid

    new("very_late", "2026-09-01", "王静")  # due 9-29 (中秋 9-25 off, Sunday 9-20 works): -34
    new("late", "2026-10-16", "李明")  # due 2026-11-13: 5 over
    new("due_monday", "2026-10-26", "李明")  # due 2026-11-23: 1 left
    new("due_later", "2026-11-02", "张强")  # due 2026-11-30: 6 left
    new("window_today", "2026-11-11", "刘芳")  # 补正 window ends 11-20: 0 left
    new("window_monday", "2026-11-12")  # window ends 11-23: 1 left
    corrected = new("window_used", "2026-11-11", "刘芳")  # notice sent: not listed
    wf.request_correction(
        corrected, actor="刘芳", items=["请明确年份"], correct_by=D(2026, 12, 1), on=D(2026, 11, 13)
    )
    wf.receive_correction(corrected, actor="刘芳", on=D(2026, 11, 16))
    # 条例第三十二条: a consultation from 9-10 never answered stops the clock for the third
    # party's 15 working days only (to 10-8): due 10-26, overdue.
    unanswered = new("unanswered", "2026-09-01", "王静")
    wf.start_consultation(
        unanswered, actor="王静", party="third_party", consulted="某公司", on=D(2026, 9, 10)
    )
    # consulting since 11-18: clock stopped, due at the latest 12-21, not listed
    waiting = new("consulting", "2026-11-02", "张强")
    wf.start_consultation(
        waiting, actor="张强", party="co_agency", consulted="市规划局", on=D(2026, 11, 18)
    )
    yield wf, ids
    wf.close()


def test_overdue_only_by_default(morning: tuple[Workflow, dict[str, int]]) -> None:
    wf, ids = morning
    listed = wf.overdue(AS_OF)
    assert [(i.id, i.kind, i.workdays_left) for i in listed] == [
        (ids["very_late"], Urgency.OVERDUE, -34),
        (ids["unanswered"], Urgency.OVERDUE, -19),
        (ids["late"], Urgency.OVERDUE, -5),
        (ids["window_today"], Urgency.CORRECTION_WINDOW, 0),
    ]


def test_within_adds_due_soon_and_closing_windows_in_urgency_order(
    morning: tuple[Workflow, dict[str, int]],
) -> None:
    wf, ids = morning
    listed = wf.overdue(AS_OF, within=1)
    assert [(i.id, i.kind.value, i.deadline.isoformat()) for i in listed] == [
        (ids["very_late"], "overdue", "2026-09-29"),
        (ids["unanswered"], "overdue", "2026-10-26"),
        (ids["late"], "overdue", "2026-11-13"),
        (ids["window_today"], "correction_window", "2026-11-20"),
        (ids["due_monday"], "due_soon", "2026-11-23"),
        (ids["window_monday"], "correction_window", "2026-11-23"),
    ]
    assert wf.count_overdue(AS_OF, within=1) == 6
    assert [i.handler for i in listed[:3]] == ["王静", "王静", "李明"]


def run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["overdue", "--db", db_url, "--as-of", "2026-11-20", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_formats_and_exit_codes(morning: tuple[Workflow, dict[str, int]], db_url: str) -> None:
    wf, ids = morning
    code, out, _ = run(db_url, "--format", "json", "--within", "1")
    assert code == 1
    data = json.loads(out)
    assert data["overdue"] == 3
    assert [i["id"] for i in data["items"]] == [i.id for i in wf.overdue(AS_OF, within=1)]
    assert data["items"][0]["kind"] == "overdue"
    code, out, _ = run(db_url, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1
    assert [r["reg_no"] for r in rows] == [
        wf.get(ids[n]).reg_no for n in ("very_late", "unanswered", "late", "window_today")
    ]
    assert rows[0]["workdays_left"] == "-34"
    code, out, _ = run(db_url, "--format", "table")
    assert code == 1
    assert "已逾期" in out
    assert "补正告知期限将届满" in out


def test_cli_exit_zero_when_nothing_is_overdue(db_url: str) -> None:
    wf = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    rid = wf.receive(application("2026-11-02T09:00"), actor="窗口").id
    wf.register(rid, actor="登记员", on=D(2026, 11, 2))
    wf.close()
    code, out, _ = run(db_url, "--format", "json", "--within", "10")
    assert code == 0  # due soon is not overdue
    assert [i["kind"] for i in json.loads(out)["items"]] == ["due_soon"]


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    db = str(tmp_path / "x.sqlite")
    Workflow.open(db, agency=AGENCY).close()
    for args in (["--format", "xml"], ["--within", "-2"], ["--as-of", "2026-13-01"]):
        result = CliRunner().invoke(app, ["overdue", "--db", db, *args])
        assert result.exit_code == 2, args
        assert result.stderr.count("\n") == 1
