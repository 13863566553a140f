"""Letters: golden text for every kind, the Word layout, remedies, hostile input, overrides.

Golden files live in tests/golden/letters/; regenerate them with
``python -m pytest tests/test_letters.py --update-golden`` and review the diff.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import docx
import pytest
from conftest import (
    AGENCY,
    DETAILS,
    application,
    fixed_clock,
    open_staffed,
    sign_off,
    signed_reply,
)
from docx.shared import Mm, Pt

from ogi_workflow import LetterKind, Outcome, Workflow
from ogi_workflow.errors import TransitionError, ValidationError
from ogi_workflow.letters import pdf
from ogi_workflow.letters.docx import _bundled_base
from ogi_workflow.letters.pdf import soffice
from ogi_workflow.lifecycle.payloads import Party

GOLDEN = Path(__file__).parent / "golden" / "letters"
D = date
LETTER_AGENCY = AGENCY | {
    "phone": "010-12345678",
    "address": "某市人民大道1号",
    "payment_instructions": "通过某市非税收入缴款平台缴纳",
}


def open_wf(tmp_path: Path, **kwargs: Any) -> Workflow:
    return open_staffed(
        f"sqlite:///{tmp_path / 'letters.db'}", agency=LETTER_AGENCY, clock=fixed_clock, **kwargs
    )


def new_request(wf: Workflow, **applicant: Any) -> int:
    rid = wf.receive(
        application("2026-03-02T09:30", **applicant) | {"channel": "online"}, actor="窗口"
    ).id
    wf.register(rid, actor="登记员", on=D(2026, 3, 2))
    return rid


def handled(wf: Workflow) -> int:
    rid = new_request(wf)
    wf.start_handling(rid, actor="李明", on=D(2026, 3, 3))
    return rid


def consulted(wf: Workflow, party: Party = "third_party") -> int:
    rid = handled(wf)
    wf.start_consultation(
        rid,
        actor="李明",
        party=party,
        consulted="某置业有限公司" if party == "third_party" else "某市生态环境局",
        reason="涉及该公司的商业秘密",
        on=D(2026, 3, 5),
    )
    return rid


def replied(outcome: Outcome) -> Callable[[Workflow], int]:
    def scenario(wf: Workflow) -> int:
        if outcome is Outcome.STILL_UNCLEAR:  # 条例第三十条: only after a correction
            rid = corrected(wf)
            wf.receive_correction(
                rid, actor="李明", on=D(2026, 3, 10), description="某区老旧小区改造的有关文件"
            )
        else:
            rid = handled(wf)
        signed_reply(
            wf, rid, actor="李明", outcome=outcome, details=DETAILS[outcome], on=D(2026, 3, 20)
        )
        return rid

    return scenario


def corrected(wf: Workflow) -> int:
    rid = new_request(wf)
    wf.request_correction(
        rid,
        actor="李明",
        items=["请明确文件名称", "请说明形成时间"],
        correct_by=D(2026, 3, 20),
        on=D(2026, 3, 5),
    )
    return rid


def lapsed_correction(wf: Workflow) -> int:
    rid = corrected(wf)
    wf.correction_lapsed(rid, actor="李明", on=D(2026, 3, 23))
    return rid


def fee(wf: Workflow) -> int:
    rid = handled(wf)
    wf.issue_fee_notice(rid, actor="李明", basis="per_volume", pages=121, on=D(2026, 3, 9))
    return rid


def lapsed_fee(wf: Workflow) -> int:
    rid = fee(wf)
    wf.fee_lapsed(rid, actor="李明", on=D(2026, 4, 8))
    return rid


def extended(wf: Workflow) -> int:
    rid = handled(wf)
    wf.extend(
        rid,
        actor="李明",
        approver="办公室主任",
        reason="所需信息涉及多个部门，需要协调",
        on=D(2026, 3, 20),
    )
    return rid


def delayed(wf: Workflow) -> int:
    rid = handled(wf)
    wf.delay_reasonably(
        rid,
        actor="李明",
        delayed_to=D(2026, 5, 29),
        reason="申请数量巨大，需要调取的档案跨越十年",
        on=D(2026, 3, 20),
    )
    return rid


def withdrawn(wf: Workflow) -> int:
    rid = new_request(wf)
    wf.withdraw(rid, actor="窗口", reason="已通过其他途径获得", on=D(2026, 3, 6))
    return rid


def disclosed_over_objection(wf: Workflow) -> int:
    rid = consulted(wf)
    wf.end_consultation(rid, actor="李明", on=D(2026, 3, 16), opinion="不同意公开")
    signed_reply(
        wf,
        rid,
        actor="李明",
        outcome=Outcome.DISCLOSED,
        on=D(2026, 3, 25),
        details={
            "provided": "环境影响评价报告书全文",
            "disclosed_content": "某项目环境影响评价报告书全文",
            "public_interest_reason": "涉及周边居民的生命健康",
        },
    )
    return rid


RESOURCES = AGENCY | {
    "code": "city-nrb",
    "name": "某市自然资源和规划局",
    "abbreviation": "某自然资源信公开",
    "phone": "010-6543210",
    "address": "某市建设路8号",
}


def forwarded(wf: Workflow) -> int:
    """转送 (条例第三十六条第五项): a not_responsible draft naming the agency responsible, signed
    off, and the request forwarded to that agency of the same database."""
    url = wf.engine.url.render_as_string(hide_password=False)
    Workflow.open(url, agency=RESOURCES, clock=fixed_clock).close()
    rid = handled(wf)
    draft = {
        "reason": DETAILS[Outcome.NOT_RESPONSIBLE]["reason"],
        "convenience": {"holder": RESOURCES["name"]},
    }
    sign_off(wf, rid, actor="李明", outcome="not_responsible", details=draft, on=D(2026, 3, 18))
    wf.forward(rid, actor="李明", to_agency="city-nrb", reason="建设工程规划许可由你局作出并保存",
               on=D(2026, 3, 20))  # fmt: skip
    return rid


def received_by_forwarding(wf: Workflow) -> tuple[Workflow, int]:
    """The forwarded request in the agency responsible, registered there."""
    new = wf.get(forwarded(wf)).forwarded_to_request
    assert new is not None
    url = wf.engine.url.render_as_string(hide_password=False)
    there = open_staffed(url, agency_code="city-nrb", clock=fixed_clock)
    there.register(new, actor="登记员", on=D(2026, 3, 23))
    return there, new


SCENARIOS: dict[str, tuple[LetterKind, Callable[[Workflow], int | tuple[Workflow, int]]]] = {
    "notice_registration": (LetterKind.NOTICE_REGISTRATION, new_request),
    "notice_correction": (LetterKind.NOTICE_CORRECTION, corrected),
    "notice_extension": (LetterKind.NOTICE_EXTENSION, extended),
    "notice_delay": (LetterKind.NOTICE_DELAY, delayed),
    "consultation_third_party": (LetterKind.CONSULTATION_THIRD_PARTY, consulted),
    "notice_consultation": (LetterKind.NOTICE_CONSULTATION, consulted),
    "consultation_agency": (LetterKind.CONSULTATION_AGENCY, lambda wf: consulted(wf, "co_agency")),
    "notice_third_party_decision": (
        LetterKind.NOTICE_THIRD_PARTY_DECISION,
        disclosed_over_objection,
    ),
    "notice_fee": (LetterKind.NOTICE_FEE, fee),
    "notice_deemed_abandoned-correction": (LetterKind.NOTICE_DEEMED_ABANDONED, lapsed_correction),
    "notice_deemed_abandoned-fee": (LetterKind.NOTICE_DEEMED_ABANDONED, lapsed_fee),
    "notice_withdrawn": (LetterKind.NOTICE_WITHDRAWN, withdrawn),
    "forward_agency": (LetterKind.FORWARD_AGENCY, forwarded),
    "reply_not_responsible-forwarded": (LetterKind.REPLY_NOT_RESPONSIBLE, forwarded),
    "notice_registration-forwarded": (LetterKind.NOTICE_REGISTRATION, received_by_forwarding),
    **{
        f"{outcome.info.letter}-{outcome.value}": (
            LetterKind(outcome.info.letter),
            replied(outcome),
        )
        for outcome in DETAILS
    },
}


def test_every_letter_kind_has_a_golden_scenario() -> None:
    assert {kind for kind, _ in SCENARIOS.values()} == set(LetterKind)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_golden_text(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    kind, scenario = SCENARIOS[name]
    wf = open_wf(tmp_path)
    found = scenario(wf)
    writer, rid = found if isinstance(found, tuple) else (wf, found)  # the agency writing
    text = writer.render(rid, kind, fmt="txt", actor="李明").text()
    golden = GOLDEN / f"{name}.txt"
    if request.config.getoption("--update-golden"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}: run pytest --update-golden"
    assert text == golden.read_text(encoding="utf-8")
    # What every letter must carry (docs/letters.md).
    assert f"{writer.agency.abbreviation}〔2026〕" in text
    assert f"（{writer.agency.name}政府信息公开专用章）" in text
    assert "{{" not in text
    assert "|" not in text


def test_default_kind_follows_the_latest_event(tmp_path: Path) -> None:
    wf = open_wf(tmp_path)
    rid = corrected(wf)
    assert wf.render(rid, fmt="txt", actor="李明").kind is LetterKind.NOTICE_CORRECTION
    rid = replied(Outcome.NOT_EXIST)(wf)
    assert wf.render(rid, fmt="txt", actor="李明").kind is LetterKind.REPLY_NOT_EXIST


def test_remedy_sentence_review_first_for_refusals_only(tmp_path: Path) -> None:
    wf = open_wf(tmp_path)
    texts = {
        o: wf.render(replied(o)(wf), fmt="txt", actor="李明").text()
        for o in (Outcome.STATE_SECRET, Outcome.PARTIAL, Outcome.NOT_EXIST, Outcome.DISCLOSED)
    }
    review_first = "应当自收到本答复之日起60日内向某市人民政府申请行政复议"
    ordinary = "或者在6个月内依法向某市中级人民法院提起行政诉讼"
    assert review_first in texts[Outcome.STATE_SECRET]
    assert "行政复议决定书之日起15日内" in texts[Outcome.STATE_SECRET]
    assert ordinary not in texts[Outcome.STATE_SECRET]
    assert "如对本答复中不予公开的部分不服，应当" in texts[Outcome.PARTIAL]
    assert ordinary in texts[Outcome.PARTIAL]  # for the disclosed part
    for outcome in (Outcome.NOT_EXIST, Outcome.DISCLOSED):
        assert ordinary in texts[outcome]
        assert "应当自收到" not in texts[outcome]


@pytest.mark.parametrize("ground", [o for o in Outcome if o.info.phrase is not None])
def test_each_refusal_ground_names_its_article(ground: Outcome, tmp_path: Path) -> None:
    wf = open_wf(tmp_path)
    rid = handled(wf)
    signed_reply(
        wf, rid, actor="李明", outcome=ground, details={"reason": "具体理由"}, on=D(2026, 3, 20)
    )
    text = wf.render(rid, fmt="txt", actor="李明").text()
    assert ground.info.phrase is not None
    assert ground.info.phrase in text
    assert ground.info.basis.replace("条例", "《中华人民共和国政府信息公开条例》") in text


def test_missing_fact_is_an_error_and_records_nothing(tmp_path: Path) -> None:
    wf = open_wf(tmp_path)
    rid = handled(wf)
    wf.start_consultation(
        rid, actor="李明", party="third_party", consulted="某公司", on=D(2026, 3, 5)
    )
    events = wf.events(rid)
    with pytest.raises(ValidationError, match=r"needs consultation\.reason"):
        wf.render(rid, LetterKind.CONSULTATION_THIRD_PARTY, actor="李明")
    assert wf.events(rid) == events
    other = replied(Outcome.DISCLOSED)(wf)
    assert (
        wf.render(other, actor="李明").number == "某府办信公开〔2026〕1号"
    )  # the failed one used no number


def test_reply_details_are_checked_when_the_reply_is_recorded(tmp_path: Path) -> None:
    """A reply its letter could never print is refused, and nothing is stored."""
    wf = open_wf(tmp_path)
    rid = handled(wf)
    version = wf.get(rid).version
    with pytest.raises(ValidationError, match=r"outcome already_public needs details where"):
        signed_reply(wf, rid, actor="李明", outcome=Outcome.ALREADY_PUBLIC, on=D(2026, 3, 20))
    with pytest.raises(ValidationError, match=r"outcome partial needs details provided, withheld"):
        signed_reply(wf, rid, actor="李明", outcome=Outcome.PARTIAL, on=D(2026, 3, 20))
    with pytest.raises(ValidationError, match=r"details 'provded' not known; allowed: provided"):
        signed_reply(
            wf,
            rid,
            actor="李明",
            outcome=Outcome.DISCLOSED,
            details={"provded": "文件"},
            on=D(2026, 3, 20),
        )
    with pytest.raises(ValidationError, match=r"withheld_ground must be one of: state_secret"):
        signed_reply(
            wf,
            rid,
            actor="李明",
            outcome=Outcome.PARTIAL,
            details={**DETAILS[Outcome.PARTIAL], "withheld_ground": "secret-ish"},
            on=D(2026, 3, 20),
        )
    assert wf.get(rid).version == version


def test_convenience_needs_real_help(tmp_path: Path) -> None:
    wf = open_wf(tmp_path)
    rid = handled(wf)
    with pytest.raises(ValidationError, match=r"details\.convenience must be a table of any of"):
        signed_reply(
            wf,
            rid,
            actor="李明",
            outcome=Outcome.NOT_EXIST,
            on=D(2026, 3, 20),
            details={"searched": "档案", "convenience": {"note": "无"}},
        )


def test_reprint_keeps_the_number_and_records_once(tmp_path: Path) -> None:
    wf = open_wf(tmp_path)
    rid = replied(Outcome.DISCLOSED)(wf)
    first = wf.render(rid, actor="李明")
    again = wf.render(rid, fmt="txt", actor="李明")
    assert (first.number, again.number, first.date) == (
        "某府办信公开〔2026〕1号",
        "某府办信公开〔2026〕1号",
        D(2026, 3, 20),
    )
    issued = [e for e in wf.events(rid) if e.event == "issue_letter"]
    assert [e.payload["kind"] for e in issued] == ["reply_disclosed"]
    registration = wf.render(rid, LetterKind.NOTICE_REGISTRATION, actor="李明")
    assert registration.number == "某府办信公开〔2026〕2号"
    assert registration.date == D(2026, 3, 2)  # the registration event's date, not today
    wf.archive(rid, actor="档案室", on=D(2026, 3, 23))
    assert wf.render(rid, actor="李明").number == first.number  # reprinting after archive is fine
    never_issued = replied(Outcome.NOT_EXIST)(wf)
    wf.archive(never_issued, actor="档案室", on=D(2026, 3, 23))
    with pytest.raises(TransitionError, match="archived; a letter not issued before"):
        wf.render(never_issued, actor="李明")


def test_letter_needs_its_event(tmp_path: Path) -> None:
    wf = open_wf(tmp_path)
    rid = new_request(wf)
    with pytest.raises(ValidationError, match="answers a extend event"):
        wf.render(rid, LetterKind.NOTICE_EXTENSION, actor="李明")
    with pytest.raises(ValidationError, match="letter kind 'memo' is not one of"):
        wf.render(rid, "memo", actor="李明")


HOSTILE = "{{ 7*7 }}{% raw %}<w:t>&amp;</w:t>\"'\nT|伪造标题\nP|伪造段落"


def test_hostile_values_render_literally(tmp_path: Path) -> None:
    wf = open_wf(tmp_path)
    long_name = "张" * 10_000
    rid = new_request(wf, name=long_name)
    wf.start_handling(rid, actor="李明", on=D(2026, 3, 3))
    signed_reply(
        wf,
        rid,
        actor="李明",
        outcome=Outcome.DISCLOSED,
        on=D(2026, 3, 20),
        details={"provided": HOSTILE},
    )
    letter = wf.render(rid, actor="李明")
    folded = HOSTILE.replace("\n", " ")
    assert folded in letter.text()
    assert long_name + "：" in letter.text()
    assert [b.text for b in letter.blocks if b.style.value == "T"] == [
        "某市人民政府办公室",
        "政府信息公开申请答复书",
    ]
    document = docx.Document(BytesIO(letter.docx()))
    texts = [p.text for p in document.paragraphs]
    assert any(folded in t for t in texts)
    assert long_name + "：" in texts


def test_docx_layout_follows_gbt_9704(tmp_path: Path) -> None:
    wf = open_wf(tmp_path)
    letter = wf.render(replied(Outcome.PARTIAL)(wf), actor="李明")
    raw = letter.docx()
    document = docx.Document(BytesIO(raw))
    section = document.sections[0]
    # Word stores whole twips: A4 is 11906 x 16838; margins 37/35/28/26 mm.
    assert section.page_width is not None
    assert section.page_height is not None
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [m.twips if m is not None else None for m in margins] == [
        Mm(x).twips for x in (37, 35, 28, 26)
    ]
    grid = section._sectPr.find(docx.oxml.ns.qn("w:docGrid"))
    assert grid.get(docx.oxml.ns.qn("w:linePitch")) == "579"  # 22 lines in 225 mm
    styles = {p.style.name: p.style for p in document.paragraphs if p.style is not None}
    assert [p.style.name for p in document.paragraphs[:2] if p.style] == ["OgiTitle"] * 2
    assert styles["OgiTitle"].font.size == Pt(22)  # 2号
    assert styles["OgiBody"].font.size == Pt(16)  # 3号
    assert styles["OgiBody"].paragraph_format.first_line_indent == Pt(32)  # 首行缩进二字
    assert styles["OgiBody"].paragraph_format.line_spacing == Pt(28.95)
    fonts = {
        r._r.xpath("./w:rPr/w:rFonts/@w:eastAsia")[0] for p in document.paragraphs for r in p.runs
    }
    assert fonts == {"方正小标宋简体", "仿宋_GB2312"}
    assert document.core_properties.language == "zh-CN"
    assert document.core_properties.title == "某市人民政府办公室政府信息公开申请答复书"
    with zipfile.ZipFile(BytesIO(raw)) as package:
        xml = package.read("word/document.xml").decode("utf-8")
        styles_xml = package.read("word/styles.xml").decode("utf-8")
        footer = "".join(package.read(n).decode() for n in package.namelist() if "footer" in n)
    assert 'w:eastAsia="zh-CN"' in styles_xml
    for leftover in ("{{", "{%", "T|", "P|", "R|", "N|", "S|"):
        assert leftover not in xml
    assert " PAGE " in footer
    texts = [p.text for p in document.paragraphs]
    assert "2026年3月20日" in texts
    assert any(t == "某府办信公开〔2026〕1号" for t in texts)


def test_agency_templates_override_the_bundled_ones(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "reply_not_exist.j2").write_text(
        '{% import "_common.j2" as c with context %}\n'
        "T|{{ agency.name }}\nT|信息公开答复（本机关格式）\nN|{{ letter.number }}\n"
        '{{ c.to_applicant() }}\nP|经检索，信息不存在。\n{{ c.remedy("ordinary") }}\n'
        "{{ c.closing() }}\n",
        encoding="utf-8",
    )
    wf = open_wf(tmp_path, letter_templates=folder)
    text = wf.render(replied(Outcome.NOT_EXIST)(wf), fmt="txt", actor="李明").text()
    assert "信息公开答复（本机关格式）" in text
    assert "经检索，信息不存在。" in text
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "reply_disclosed.j2").write_text("没有标记的一行\n", encoding="utf-8")
    with (
        open_staffed(
            f"sqlite:///{tmp_path / 'b.db'}",
            agency=LETTER_AGENCY,
            clock=fixed_clock,
            letter_templates=broken,
        ) as wf2,
        pytest.raises(ValidationError, match="does not start with a marker"),
    ):
        wf2.render(replied(Outcome.DISCLOSED)(wf2), actor="李明")


def test_fee_notice_states_basis_tiers_and_amount(tmp_path: Path) -> None:
    wf = open_wf(tmp_path)
    text = wf.render(fee(wf), fmt="txt", actor="李明").text()
    assert "按量计收，所需信息共121页" in text
    assert "1至30页免费、31至100页每页10元、101至121页每页20元" in text
    assert "人民币1120元" in text
    assert "自收到本通知书之次日起20个工作日内缴纳" in text  # receipt day not known
    rid = handled(wf)
    wf.issue_fee_notice(
        rid,
        actor="李明",
        basis="per_volume",
        pages=121,
        on=D(2026, 3, 9),
        notice_received_on=D(2026, 3, 11),
    )
    text = wf.render(rid, fmt="txt", actor="李明").text()
    assert "20个工作日内（2026年4月9日前）缴纳" in text  # 20 working days after 3-11


def test_agency_base_docx_sets_the_word_layout(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    base = docx.Document(BytesIO(_bundled_base()))
    base.styles["OgiBody"].font.size = Pt(15)  # the agency's own body size
    base.save(str(folder / "base.docx"))
    wf = open_wf(tmp_path, letter_templates=folder)
    letter = wf.render(replied(Outcome.DISCLOSED)(wf), actor="李明")
    document = docx.Document(BytesIO(letter.docx()))
    assert document.styles["OgiBody"].font.size == Pt(15)
    assert any(p.text == "某府办信公开〔2026〕1号" for p in document.paragraphs)
    docx.Document().save(str(folder / "base.docx"))  # no Ogi* styles
    with (
        open_staffed(
            f"sqlite:///{tmp_path / 'c.db'}",
            agency=LETTER_AGENCY,
            clock=fixed_clock,
            letter_templates=folder,
        ) as wf2,
        pytest.raises(ValidationError, match="lacks the paragraph styles OgiTitle"),
    ):
        wf2.render(replied(Outcome.DISCLOSED)(wf2), actor="李明")


@pytest.mark.skipif(
    soffice() is None and not os.environ.get("CI"),
    reason="LibreOffice not installed (CI installs it)",
)
def test_pdf_through_libreoffice(tmp_path: Path) -> None:
    wf = open_wf(tmp_path)
    path = wf.render(replied(Outcome.DISCLOSED)(wf), fmt="pdf", actor="李明").save(
        tmp_path / "letter.pdf"
    )
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "政府信息公开申请答复书" in text.replace(" ", "")


NEEDS_PDF = pytest.mark.skipif(
    (soffice() is None or shutil.which("pdftotext") is None) and not os.environ.get("CI"),
    reason="LibreOffice or poppler-utils not installed (CI installs them)",
)


def _pages(path: Path) -> list[str]:
    """The PDF's pages as text, spaces dropped."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [page.replace(" ", "").replace("\u3000", "") for page in text.split("\f")]


