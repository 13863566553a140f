"""Commands without a database: ``deadline``, ``calendar``, ``fee``, ``schema``, ``diagram``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ogi_workflow.cli._base import (
    AllowEstimated,
    CalendarFiles,
    JsonFlag,
    app,
    emit_json,
    fail,
    guarded,
    parse_date,
)

if TYPE_CHECKING:
    from ogi_workflow.calendar import WorkdayCalendar
    from ogi_workflow.clock import Pause


def _calendar(files: list[Path] | None, allow_estimated: bool) -> WorkdayCalendar:
    from ogi_workflow.calendar import WorkdayCalendar  # noqa: PLC0415

    cal = WorkdayCalendar.china(allow_estimated=allow_estimated)
    for path in files or []:
        cal = cal.with_notice_file(path)
    return cal


def _parse_pause(value: str) -> Pause:
    from ogi_workflow.clock import Pause, PauseReason  # noqa: PLC0415

    parts = value.split(":")
    if len(parts) not in (2, 3):
        fail(f"--pause {value!r} must be START:END or START:END:REASON (dates YYYY-MM-DD)")
    start = parse_date(parts[0], "--pause start")
    end = parse_date(parts[1], "--pause end")
    reason = PauseReason.THIRD_PARTY
    if len(parts) == 3:
        try:
            reason = PauseReason(parts[2])
        except ValueError:
            allowed = ", ".join(r.value for r in PauseReason)
            fail(f"--pause reason {parts[2]!r} is not one of: {allowed}")
    if end < start:
        fail(f"--pause {value!r} ends before it starts")
    return Pause(start, end, reason)


@app.command()
@guarded
def deadline(
    received: Annotated[str, typer.Option(help="Day of receipt (条例第三十一条), YYYY-MM-DD.")],
    channel: Annotated[
        str, typer.Option(help="in_person | post | letter | online | fax")
    ] = "in_person",
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
    from ogi_workflow.clock import Channel, ClockEvents, Extension, explain_deadline  # noqa: PLC0415

    try:
        chan = Channel(channel)
    except ValueError:
        fail(f"--channel {channel!r} is not one of: {', '.join(c.value for c in Channel)}")
    got = parse_date(received, "--received")
    corrected = parse_date(corrected_on, "--corrected-on") if corrected_on else None
    pauses = tuple(_parse_pause(p) for p in pause or [])
    as_of_day = parse_date(as_of, "--as-of") if as_of else None
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
        emit_json(payload)
        return
    from rich.table import Table  # noqa: PLC0415

    from ogi_workflow._console import stdout_console  # noqa: PLC0415
    from ogi_workflow.clock import ExplainStatus  # noqa: PLC0415

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
@guarded
def calendar_cmd(
    year: Annotated[int, typer.Argument(help="The year, e.g. 2026.")],
    allow_estimated: AllowEstimated = False,
    calendar_files: CalendarFiles = None,
    as_json: JsonFlag = False,
) -> None:
    """One year's rest days, 调休 working days and working-day count."""
    from ogi_workflow.calendar import DayKind  # noqa: PLC0415

    if not 1950 <= year <= 2199:
        fail(f"YEAR {year} is out of range (1950–2199)")
    cal = _calendar(calendar_files, allow_estimated=True)
    official = year in cal.official_years
    if not official and not allow_estimated:
        fail(
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
        emit_json(payload)
        return
    from rich.table import Table  # noqa: PLC0415

    from ogi_workflow._console import stdout_console  # noqa: PLC0415

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


@app.command()
@guarded
def fee(
    nth_request_this_month: Annotated[
        int | None,
        typer.Option(help="按件: the request is the applicant's N-th in this natural month."),
    ] = None,
    pages: Annotated[int | None, typer.Option(help="按量: the request's page count.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """信息处理费 for one request (国办函〔2020〕109号): 按件 or 按量, never both."""
    from ogi_workflow.fees import FeeBasis, fee_per_request, fee_per_volume  # noqa: PLC0415

    if (nth_request_this_month is None) == (pages is None):
        fail("give exactly one of --nth-request-this-month N (按件) or --pages N (按量)")
    quote = (
        fee_per_request(nth_request_this_month)
        if nth_request_this_month is not None
        else fee_per_volume(pages if pages is not None else 0)
    )
    if as_json:
        emit_json(
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
@guarded
def schema(
    dialect: Annotated[str, typer.Option(help="postgresql | sqlite")] = "postgresql",
) -> None:
    """The database schema as SQL (see docs/storage.md)."""
    from ogi_workflow.storage.schema import schema_ddl  # noqa: PLC0415

    typer.echo(schema_ddl(dialect), nl=False)


@app.command()
def diagram() -> None:
    """The lifecycle as a Mermaid state diagram, generated from the state machine."""
    from ogi_workflow.lifecycle import mermaid_diagram  # noqa: PLC0415

    typer.echo(mermaid_diagram(), nl=False)
