"""The ``ogi-workflow`` command: a thin shell over the public API.

Contract (docs/cli.md): ``--json`` prints one JSON object; bad input exits 2 with one line on
stderr naming the bad value.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from ogi_workflow._terminal import print_report, print_summary, stdout_console, write_overdue
from ogi_workflow.calendar import DayKind, WorkdayCalendar
from ogi_workflow.clock import (
    Channel,
    ClockEvents,
    ExplainStatus,
    Extension,
    Pause,
    PauseReason,
    explain_deadline,
)
from ogi_workflow.errors import OgiError
from ogi_workflow.fees import FeeBasis, fee_per_request, fee_per_volume
from ogi_workflow.lifecycle import mermaid_diagram
from ogi_workflow.models import SHANGHAI, OverdueItem
from ogi_workflow.storage.schema import schema_ddl
from ogi_workflow.workflow import Workflow

if TYPE_CHECKING:
    pass

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="ogi-workflow: 政府信息公开申请 lifecycle, deadlines and letters.",
)

P = ParamSpec("P")
R = TypeVar("R")

CalendarFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--calendar",
        help="A State Council notice file (TOML/JSON, see docs/deadlines.md) to load; repeatable.",
    ),
]
AllowEstimated = Annotated[
    bool,
    typer.Option(
        "--allow-estimated",
        help="Estimate days no loaded notice settles (the result says estimated: true).",
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _fail(message: str) -> NoReturn:
    typer.echo(f"ogi-workflow: error: {message}", err=True)
    raise typer.Exit(2)


def _clean_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn every OgiError into exit status 2 and one line on stderr."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OgiError as exc:
            _fail(str(exc))

    return wrapper


def _parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} {value!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-19")


def _calendar(files: list[Path] | None, allow_estimated: bool) -> WorkdayCalendar:
    cal = WorkdayCalendar.china(allow_estimated=allow_estimated)
    for path in files or []:
        cal = cal.with_notice_file(path)
    return cal


def _parse_pause(value: str) -> Pause:
    parts = value.split(":")
    if len(parts) not in (2, 3):
        _fail(f"--pause {value!r} must be START:END or START:END:REASON (dates YYYY-MM-DD)")
    start = _parse_date(parts[0], "--pause start")
    end = _parse_date(parts[1], "--pause end")
    reason = PauseReason.THIRD_PARTY
    if len(parts) == 3:
        try:
            reason = PauseReason(parts[2])
        except ValueError:
            allowed = ", ".join(r.value for r in PauseReason)
            _fail(f"--pause reason {parts[2]!r} is not one of: {allowed}")
    if end < start:
        _fail(f"--pause {value!r} ends before it starts")
    return Pause(start, end, reason)


def _emit_json(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


@app.command()
@_clean_errors
def deadline(
    received: Annotated[str, typer.Option(help="Day of receipt (条例第三十一条), YYYY-MM-DD.")],
    channel: Annotated[
        str, typer.Option(help="in_person | post | letter | online | fax")
    ] = Channel.IN_PERSON.value,
    corrected_on: Annotated[
        str | None,
        typer.Option(help="Receipt of the corrected application (条例第三十条 restart)."),
    ] = None,
    pause: Annotated[
        list[str] | None,
        typer.Option(help="START:END[:third_party|co_agency|fee], days in (START, END] paused."),
    ] = None,
    extend: Annotated[
        bool,
        typer.Option("--extend", help="Add the one 20-working-day extension (条例第三十三条)."),
    ] = False,
    as_of: Annotated[
        str | None, typer.Option(help="Also report working days left / overdue as of this date.")
    ] = None,
    allow_estimated: AllowEstimated = False,
    explain: Annotated[bool, typer.Option("--explain", help="List every day and why.")] = False,
    calendar_files: CalendarFiles = None,
    as_json: JsonFlag = False,
) -> None:
    """The legal reply deadline of one request."""
    try:
        chan = Channel(channel)
    except ValueError:
        _fail(f"--channel {channel!r} is not one of: {', '.join(c.value for c in Channel)}")
    got = _parse_date(received, "--received")
    corrected = _parse_date(corrected_on, "--corrected-on") if corrected_on else None
    pauses = tuple(_parse_pause(p) for p in pause or [])
    as_of_day = _parse_date(as_of, "--as-of") if as_of else None
    cal = _calendar(calendar_files, allow_estimated)
    events = ClockEvents(
        received=got,
        channel=chan,
        corrected_on=corrected,
        pauses=pauses,
        # The CLI has no request history: an extension is taken as approved on the due date.
        extension=Extension(approved_on=date.min) if extend else None,
    )
    result, lines = explain_deadline(events, cal, as_of=as_of_day)
    if as_json:
        payload = result.as_dict()
        if explain:
            payload["explain"] = [line.as_dict() for line in lines]
        _emit_json(payload)
        return
    console = stdout_console()
    if explain:
        table = Table(title=f"{got.isoformat()} 收到申请（{chan.label}）")
        for column in ("date", "weekday", "counted", "day", "why"):
            table.add_column(column)
        for line in lines:
            why = (
                line.pause_reason.label
                if line.pause_reason
                else ("　".join(x for x in (line.info.name, line.info.source) if x))
            )
            counted = str(line.ordinal) if line.ordinal else line.status.label
            if line.status is ExplainStatus.EXTENSION:
                counted += f"（{line.status.label}）"
            table.add_row(
                line.day.isoformat(),
                "一二三四五六日"[line.day.weekday()],
                counted,
                line.info.kind.label,
                why + ("（估算）" if line.info.estimated else ""),
            )
        console.print(table)
    summary = result.as_dict()
    for key in ("clock_start", "due_date", "paused_workdays", "extended", "estimated"):
        console.print(f"{key}: {summary[key]}")
    for key in ("correction_window_end", "workdays_left", "overdue"):
        if key in summary:
            console.print(f"{key}: {summary[key]}")
    if result.estimated:
        typer.echo(
            "ogi-workflow: warning: this deadline uses estimated days (no official notice)",
            err=True,
        )


@app.command("calendar")
@_clean_errors
def calendar_cmd(
    year: Annotated[int, typer.Argument(help="The year, e.g. 2026.")],
    allow_estimated: AllowEstimated = False,
    calendar_files: CalendarFiles = None,
    as_json: JsonFlag = False,
) -> None:
    """One year's rest days, 调休 working days and working-day count."""
    if not 1950 <= year <= 2199:
        _fail(f"YEAR {year} is out of range (1950–2199)")
    cal = _calendar(calendar_files, allow_estimated=True)
    official = year in cal.official_years
    if not official and not allow_estimated:
        _fail(
            f"{year} has no State Council notice loaded (official years: "
            f"{min(cal.official_years)}–{max(cal.official_years)}); pass --calendar FILE "
            "or --allow-estimated"
        )
    infos = list(cal.days(date(year - 1, 12, 31), date(year, 12, 31)))
    holidays = {
        i.day.isoformat(): i.name or i.kind.label
        for i in infos
        if i.kind in (DayKind.HOLIDAY, DayKind.LOCAL_REST)
    }
    adjusted = {
        i.day.isoformat(): i.name or "" for i in infos if i.kind is DayKind.ADJUSTED_WORKDAY
    }
    payload: dict[str, Any] = {
        "year": year,
        "official": official,
        "estimated": any(i.estimated for i in infos),
        "notices": [
            {
                "title": n.title,
                "date": n.date.isoformat(),
                "url": n.url,
                "document_number": n.document_number,
            }
            for n in cal.notices(year)
        ],
        "holidays": holidays,
        "adjusted_workdays": adjusted,
        "workdays": sum(i.is_workday for i in infos),
    }
    if as_json:
        _emit_json(payload)
        return
    console = stdout_console()
    for notice in cal.notices(year):
        console.print(f"{notice.title}（{notice.date.isoformat()}）{notice.url or ''}")
    table = Table(title=f"{year}")
    table.add_column("date")
    table.add_column("day")
    table.add_column("name")
    for info in infos:
        if info.kind in (DayKind.HOLIDAY, DayKind.LOCAL_REST, DayKind.ADJUSTED_WORKDAY):
            table.add_row(info.day.isoformat(), info.kind.label, info.name or "")
    console.print(table)
    console.print(f"workdays: {payload['workdays']}  official: {official}")
    if payload["estimated"]:
        typer.echo(f"ogi-workflow: warning: {year} contains estimated days", err=True)


