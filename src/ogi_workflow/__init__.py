"""ogi-workflow: the life of a government-information disclosure request (政府信息公开 依申请公开).

The public API is what ``__all__`` lists, all importable from here
(``from ogi_workflow import Workflow, Outcome, ConflictError, WorkdayCalendar``); everything
else is private. Names are imported on first use, so a command that needs only the calendar
does not pay for the database, the letters or the reports.
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import TYPE_CHECKING, Any

# A library logs, the application decides where to (the CLI: --log-format).
logging.getLogger(__name__).addHandler(logging.NullHandler())

if TYPE_CHECKING:  # the names below, for type checkers (at run time: __getattr__)
    __version__: str
    from ogi_workflow.calendar import DayInfo, DayKind, Notice, WorkdayCalendar, YearSchedule
    from ogi_workflow.clock import (
        Channel,
        ClockEvents,
        ClockPolicy,
        Deadline,
        ExplainLine,
        ExplainStatus,
        Extension,
        Pause,
        PauseReason,
        compute_deadline,
        explain_deadline,
        receipt_date,
    )
    from ogi_workflow.errors import (
        CalendarError,
        ConflictError,
        FieldProblem,
        NotFoundError,
        OgiError,
        PermissionDenied,
        SchemaVersionError,
        StaleVersionError,
        StorageError,
        TransitionError,
        ValidationError,
    )
    from ogi_workflow.fees import FeeBasis, FeeQuote, fee_per_request, fee_per_volume
    from ogi_workflow.letters.issue import Letter
    from ogi_workflow.letters.kinds import LetterKind
    from ogi_workflow.letters.pdf import PdfUnavailableError
    from ogi_workflow.lifecycle import (
        Decision,
        Event,
        HistoryItem,
        State,
        allowed_events,
        decide,
        mermaid_diagram,
    )
    from ogi_workflow.models import (
        SHANGHAI,
        AgencyProfile,
        Applicant,
        ApplicantKind,
        Application,
        Delivery,
        EventView,
        IdType,
        InfoForm,
        OverdueItem,
        RequestRef,
        RequestView,
        SearchTaskView,
        Urgency,
    )
    from ogi_workflow.outcomes import Outcome, OutcomeInfo, ReportRow
    from ogi_workflow.people import DepartmentView, PersonView, Role
    from ogi_workflow.reflow import DeadlineMove, StoredNotice
    from ogi_workflow.reports.annual import AnnualReport
    from ogi_workflow.workflow import Workflow

_HOME: dict[str, str] = {
    "CalendarError": "ogi_workflow.errors",
    "ConflictError": "ogi_workflow.errors",
    "FieldProblem": "ogi_workflow.errors",
    "StaleVersionError": "ogi_workflow.errors",
    "NotFoundError": "ogi_workflow.errors",
    "OgiError": "ogi_workflow.errors",
    "PermissionDenied": "ogi_workflow.errors",
    "SchemaVersionError": "ogi_workflow.errors",
    "StorageError": "ogi_workflow.errors",
    "TransitionError": "ogi_workflow.errors",
    "ValidationError": "ogi_workflow.errors",
    "DayInfo": "ogi_workflow.calendar",
    "DayKind": "ogi_workflow.calendar",
    "Notice": "ogi_workflow.calendar",
    "WorkdayCalendar": "ogi_workflow.calendar",
    "YearSchedule": "ogi_workflow.calendar",
    "Channel": "ogi_workflow.clock",
    "ClockEvents": "ogi_workflow.clock",
    "ClockPolicy": "ogi_workflow.clock",
    "Deadline": "ogi_workflow.clock",
    "ExplainLine": "ogi_workflow.clock",
    "ExplainStatus": "ogi_workflow.clock",
    "Extension": "ogi_workflow.clock",
    "Pause": "ogi_workflow.clock",
    "PauseReason": "ogi_workflow.clock",
    "compute_deadline": "ogi_workflow.clock",
    "explain_deadline": "ogi_workflow.clock",
    "receipt_date": "ogi_workflow.clock",
    "Outcome": "ogi_workflow.outcomes",
    "OutcomeInfo": "ogi_workflow.outcomes",
    "ReportRow": "ogi_workflow.outcomes",
    "FeeBasis": "ogi_workflow.fees",
    "FeeQuote": "ogi_workflow.fees",
    "fee_per_request": "ogi_workflow.fees",
    "fee_per_volume": "ogi_workflow.fees",
    "Decision": "ogi_workflow.lifecycle",
    "Event": "ogi_workflow.lifecycle",
    "HistoryItem": "ogi_workflow.lifecycle",
    "State": "ogi_workflow.lifecycle",
    "allowed_events": "ogi_workflow.lifecycle",
    "decide": "ogi_workflow.lifecycle",
    "mermaid_diagram": "ogi_workflow.lifecycle",
    "SHANGHAI": "ogi_workflow.models",
    "AgencyProfile": "ogi_workflow.models",
    "Applicant": "ogi_workflow.models",
    "ApplicantKind": "ogi_workflow.models",
    "Application": "ogi_workflow.models",
    "Delivery": "ogi_workflow.models",
    "EventView": "ogi_workflow.models",
    "IdType": "ogi_workflow.models",
    "InfoForm": "ogi_workflow.models",
    "OverdueItem": "ogi_workflow.models",
    "RequestView": "ogi_workflow.models",
    "SearchTaskView": "ogi_workflow.models",
    "Urgency": "ogi_workflow.models",
    "DepartmentView": "ogi_workflow.people",
    "PersonView": "ogi_workflow.people",
    "Role": "ogi_workflow.people",
    "Letter": "ogi_workflow.letters.issue",
    "LetterKind": "ogi_workflow.letters.kinds",
    "PdfUnavailableError": "ogi_workflow.letters.pdf",
    "AnnualReport": "ogi_workflow.reports.annual",
    "DeadlineMove": "ogi_workflow.reflow",
    "StoredNotice": "ogi_workflow.reflow",
    "RequestRef": "ogi_workflow.models",
    "Workflow": "ogi_workflow.workflow",
}

__all__ = [
    "SHANGHAI",
    "AgencyProfile",
    "AnnualReport",
    "Applicant",
    "ApplicantKind",
    "Application",
    "CalendarError",
    "Channel",
    "ClockEvents",
    "ClockPolicy",
    "ConflictError",
    "DayInfo",
    "DayKind",
    "Deadline",
    "DeadlineMove",
    "Decision",
    "Delivery",
    "DepartmentView",
    "Event",
    "EventView",
    "ExplainLine",
    "ExplainStatus",
    "Extension",
    "FeeBasis",
    "FeeQuote",
    "FieldProblem",
    "HistoryItem",
    "IdType",
    "InfoForm",
    "Letter",
    "LetterKind",
    "NotFoundError",
    "Notice",
    "OgiError",
    "Outcome",
    "OutcomeInfo",
    "OverdueItem",
    "Pause",
    "PauseReason",
    "PdfUnavailableError",
    "PermissionDenied",
    "PersonView",
    "ReportRow",
    "RequestRef",
    "RequestView",
    "Role",
    "SchemaVersionError",
    "SearchTaskView",
    "StaleVersionError",
    "State",
    "StorageError",
    "StoredNotice",
    "TransitionError",
    "Urgency",
    "ValidationError",
    "WorkdayCalendar",
    "Workflow",
    "YearSchedule",
    "__version__",
    "allowed_events",
    "compute_deadline",
    "decide",
    "explain_deadline",
    "fee_per_request",
    "fee_per_volume",
    "mermaid_diagram",
    "receipt_date",
]


def _version() -> str:
    """The installed distribution's version (importlib.metadata reads it: 40 ms, so only
    when asked)."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("ogi-workflow")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = value = _version()
        return value
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'ogi_workflow' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
