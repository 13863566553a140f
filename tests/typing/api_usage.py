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
