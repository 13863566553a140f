"""Word output laid out to GB/T 9704-2012 《党政机关公文格式》.

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (a 156 × 225 mm text block);
22 lines of 28 characters; title in 2号 方正小标宋简体, text in 3号 仿宋_GB2312; page numbers
"— 1 —" in 4号 宋体. The real font names stay in the file (staff machines have them), with
the East Asian font set explicitly and the language zh-CN, so Word and WPS lay it out as
intended. python-docx writes every text as XML text: user values cannot become markup.
"""

from __future__ import annotations

from io import BytesIO
from typing import Final

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from ogi_workflow.replies.letters import BlockStyle, Letter

__all__ = ["build_docx"]

TITLE_FONT: Final = "方正小标宋简体"
BODY_FONT: Final = "仿宋_GB2312"
PAGE_NUMBER_FONT: Final = "宋体"
LATIN_FONT: Final = "Times New Roman"
TITLE_SIZE: Final = Pt(22)  # 2号
BODY_SIZE: Final = Pt(16)  # 3号
PAGE_NUMBER_SIZE: Final = Pt(14)  # 4号
LINE_PITCH: Final = Pt(28.95)  # 225 mm / 22 lines
TITLE_PITCH: Final = Pt(35)
# 28 characters in 156 mm (442.2 pt): 16 pt glyphs condensed by 0.25 pt take 441 pt.
CONDENSE_TWIPS: Final = -5
INDENT_2: Final = Pt(32)  # 首行缩进二字
RIGHT_4: Final = Pt(64)  # 署名、日期右空四字


def _east_asian(run_properties: BaseOxmlElement, font: str) -> None:
    fonts = run_properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        run_properties.insert(0, fonts)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), font)
    fonts.set(qn("w:hint"), "eastAsia")


def _run(paragraph: Paragraph, text: str, font: str, size: Pt, *, condensed: bool = False) -> Run:
    run = paragraph.add_run(text)
    run.font.size = size
    properties = run._r.get_or_add_rPr()
    _east_asian(properties, font)
    if condensed:
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(CONDENSE_TWIPS))
        properties.append(spacing)
    return run


def _paragraph(doc: DocxDocument, *, align: WD_ALIGN_PARAGRAPH) -> Paragraph:
    paragraph = doc.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_PITCH
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    return paragraph


def _set_up(doc: DocxDocument, title: str) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(28)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    # A line grid only: a character grid's charSpace is read differently by Word and
    # LibreOffice; condensed runs (CONDENSE) give 28 characters a line in both.
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))

    normal = doc.styles["Normal"]
    normal.font.size = BODY_SIZE
    properties = normal.element.get_or_add_rPr()
    _east_asian(properties, BODY_FONT)
    language = properties.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        properties.append(language)
    language.set(qn("w:val"), "zh-CN")
    language.set(qn("w:eastAsia"), "zh-CN")
    doc.core_properties.title = title
    doc.core_properties.language = "zh-CN"
    doc.core_properties.author = ""
    _page_numbers(section.footer.paragraphs[0])


def _page_numbers(paragraph: Paragraph) -> None:
    """Footer "— PAGE —": 4号 宋体, a PAGE field between em dashes."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph, "— ", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        run = _run(paragraph, "", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        else:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = text
            run._r.append(code)
    _run(paragraph, " —", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)


def build_docx(letter: Letter) -> bytes:
    """The letter as .docx bytes."""
    doc = Document()
    _set_up(doc, letter.title)
    previous: BlockStyle | None = None
    for block in letter.blocks:
        if block.style is BlockStyle.RIGHT and previous is not BlockStyle.RIGHT:
            _paragraph(doc, align=WD_ALIGN_PARAGRAPH.LEFT)  # 空一行, room for the seal
        previous = block.style
        if block.style is BlockStyle.TITLE:
            paragraph = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER)
            paragraph.paragraph_format.line_spacing = TITLE_PITCH
            off_grid = OxmlElement("w:snapToGrid")  # a 2号 line must not take two grid lines
            off_grid.set(qn("w:val"), "0")
            paragraph._p.get_or_add_pPr().append(off_grid)
            _run(paragraph, block.text, TITLE_FONT, TITLE_SIZE)
        elif block.style is BlockStyle.NUMBER:
            paragraph = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER)
            _run(paragraph, block.text, BODY_FONT, BODY_SIZE)
            _paragraph(doc, align=WD_ALIGN_PARAGRAPH.LEFT)  # 空一行
        elif block.style is BlockStyle.SALUTATION:
            paragraph = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
            _run(paragraph, block.text, BODY_FONT, BODY_SIZE, condensed=True)
        elif block.style is BlockStyle.PARAGRAPH:
            paragraph = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
            paragraph.paragraph_format.first_line_indent = INDENT_2
            _run(paragraph, block.text, BODY_FONT, BODY_SIZE, condensed=True)
        else:
            paragraph = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.RIGHT)
            paragraph.paragraph_format.right_indent = RIGHT_4
            _run(paragraph, block.text, BODY_FONT, BODY_SIZE)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
