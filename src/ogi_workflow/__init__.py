"""ogi-workflow: the life of a government-information disclosure request (政府信息公开 依申请公开).

The public API is what ``__all__`` lists; everything else is private.
"""

from importlib.metadata import PackageNotFoundError, version

from ogi_workflow.deadlines import (
    Channel,
    ClockEvents,
    ClockPolicy,
    DayInfo,
    DayKind,
    Deadline,
    ExplainLine,
    ExplainStatus,
    Extension,
    Notice,
    Pause,
    PauseReason,
    WorkdayCalendar,
    YearSchedule,
    compute_deadline,
    explain_deadline,
    receipt_date,
)
from ogi_workflow.errors import CalendarError, OgiError, ValidationError

try:
    __version__ = version("ogi-workflow")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "CalendarError",
    "Channel",
    "ClockEvents",
    "ClockPolicy",
    "DayInfo",
    "DayKind",
    "Deadline",
    "ExplainLine",
    "ExplainStatus",
    "Extension",
    "Notice",
    "OgiError",
    "Pause",
    "PauseReason",
    "ValidationError",
    "WorkdayCalendar",
    "YearSchedule",
    "__version__",
    "compute_deadline",
    "explain_deadline",
    "receipt_date",
]