# --------------------------------------------------------------------------- lifecycle commands

AgencyFile = Annotated[
    Path | None,
    typer.Option("--agency", help="Agency profile (TOML); needed only if the database has none."),
]


def _open(db: str, agency: Path | None) -> Workflow:
    return Workflow.open(db, agency=agency)


def _shanghai_today() -> date:
    return datetime.now(SHANGHAI).date()


@app.command()
@_clean_errors
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

    as_of = _parse_date(today, "--today") if today else _shanghai_today()
    with Workflow.open(db, agency=demo_agency()) as wf:
        typer.echo(f"database: {db}")  # unwrapped, so it can be copied whatever the width
        populate(wf, today=as_of)
        print_summary(stdout_console(), wf, as_of)
        folder = out / "letters"
        written = write_sample_letters(wf, folder)
    typer.echo(f"letters: {len(written)} sample letters (.docx and .txt) in {folder.resolve()}")


@app.command()
@_clean_errors
def render(
    reg_no: Annotated[
        list[str], typer.Argument(help="Registration numbers (or #id) of the requests.")
    ],
    db: Annotated[str, typer.Option(help="Database URL or SQLite path.")],
    fmt: Annotated[str, typer.Option("--format", help="docx | txt | pdf (pdf needs LibreOffice)")],
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
    agency: AgencyFile = None,
) -> None:
    """Write the reply letter or notice of one request, or of many into a folder (numbered
    and recorded once)."""
    if fmt not in ("docx", "txt", "pdf"):
        _fail(f"--format {fmt!r} is not one of: docx, txt, pdf")
    if (out is None) == (out_dir is None) or (out is not None and len(reg_no) > 1):
        _fail("give -o FILE for one request, or --out-dir FOLDER for one or more")
    requests: list[str | int] = [
        int(r[1:]) if r.startswith("#") and r[1:].isdigit() else r for r in reg_no
    ]
    actor = "ogi-workflow render"
    with Workflow.open(db, agency=agency, letter_templates=templates) as wf:
        if out_dir is not None:
            for path in wf.render_many(requests, out_dir, kind, fmt, actor=actor):
                typer.echo(str(path))
            return
        letter = wf.render(requests[0], kind, fmt=fmt, actor=actor)
    assert out is not None
    letter.save(out, fmt)
    typer.echo(f"{out} ({letter.kind.value}, {letter.number}, {letter.date.isoformat()})")