@NEEDS_PDF
def test_signature_block_never_splits_across_pages_in_a_batch_of_pdfs(tmp_path: Path) -> None:
    """GB/T 9704: the closing sentence, 署名, seal line and date stay on one page however long
    the letter, and a long agency name breaks its seal line before 政府信息公开专用章. The
    letters go through one LibreOffice run (render_many)."""
    long_name = "某某省某某市某某区人民政府办公室综合服务中心"
    with open_staffed(
        f"sqlite:///{tmp_path / 'p.db'}",
        agency=LETTER_AGENCY | {"name": long_name},
        clock=fixed_clock,
    ) as wf:
        ids = []
        for n in range(16):  # the body grows by one line a letter: the page break walks through
            rid = handled(wf)
            details = {"provided": "文件" + "复制件" * (9 * n + 1)}
            signed_reply(
                wf, rid, actor="李明", outcome=Outcome.DISCLOSED, details=details, on=D(2026, 3, 20)
            )
            ids.append(rid)
        paths = wf.render_many(ids, tmp_path / "out", fmt="pdf", actor="李明")
        assert len(paths) == 16
        pages_seen = set()
        for path in paths:
            pages = _pages(path)
            pages_seen.add(len([p for p in pages if p.strip()]))
            last = next(p for p in reversed(pages) if p.strip())
            for piece in ("特此告知。", long_name, "政府信息公开专用章）", "2026年3月20日"):
                assert piece in last, (path.name, piece)
            seal = [line for line in last.splitlines() if "专用章" in line]
            assert seal == ["政府信息公开专用章）"], seal  # broken before it, not inside it
        assert pages_seen == {1, 2}  # the batch really crossed a page break


