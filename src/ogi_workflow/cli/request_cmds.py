"""Commands on a database of requests: ``demo``, ``render``, ``overdue``, ``report``, ``reflow``."""

from __future__ import annotations

import atexit
import csv
import gc
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO, TypeVar

import typer

from ogi_workflow.cli._base import (
    EXIT_OVERDUE,
    Actor,
    AgencyCode,
    CalendarFiles,
    Db,
    JsonFlag,
    app,
    emit_json,
    fail,
    guarded,
    open_workflow,
    parse_date,
    shanghai_today,
)
from ogi_workflow.errors import StorageError

if TYPE_CHECKING:
    from datetime import date

    from rich.progress import Progress

T = TypeVar("T")


@app.command()
@guarded
def demo(
    db: Annotated[
        str | None, typer.Option(help="Database URL; default: a SQLite file in --out.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for the demo's files.")] = Path("ogi-demo"),
    today: Annotated[
        str | None, typer.Option(help="Run the demo as of this date (default: today).")
    ] = None,
) -> None:
    """The main job: a few hundred realistic requests on the embedded SQLite default."""
    out.mkdir(parents=True, exist_ok=True)
    if db is None:
        path = (out / "demo.sqlite").resolve()
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        db = f"sqlite:///{path}"
    from ogi_workflow.demo import (  # noqa: PLC0415 - the demo's data and letters load here only
        demo_agency,
        populate,
        write_sample_letters,
    )

    as_of = parse_date(today, "--today") if today else shanghai_today()
    from ogi_workflow._terminal import print_summary, stdout_console  # noqa: PLC0415
    from ogi_workflow.workflow import Workflow  # noqa: PLC0415

    with Workflow.open(db, agency=demo_agency()) as wf:
        typer.echo(f"database: {db}")  # unwrapped, so it can be copied whatever the width
        populate(wf, today=as_of)
        print_summary(stdout_console(), wf, as_of)
        folder = out / "letters"
        written = write_sample_letters(wf, folder)
    typer.echo(f"letters: {len(written)} sample letters (.docx and .txt) in {folder.resolve()}")


@app.command()
@guarded
def render(
    reg_no: Annotated[
        list[str], typer.Argument(help="Registration numbers (or #id) of the requests.")
    ],
    db: Db,
    fmt: Annotated[str, typer.Option("--format", help="docx | txt | pdf (pdf needs LibreOffice)")],
    actor: Actor,
    out: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (one request).")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(help="Folder to write every letter into (PDFs in one LibreOffice run)."),
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="Letter kind (default: what the latest event calls for).")
    ] = None,
    templates: Annotated[
        Path | None, typer.Option(help="Folder of the agency's own letter templates.")
    ] = None,
    agency_code: AgencyCode = None,
) -> None:
    """Write the reply letter or notice of one request, or of many into a folder (numbered
    and recorded once)."""
    if fmt not in ("docx", "txt", "pdf"):
        fail(f"--format {fmt!r} is not one of: docx, txt, pdf")
    if (out is None) == (out_dir is None) or (out is not None and len(reg_no) > 1):
        fail("give -o FILE for one request, or --out-dir FOLDER for one or more")
    requests = [_request_ref(r) for r in reg_no]
    with open_workflow(db, agency_code, read_only=False, letter_templates=templates) as wf:
        if out_dir is not None:
            for path in wf.render_many(requests, out_dir, kind, fmt, actor=actor):
                typer.echo(str(path))
            return
        letter = wf.render(requests[0], kind, fmt=fmt, actor=actor, output=out)
    typer.echo(f"{out} ({letter.kind.value}, {letter.number}, {letter.date.isoformat()})")


@app.command("case-file")
@guarded
def case_file(
    reg_no: Annotated[str, typer.Argument(help="Registration number (or #id) of the request.")],
    db: Db,
    actor: Actor,
    out: Annotated[
        Path, typer.Option("-o", "--output", help="A .zip file, or a folder to write into.")
    ],
    agency_code: AgencyCode = None,
) -> None:
    """归档: write the request's case file (一案一档): application, every letter issued, the
    审批 and 协查 records, the event log and the deadline explanation, with an index."""
    with open_workflow(db, agency_code, read_only=False) as wf:
        written = wf.case_file(_request_ref(reg_no), out, actor=actor)
    typer.echo(str(written))


