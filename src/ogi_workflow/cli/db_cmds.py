"""``ogi-workflow db`` (upgrade, backup), ``ogi-workflow agency set`` and ``notices``: the
explicit changes to a database's schema and stored profile, and the calendar notices it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ogi_workflow.cli._base import AgencyCode, Db, JsonFlag, app, emit_json, guarded, open_workflow

db_app = typer.Typer(help="The database itself: schema upgrades and backups.")
app.add_typer(db_app, name="db")
agency_app = typer.Typer(help="The agency profiles stored in a database.")
app.add_typer(agency_app, name="agency")


@db_app.command("upgrade")
@guarded
def db_upgrade(db: Db) -> None:
    """Bring the database to this version's schema, then recompute open due dates under the
    current rules (each move recorded as a recompute_deadline event). Back it up first."""
    from ogi_workflow.storage import queries  # noqa: PLC0415
    from ogi_workflow.storage.engine import make_engine  # noqa: PLC0415
    from ogi_workflow.storage.migrate import upgrade  # noqa: PLC0415

    engine = make_engine(db)
    try:
        before, after = upgrade(engine)
        codes = queries.stored_agency_codes(engine)
    finally:
        engine.dispose()
    typer.echo(f"schema: {before or '0.1 (unversioned)'} -> {after}")
    if before == after:
        return
    for code in codes:
        with open_workflow(db, code, read_only=False) as wf:
            # The operator's act with the database's own credentials (an upgraded 0.1
            # database has no people yet), recorded under this command's name.
            moves = wf._reflow(actor="ogi-workflow db upgrade", reason=f"schema upgrade to {after}")
        typer.echo(f"{code}: {len(moves)} due date(s) recomputed")


@db_app.command("backup")
@guarded
def db_backup(
    db: Db,
    target: Annotated[Path, typer.Argument(help="The backup file to write (SQLite).")],
) -> None:
    """A consistent copy of a live SQLite database (SQLite's online backup), safe while
    workers write; PostgreSQL databases are backed up with pg_dump (docs/storage.md)."""
    from ogi_workflow.storage.backup import backup_sqlite  # noqa: PLC0415

    copied = backup_sqlite(db, target)
    typer.echo(f"{target}: {copied} request(s)")


@agency_app.command("set")
@guarded
def agency_set(
    db: Db,
    profile: Annotated[Path, typer.Argument(help="The agency profile (TOML).")],
) -> None:
    """Store an agency's profile (added, or replacing the stored one with the same code)."""
    from ogi_workflow.models import AgencyProfile  # noqa: PLC0415

    agency = AgencyProfile.from_toml(profile)
    with open_workflow(db, None, read_only=False, agency=agency) as wf:
        typer.echo(f"{wf.agency.code}: {wf.agency.name}")


@agency_app.command("list")
@guarded
def agency_list(db: Db) -> None:
    """The agencies stored in the database, by code."""
    from ogi_workflow.storage import queries  # noqa: PLC0415
    from ogi_workflow.storage.engine import make_engine  # noqa: PLC0415
    from ogi_workflow.storage.migrate import check_schema  # noqa: PLC0415

    engine = make_engine(db, read_only=True)
    try:
        check_schema(engine, db, read_only=True)
        for code in queries.stored_agency_codes(engine):
            typer.echo(code)
    finally:
        engine.dispose()


@app.command("notices")
@guarded
def notices(db: Db, agency_code: AgencyCode = None, as_json: JsonFlag = False) -> None:
    """The calendar notices loaded into the database that the agency counts by: the
    deployment-wide ones and its own (`reflow --calendar FILE [--agency CODE]` loads them)."""
    with open_workflow(db, agency_code, read_only=True) as wf:
        found = wf.calendar_notices()
        code = wf.agency.code
    rows = [
        {
            "id": n.id,
            "year": n.year,
            "agency": n.agency,
            "title": n.title,
            "source": n.source,
            "sha256": n.sha256,
            "loaded_at": n.loaded_at.isoformat(),
            "loaded_by": n.loaded_by,
        }
        for n in found
    ]
    if as_json:
        emit_json({"agency": code, "notices": rows})
        return
    for row in rows:
        whose = row["agency"] or "deployment-wide"
        typer.echo(f"{row['id']}  {row['year']}  {whose}  {row['title'] or ''}  {row['loaded_at']}")
