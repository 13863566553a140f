"""The morning overdue check: what is listed, in which order, in each format, with which exit."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

import pytest
from conftest import AGENCY, application, fixed_clock, open_staffed
from sqlalchemy import update
from typer.testing import CliRunner

import ogi_workflow
from ogi_workflow import OverdueItem, Urgency, ValidationError, Workflow
from ogi_workflow._terminal import write_overdue
from ogi_workflow.cli import app
from ogi_workflow.morning import FIELDS
from ogi_workflow.storage.queries import sqlite_overdue_statements
from ogi_workflow.storage.quick import overdue_rows
from ogi_workflow.storage.schema import REQUEST

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


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_cli_exit_zero_when_nothing_is_overdue(db_url: str, fmt: str) -> None:
    wf = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    rid = wf.receive(application("2026-11-02T09:00"), actor="窗口").id
    wf.register(rid, actor="登记员", on=D(2026, 11, 2))
    wf.close()
    code, out, _ = run(db_url, "--format", fmt, "--within", "10")
    assert code == 0  # due soon is not overdue
    items = json.loads(out)["items"] if fmt == "json" else csv.DictReader(io.StringIO(out))
    assert [i["kind"] for i in items] == ["due_soon"]


def test_an_as_of_day_out_of_range_is_refused_on_every_path(tmp_path: Path) -> None:
    """A morning list as of a day no calendar can count (0001-01-01, 2150) is a clear error
    from the workflow, the command line and its csv quick path alike, not an overflow."""
    db = f"sqlite:///{tmp_path / 'ogi.db'}"
    open_staffed(db, agency=AGENCY, clock=fixed_clock).close()
    with Workflow.open(db, agency_code=AGENCY["code"]) as wf:
        for day in (date(1, 1, 1), date(2150, 1, 1)):
            with pytest.raises(ValidationError, match=f"as_of {day.isoformat()} is out of range"):
                wf.overdue(as_of=day)
    for fmt in ("table", "csv"):
        result = CliRunner().invoke(
            app, ["overdue", "--db", db, "--as-of", "0001-01-01", "--format", fmt]
        )
        assert result.exit_code == 2, result.output
        assert "as_of 0001-01-01 is out of range" in result.stderr


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    db = str(tmp_path / "x.sqlite")
    Workflow.open(db, agency=AGENCY).close()
    for args in (["--format", "xml"], ["--within", "-2"], ["--as-of", "2026-13-01"]):
        result = CliRunner().invoke(app, ["overdue", "--db", db, *args])
        assert result.exit_code == 2, args
        assert result.stderr.count("\n") == 1


@pytest.fixture
def every_kind(
    morning: tuple[Workflow, dict[str, int]],
) -> tuple[Workflow, dict[str, int]]:
    """The morning requests plus every other kind of item: the agency's inner work (分办 not
    signed for, 退回, a 协查 task with its department's contact, a review step), a request
    received and never registered (no number), and one due on estimated days."""
    wf, ids = morning
    wf.add_department("planning", "规划科", actor="管理员")
    wf.add_department("archives", "档案科", actor="管理员")
    wf.add_person("规划甲", "规划甲", roles=["handler"], department="planning", actor="管理员")
    wf.add_person(
        "档案甲", "档案甲", roles=["search_contact"], department="archives", actor="管理员"
    )
    wf.set_department_contact("archives", "档案甲", actor="管理员")

    def new(name: str, received: str) -> int:
        rid = wf.receive(application(f"{received}T09:00"), actor="窗口").id
        wf.register(rid, actor="登记员", on=D.fromisoformat(received))
        ids[name] = rid
        return rid

    wf.assign(
        new("assigned", "2026-10-19"), actor="登记员", department="planning", on=D(2026, 10, 19)
    )
    returned = new("returned", "2026-10-19")
    wf.assign(returned, actor="登记员", department="planning", person="规划甲", on=D(2026, 10, 19))
    wf.return_assignment(returned, actor="规划甲", reason="不属于本科室职责", on=D(2026, 10, 20))
    searched = new("searched", "2026-10-19")
    wf.start_handling(searched, actor="李明", on=D(2026, 10, 19))
    wf.open_search_task(
        searched, actor="李明", department="archives", what="收发文记录", on=D(2026, 10, 20)
    )
    reviewed = new("reviewed", "2026-10-19")
    wf.start_handling(reviewed, actor="李明", on=D(2026, 10, 19))
    wf.submit_for_review(
        reviewed,
        actor="李明",
        outcome="disclosed",
        details={"provided": "批复1份"},
        on=D(2026, 10, 21),
    )
    ids["unregistered"] = wf.receive(application("2026-10-12T09:00"), actor="窗口").id
    with wf.engine.begin() as conn:  # stored so while no notice settles the days to its due date
        conn.execute(update(REQUEST).where(REQUEST.c.id == ids["due_later"]).values(estimated=True))
    return wf, ids


def test_csv_rows_are_byte_for_byte_what_the_items_wrote(
    every_kind: tuple[Workflow, dict[str, int]], db_url: str
) -> None:
    """The CSV path writes rows straight from the query; it must print exactly what writing
    each OverdueItem's as_row() printed, for every kind of item, filter and window."""
    wf, ids = every_kind
    listed = wf.overdue(AS_OF, within=60)
    assert {i.kind for i in listed} == set(Urgency)
    assert {i.id for i in listed if i.task and i.contact} == {ids["searched"]}
    assert {i.id for i in listed if i.reg_no is None} == {ids["unregistered"]}
    assert {i.id for i in listed if i.estimated} == {ids["due_later"]}
    asked: list[tuple[str, ...]] = [
        ("--as-of", "2026-11-20"),
        ("--as-of", "2026-11-20", "--within", "1"),
        ("--as-of", "2026-11-20", "--within", "60"),
        ("--as-of", "2026-11-20", "--within", "60", "--department", "planning"),
        ("--as-of", "2026-11-20", "--within", "60", "--person", "李明"),
        ("--as-of", "2026-09-01"),
        ("--as-of", "2026-12-31", "--within", "5"),
    ]
    for args in asked:
        day = D.fromisoformat(args[1])
        within = int(args[args.index("--within") + 1]) if "--within" in args else 0
        narrow = {
            key: args[args.index(f"--{key}") + 1] if f"--{key}" in args else None
            for key in ("department", "person")
        }
        items = wf.overdue(day, within, **narrow)
        assert [i.as_row() for i in items] == list(wf.iter_overdue_rows(day, within, **narrow))
        expected = io.StringIO()
        with redirect_stdout(expected):
            late = write_overdue(iter(items), "csv", day, within)
        result = CliRunner().invoke(app, ["overdue", "--db", db_url, "--format", "csv", *args])
        assert result.stdout_bytes == expected.getvalue().encode(), args  # \r\n line ends too
        assert result.exit_code == (1 if late else 0), args
        assert result.stdout_bytes.count(b"\r\n") == len(items) + 1