@app.command()
@guarded
def forward(
    reg_no: Annotated[str, typer.Argument(help="Registration number (or #id) of the request.")],
    db: Db,
    actor: Actor,
    to: Annotated[
        str, typer.Option("--to", help="Code of the agency of this database responsible for it.")
    ],
    reason: Annotated[
        str, typer.Option(help="Why that agency is responsible (the 转送函 prints it).")
    ],
    on: Annotated[str | None, typer.Option(help="Day of the forward (default: today).")] = None,
    agency_code: AgencyCode = None,
    as_json: JsonFlag = False,
) -> None:
    """转送: answer 非本机关负责 with the signed-off draft and send the request on to the agency
    of this database responsible for it (条例第三十六条第五项), where it is received that day."""
    day = parse_date(on, "--on") if on else None
    with open_workflow(db, agency_code, read_only=False) as wf:
        view = wf.forward(_request_ref(reg_no), actor=actor, to_agency=to, reason=reason, on=day)
    if as_json:
        emit_json(view.model_dump(mode="json"))
        return
    typer.echo(
        f"{view.reg_no}: {view.outcome.value if view.outcome else None} on {view.replied_on}; "
        f"forwarded to {view.forwarded_to_agency} as request #{view.forwarded_to_request}"
    )


@app.command("approval-form")
@guarded
def approval_form(
    reg_no: Annotated[str, typer.Argument(help="Registration number (or #id) of the request.")],
    db: Db,
    actor: Actor,
    out: Annotated[Path, typer.Option("-o", "--output", help="The .docx file to write.")],
    draft: Annotated[
        int | None, typer.Option(help="Which draft (1, 2, …; default: the latest submitted).")
    ] = None,
    agency_code: AgencyCode = None,
) -> None:
    """Print the 政府信息公开申请办理审批表 of a draft reply: each step of its review chain
    with opinion, name and date (.docx). Records nothing."""
    from ogi_workflow.letters.issue import write_atomically  # noqa: PLC0415

    with open_workflow(db, agency_code, read_only=True) as wf:
        data = wf.approval_form(_request_ref(reg_no), actor=actor, draft=draft)
    try:
        write_atomically(out, data)
    except OSError as exc:
        raise StorageError(f"approval-form: cannot write {out}: {exc.strerror or exc}") from None
    typer.echo(str(out))


@app.command()
@guarded
def overdue(
    db: Db,
    as_of: Annotated[str | None, typer.Option(help="Date to check (default: today).")] = None,
    within: Annotated[
        int, typer.Option(help="Also list deadlines within N working days (and 补正 windows).")
    ] = 0,
    fmt: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    agency_code: AgencyCode = None,
    department: Annotated[
        str | None, typer.Option(help="Only this department's requests and work items.")
    ] = None,
    person: Annotated[
        str | None, typer.Option(help="Only this person's requests and work items (login).")
    ] = None,
) -> None:
    """The morning list: overdue replies (exit 1 if any), replies due soon, closing 补正 windows,
    and the agency's late inner work (分办 not signed for, 协查 tasks, review steps).

    Exit status: 0 none overdue, 1 some overdue, 2 bad input, 3 the database failed. CSV
    and JSON stream, so a million requests need no more memory than a few. Read-only: it
    never creates, alters or locks the database for writing.
    """
    if fmt not in ("table", "csv", "json"):
        fail(f"--format {fmt!r} is not one of: table, csv, json")
    if within < 0:
        fail(f"--within {within} must be 0 or more working days")
    day = parse_date(as_of, "--as-of") if as_of else shanghai_today()
    narrow = {"department": department, "person": person}
    # A progress bar on stderr (the total counted first) while the list does not show as it
    # comes: it goes to a file or a pipe, or it is the table, printed at the end.
    bar = (fmt == "table" or not _tty(sys.stdout)) and _on_a_terminal()
    with _collector_paused():
        rows = None
        if fmt == "csv" and not bar and department is None and person is None:
            from ogi_workflow.storage.quick import overdue_rows  # noqa: PLC0415

            rows = overdue_rows(db, agency_code, day, within)  # None: not the plain case
        if rows is not None:
            late = _write_csv(rows)
        else:
            late = _listed(db, agency_code, fmt, day, within, narrow, bar=bar)
    if late:
        raise typer.Exit(EXIT_OVERDUE)


