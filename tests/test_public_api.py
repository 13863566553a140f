"""The public surface: everything in ``__all__`` is importable from the package root."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import ogi_workflow


def test_every_name_in_all_resolves_from_the_root() -> None:
    missing = [name for name in ogi_workflow.__all__ if getattr(ogi_workflow, name, None) is None]
    assert missing == []


def test_the_documented_import_line_works() -> None:
    from ogi_workflow import ConflictError, Outcome, WorkdayCalendar, Workflow  # noqa: PLC0415

    assert Workflow.__module__ == "ogi_workflow.workflow"
    assert Outcome("disclosed") is Outcome.DISCLOSED
    assert WorkdayCalendar.china().is_workday(date(2026, 2, 14))  # 调休: a working Saturday
    assert issubclass(ConflictError, ogi_workflow.OgiError)


def test_an_unknown_name_is_an_attribute_error() -> None:
    assert not hasattr(ogi_workflow, "NoSuchThing")


def test_the_calendar_alone_does_not_import_the_database_or_the_letters() -> None:
    code = (
        "import sys; from ogi_workflow import WorkdayCalendar, compute_deadline; "
        "heavy = [m for m in ('sqlalchemy', 'jinja2', 'docx', 'numpy', 'pydantic') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
