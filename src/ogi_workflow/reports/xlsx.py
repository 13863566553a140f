"""The annual report as an .xlsx workbook laid out like the published form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ogi_workflow.reports.annual import (
    COLUMNS,
    RESULTS,
    TABLE4_GROUPS,
    AnnualReport,
    DisplayTable,
    labels,
    line_labels,
)

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["write_xlsx"]


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
    departments = report.department_table()  # internal statistics, when asked for
    if departments is not None:
        _sheet_departments(book.create_sheet(labels()["by_department"]["sheet"]), departments)
    for each in book.worksheets:
        _print_layout(each, report)
    book.save(path)


def _print_layout(sheet: Worksheet, report: AnnualReport) -> None:
    """Print like the published form: A4 landscape, one page wide, the header rows repeated,
    the agency and the year on every page, rows tall enough for their wrapped labels."""
    words = labels()["print"]
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages down as needed
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_margins.top = sheet.page_margins.bottom = 0.7
    if sheet.title in ("三", "四"):
        sheet.print_title_rows = "1:4"
    sheet.oddHeader.center.text = words["header"].format(agency=report.agency, year=report.year)
    sheet.oddFooter.center.text = words["footer"]
    for row in range(2, sheet.max_row + 1):
        longest = max((len(str(c.value)) for c in sheet[row] if c.value is not None), default=0)
        sheet.row_dimensions[row].height = 30 if longest > 16 else 20


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
    for n, (key, first, group, item) in enumerate(line_labels()):
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
    for letter, width in (("A", 14), ("B", 16), ("C", 34), *((c, 13) for c in "DEFGHIJ")):
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


def _sheet_departments(sheet: Worksheet, table: DisplayTable) -> None:
    sheet["A1"] = table.title
    sheet.append(table.columns)
    for row in table.rows:
        sheet.append([row[0], *(int(n) for n in row[1:])])
    sheet.column_dimensions["A"].width = 24
