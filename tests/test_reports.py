"""The annual report from a fixture year, against tables counted by hand."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from conftest import AGENCY, application, details, fixed_clock, open_staffed, signed_reply
from typer.testing import CliRunner

from ogi_workflow import Outcome, Workflow
from ogi_workflow.cli import app
from ogi_workflow.errors import NotFoundError, ValidationError
from ogi_workflow.letters.pdf import office_to_pdf, soffice
from ogi_workflow.reports.annual import COLUMNS, roll_up
from ogi_workflow.reports.xlsx import write_xlsx

D = date
ZERO = dict.fromkeys(COLUMNS, 0)


def counts(**by_column: int) -> dict[str, int]:
    row = ZERO | by_column
    row["total"] = sum(v for k, v in row.items() if k != "total")
    return row


@pytest.fixture
def year(db_url: str) -> Iterator[Workflow]:
    """Eleven requests around 2026, each noted with where it belongs in the 2026 report."""
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:

        def new(kind: str, received: str, name: str = "申请人") -> int:
            rid = wf.receive(
                {
                    "applicant": {"kind": kind, "name": name},
                    "description": f"{name}申请的信息",
                    "received_at": f"{received}T09:00",
                },
                actor="窗口",
            ).id
            wf.register(rid, actor="登记员", on=D.fromisoformat(received))
            wf.start_handling(rid, actor="李明", on=D.fromisoformat(received))
            return rid

        def reply(rid: int, outcome: Outcome, on: str) -> None:
            signed_reply(
                wf,
                rid,
                actor="李明",
                outcome=outcome,
                details=details(outcome),
                on=D.fromisoformat(on),
            )

        a = new("natural_person", "2025-12-20", "A")  # 上年结转 (person), then 予以公开
        reply(a, Outcome.DISCLOSED, "2026-01-10")
        b = new("business", "2025-11-03", "B")  # all in 2025: not in the 2026 report
        reply(b, Outcome.DISCLOSED, "2025-11-20")
        c = new("natural_person", "2026-03-02", "C")  # 新收 person, 不掌握
        reply(c, Outcome.NOT_EXIST, "2026-03-20")
        d = new("research", "2026-03-02", "D")  # 新收 research, 部分公开
        reply(d, Outcome.PARTIAL, "2026-03-20")
        e = new("legal_services", "2026-05-06", "E")  # 新收 legal, 国家秘密
        reply(e, Outcome.STATE_SECRET, "2026-05-20")
        f = new("natural_person", "2026-06-01", "F")  # 新收 person, 撤回 = 其他处理 3.其他
        wf.withdraw(f, actor="窗口", reason="不再需要", on=D(2026, 6, 3))
        new("social_welfare", "2026-12-01", "G")  # 新收 social welfare, 结转下年度
        h = new("other_organization", "2026-10-12", "H")  # 新收 other org, 逾期不补正
        wf.request_correction(
            h, actor="李明", items=["请明确年份"], correct_by=D(2026, 10, 30), on=D(2026, 10, 14)
        )
        wf.correction_lapsed(h, actor="李明", on=D(2026, 11, 2))
        i = new("natural_person", "2026-04-01", "I")  # 新收 person, 逾期未缴费
        wf.issue_fee_notice(i, actor="李明", basis="per_volume", pages=40, on=D(2026, 4, 3))
        wf.fee_lapsed(i, actor="李明", on=D(2026, 5, 20))
        new("natural_person", "2026-09-01", "J")  # 新收 person, still open: 结转下年度
        k = new("business", "2026-02-02", "K")  # 新收 business, 非本机关负责 = 不掌握
        reply(k, Outcome.NOT_RESPONSIBLE, "2026-02-27")
        # Table 四: E 复议 upheld; D sued directly, pending then corrected; C 复议 still pending.
        wf.record_review(e, actor="法制科", result="upheld", on=D(2026, 6, 20))
        wf.record_litigation(
            d, actor="法制科", result="pending", after_review=False, on=D(2026, 5, 15)
        )
        wf.record_litigation(
            d, actor="法制科", result="corrected", after_review=False, on=D(2026, 8, 3)
        )
        wf.record_review(c, actor="法制科", result="pending", on=D(2026, 12, 1))
        yield wf


def test_table_three_counted_by_hand(year: Workflow) -> None:
    t = year.annual_report(2026).table3
    assert t["new"] == counts(
        natural_person=4,
        business=1,
        research=1,
        social_welfare=1,
        legal_services=1,
        other_organization=1,
    )
    assert t["carried_in"] == counts(natural_person=1)
    assert t["disclosed"] == counts(natural_person=1)
    assert t["partial"] == counts(research=1)
    assert t["refused_state_secret"] == counts(legal_services=1)
    assert t["unavailable_not_held"] == counts(natural_person=1, business=1)  # 36(4) and 36(5)
    assert t["other_correction_lapsed"] == counts(other_organization=1)
    assert t["other_fee_lapsed"] == counts(natural_person=1)
    assert t["other"] == counts(natural_person=1)
    assert t["results_total"] == counts(
        natural_person=4, business=1, research=1, legal_services=1, other_organization=1
    )
    assert t["carried_out"] == counts(natural_person=1, social_welfare=1)
    untouched = set(t) - {
        "new",
        "carried_in",
        "disclosed",
        "partial",
        "refused_state_secret",
        "unavailable_not_held",
        "other_correction_lapsed",
        "other_fee_lapsed",
        "other",
        "results_total",
        "carried_out",
    }
    assert all(t[line] == ZERO for line in untouched)


def test_gouji_balance_new_plus_carried_in_equals_total_plus_carried_out(year: Workflow) -> None:
    for y in (2025, 2026, 2027):
        report = year.annual_report(y)
        assert report.balanced(), y
    r2025 = year.annual_report(2025).table3
    assert (
        r2025["new"]["total"],
        r2025["results_total"]["total"],
        r2025["carried_out"]["total"],
    ) == (2, 1, 1)


def test_table_four_counted_by_hand(year: Workflow) -> None:
    t4 = year.annual_report(2026).table4
    assert t4["review"] == {"upheld": 1, "corrected": 0, "other": 0, "pending": 1, "total": 2}
    assert t4["direct"] == {"upheld": 0, "corrected": 1, "other": 0, "pending": 0, "total": 1}
    assert t4["after_review"]["total"] == 0


def test_statistics(year: Workflow) -> None:
    report = year.annual_report(2026)
    assert report.received_by_month == {
        1: 0,
        2: 1,
        3: 2,
        4: 1,
        5: 1,
        6: 1,
        7: 0,
        8: 0,
        9: 1,
        10: 1,
        11: 0,
        12: 1,
    }
    assert report.replied == 8
    assert report.average_workdays_to_reply is not None
    assert report.most_requested == []  # every description here is asked once


def test_average_working_days_to_reply(db_url: str) -> None:
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        for replied in ("2026-03-20", "2026-03-30"):  # 14 and 20 working days after 3-2
            rid = wf.receive(
                {
                    "applicant": {"kind": "natural_person", "name": "张三"},
                    "description": "同一份文件",
                    "received_at": "2026-03-02T09:00",
                },
                actor="窗口",
            ).id
            wf.register(rid, actor="登记员", on=D(2026, 3, 2))
            signed_reply(
                wf,
                rid,
                actor="李明",
                outcome=Outcome.DISCLOSED,
                details=details(Outcome.DISCLOSED),
                on=D.fromisoformat(replied),
            )
        report = wf.annual_report(2026)
        assert report.average_workdays_to_reply == 17.0
        assert report.most_requested == [("同一份文件", 2)]


def test_report_cli_formats(year: Workflow, db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["report", "annual", "--db", db_url, "--year", "2026"]
    data = json.loads(runner.invoke(app, [*base, "--format", "json"]).stdout)
    assert data["balanced"] is True
    assert data["table3"]["new"]["total"] == 9
    table = runner.invoke(app, base)
    assert table.exit_code == 0
    assert "一、本年新收政府信息公开申请数量" in table.stdout
    assert "行政复议" in table.stdout
    path = tmp_path / "report.xlsx"
    assert runner.invoke(app, [*base, "--format", "xlsx", "-o", str(path)]).exit_code == 0
    book = openpyxl.load_workbook(path)
    three = book["三"]
    assert three["A5"].value == "一、本年新收政府信息公开申请数量"
    assert three["J5"].value == 9  # 总计 column
    assert three["D3"].value == "自然人"
    assert "A2:C4" in {str(r) for r in three.merged_cells.ranges}
    assert [c.value for c in book["四"][5]][:5] == [1, 0, 0, 1, 2]
    assert "部门" not in book.sheetnames  # internal statistics only when asked for
    internal = tmp_path / "internal.xlsx"
    invoked = runner.invoke(
        app, [*base, "--by-department", "--format", "xlsx", "-o", str(internal)]
    )
    assert invoked.exit_code == 0
    assert openpyxl.load_workbook(internal)["部门"]["A3"].value == "未分办"
    assert runner.invoke(app, [*base, "--format", "xlsx"]).exit_code == 2
    assert runner.invoke(app, [*base, "--format", "pdf"]).exit_code == 2
    bad = runner.invoke(app, ["report", "annual", "--db", db_url, "--year", "1899"])
    assert bad.exit_code == 2


@pytest.mark.skipif(
    (soffice() is None or shutil.which("pdftotext") is None) and not os.environ.get("CI"),
    reason="LibreOffice Calc or poppler-utils not installed (CI installs them)",
)
def test_workbook_prints_like_the_published_form(year: Workflow, tmp_path: Path) -> None:
    """Landscape A4, each table one page wide with every column, the agency and the year
    on every printed page (checked on the PDF LibreOffice prints from the workbook)."""
    path = tmp_path / "report.xlsx"
    write_xlsx(year.annual_report(2026), str(path))
    (pdf,) = office_to_pdf([("report.xlsx", path.read_bytes())])
    (tmp_path / "report.pdf").write_bytes(pdf)
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "report.pdf")], capture_output=True, text=True, check=True
    ).stdout
    width, height = map(float, re.findall(r"Page size:\s+([\d.]+) x ([\d.]+)", info)[0])
    assert width > height  # landscape
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pages = [p.replace(" ", "") for p in text.split("\f") if p.strip()]
    assert len(pages) >= 3  # 三, 四 and 附 each start a page
    for page in pages:
        assert "某市人民政府办公室2026年政府信息公开工作年度报告" in page
    table3 = next(p for p in pages if "三、收到和处理政府信息公开申请情况" in p)
    for column in ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "总计"):
        assert column in table3  # one page wide: no column pushed to another page
    assert "区分处理的，只计这一情形，不计其他情形" in table3.replace("\n", "")


def test_internal_statistics_by_department_add_up_to_table_three(db_url: str) -> None:
    """By department (分办): each department's 新收 + 上年结转 = 已答复 + 结转下年度, replies after
    the due date counted as late, the never-assigned under 未分办; the published tables and
    the workbook do not show them unless asked."""
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        wf.add_department("planning", "规划科", actor="管理员")
        wf.add_department("archives", "档案科", actor="管理员")
        wf.add_person("规划甲", "规划甲", roles=["handler"], department="planning", actor="管理员")

        def new(received: str, department: str | None) -> int:
            rid = wf.receive(application(f"{received}T09:00"), actor="窗口").id
            on = D.fromisoformat(received)
            wf.register(rid, actor="登记员", on=on)
            if department is not None:
                wf.assign(rid, actor="登记员", department=department, on=on)
                wf.accept_assignment(rid, actor="规划甲", on=on)
            wf.start_handling(rid, actor="规划甲" if department else "李明", on=on)
            return rid

        def reply(rid: int, actor: str, on: str) -> None:
            outcome = Outcome.DISCLOSED
            day = D.fromisoformat(on)
            signed_reply(wf, rid, actor=actor, outcome=outcome, details=details(outcome), on=day)

        reply(new("2026-03-02", "planning"), "规划甲", "2026-04-10")  # due 03-30: late
        reply(new("2026-05-06", "planning"), "规划甲", "2026-05-20")
        new("2026-12-01", "planning")  # 结转下年度
        reply(new("2025-12-22", None), "李明", "2026-01-05")  # 上年结转, never assigned
        report = wf.annual_report(2026, by_department=True)
        assert wf.annual_report(2026).by_department is None
        published = wf.annual_report(2026).display_tables()
    stats = report.by_department
    assert stats is not None
    assert list(stats) == ["archives", "planning", ""]
    assert stats["planning"] == {
        "name": "规划科",
        "new": 3,
        "carried_in": 0,
        "replied": 2,
        "late": 1,
        "carried_out": 1,
        "results": {"disclosed": 2},
    }
    assert (stats[""]["name"], stats[""]["carried_in"], stats[""]["replied"]) == ("未分办", 1, 1)
    assert stats["archives"]["new"] == 0
    for key, line in (("new", "new"), ("carried_in", "carried_in"), ("carried_out", "carried_out")):
        assert sum(s[key] for s in stats.values()) == report.table3[line]["total"]
    assert sum(s["replied"] for s in stats.values()) == report.table3["results_total"]["total"]
    assert len(published) == 2
    assert report.display_tables()[2].rows[1] == ["规划科", "3", "0", "2", "1", "1"]


# --------------------------------------------------------------------------- 本级政府 roll-up

MEMBER = {
    **AGENCY,
    "code": "dept-a",
    "name": "某市自然资源和规划局",
    "abbreviation": "某自然资源信公开",
}


def test_rollup_sums_member_agencies_and_checks_each_balance(
    year: Workflow, db_url: str, tmp_path: Path
) -> None:
    with open_staffed(db_url, agency=MEMBER, clock=fixed_clock) as member:
        ids = []
        for received in ("2026-04-01", "2026-12-10"):  # one replied, one carried over
            ids.append(member.receive(application(f"{received}T09:00"), actor="窗口").id)
            member.register(ids[-1], actor="登记员", on=D.fromisoformat(received))
            member.start_handling(ids[-1], actor="李明", on=D.fromisoformat(received))
        signed_reply(
            member, ids[0], actor="李明", outcome=Outcome.DISCLOSED,
            details=details(Outcome.DISCLOSED), on=D(2026, 4, 20),
        )  # fmt: skip
        own = member.annual_report(2026)
    city = {**AGENCY, "members": ["dept-a"]}
    with Workflow.open(db_url, agency=city, clock=fixed_clock) as wf:
        summed = wf.rollup_report(2026)
        alone = wf.annual_report(2026)
    assert [p.agency for p in summed.parts] == [AGENCY["name"], MEMBER["name"]]
    assert summed.total.agency == f"{AGENCY['name']}（本级汇总）"
    for line, values in summed.total.table3.items():
        assert values == {c: alone.table3[line][c] + own.table3[line][c] for c in COLUMNS}
    assert summed.total.table3["new"]["total"] == 9 + 2
    assert summed.total.table3["carried_out"]["total"] == alone.table3["carried_out"]["total"] + 1
    assert summed.total.table4["review"] == alone.table4["review"]
    assert summed.total.replied == alone.replied + 1
    assert summed.balanced()
    assert summed.unbalanced() == []
    # 勾稽关系 per agency: an agency that does not balance is named, even when the sum does.
    off = {**own.table3, "new": counts(natural_person=own.table3["new"]["natural_person"] + 1)}
    other = {**alone.table3, "new": counts(
        natural_person=alone.table3["new"]["natural_person"] - 1,
        business=alone.table3["new"]["business"],
        research=alone.table3["new"]["research"],
        social_welfare=alone.table3["new"]["social_welfare"],
        legal_services=alone.table3["new"]["legal_services"],
        other_organization=alone.table3["new"]["other_organization"],
    )}  # fmt: skip
    broken = roll_up("某市", 2026, [replace(alone, table3=other), replace(own, table3=off)])
    assert broken.total.balanced()
    assert broken.unbalanced() == [AGENCY["name"], MEMBER["name"]]
    assert not broken.balanced()
    # the CLI: JSON with each agency, the table with each agency's balance
    runner = CliRunner()
    base = ["report", "annual", "--db", db_url, "--year", "2026", "--agency-code", "test-city"]
    data = json.loads(runner.invoke(app, [*base, "--rollup", "--format", "json"]).stdout)
    assert [a["agency"] for a in data["agencies"]] == [AGENCY["name"], MEMBER["name"]]
    assert data["table3"]["new"]["total"] == 11
    assert data["balanced"] is True
    table = runner.invoke(app, [*base, "--rollup"])
    assert f"汇总单位：{MEMBER['name']}  勾稽关系成立" in table.stdout
    path = tmp_path / "rollup.xlsx"
    assert (
        runner.invoke(app, [*base, "--rollup", "--format", "xlsx", "-o", str(path)]).exit_code == 0
    )
    assert openpyxl.load_workbook(path)["三"]["J5"].value == 11
    assert runner.invoke(app, [*base, "--rollup", "--by-department"]).exit_code == 2


def test_rollup_members_are_checked(year: Workflow, db_url: str) -> None:
    for members, wrong in ((["test-city"], "itself"), (["a", "a"], "twice"), (["a b"], "pattern")):
        with pytest.raises(ValidationError, match=wrong):
            Workflow.open(db_url, agency={**AGENCY, "members": members}, clock=fixed_clock)
    with pytest.raises(ValidationError, match="has no members"):
        year.rollup_report(2026)
    with (
        Workflow.open(db_url, agency={**AGENCY, "members": ["nowhere"]}) as wf,
        pytest.raises(NotFoundError, match="nowhere"),
    ):
        wf.rollup_report(2026)
