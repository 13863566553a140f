"""The 政府信息公开申请办理审批表: one draft reply's review chain, printed as a Word table.

One row per fact of the request and the draft, then one per step of the chain in order
(审核, 法制审核, 签发 …) with its opinion, the approver and the date; a step not yet taken
reads 待审, and a draft sent back shows who sent it back and why. Every caption comes from
data/labels.toml; the page is A4 in the letters' fonts (GB/T 9704). The form is an internal
record: it gets no 文号 and records nothing when printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any

from docx import Document
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from ogi_workflow._resources import label
from ogi_workflow.letters.docx import BODY_FONT, TITLE_FONT, east_asian
from ogi_workflow.lifecycle.events import ReviewCase
from ogi_workflow.models import RequestView
from ogi_workflow.outcomes import Outcome

__all__ = ["approval_form_docx", "approval_form_rows"]

_CAPTION_WIDTH = Mm(54)
_VALUE_WIDTH = Mm(102)
_OPINION_HEIGHT = Mm(28)  # room for a handwritten signature beside the printed one


def _caption(key: str, **values: object) -> str:
    return label("approval_form", key).format(**values)


def approval_form_rows(
    view: RequestView, case: ReviewCase, department: str | None
) -> list[tuple[str, str]]:
    """(caption, value) of every row of the form, in print order."""
    rows = [
        (_caption("reg_no"), view.reg_no or str(view.id)),
        (_caption("received_on"), view.received_on.isoformat()),
        (_caption("applicant"), view.applicant_name),
        (_caption("due_date"), "" if view.due_date is None else view.due_date.isoformat()),
        (_caption("description"), view.description),
        (_caption("department"), department or ""),
        (_caption("drafter"), case.drafter),
        (_caption("submitted_on"), case.submitted_on.isoformat()),
        (_caption("draft"), _caption("draft_value", number=case.number)),
        (_caption("outcome"), Outcome(case.outcome).label),
    ]
    approvals = list(case.approvals)
    for step, role in enumerate(case.chain, start=1):
        caption = _caption("opinion", role=label("role", role))
        record = approvals[step - 1] if step <= len(approvals) else None
        if record is None and case.sent_back is not None:
            if case.sent_back["step"] == step:
                rows.append(
                    (_caption("sent_back", role=label("role", role)), _signed(case.sent_back))
                )
            else:
                rows.append((caption, ""))  # after a step that sent the draft back: not reached
        elif record is None:
            rows.append((caption, _caption("pending")))
        else:
            rows.append((caption, _signed(record)))
    return rows


def _signed(record: Mapping[str, Any]) -> str:
    signature = _caption("signed", by=record["by"], on=record["on"])
    return f"{record['opinion']}\n{signature}"


def approval_form_docx(view: RequestView, case: ReviewCase, department: str | None) -> bytes:
    """The form as a .docx: a centred title and a two-column table, A4 portrait."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(_caption("title"))
    run.font.size = Pt(22)  # 2号
    east_asian(run._r.get_or_add_rPr(), TITLE_FONT)
    rows = approval_form_rows(view, case, department)
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, (_CAPTION_WIDTH, _VALUE_WIDTH), strict=True):
        column.width = width  # the grid LibreOffice and WPS lay out by
    for row in table.rows[len(rows) - len(case.chain) :]:  # one row per step of the chain
        row.height, row.height_rule = _OPINION_HEIGHT, WD_ROW_HEIGHT_RULE.AT_LEAST
    for (caption, value), row in zip(rows, table.rows, strict=True):
        for cell, text, width in (
            (row.cells[0], caption, _CAPTION_WIDTH),
            (row.cells[1], value, _VALUE_WIDTH),
        ):
            cell.width = width
            paragraph = cell.paragraphs[0]
            for n, line in enumerate(text.split("\n")):
                if n:
                    paragraph = cell.add_paragraph()
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                line_run = paragraph.add_run(line)
                line_run.font.size = Pt(14)  # 4号: a form's cells, not a letter's body
                east_asian(line_run._r.get_or_add_rPr(), BODY_FONT)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
