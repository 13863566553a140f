"""What the CLI shows: the morning list (table, CSV, JSON), the demo summary, the report.

Output only: every figure comes from the public API; the Chinese headings come from
data/labels.toml.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from ogi_workflow._console import stdout_console
from ogi_workflow._resources import label
from ogi_workflow.lifecycle import DONE, State
from ogi_workflow.models import OverdueItem
from ogi_workflow.outcomes import Outcome

if TYPE_CHECKING:
    from ogi_workflow.reports.annual import AnnualReport
    from ogi_workflow.workflow import Workflow

__all__ = ["print_overdue", "print_report", "print_summary", "stdout_console", "write_overdue"]


def print_summary(console: Console, wf: Workflow, today: date) -> None:
    views = wf.find(limit=10_000)
    console.print(label("terminal", "summary").format(agency=wf.agency.name, day=today))
    states = Table()
    states.add_column("state")
    states.add_column("count", justify="right")
    for state in State:
        states.add_row(state.label, str(sum(v.state is state for v in views)))
    states.add_row(label("terminal", "total"), str(len(views)))
    console.print(states)
    outcomes = Table(title=label("terminal", "outcomes"))
    outcomes.add_column("outcome")
    outcomes.add_column("count", justify="right")
    for outcome in Outcome:
        n = sum(v.outcome is outcome for v in views)
        if n:
            outcomes.add_row(outcome.label, str(n))
    console.print(outcomes)
    print_overdue(console, wf.overdue(today, within=3), today)
    estimated = sum(v.estimated for v in views if v.state not in DONE)
    if estimated:
        console.print(
            f"{estimated} open request(s) have due dates that use estimated days (no State "
            "Council notice yet); load the notice with `--calendar` and they are recomputed."
        )


def print_overdue(console: Console, items: Iterable[OverdueItem], as_of: date) -> int:
    table = Table(title=label("terminal", "morning_list").format(day=as_of))
    columns = ("reg_no", "state", "kind", "deadline", "workdays_left", "handler", "department")
    for column in columns:
        table.add_column(column)
    late = 0
    for item in items:
        late += item.overdue
        table.add_row(
            item.reg_no or f"#{item.id}",
            item.state.label,
            item.kind.label + (f" {item.task}" if item.task else ""),
            item.deadline.isoformat() + ("*" if item.estimated else ""),
            str(item.workdays_left),
            item.handler or "",
            (item.department or "") + (f"（联络人 {item.contact}）" if item.contact else ""),
        )
    console.print(table)
    return late


def write_overdue(items: Iterator[OverdueItem], fmt: str, day: date, within: int) -> int:
    """Write the list in ``fmt``; the number of overdue items."""
    if fmt == "table":
        return print_overdue(stdout_console(), items, day)
    late = 0
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(OverdueItem._fields)
        for item in items:
            late += item.overdue
            writer.writerow(item.as_row())
        return late
    # One JSON object, written as the items come.
    sys.stdout.write(f'{{"as_of": "{day.isoformat()}", "within": {within}, "items": [')
    for n, item in enumerate(items):
        late += item.overdue
        sys.stdout.write(
            ("," if n else "") + "\n  " + json.dumps(item.as_dict(), ensure_ascii=False)
        )
    sys.stdout.write(f'\n], "overdue": {late}}}\n')
    return late


def print_report(console: Console, report: AnnualReport) -> None:
    for shown in report.display_tables():
        table = Table(title=shown.title)
        for n, head in enumerate(shown.columns):
            table.add_column(head, justify="right" if n else "left")
        for row in shown.rows:
            table.add_row(*row)
        console.print(table)
    for line in report.display_notes():
        console.print(line)
