"""Schema versions: databases made by 0.1 upgrade with their data, the check on open, and
databases that are not ours left alone."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    AGENCY,
    NOTICE_2027,
    details,
    fixed_clock,
    handling,
    registered,
    sign_off,
    signed_reply,
    staff,
)
from sqlalchemy import Boolean, Date, DateTime, Engine, MetaData, Table, inspect, text
from sqlalchemy.types import JSON

from ogi_workflow import Outcome, State, Workflow
from ogi_workflow.errors import PermissionDenied, SchemaVersionError, StorageError
from ogi_workflow.storage.engine import make_engine
from ogi_workflow.storage.migrate import HEAD, SchemaState, schema_state, upgrade

V01 = Path(__file__).parent / "data" / "schema-0.1"
_JSON_COLUMNS = ("profile", "application", "payload", "before_values", "after_values")
D = date


def _value(column: Any, value: Any) -> Any:
    """A value as SQLite stored it, as the reflected column takes it."""
    kind = column.type
    convert: Any = None
    if isinstance(kind, Boolean):
        convert = bool
    elif isinstance(kind, DateTime):
        convert = datetime.fromisoformat
    elif isinstance(kind, Date):
        convert = date.fromisoformat
    elif isinstance(kind, JSON) or column.name in _JSON_COLUMNS:  # SQLite reflects JSON as text
        convert = json.loads
    if value is None or convert is None or (convert is json.loads and not isinstance(value, str)):
        return value
    return convert(value)


def make_v01(url: str) -> Engine:
    """The database 0.1 made: its own DDL (no version table) and the rows it stored."""
    engine = make_engine(url)
    dialect = engine.dialect.name
    ddl = (V01 / f"schema-{dialect}.sql").read_text(encoding="utf-8")
    rows = json.loads((V01 / "rows.json").read_text(encoding="utf-8"))
    with engine.begin() as conn:
        for statement in ddl.split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        meta = MetaData()
        for name in ("ogi_agency", "ogi_request", "ogi_event", "ogi_counter"):
            table = Table(name, meta, autoload_with=conn)
            values = [{k: _value(table.c[k], v) for k, v in row.items()} for row in rows[name]]
            conn.execute(table.insert(), values)
        if dialect == "postgresql":  # ids were given explicitly: move the sequences on
            for name in ("ogi_request", "ogi_event"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
    return engine


def _shape(engine: Engine) -> dict[str, Any]:
    """Tables, columns, indexes and unique constraints, as the database reports them."""
    found = inspect(engine)
    shape: dict[str, Any] = {}
    for table in sorted(found.get_table_names()):
        if table == "alembic_version":
            continue
        shape[table] = {
            "columns": [
                (c["name"], str(c["type"]).split("(")[0], c["nullable"])
                for c in found.get_columns(table)
            ],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(table)
            ),
            "unique": sorted(
                (u["name"], tuple(u["column_names"])) for u in found.get_unique_constraints(table)
            ),
        }
    return shape


def test_migrations_build_the_schema_the_models_declare(db_url: str, tmp_path: Path) -> None:
    """An empty database opened by Workflow (models + stamp) and one built by running the
    migrations end up with the same tables, columns, indexes and constraints."""
    Workflow.open(db_url, agency=AGENCY, clock=fixed_clock).close()
    opened = make_engine(db_url)
    if opened.dialect.name == "sqlite":
        other_url = f"sqlite:///{tmp_path / 'migrated.db'}"
    else:  # a second schema on the same server
        other_url = db_url.replace("search_path%3Dt_", "search_path%3Dm_")
        admin = make_engine(db_url.split("?", maxsplit=1)[0])
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {other_url.rsplit('%3D', 1)[1]}")
    migrated = make_engine(other_url)
    assert upgrade(migrated) == (None, HEAD)
    assert _shape(migrated) == _shape(opened)
    with migrated.connect() as conn:
        assert schema_state(conn) == (SchemaState.CURRENT, HEAD)
    opened.dispose()
    migrated.dispose()
    if opened.dialect.name == "postgresql":
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {other_url.rsplit('%3D', 1)[1]} CASCADE")
        admin.dispose()


def test_a_database_made_by_0_1_is_refused_until_upgraded_then_keeps_its_data(
    db_url: str,
) -> None:
    engine = make_v01(db_url)
    with pytest.raises(SchemaVersionError, match=r"ogi-workflow 0\.1 .*`ogi-workflow db upgrade"):
        Workflow.open(db_url)
    with pytest.raises(SchemaVersionError):
        Workflow.open(db_url, read_only=True)
    assert upgrade(engine) == (None, HEAD)
    engine.dispose()
    with Workflow.open(db_url, clock=fixed_clock) as wf:
        assert wf.people() == []  # 0002_people: nobody yet, so nobody may act
        with pytest.raises(PermissionDenied, match="not a registered person"):
            wf.register(4, actor="登记员", on=D(2026, 4, 20))
        staff(wf)  # the first administrator registers themself, then the others
        archived = wf.get("2026-0001")
        assert (archived.state, archived.outcome.value if archived.outcome else None) == (
            State.ARCHIVED,
            "disclosed",
        )
        assert [e.event.value for e in wf.events(archived.id)][-2:] == ["issue_letter", "archive"]
        assert wf.get(2).state is State.CONSULTING
        assert wf.get(3).extension_workdays == 20
        # the request 0.1 left unregistered, with no clock: reflow gives it its due date
        moves = {m.request_id: m for m in wf.reflow_deadlines(actor="升级")}
        assert moves[4].after == D(2026, 5, 20)  # 20 working days after 4-20 (劳动节 5-1..5-5)
        assert moves[2].after is not None  # the consultation now ends at its 15 days
        view = wf.register(4, actor="登记员", on=D(2026, 4, 20))
        assert view.reg_no == "2026-0004"  # the counter carried on
        assert (
            wf.render(1, fmt="txt", actor="李明").number == "某府办信公开〔2026〕1号"
        )  # reprint, same number


def test_upgrade_recreates_what_was_dropped(db_url: str) -> None:
    engine = make_v01(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_ogi_request_state_due")
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE ogi_request DROP CONSTRAINT uq_ogi_request_reg_no")
    upgrade(engine)
    found = inspect(engine)
    assert "ix_ogi_request_state_due" in {i["name"] for i in found.get_indexes("ogi_request")}
    if engine.dialect.name == "postgresql":
        uniques = {u["name"] for u in found.get_unique_constraints("ogi_request")}
        assert "uq_ogi_request_reg_no" in uniques
    engine.dispose()
    with Workflow.open(db_url, clock=fixed_clock):
        pass


def test_a_newer_schema_is_refused(db_url: str) -> None:
    Workflow.open(db_url, agency=AGENCY, clock=fixed_clock).close()
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaVersionError, match="9999_future, newer than this ogi-workflow"):
        Workflow.open(db_url)
    with pytest.raises(SchemaVersionError, match="newer"):
        upgrade(engine)
    engine.dispose()


def test_another_programs_sqlite_file_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    engine = make_engine(f"sqlite:///{path}", read_only=False)
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
        conn.exec_driver_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    engine.dispose()
    before = path.read_bytes()
    import sqlite3  # noqa: PLC0415 - look at the file without SQLAlchemy

    for read_only in (True, False):
        with pytest.raises(StorageError, match="not an ogi-workflow database"):
            Workflow.open(str(path), agency=AGENCY, read_only=read_only)
    plain = sqlite3.connect(path)
    tables = [r[0] for r in plain.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    mode = plain.execute("PRAGMA journal_mode").fetchone()[0]
    plain.close()
    assert (tables, mode) == (["invoices"], "delete")
    assert path.read_bytes() == before


def test_reading_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "typo.sqlite"
    with pytest.raises(StorageError, match="no such SQLite file"):
        Workflow.open(str(path), read_only=True)
    assert not path.exists()


def _back_to(db_url: str, revision: str, gone: str) -> None:
    """Downgrade the database to ``revision`` (so table ``gone``, or column ``table.column``,
    is gone), then upgrade it."""
    from importlib.resources import files  # noqa: PLC0415

    from alembic import command  # noqa: PLC0415
    from alembic.config import Config  # noqa: PLC0415

    engine = make_engine(db_url)
    config = Config()
    config.set_main_option("script_location", str(files("ogi_workflow.storage.migrations")))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
        table, _, column = gone.partition(".")
        if column:
            assert column not in {c["name"] for c in inspect(conn).get_columns(table)}
        else:
            assert gone not in inspect(conn).get_table_names()
    assert upgrade(engine) == (revision, HEAD)
    engine.dispose()


def test_0003_routing_copies_the_search_tasks_a_database_holds(db_url: str) -> None:
    """A database at 0002 with 协查 tasks (one open, one answered) upgrades to 0003 with their
    work items, so the open one is on the morning list."""
    with staff(Workflow.open(db_url, agency=AGENCY, clock=fixed_clock)) as wf:
        wf.add_department("office", "政务公开办公室", actor="管理员")
        rid = registered(wf)
        for what in ("收文记录", "发文记录"):
            wf.open_search_task(rid, actor="李明", department="office", what=what, on=D(2026, 3, 2))
        wf.answer_search_task(
            rid, actor="李明", task=1, result="not_found", where="档案系统", searched_by="李明",
            on=D(2026, 3, 3),
        )  # fmt: skip
        before = wf.overdue(D(2026, 3, 20))
    _back_to(db_url, "0002_people", gone="ogi_work_item")
    with Workflow.open(db_url, clock=fixed_clock) as wf:
        after = wf.overdue(D(2026, 3, 20))
        assert after == before
        assert [(i.kind.value, i.task) for i in after if i.task] == [("search_task", "2")]


def test_0004_letters_freezes_a_letter_issued_before_at_its_first_reprint(db_url: str) -> None:
    """A database at 0003 with an issued letter upgrades to 0004; the letter has no frozen
    copy until it is reprinted, then every reprint returns those bytes."""
    with staff(Workflow.open(db_url, agency=AGENCY, clock=fixed_clock)) as wf:
        rid = registered(wf)
        number = wf.render(rid, actor="登记员").number
    _back_to(db_url, "0003_routing", gone="ogi_letter")
    with Workflow.open(db_url, clock=fixed_clock) as wf:
        assert wf.letters(rid) == []
        events = len(wf.events(rid))
        reprint = wf.render(rid, actor="登记员")
        assert reprint.number == number
        assert len(wf.events(rid)) == events  # a reprint records no event
        assert [x.docx() for x in wf.letters(rid)] == [reprint.docx()]
        assert wf.render(rid, actor="登记员").docx() == reprint.docx()


def test_0005_service_upgrades_a_database_with_requests_and_outboxes_what_comes_next(
    db_url: str,
) -> None:
    """A database at 0004 with a request upgrades to 0005: the request keeps its log, the
    events before the upgrade have no outbox row, and the next action writes one."""
    with staff(Workflow.open(db_url, agency=AGENCY, clock=fixed_clock)) as wf:
        rid = registered(wf)
        before = wf.events(rid)
    _back_to(db_url, "0004_letters", gone="ogi_outbox")
    with Workflow.open(db_url, clock=fixed_clock) as wf:
        assert wf.events(rid) == before
        wf.start_handling(rid, actor="李明", on=D(2026, 3, 3))
        with wf.engine.connect() as conn:
            rows = conn.execute(text("SELECT request_id, seq FROM ogi_outbox")).all()
    assert [tuple(r) for r in rows] == [(rid, len(before) + 1)]


def test_0006_agency_calendar_keeps_the_notices_a_database_holds_deployment_wide(
    db_url: str,
) -> None:
    """A database at 0005 with a loaded 2027 notice and a request upgrades to 0006: the notice
    stays deployment-wide (agency NULL), so the request's due date still counts by it."""
    with staff(Workflow.open(db_url, agency=AGENCY, clock=fixed_clock)) as wf:
        wf.load_calendar_notice(NOTICE_2027, actor="管理员")
        rid = registered(wf)
        due = wf.get(rid).due_date
    _back_to(db_url, "0005_service", gone="ogi_calendar_notice.agency")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT year, agency FROM ogi_calendar_notice")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(2027, None)]
    with Workflow.open(db_url, clock=fixed_clock) as wf:
        assert 2027 in wf.calendar.official_years
        assert [n.title for n in wf.calendar_notices()] == [
            "国务院办公厅关于2027年部分节假日安排的通知（测试）"
        ]
        assert wf.get(rid).due_date == due
        assert wf.reflow_deadlines(actor="升级") == []  # the same calendar as before


