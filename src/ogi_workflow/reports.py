"""The annual report (政府信息公开工作年度报告, 国办公开办函〔2021〕30号): tables 三 and 四.

Every reply carries one outcome leaf, so table 三 is a count, not a re-classification. For a
year: 新收 = received in the year; 上年结转 = received before it and not replied by its
start; each outcome row = replied in the year with that outcome; 结转下年度 = received by its
end and not replied by then. Every request in play in the year is either replied in it or
carried over, so 新收 + 上年结转 = 总计 + 结转下年度 holds by construction, column by column.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from sqlalchemy import Connection, and_, case, func, or_, select

from ogi_workflow.deadlines import WorkdayCalendar
from ogi_workflow.models import ApplicantKind
from ogi_workflow.outcomes import Outcome, ReportRow
from ogi_workflow.store import EVENT, REQUEST

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "COLUMNS",
    "RESULTS",
    "TABLE4_GROUPS",
    "AnnualReport",
    "annual_report",
    "labels",
    "row_label",
    "write_xlsx",
]

COLUMNS: Final = [k.value for k in ApplicantKind] + ["total"]
RESULTS: Final = ("upheld", "corrected", "other", "pending", "total")
TABLE4_GROUPS: Final = ("review", "direct", "after_review")  # 复议; 诉讼: 直接起诉, 复议后起诉
_LINES: Final = ["new", "carried_in", *[r.value for r in ReportRow], "results_total", "carried_out"]


@cache
def labels() -> dict[str, Any]:
    """The Chinese labels of the published form (data/report.toml)."""
    raw = files("ogi_workflow").joinpath("data/report.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


def _row() -> dict[str, int]:
    return dict.fromkeys(COLUMNS, 0)


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
        }


def annual_report(
    conn: Connection,
    *,
    agency: str,
    agency_name: str,
    year: int,
    calendar: WorkdayCalendar,
    top: int = 10,
) -> AnnualReport:
    """Tables 三 and 四 and the statistics for ``year``, from the stored requests."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    table3 = _table3(conn, agency, first, last)
    return AnnualReport(
        year=year,
        agency=agency_name,
        table3=table3,
        table4=_table4(conn, agency, first, last),
        received_by_month=_by_month(conn, agency, first, last),
        replied=table3["results_total"]["total"],
        average_workdays_to_reply=_average_workdays(conn, agency, first, last, calendar),
        most_requested=_most_requested(conn, agency, first, last, top),
    )