def _listed(
    db: str,
    agency_code: str | None,
    fmt: str,
    day: date,
    within: int,
    narrow: dict[str, str | None],
    *,
    bar: bool,
) -> bool:
    """The list through the workflow, any backend; whether any is overdue."""
    with open_workflow(db, agency_code, read_only=True) as wf, ExitStack() as shown:
        advance = None
        if bar:
            progress = shown.enter_context(_progress_bar())
            task = progress.add_task("scan", total=wf.count_overdue(day, within, **narrow))
            advance = partial(progress.advance, task)
        if fmt == "csv":  # rows formatted straight from the query, no item per row
            return _write_csv(_shown(wf.iter_overdue_rows(day, within, **narrow), advance))
        from ogi_workflow._terminal import write_overdue  # noqa: PLC0415

        items = _shown(wf.iter_overdue(day, within, **narrow), advance)
        return bool(write_overdue(items, fmt, day, within))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while the command runs, and its last pass at the
    process's exit skipped. The command makes no cycles worth collecting, but with the
    database libraries loaded every full pass walks their few hundred thousand objects. On
    the benchmark machine that was about 0.1 s while they load, 0.06 s for the first pass
    once the collector is back on, and 0.3 s at exit (docs/benchmarks.md)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # what the command loaded goes to the permanent generation and back to
        gc.unfreeze()  # the oldest one, unexamined; a later pass there sees it as usual
        if was_on:
            gc.enable()
        atexit.unregister(gc.freeze)  # once, however often the command runs in a process
        atexit.register(gc.freeze)  # the last pass leaves the permanent generation alone


def _on_a_terminal() -> bool:
    """Whether rich takes stderr for a terminal, without loading rich when it cannot: stderr
    is no tty and neither FORCE_COLOR nor TTY_COMPATIBLE=1 says otherwise (cron, a pipe)."""
    if not (_tty(sys.stderr) or "FORCE_COLOR" in os.environ or os.getenv("TTY_COMPATIBLE") == "1"):
        return False
    from rich.console import Console  # noqa: PLC0415

    return Console(stderr=True).is_terminal


def _tty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # closed
        return False


def _progress_bar() -> Progress:
    from rich.console import Console  # noqa: PLC0415
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn  # noqa: PLC0415

    columns = (TextColumn("scanning"), BarColumn(), MofNCompleteColumn())
    # stdout goes through the bar's console only when it is the terminal too (the table):
    # sent to a file or a pipe, the list must reach it. Through that console a CSV was lost
    # either way: rich keeps what follows a line's last \r, and CSV lines end in \r\n.
    return Progress(
        *columns,
        console=Console(stderr=True),
        transient=True,
        redirect_stdout=_tty(sys.stdout),
    )


def _shown(listed: Iterator[T], advance: Callable[[], None] | None) -> Iterator[T]:
    """``listed``, moving the progress bar (if there is one) as each row goes by."""
    if advance is None:
        return listed

    def tracked() -> Iterator[T]:
        for item in listed:
            advance()
            yield item

    return tracked()


def _write_csv(rows: Iterator[tuple[Any, ...]], per_write: int = 2000) -> bool:
    """The list as CSV on stdout, a header of the fields first: what
    ``OverdueItem.as_row`` of each item gives; whether any is overdue. Rows go out
    ``per_write`` at a time, so an unbuffered stdout (``PYTHONUNBUFFERED``, ``python -u``)
    costs one write per chunk, not one per row."""
    from ogi_workflow.morning import FIELDS  # noqa: PLC0415

    overdue = FIELDS.index("overdue")
    late = False
    chunk = io.StringIO()
    writer = csv.writer(chunk)
    writer.writerow(FIELDS)
    while batch := list(islice(rows, per_write)):
        late = late or any(row[overdue] for row in batch)
        writer.writerows(batch)
        sys.stdout.write(chunk.getvalue())
        chunk.seek(0)
        chunk.truncate()
    sys.stdout.write(chunk.getvalue())  # the header, when the list is empty
    return late


report_app = typer.Typer(help="Reports: the annual 政府信息公开工作年度报告 tables.")
app.add_typer(report_app, name="report")


