"""The annual report (政府信息公开工作年度报告, 国办公开办函〔2021〕30号): tables 三 and 四.

Every reply carries one outcome leaf, so table 三 is a count, not a re-classification. For a
year: 新收 = received in the year; 上年结转 = received before it and not replied by its
start; each outcome row = replied in the year with that outcome; 结转下年度 = received by its
end and not replied by then. Every request in play in the year is either replied in it or
carried over, so 新收 + 上年结转 = 总计 + 结转下年度 holds by construction, column by column.

Asked for, the same lines are counted by the department a request was assigned to (分办), with
the replies made after their due date: internal statistics for the office head, never part of
the published tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np
from sqlalchemy import Connection

from ogi_workflow._pii import mask_pii
from ogi_workflow._resources import load_toml
from ogi_workflow.calendar.workdays import WorkdayCalendar
from ogi_workflow.lifecycle import Event
from ogi_workflow.models import ApplicantKind
from ogi_workflow.outcomes import Outcome, ReportRow
from ogi_workflow.storage import reporting

__all__ = [
    "COLUMNS",
    "RESULTS",
    "TABLE4_GROUPS",
    "AnnualReport",
    "DisplayTable",
    "RollUp",
    "annual_report",
    "labels",
    "roll_up",
    "row_label",
]

COLUMNS: Final = [k.value for k in ApplicantKind] + ["total"]
RESULTS: Final = ("upheld", "corrected", "other", "pending", "total")
TABLE4_GROUPS: Final = ("review", "direct", "after_review")  # 复议; 诉讼: 直接起诉, 复议后起诉
_DEPARTMENT_COUNTS: Final = ("new", "carried_in", "replied", "late", "carried_out")
_LINES: Final = ["new", "carried_in", *[r.value for r in ReportRow], "results_total", "carried_out"]


def labels() -> dict[str, Any]:
    """The Chinese labels of the published form (data/report.toml)."""
    return load_toml("data/report.toml")


def _row() -> dict[str, int]:
    return dict.fromkeys(COLUMNS, 0)


@dataclass(frozen=True, slots=True)
class DisplayTable:
    """A table as a terminal or a plain page shows it: title, column heads, rows of text."""

    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class AnnualReport:
    """One agency's year: table 三 (lines × applicant columns), table 四, and statistics."""

    year: int
    agency: str
    table3: dict[str, dict[str, int]]
    table4: dict[str, dict[str, int]]
    received_by_month: dict[int, int]
    replied: int
    average_workdays_to_reply: float | None
    most_requested: list[tuple[str, int]] = field(default_factory=list)
    # Internal statistics by department code ("" = never assigned), when asked for: name, new,
    # carried_in, replied, late (replied after the due date), carried_out, results by line.
    by_department: dict[str, dict[str, Any]] | None = None

    def balanced(self) -> bool:
        """The 勾稽关系: 新收 + 上年结转 = 总计 + 结转下年度, in every column."""
        t = self.table3
        return all(
            t["new"][c] + t["carried_in"][c] == t["results_total"][c] + t["carried_out"][c]
            for c in COLUMNS
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "agency": self.agency,
            "table3": self.table3,
            "table4": self.table4,
            "balanced": self.balanced(),
            "received_by_month": {str(m): n for m, n in self.received_by_month.items()},
            "replied": self.replied,
            "average_workdays_to_reply": self.average_workdays_to_reply,
            "most_requested": [{"description": d, "count": n} for d, n in self.most_requested],
            **({} if self.by_department is None else {"by_department": self.by_department}),
        }

    def display_tables(self) -> list[DisplayTable]:
        """Tables 三 and 四 laid out with the published form's labels."""
        names = labels()
        heads = names["table3"]["columns"]
        table3 = DisplayTable(
            f"{self.agency} {self.year}年 {names['table3']['title']}",
            ["", *(heads[key] for key in COLUMNS)],
            [
                [row_label(line), *(str(values[c]) for c in COLUMNS)]
                for line, values in self.table3.items()
            ],
        )
        t4 = names["table4"]
        table4 = DisplayTable(
            t4["title"],
            ["", *(t4["results"][result] for result in RESULTS)],
            [
                [
                    t4[group] if group == "review" else f"{t4['litigation']}（{t4[group]}）",
                    *(str(self.table4[group][r]) for r in RESULTS),
                ]
                for group in TABLE4_GROUPS
            ],
        )
        departments = self.department_table()
        return [table3, table4] if departments is None else [table3, table4, departments]

    def department_table(self) -> DisplayTable | None:
        """The internal statistics by department, when the report was asked for them."""
        if self.by_department is None:
            return None
        names, keys = labels()["by_department"], _DEPARTMENT_COUNTS
        return DisplayTable(
            f"{self.agency} {self.year}年 {names['title']}",
            [names["department"], *(names[k] for k in keys)],
            [[d["name"], *(str(d[k]) for k in keys)] for d in self.by_department.values()],
        )

    def display_notes(self) -> list[str]:
        """The statistics below the tables: by month, average time, most requested."""
        extra = labels()["extra"]
        months = "  ".join(f"{m}月 {n}" for m, n in self.received_by_month.items())
        return [
            f"{extra['by_month']}：{months}",
            f"{extra['average']}：{self.average_workdays_to_reply}",
            *(f"  {count}  {description}" for description, count in self.most_requested),
        ]