def test_csv_reaches_its_file_while_a_progress_bar_shows_on_the_terminal(
    morning: tuple[Workflow, dict[str, int]], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ogi-workflow overdue --format csv > list.csv` typed at a terminal: the bar is drawn
    on stderr and the list goes to stdout, not through the bar's console (where it was lost)."""
    monkeypatch.setenv("FORCE_COLOR", "1")  # stderr counts as a terminal, as at a prompt
    code, out, err = run(db_url, "--format", "csv")
    assert code == 1
    assert "scanning" in err
    rows = csv.DictReader(io.StringIO(out))
    assert [r["workdays_left"] for r in rows] == ["-34", "-19", "-5", "0"]


def test_the_quick_sqlite_statements_are_current() -> None:
    """data/overdue_sqlite.json is what SQLAlchemy compiles from overdue_queries today
    (`python scripts/overdue_sql.py` rewrites it)."""
    stored = json.loads(
        (Path(ogi_workflow.__file__).parent / "data" / "overdue_sqlite.json").read_text("utf-8")
    )
    assert stored == sqlite_overdue_statements()
    assert OverdueItem._fields == FIELDS


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_quick_path_lists_what_the_workflow_lists(
    every_kind: tuple[Workflow, dict[str, int]], db_url: str
) -> None:
    """`overdue --format csv` on a SQLite file reads through sqlite3 alone: the same rows as
    the workflow's, for every kind of item and window, with a stored notice counted."""
    wf, _ids = every_kind
    for day, within in [(AS_OF, 0), (AS_OF, 1), (AS_OF, 60), (D(2026, 9, 1), 0), (AS_OF, 250)]:
        quick = overdue_rows(db_url, None, day, within)
        assert quick is not None
        assert list(quick) == list(wf.iter_overdue_rows(day, within)), (day, within)
    plain_path = db_url.removeprefix("sqlite:///")
    assert list(overdue_rows(plain_path, AGENCY["code"], AS_OF, 5) or []) == list(
        wf.iter_overdue_rows(AS_OF, 5)
    )


def test_the_quick_path_leaves_anything_unusual_to_the_workflow(tmp_path: Path) -> None:
    """Not the plain case: None, and the command then says what is wrong as before."""
    ours = tmp_path / "ours.sqlite"
    open_staffed(str(ours), agency=AGENCY, clock=fixed_clock).close()
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    older = tmp_path / "older.sqlite"
    older.write_bytes(ours.read_bytes())
    with sqlite3.connect(older) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0004_older'")
    conn.close()
    assert overdue_rows(str(ours), None, AS_OF, 0) is not None
    for db, code, within in [
        (str(tmp_path / "missing.sqlite"), None, 0),
        (str(other), None, 0),
        (str(older), None, 0),
        (str(ours), "no-such-agency", 0),
        (str(ours), None, 251),
        ("postgresql://localhost/x", None, 0),
    ]:
        assert overdue_rows(db, code, AS_OF, within) is None, (db, code, within)
    for path in [older, other, tmp_path / "missing.sqlite"]:
        status, _out, err = run(str(path), "--format", "csv")
        assert status == 3, path  # the full path says what is wrong
        assert err.count("\n") == 1, err


def test_overdue_csv_from_cron_loads_no_database_library(tmp_path: Path) -> None:
    """The cold start is the point of the quick path: no SQLAlchemy, pydantic or rich."""
    db = tmp_path / "ogi.sqlite"
    wf = open_staffed(str(db), agency=AGENCY, clock=fixed_clock)
    rid = wf.receive(application("2026-10-12T09:00"), actor="窗口").id
    wf.register(rid, actor="登记员", on=D(2026, 10, 12))
    wf.close()
    code = (
        "import sys; from ogi_workflow.cli import main\n"
        "try:\n"
        f"    main(['overdue', '--db', {str(db)!r}, '--format', 'csv', '--as-of', '2026-11-20'])\n"
        "except SystemExit as done:\n"
        "    heavy = [m for m in ('sqlalchemy', 'pydantic', 'rich') if m in sys.modules]\n"
        "    print(done.code, heavy, file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stderr.strip() == "1 []"
    assert out.stdout.splitlines()[1].startswith(f"{rid},")
