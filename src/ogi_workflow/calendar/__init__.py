"""Working days per the State Council's yearly notices; this package knows no law of disclosure."""

from ogi_workflow.calendar.schedule import DayRule, Notice, YearSchedule, read_notice_file
from ogi_workflow.calendar.workdays import DayInfo, DayKind, WorkdayCalendar

__all__ = [
    "DayInfo",
    "DayKind",
    "DayRule",
    "Notice",
    "WorkdayCalendar",
    "YearSchedule",
    "read_notice_file",
]