@app.command()
@_clean_errors
def overdue(
    db: Annotated[str, typer.Option(help="Database URL or SQLite path.")],
    as_of: Annotated[str | None, typer.Option(help="Date to check (default: today).")] = None,
    within: Annotated[
        int, typer.Option(help="Also list deadlines within N working days (and 补正 windows).")
    ] = 0,
    fmt: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    agency: AgencyFile = None,
) -> None:
    """The morning list: overdue replies (exit 1 if any), replies due soon, closing 补正 windows.

    Exit status: 0 none overdue, 1 some overdue, 2 bad input. CSV and JSON stream, so a
    million requests need no more memory than a few.
    """
    if fmt not in ("table", "csv", "json"):
        _fail(f"--format {fmt!r} is not one of: table, csv, json")
    if within < 0:
        _fail(f"--within {within} must be 0 or more working days")
    day = _parse_date(as_of, "--as-of") if as_of else _shanghai_today()
    err = Console(stderr=True)
    with (
        _open(db, agency) as wf,
        Progress(
            TextColumn("scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            disable=not err.is_terminal,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task(
            "scan", total=wf.count_overdue(day, within) if err.is_terminal else None
        )

        def tracked() -> Iterator[OverdueItem]:
            for item in wf.iter_overdue(day, within):
                progress.advance(task)
                yield item

        items = tracked() if err.is_terminal else wf.iter_overdue(day, within)
        late = write_overdue(items, fmt, day, within)
    if late:
        raise typer.Exit(1)


report_app = typer.Typer(help="Reports: the annual 政府信息公开工作年度报告 tables.")
app.add_typer(report_app, name="report")


@report_app.command("annual")
@_clean_errors
def report_annual(
    db: Annotated[str, typer.Option(help="Database URL or SQLite path.")],
    year: Annotated[int, typer.Option(help="The report year, e.g. 2026.")],
    fmt: Annotated[str, typer.Option("--format", help="table | json | xlsx")] = "table",
    out: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (xlsx needs it).")
    ] = None,
    agency: AgencyFile = None,
) -> None:
    """Tables 三 and 四 (国办公开办函〔2021〕30号) and statistics for one year."""
    if fmt not in ("table", "json", "xlsx"):
        _fail(f"--format {fmt!r} is not one of: table, json, xlsx")
    if fmt == "xlsx" and out is None:
        _fail("--format xlsx needs -o FILE")

    from ogi_workflow.reports.xlsx import write_xlsx  # noqa: PLC0415 - this command only

    with _open(db, agency) as wf:
        report = wf.annual_report(year)
    if fmt == "xlsx":
        assert out is not None
        write_xlsx(report, str(out))
        typer.echo(f"{out}")
        return
    if fmt == "json":
        text = json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
        if out:
            out.write_text(text + "\n", encoding="utf-8")
        else:
            typer.echo(text)
        return
    print_report(stdout_console(), report)


@app.command()
@_clean_errors
def fee(
    nth_request_this_month: Annotated[
        int | None,
        typer.Option(help="按件: the request is the applicant's N-th in this natural month."),
    ] = None,
    pages: Annotated[int | None, typer.Option(help="按量: the request's page count.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """信息处理费 for one request (国办函〔2020〕109号): 按件 or 按量, never both."""
    if (nth_request_this_month is None) == (pages is None):
        _fail("give exactly one of --nth-request-this-month N (按件) or --pages N (按量)")
    quote = (
        fee_per_request(nth_request_this_month)
        if nth_request_this_month is not None
        else fee_per_volume(pages if pages is not None else 0)
    )
    if as_json:
        _emit_json(
            {
                "basis": quote.basis.value,
                "fee_yuan": quote.fee_yuan,
                "quantity": quote.quantity,
                "tiers": [{"from": a, "to": b, "yuan_each": y} for a, b, y in quote.tiers],
            }
        )
        return
    unit = "件" if quote.basis is FeeBasis.PER_REQUEST else "页"
    for low, high, each in quote.tiers:
        typer.echo(f"{low}–{high}{unit}: {each} 元/{unit}")
    typer.echo(f"{quote.basis.value}: {quote.fee_yuan} 元")


@app.command()
@_clean_errors
def reflow(
    db: Annotated[str, typer.Option(help="Database URL or SQLite path.")],
    calendar_files: CalendarFiles = None,
    agency: AgencyFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Load a new State Council notice into the database and recompute open due dates.

    Every worker opening the database uses the loaded notice from then on; each due date
    that moves is recorded as a recompute_deadline event.
    """
    with _open(db, agency) as wf:
        moves = []
        for path in calendar_files or []:
            moves += wf.load_calendar_notice(path, actor="ogi-workflow reflow")
        if not calendar_files:
            moves = wf.reflow_deadlines(actor="ogi-workflow reflow")
    rows = [
        {
            "reg_no": m.reg_no,
            "before": m.before.isoformat() if m.before else None,
            "after": m.after.isoformat() if m.after else None,
            "estimated": m.estimated_after,
        }
        for m in moves
    ]
    if as_json:
        _emit_json({"moved": len(rows), "requests": rows})
        return
    for row in rows:
        typer.echo(
            f"{row['reg_no']}: {row['before']} -> {row['after']}"
            + (" (estimated)" if row["estimated"] else "")
        )
    typer.echo(f"{len(rows)} due date(s) moved")


@app.command()
@_clean_errors
def schema(
    dialect: Annotated[str, typer.Option(help="postgresql | sqlite")] = "postgresql",
) -> None:
    """The database schema as SQL (see docs/storage.md)."""
    typer.echo(schema_ddl(dialect), nl=False)


@app.command()
def diagram() -> None:
    """The lifecycle as a Mermaid state diagram, generated from the state machine."""
    typer.echo(mermaid_diagram(), nl=False)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    app(args=argv if argv is not None else sys.argv[1:], prog_name="ogi-workflow")