def test_0007_forwarding_upgrades_two_agencies_requests_which_can_then_be_forwarded(
    db_url: str,
) -> None:
    """A database at 0006 holding two agencies and requests (one answered, one open) upgrades
    to 0007: the requests keep their rows and logs, linked to nothing, and the open one can
    then be forwarded (转送, 条例第三十六条第五项) to the other agency."""
    resources = AGENCY | {"code": "city-nrb", "name": "某市自然资源和规划局"}
    staff(Workflow.open(db_url, agency=resources, clock=fixed_clock)).close()
    with staff(Workflow.open(db_url, agency=AGENCY, clock=fixed_clock)) as wf:
        answered = handling(wf)
        signed_reply(
            wf, answered, actor="李明", outcome=Outcome.DISCLOSED,
            details=details(Outcome.DISCLOSED), on=D(2026, 3, 16),
        )  # fmt: skip
        misdirected = handling(wf)
        before = {rid: (wf.get(rid), wf.events(rid)) for rid in (answered, misdirected)}
    _back_to(db_url, "0006_agency_calendar", gone="ogi_request.forwarded_to_agency")
    with Workflow.open(db_url, agency_code=AGENCY["code"], clock=fixed_clock) as wf:
        assert {rid: (wf.get(rid), wf.events(rid)) for rid in before} == before
        assert wf.get(misdirected).forwarded_to_agency is None
        sign_off(
            wf, misdirected, actor="李明", outcome=Outcome.NOT_RESPONSIBLE,
            details=details(Outcome.NOT_RESPONSIBLE), on=D(2026, 3, 16),
        )  # fmt: skip
        view = wf.forward(
            misdirected, actor="李明", to_agency="city-nrb", reason="由其负责", on=D(2026, 3, 18)
        )
    assert view.forwarded_to_request is not None
    with Workflow.open(db_url, agency_code="city-nrb", clock=fixed_clock) as other:
        new = other.get(view.forwarded_to_request)
    assert (new.forwarded_from_agency, new.forwarded_from_request) == ("test-city", misdirected)