def test_pdf_without_libreoffice_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf, "soffice", lambda: None)
    wf = open_wf(tmp_path)
    letter = wf.render(replied(Outcome.DISCLOSED)(wf), actor="李明")
    with pytest.raises(pdf.PdfUnavailableError, match="libreoffice-writer-nogui"):
        letter.pdf()


DOCS = Path(__file__).parents[1] / "docs" / "letters.md"
MARKER = "<!-- generated below: do not edit -->\n"


def test_letters_doc_shows_every_golden_letter(request: pytest.FixtureRequest) -> None:
    head = DOCS.read_text(encoding="utf-8").split(MARKER)[0]
    examples = "".join(
        f"\n### {name}\n\n```text\n{(GOLDEN / f'{name}.txt').read_text(encoding='utf-8')}```\n"
        for name in sorted(SCENARIOS)
    )
    expected = head + MARKER + examples
    if request.config.getoption("--update-golden"):
        DOCS.write_text(expected, encoding="utf-8")
    assert DOCS.read_text(encoding="utf-8") == expected, "run pytest --update-golden"


def test_art32_third_party_decision_notice_only_after_a_third_party_and_a_disclosure(
    tmp_path: Path,
) -> None:
    """条例第三十二条: consulting a co-producing agency and refusing never writes "本机关决定予以
    公开" to anyone; the notice exists after a third party was consulted and the agency
    discloses."""
    wf = open_wf(tmp_path)
    rid = consulted(wf, "co_agency")
    wf.end_consultation(rid, actor="李明", on=D(2026, 3, 16), opinion="不同意公开")
    signed_reply(
        wf,
        rid,
        actor="李明",
        outcome=Outcome.STATE_SECRET,
        details=DETAILS[Outcome.STATE_SECRET],
        on=D(2026, 3, 25),
    )
    with pytest.raises(ValidationError, match=r"only for the outcomes disclosed, partial"):
        wf.render(rid, LetterKind.NOTICE_THIRD_PARTY_DECISION, actor="李明")
    other = handled(wf)
    wf.start_consultation(
        other, actor="李明", party="co_agency", consulted="某市生态环境局", on=D(2026, 3, 5)
    )
    wf.end_consultation(other, actor="李明", on=D(2026, 3, 16), opinion="同意")
    signed_reply(
        wf,
        other,
        actor="李明",
        outcome=Outcome.DISCLOSED,
        details=DETAILS[Outcome.DISCLOSED],
        on=D(2026, 3, 25),
    )
    with pytest.raises(ValidationError, match=r"only after a third_party consultation"):
        wf.render(other, LetterKind.NOTICE_THIRD_PARTY_DECISION, actor="李明")
    # a third party consulted and the information disclosed: the disclosed content is needed
    third = consulted(wf)
    wf.end_consultation(third, actor="李明", on=D(2026, 3, 16), opinion="同意公开")
    with pytest.raises(ValidationError, match=r"needs details disclosed_content"):
        signed_reply(
            wf,
            third,
            actor="李明",
            outcome=Outcome.DISCLOSED,
            details=DETAILS[Outcome.DISCLOSED],
            on=D(2026, 3, 25),
        )


