"""Typical uses of the public API; mypy --strict checks this file (it is never run)."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

from ogi_workflow import (
    CalendarError,
    ClockEvents,
    Deadline,
    Pause,
    WorkdayCalendar,
    compute_deadline,
)


def due_dates(received: list[date]) -> npt.NDArray[np.datetime64]:
    cal = WorkdayCalendar.china(allow_estimated=True)
    return cal.add_workdays_batch(received, 20)


def due_or_none(received: date) -> date | None:
    try:
        deadline: Deadline = compute_deadline(
            ClockEvents(received=received, pauses=(Pause(received, None),)),
            WorkdayCalendar.china(),
            as_of=received,
        )
    except CalendarError:
        return None
    return deadline.due_date


def official(cal: WorkdayCalendar) -> frozenset[int]:
    return cal.official_years


def lifecycle(url: str) -> list[str]:
    """The Workflow surface as an OA system uses it, all from the package root."""
    from ogi_workflow import (  # noqa: PLC0415 - kept next to its use for the reader
        SHANGHAI,
        AnnualReport,
        ConflictError,
        EventView,
        Letter,
        OgiError,
        Outcome,
        OverdueItem,
        RequestView,
        State,
        Workflow,
    )

    with Workflow.open(url, agency={"code": "x", "name": "示例", "abbreviation": "示"}) as wf:
        view: RequestView = wf.receive(
            {"applicant": {"kind": "natural_person", "name": "张三"}, "description": "某文件"},
            actor="窗口",
        )
        try:
            view = wf.register(view.id, actor="登记员", expected_version=view.version)
        except ConflictError:
            view = wf.get(view.id)
        with wf.batch():
            wf.submit_for_review(
                view.id, actor="李明", outcome=Outcome.DISCLOSED, details={"provided": "x"}
            )
            for who in ("孙审核", "陈主任"):
                wf.approve(view.id, actor=who, opinion="同意")
            wf.reply(view.id, actor="李明")
        mine: list[OverdueItem] = wf.overdue(department="office", person="李明")
        letter: Letter = wf.render(view.id, fmt="txt", actor="李明")
        log: list[EventView] = wf.events(view.id)
        late: list[OverdueItem] = wf.overdue(as_of=date(2026, 3, 1), within=3)
        report: AnnualReport = wf.annual_report(2026)
        states = [v.state for v in wf.find(state=State.REPLIED)]
        try:
            wf.archive(view.id, actor="档案室")
        except OgiError as exc:
            return [str(exc)]
        return [
            letter.number,
            str(len(log)),
            str(len(late) + len(mine)),
            str(report.balanced()),
            str(states),
            str(SHANGHAI),
        ]