@report_app.command("annual")
@guarded
def report_annual(
    db: Db,
    year: Annotated[int, typer.Option(help="The report year, e.g. 2026.")],
    fmt: Annotated[str, typer.Option("--format", help="table | json | xlsx")] = "table",
    out: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (xlsx needs it).")
    ] = None,
    agency_code: AgencyCode = None,
    by_department: Annotated[
        bool,
        typer.Option(
            "--by-department", help="Add internal statistics by department (not published)."
        ),
    ] = False,
    rollup: Annotated[
        bool,
        typer.Option(
            "--rollup",
            help="本级政府: sum the agency's tables with its members' (profile 'members'), "
            "each agency's 勾稽关系 checked.",
        ),
    ] = False,
) -> None:
    """Tables 三 and 四 (国办公开办函〔2021〕30号) and statistics for one year."""
    if fmt not in ("table", "json", "xlsx"):
        fail(f"--format {fmt!r} is not one of: table, json, xlsx")
    if rollup and by_department:
        fail("--rollup sums agencies; --by-department is one agency's: give one of them")
    if fmt == "xlsx" and out is None:
        fail("--format xlsx needs -o FILE")

    from ogi_workflow._terminal import print_report, stdout_console  # noqa: PLC0415
    from ogi_workflow.reports.xlsx import write_xlsx  # noqa: PLC0415 - this command only

    with open_workflow(db, agency_code, read_only=True) as wf:
        summed = wf.rollup_report(year) if rollup else None
        report = summed.total if summed else wf.annual_report(year, by_department=by_department)
    if fmt == "xlsx":
        assert out is not None
        write_xlsx(report, str(out))
        typer.echo(f"{out}")
        return
    if fmt == "json":
        text = json.dumps((summed or report).as_dict(), ensure_ascii=False, indent=2)
        if out:
            out.write_text(text + "\n", encoding="utf-8")
        else:
            typer.echo(text)
        return
    print_report(stdout_console(), report)
    if summed:
        from ogi_workflow.reports.annual import labels  # noqa: PLC0415

        words = labels()["rollup"]
        for part in summed.parts:
            balance = words["balanced" if part.balanced() else "unbalanced"]
            typer.echo(f"{words['agencies']}：{part.agency}  {balance}")


@app.command()
@guarded
def reflow(
    db: Db,
    actor: Actor,
    calendar_files: CalendarFiles = None,
    agency_code: AgencyCode = None,
    own_agency: Annotated[
        str | None,
        typer.Option(
            "--agency",
            help="Load the --calendar files as this agency's own notices (its local rest and "
            "working days on top of the national ones), not deployment-wide.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Load a new State Council notice into the database and recompute open due dates.

    Every worker opening the database uses the loaded notice from then on; each due date
    that moves is recorded as a recompute_deadline event. A deployment-wide notice moves
    every agency's dates; one loaded with --agency CODE is that agency's own and moves its.
    """
    if own_agency is not None and agency_code not in (None, own_agency):
        fail(f"--agency {own_agency} and --agency-code {agency_code} name different agencies")
    with open_workflow(db, own_agency or agency_code, read_only=False) as wf:
        moves = []
        for path in calendar_files or []:
            moves += wf.load_calendar_notice(path, actor=actor, own=own_agency is not None)
        if not calendar_files:
            moves = wf.reflow_deadlines(actor=actor)
    rows = [
        {
            "agency": m.agency,
            "reg_no": m.reg_no,
            "before": m.before.isoformat() if m.before else None,
            "after": m.after.isoformat() if m.after else None,
            "estimated": m.estimated_after,
        }
        for m in moves
    ]
    if as_json:
        emit_json({"moved": len(rows), "requests": rows})
        return
    for row in rows:
        typer.echo(
            f"{row['agency']} {row['reg_no']}: {row['before']} -> {row['after']}"
            + (" (estimated)" if row["estimated"] else "")
        )
    typer.echo(f"{len(rows)} due date(s) moved")


def _request_ref(reg_no: str) -> str | int:
    """A registration number, or ``#id`` for a request's id."""
    return int(reg_no[1:]) if reg_no.startswith("#") and reg_no[1:].isdigit() else reg_no