def _table3(conn: Connection, agency: str, first: date, last: date) -> dict[str, dict[str, int]]:
    """Table 三 from conditional sums grouped by (applicant kind, outcome).

    Only requests received by the year's end and not replied before it began can count in
    any line. They are read as two ranges of the covering index ix_ogi_request_replied
    (still open; replied from January 1), so most of a large table is never touched.
    """
    r = REQUEST.c

    def not_replied_by(day: date) -> Any:
        return or_(r.replied_on.is_(None), r.replied_on > day)

    def tally(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    columns = (
        r.applicant_kind,
        r.outcome,
        tally(r.received_on.between(first, last)),  # 新收
        tally(and_(r.received_on < first, not_replied_by(first - timedelta(days=1)))),  # 上年结转
        tally(r.replied_on.between(first, last)),  # 办理结果
        tally(and_(r.received_on <= last, not_replied_by(last))),  # 结转下年度
    )
    queries = [
        select(*columns)
        .where(r.agency == agency, replied)  # received_on is tested inside the tallies
        .group_by(r.applicant_kind, r.outcome)
        for replied in (r.replied_on.is_(None), r.replied_on >= first)
    ]
    table3 = {line: _row() for line in _LINES}
    for query in queries:
        for kind, outcome, new, carried_in, replied, carried_out in conn.execute(query):
            counts = [("new", new), ("carried_in", carried_in), ("carried_out", carried_out)]
            if outcome is not None:
                counts += [(Outcome(outcome).row.value, replied), ("results_total", replied)]
            for line, count in counts:
                table3[line][kind] += int(count or 0)
                table3[line]["total"] += int(count or 0)
    return table3


def _table4(conn: Connection, agency: str, first: date, last: date) -> dict[str, dict[str, int]]:
    """复议 and 诉讼 cases that began in the year, each with its latest result by year end.

    Read from the records themselves (partial index ix_ogi_event_records), then kept when
    their request belongs to the agency: never a walk over every request.
    """
    records = conn.execute(
        select(EVENT.c.request_id, EVENT.c.event, EVENT.c.payload, EVENT.c.effective_on)
        .where(
            EVENT.c.event.in_(["record_review", "record_litigation"]), EVENT.c.effective_on <= last
        )
        .order_by(EVENT.c.request_id, EVENT.c.seq)
    ).all()
    ids = sorted({row[0] for row in records})
    ours: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        ours.update(
            conn.execute(
                select(REQUEST.c.id).where(REQUEST.c.id.in_(chunk), REQUEST.c.agency == agency)
            ).scalars()
        )
    began: dict[tuple[int, str], date] = {}
    latest: dict[tuple[int, str], str] = {}
    for request_id, event, payload, on in records:
        if request_id not in ours:
            continue
        if event == "record_review":
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


def _by_month(conn: Connection, agency: str, first: date, last: date) -> dict[int, int]:
    month = func.extract("month", REQUEST.c.received_on)
    query = (
        select(month, func.count())
        .where(REQUEST.c.agency == agency, REQUEST.c.received_on.between(first, last))
        .group_by(month)
    )
    counts = dict.fromkeys(range(1, 13), 0)
    for m, n in conn.execute(query):
        counts[int(m)] = n
    return counts


def _average_workdays(
    conn: Connection, agency: str, first: date, last: date, calendar: WorkdayCalendar
) -> float | None:
    """Working days the clock ran, clock start to reply, averaged over the year's replies.

    Grouped by (start, reply) date pairs, so Python sees a few thousand rows, not every reply.
    """
    start = func.coalesce(REQUEST.c.clock_start, REQUEST.c.received_on)
    query = (
        select(start, REQUEST.c.replied_on, func.count(), func.sum(REQUEST.c.paused_workdays))
        .where(REQUEST.c.agency == agency, REQUEST.c.replied_on.between(first, last))
        .group_by(start, REQUEST.c.replied_on)
    )
    rows = conn.execute(query).all()
    if not rows:
        return None
    starts = np.array([row[0] for row in rows], dtype="datetime64[D]")
    replies = np.array([row[1] for row in rows], dtype="datetime64[D]")
    counts = np.array([row[2] for row in rows], dtype=np.int64)
    paused = np.array([int(row[3] or 0) for row in rows], dtype=np.int64)
    ran = calendar.workdays_between_batch(starts, replies) * counts - paused
    return round(float(max(int(ran.sum()), 0)) / int(counts.sum()), 1)


def _most_requested(
    conn: Connection, agency: str, first: date, last: date, top: int
) -> list[tuple[str, int]]:
    """The information asked for most often (candidates for 依申请公开转主动公开, 第四十四条).

    Grouped by a hash of the normalised description, which ix_ogi_request_received carries;
    then the wording of the top few is fetched.
    """
    key = REQUEST.c.description_key
    in_year = (REQUEST.c.agency == agency, REQUEST.c.received_on.between(first, last))
    tops = (
        conn.execute(
            select(func.count())
            .where(*in_year)
            .group_by(key)
            .having(func.count() > 1)
            .order_by(func.count().desc())
            .limit(top)
        )
        .scalars()
        .all()
    )
    if not tops:
        return []
    # Every key at or above the last count kept, so ties are broken by the wording below;
    # min(id) points at one request with that wording (a primary-key lookup each).
    counted = conn.execute(
        select(key, func.count(), func.min(REQUEST.c.id))
        .where(*in_year)
        .group_by(key)
        .having(func.count() >= tops[-1])
    ).all()
    result = []
    for _key, count, first_id in counted:
        wording = conn.execute(
            select(REQUEST.c.description).where(REQUEST.c.id == first_id)
        ).scalar_one()
        result.append((str(wording), int(count)))
    return sorted(result, key=lambda item: (-item[1], item[0]))[:top]


def _line_labels() -> list[tuple[str, str, str | None, str | None]]:
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
    for key, first, group, item in _line_labels():
        if key == line:
            return " ".join(x for x in (group, item) if x) or first
    raise KeyError(line)


def _put(sheet: Worksheet, ref: str, value: object, merge: str | None = None) -> None:
    sheet[ref] = value
    if merge:
        sheet.merge_cells(f"{ref}:{merge}")


def _frame(sheet: Worksheet, first_row: int) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side  # noqa: PLC0415 - xlsx only

    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    font = Font(name="仿宋_GB2312", size=11)
    for cells in sheet.iter_rows(min_row=first_row):
        for c in cells:
            c.border, c.alignment, c.font = box, centre, font


def write_xlsx(report: AnnualReport, path: str) -> None:
    """Tables 三 and 四 laid out like the published form, and the statistics, as .xlsx."""
    from openpyxl import Workbook  # noqa: PLC0415 - only this output needs openpyxl

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    _sheet3(sheet, report)
    _sheet4(book.create_sheet("四"), report)
    _sheet_extra(book.create_sheet("附"), report)
    book.save(path)


def _sheet3(sheet: Worksheet, report: AnnualReport) -> None:
    t3 = labels()["table3"]
    columns = t3["columns"]
    sheet.title = "三"
    _put(sheet, "A1", t3["title"], "J1")
    _put(sheet, "A2", t3["note"], "C4")
    _put(sheet, "D2", t3["applicant"], "J2")
    _put(sheet, "D3", columns["natural_person"], "D4")
    _put(sheet, "E3", t3["organizations"], "I3")
    for offset, key in enumerate(COLUMNS[1:-1]):
        sheet.cell(row=4, column=5 + offset, value=columns[key])
    _put(sheet, "J3", columns["total"], "J4")
    groups: dict[str, list[int]] = {}
    result_rows: list[int] = []
    for n, (key, first, group, item) in enumerate(_line_labels()):
        row = 5 + n
        if group is None:
            _put(sheet, f"A{row}", first, f"C{row}")
        else:
            result_rows.append(row)
            sheet.cell(row=row, column=2, value=group)
            sheet.cell(row=row, column=3, value=item)
            if item is None:
                sheet.merge_cells(f"B{row}:C{row}")
            else:
                groups.setdefault(group, []).append(row)
        for offset, column in enumerate(COLUMNS):
            sheet.cell(row=row, column=4 + offset, value=report.table3[key][column])
    _put(sheet, f"A{result_rows[0]}", t3["results"], f"A{result_rows[-1]}")
    for rows in groups.values():
        if len(rows) > 1:
            sheet.merge_cells(f"B{rows[0]}:B{rows[-1]}")
    for letter, width in (("A", 14), ("B", 16), ("C", 34)):
        sheet.column_dimensions[letter].width = width
    _frame(sheet, 2)


def _sheet4(sheet: Worksheet, report: AnnualReport) -> None:
    t4 = labels()["table4"]
    names = t4["results"]
    _put(sheet, "A1", t4["title"], "O1")
    _put(sheet, "A2", t4["review"], "E2")
    _put(sheet, "F2", t4["litigation"], "O2")
    for offset, result in enumerate(RESULTS):
        letter = "ABCDE"[offset]
        _put(sheet, f"{letter}3", names[result], f"{letter}4")
    _put(sheet, "F3", t4["direct"], "J3")
    _put(sheet, "K3", t4["after_review"], "O3")
    for block, group in enumerate(TABLE4_GROUPS):
        for offset, result in enumerate(RESULTS):
            column = 1 + block * 5 + offset
            if block:
                sheet.cell(row=4, column=column, value=names[result])
            sheet.cell(row=5, column=column, value=report.table4[group][result])
    _frame(sheet, 2)


def _sheet_extra(sheet: Worksheet, report: AnnualReport) -> None:
    extra = labels()["extra"]
    sheet["A1"] = extra["title"]
    sheet.append([extra["month"], extra["count"]])
    for month, count in report.received_by_month.items():
        sheet.append([month, count])
    sheet.append([extra["average"], report.average_workdays_to_reply])
    sheet.append([extra["top"]])
    for description, count in report.most_requested:
        sheet.append([description, count])
    sheet.column_dimensions["A"].width = 50