def test_refusal_before_2024_carries_the_remedy_of_the_law_then(tmp_path: Path) -> None:
    """行政复议法（2023年修订）第二十三条 (复议前置 for refusals) applies from 2024-01-01: a
    refusal dated 2023-03-20 offers 复议 or 诉讼; one dated 2024-03-20 requires 复议 first."""
    wf = open_wf(tmp_path)
    texts = []
    for year in (2023, 2024):
        rid = wf.receive(application(f"{year}-03-02T09:30"), actor="窗口").id
        wf.register(rid, actor="登记员", on=D(year, 3, 2))
        signed_reply(
            wf,
            rid,
            actor="李明",
            outcome=Outcome.STATE_SECRET,
            details=DETAILS[Outcome.STATE_SECRET],
            on=D(year, 3, 20),
        )
        texts.append(wf.render(rid, fmt="txt", actor="李明").text())
    before, after = texts
    assert "或者在6个月内依法向某市中级人民法院提起行政诉讼" in before
    assert "应当自收到本答复之日起60日内向某市人民政府申请行政复议" not in before
    assert "应当自收到本答复之日起60日内向某市人民政府申请行政复议" in after


def test_receipt_letter_does_not_promise_an_estimated_due_date(tmp_path: Path) -> None:
    """Received 2026-12-10 before the 2027 notice: the due date rests on an estimate, and the
    登记回执 says so instead of promising it."""
    from ogi_workflow import WorkdayCalendar  # noqa: PLC0415

    wf = open_wf(tmp_path, calendar=WorkdayCalendar.china(allow_estimated=True))
    rid = wf.receive(application("2026-12-10T09:30"), actor="窗口").id
    view = wf.register(rid, actor="登记员", on=D(2026, 12, 10))
    assert view.estimated
    text = wf.render(rid, fmt="txt", actor="李明").text()
    assert "该日期按尚未公布的节假日安排估算，以国务院办公厅公布的安排为准" in text
    sure = new_request(wf)
    assert "估算" not in wf.render(sure, fmt="txt", actor="李明").text()


def test_art32_consultation_letter_counts_from_the_recipients_receipt(tmp_path: Path) -> None:
    """Sent 3-5 and received by the third party 3-9: answer by 3-30 (15 working days)."""
    wf = open_wf(tmp_path)
    rid = handled(wf)
    wf.start_consultation(
        rid,
        actor="李明",
        party="third_party",
        consulted="某置业有限公司",
        reason="涉及该公司的商业秘密",
        on=D(2026, 3, 5),
        notice_received_on=D(2026, 3, 9),
    )
    text = wf.render(rid, LetterKind.CONSULTATION_THIRD_PARTY, fmt="txt", actor="李明").text()
    assert "请于2026年3月30日前（收到本意见书之日起15个工作日内）" in text