@dataclass(frozen=True)
class RollUp:
    """A 本级政府's roll-up: its agencies' tables 三 and 四 for a year summed (``total``),
    with each agency's own report (``parts``, the 本级政府 first) so that the 勾稽关系 is
    checked agency by agency, not only on the sum."""

    total: AnnualReport
    parts: tuple[AnnualReport, ...]

    def unbalanced(self) -> list[str]:
        """The agencies whose table 三 does not balance."""
        return [part.agency for part in self.parts if not part.balanced()]

    def balanced(self) -> bool:
        return not self.unbalanced() and self.total.balanced()

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.total.as_dict(),
            "balanced": self.balanced(),
            "agencies": [
                {
                    "agency": part.agency,
                    "balanced": part.balanced(),
                    "table3": part.table3,
                    "table4": part.table4,
                }
                for part in self.parts
            ],
        }


def roll_up(name: str, year: int, parts: list[AnnualReport], *, top: int = 10) -> RollUp:
    """The sum of ``parts`` (one report per agency, the same year) under ``name``."""

    def summed(tables: list[dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
        return {
            line: {c: sum(t[line][c] for t in tables) for c in columns}
            for line, columns in tables[0].items()
        }

    replied = sum(part.replied for part in parts)
    timed = [
        (p.average_workdays_to_reply, p.replied)
        for p in parts
        if p.average_workdays_to_reply is not None
    ]
    # weighted by each agency's replies
    average = round(sum(a * n for a, n in timed) / replied, 1) if timed and replied else None
    requested: dict[str, int] = {}
    for part in parts:
        for description, count in part.most_requested:
            requested[description] = requested.get(description, 0) + count
    total = AnnualReport(
        year=year,
        agency=name + labels()["rollup"]["suffix"],
        table3=summed([part.table3 for part in parts]),
        table4=summed([part.table4 for part in parts]),
        received_by_month={
            month: sum(part.received_by_month.get(month, 0) for part in parts)
            for month in parts[0].received_by_month
        },
        replied=replied,
        average_workdays_to_reply=average,
        most_requested=sorted(requested.items(), key=lambda item: (-item[1], item[0]))[:top],
    )
    return RollUp(total, tuple(parts))


def annual_report(
    conn: Connection,
    *,
    agency: str,
    agency_name: str,
    year: int,
    calendar: WorkdayCalendar,
    top: int = 10,
    departments: dict[str, str] | None = None,
) -> AnnualReport:
    """Tables 三 and 四 and the statistics for ``year``, from the stored requests; with
    ``departments`` (code → name), the internal statistics by department too."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    table3 = _table3(reporting.table3_counts(conn, agency, first, last))
    return AnnualReport(
        year=year,
        agency=agency_name,
        table3=table3,
        table4=_table4(reporting.review_records(conn, agency, last), first),
        received_by_month=reporting.received_by_month(conn, agency, first, last),
        replied=table3["results_total"]["total"],
        average_workdays_to_reply=_average_workdays(
            reporting.reply_spans(conn, agency, first, last), calendar
        ),
        most_requested=[  # free text applicants typed: personal data masked
            (mask_pii(description), count)
            for description, count in reporting.most_requested(conn, agency, first, last, top)
        ],
        by_department=None
        if departments is None
        else _by_department(reporting.department_counts(conn, agency, first, last), departments),
    )


def _by_department(
    counts: list[tuple[str | None, str | None, int, int, int, int, int]],
    names: dict[str, str],
) -> dict[str, dict[str, Any]]:
    """Each department's lines, in the order of ``names`` (then any code no longer listed);
    requests never assigned under "" (labelled 未分办)."""
    unassigned = labels()["by_department"]["unassigned"]
    stats: dict[str, dict[str, Any]] = {}

    def entry(code: str) -> dict[str, Any]:
        name = names.get(code, code) if code else unassigned
        return {"name": name, **dict.fromkeys(_DEPARTMENT_COUNTS, 0), "results": {}}

    for code in names:
        stats[code] = entry(code)
    for department, outcome, new, carried_in, replied, late, carried_out in counts:
        code = department or ""
        row = stats.setdefault(code, entry(code))
        counted = (new, carried_in, replied, late, carried_out)
        for key, n in zip(_DEPARTMENT_COUNTS, counted, strict=True):
            row[key] += n
        if outcome is not None and replied:
            line = Outcome(outcome).row.value
            row["results"][line] = row["results"].get(line, 0) + replied
    for row in stats.values():  # in the order of table 三's lines
        row["results"] = {k: row["results"][k] for k in _LINES if k in row["results"]}
    return stats


def _table3(
    counts: list[tuple[str, str | None, int, int, int, int]],
) -> dict[str, dict[str, int]]:
    """Table 三: each count added to its line, in its applicant column and the total."""
    table3 = {line: _row() for line in _LINES}
    for kind, outcome, new, carried_in, replied, carried_out in counts:
        lines = [("new", new), ("carried_in", carried_in), ("carried_out", carried_out)]
        if outcome is not None:
            lines += [(Outcome(outcome).row.value, replied), ("results_total", replied)]
        for line, count in lines:
            table3[line][kind] += count
            table3[line]["total"] += count
    return table3


def _table4(
    records: list[tuple[int, Event, dict[str, Any], date]], first: date
) -> dict[str, dict[str, int]]:
    """复议 and 诉讼 cases that began in the year, each with its latest result by year end."""
    began: dict[tuple[int, str], date] = {}
    latest: dict[tuple[int, str], str] = {}
    for request_id, event, payload, on in records:
        if event is Event.RECORD_REVIEW:
            group = "review"
        else:
            group = "after_review" if payload.get("after_review") else "direct"
        key = (request_id, group)
        began.setdefault(key, on)
        latest[key] = payload["result"]
    table = {group: dict.fromkeys(RESULTS, 0) for group in TABLE4_GROUPS}
    for key, result in latest.items():
        if began[key] >= first:
            table[key[1]][result] += 1
            table[key[1]]["total"] += 1
    return table


def _average_workdays(
    spans: list[tuple[date, date, int, int]], calendar: WorkdayCalendar
) -> float | None:
    """Working days the clock ran, clock start to reply, averaged over the year's replies."""
    rows = spans
    if not rows:
        return None
    starts = np.array([row[0] for row in rows], dtype="datetime64[D]")
    replies = np.array([row[1] for row in rows], dtype="datetime64[D]")
    counts = np.array([row[2] for row in rows], dtype=np.int64)
    paused = np.array([row[3] for row in rows], dtype=np.int64)
    ran = calendar.workdays_between_batch(starts, replies) * counts - paused
    return round(float(max(int(ran.sum()), 0)) / int(counts.sum()), 1)


def line_labels() -> list[tuple[str, str, str | None, str | None]]:
    """(line, first column, group, item) of table 三, in the published order."""
    t3 = labels()["table3"]
    lines: list[tuple[str, str, str | None, str | None]] = [
        ("new", t3["new"], None, None),
        ("carried_in", t3["carried_in"], None, None),
    ]
    for row in ReportRow:
        group, _, item = row.label.partition(" ")
        lines.append((row.value, t3["results"], group, item or None))
    lines.append(("results_total", t3["results"], t3["results_total"], None))
    lines.append(("carried_out", t3["carried_out"], None, None))
    return lines


def row_label(line: str) -> str:
    """One line's label for a flat table: the group and item, or the line itself."""
    for key, first, group, item in line_labels():
        if key == line:
            return " ".join(x for x in (group, item) if x) or first
    raise KeyError(line)
