"""Word output laid out to GB/T 9704-2012 《党政机关公文格式》.

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (a 156 × 225 mm text block);
22 lines of 28 characters; title in 2号 方正小标宋简体, text in 3号 仿宋_GB2312; page numbers
"— 1 —" in 4号 宋体. The real font names stay in the file (staff machines have them), with
the East Asian font set explicitly and the language zh-CN, so Word and WPS lay it out as
intended.

The layout lives in named paragraph styles (``OgiTitle``, ``OgiNumber``, ``OgiSalutation``,
``OgiBody``, ``OgiSignature``) of a base document built once per process with python-docx
(or an agency's own ``base.docx`` defining the same styles). Each letter only writes its
paragraphs into ``word/document.xml``: lxml escapes every text, so user values cannot become
markup.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Final

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import nsdecls, qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Length, Mm, Pt
from docx.text.paragraph import Paragraph
from lxml import etree

from ogi_workflow.errors import ValidationError
from ogi_workflow.letters.render import Block, BlockStyle, title_of

__all__ = ["BODY_FONT", "STYLE_OF_BLOCK", "TITLE_FONT", "build_docx", "east_asian"]

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
STYLE_OF_BLOCK: Final = {
    BlockStyle.TITLE: "OgiTitle",
    BlockStyle.NUMBER: "OgiNumber",
    BlockStyle.SALUTATION: "OgiSalutation",
    BlockStyle.PARAGRAPH: "OgiBody",
    BlockStyle.RIGHT: "OgiSignature",
}
_W: Final = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def east_asian(run_properties: BaseOxmlElement, font: str) -> None:
    fonts = run_properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        run_properties.insert(0, fonts)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), font)
    fonts.set(qn("w:hint"), "eastAsia")


def _style(
    doc: DocxDocument,
    name: str,
    *,
    font: str,
    size: Length,
    align: WD_ALIGN_PARAGRAPH,
    pitch: Length = LINE_PITCH,
    first_line: Length | None = None,
    right: Length | None = None,
    condensed: bool = False,
    on_grid: bool = True,
) -> None:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.font.size = size
    properties = style.element.get_or_add_rPr()
    east_asian(properties, font)
    if condensed:
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(CONDENSE_TWIPS))
        properties.append(spacing)
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = pitch
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = first_line
    fmt.right_indent = right
    if not on_grid:  # a 2号 line must not take two grid lines
        off = OxmlElement("w:snapToGrid")
        off.set(qn("w:val"), "0")
        style.element.get_or_add_pPr().append(off)


def _page_numbers(paragraph: Paragraph) -> None:
    """Footer "— PAGE —": 4号 宋体, a PAGE field between em dashes."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (
        (None, "— "),
        ("begin", None),
        ("code", " PAGE "),
        ("end", None),
        (None, " —"),
    ):
        run = paragraph.add_run(text if kind is None else "")
        run.font.size = PAGE_NUMBER_SIZE
        east_asian(run._r.get_or_add_rPr(), PAGE_NUMBER_FONT)
        if kind == "code":
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = text
            run._r.append(code)
        elif kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)


def _bundled_base() -> bytes:
    doc = Document()
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
    # LibreOffice; the condensed body style gives 28 characters a line in both.
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))
    normal = doc.styles["Normal"]
    normal.font.size = BODY_SIZE
    properties = normal.element.get_or_add_rPr()
    east_asian(properties, BODY_FONT)
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "zh-CN")
    language.set(qn("w:eastAsia"), "zh-CN")
    properties.append(language)
    left, center, right = (
        WD_ALIGN_PARAGRAPH.LEFT,
        WD_ALIGN_PARAGRAPH.CENTER,
        WD_ALIGN_PARAGRAPH.RIGHT,
    )
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    _style(
        doc,
        "OgiTitle",
        font=TITLE_FONT,
        size=TITLE_SIZE,
        align=center,
        pitch=TITLE_PITCH,
        on_grid=False,
    )
    _style(doc, "OgiNumber", font=BODY_FONT, size=BODY_SIZE, align=center)
    _style(doc, "OgiSalutation", font=BODY_FONT, size=BODY_SIZE, align=justify, condensed=True)
    _style(
        doc,
        "OgiBody",
        font=BODY_FONT,
        size=BODY_SIZE,
        align=justify,
        first_line=INDENT_2,
        condensed=True,
    )
    _style(doc, "OgiSignature", font=BODY_FONT, size=BODY_SIZE, align=right, right=RIGHT_4)
    _style(doc, "OgiBlank", font=BODY_FONT, size=BODY_SIZE, align=left)
    doc.core_properties.language = "zh-CN"
    doc.core_properties.author = ""
    _page_numbers(section.footer.paragraphs[0])
    out = BytesIO()
    doc.save(out)
    return _slim(out.getvalue())


# python-docx's default template carries ~800 KB of styles and Word 2010 parts that a letter
# never uses; they would be compressed again for every letter.
_DROP: Final = ("word/stylesWithEffects.xml", "docProps/thumbnail.jpeg", "customXml/")


def _slim(raw: bytes) -> bytes:
    """Keep only the parts and styles a letter uses (the styles its paragraphs reference)."""
    with zipfile.ZipFile(BytesIO(raw)) as package:
        parts = {i.filename: package.read(i) for i in package.infolist()}
    parts = {name: data for name, data in parts.items() if not name.startswith(_DROP)}
    for name in ("_rels/.rels", "word/_rels/document.xml.rels"):
        rels = etree.fromstring(parts[name])
        for rel in list(rels):
            # Targets are relative ("stylesWithEffects.xml", "../customXml/item1.xml").
            if any(Path(d.rstrip("/")).name in rel.get("Target", "") for d in _DROP):
                rels.remove(rel)
        parts[name] = _xml(rels)
    types = etree.fromstring(parts["[Content_Types].xml"])
    for override in list(types):
        if any(override.get("PartName", "").lstrip("/").startswith(d) for d in _DROP):
            types.remove(override)
    parts["[Content_Types].xml"] = _xml(types)
    parts["word/styles.xml"] = _slim_styles(parts["word/styles.xml"])
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return out.getvalue()


def _slim_styles(raw: bytes) -> bytes:
    styles = etree.fromstring(raw)
    by_id = {s.get(f"{{{_W}}}styleId"): s for s in styles.findall(f"{{{_W}}}style")}
    keep = {
        "Normal",
        "DefaultParagraphFont",
        "TableNormal",
        "NoList",
        "Footer",
        *STYLE_OF_BLOCK.values(),
        "OgiBlank",
    }
    pending = list(keep)
    while pending:  # follow basedOn / link / next so nothing kept dangles
        style = by_id.get(pending.pop())
        if style is None:
            continue
        for ref in ("basedOn", "link", "next"):
            node = style.find(f"{{{_W}}}{ref}")
            target = node.get(f"{{{_W}}}val") if node is not None else None
            if target and target not in keep:
                keep.add(target)
                pending.append(target)
    for style_id, style in by_id.items():
        if style_id not in keep:
            styles.remove(style)
    latent = styles.find(f"{{{_W}}}latentStyles")
    if latent is not None:
        styles.remove(latent)
    return _xml(styles)


def _xml(element: etree._Element) -> bytes:
    return bytes(etree.tostring(element, xml_declaration=True, encoding="UTF-8", standalone=True))


def _base(path: Path | None) -> tuple[tuple[tuple[zipfile.ZipInfo, bytes], ...], bytes, bytes]:
    """The base package's parts, its document.xml and its core.xml.

    Read once per version of the file: an agency editing its base.docx sees the change.
    """
    if path is None:
        return _read_base(None, 0, 0)
    stat = path.stat()
    return _read_base(path, stat.st_mtime_ns, stat.st_size)


@cache
def _read_base(
    path: Path | None, _mtime_ns: int, _size: int
) -> tuple[tuple[tuple[zipfile.ZipInfo, bytes], ...], bytes, bytes]:
    raw = _bundled_base() if path is None else path.read_bytes()
    try:
        package = zipfile.ZipFile(BytesIO(raw))
    except zipfile.BadZipFile:
        raise ValidationError(f"letter base document {path} is not a .docx file") from None
    with package:
        parts = tuple(
            (info, package.read(info))
            for info in package.infolist()
            if info.filename not in ("word/document.xml", "docProps/core.xml")
        )
        styles = package.read("word/styles.xml").decode("utf-8")
        missing = [s for s in (*STYLE_OF_BLOCK.values(), "OgiBlank") if f'"{s}"' not in styles]
        if missing:
            raise ValidationError(
                f"letter base document {path} lacks the paragraph styles {', '.join(missing)}"
            )
        return parts, package.read("word/document.xml"), package.read("docProps/core.xml")


def _paragraph(
    style: str, text: str | None, font: str, *, keep_next: bool = False, right: int | None = None
) -> etree._Element:
    """One paragraph; ``keep_next`` keeps it on the page of the next one, ``right`` overrides
    the style's right indent (twips)."""
    p = etree.fromstring(f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{style}"/></w:pPr></w:p>')
    properties = p[0]
    if keep_next:
        etree.SubElement(properties, f"{{{_W}}}keepNext")
        etree.SubElement(properties, f"{{{_W}}}keepLines")
    if right is not None:
        etree.SubElement(properties, f"{{{_W}}}ind").set(f"{{{_W}}}right", str(right))
    if text:
        run = etree.SubElement(p, f"{{{_W}}}r")
        properties = etree.SubElement(run, f"{{{_W}}}rPr")
        fonts = etree.SubElement(properties, f"{{{_W}}}rFonts")
        for attribute, value in (
            ("ascii", LATIN_FONT),
            ("hAnsi", LATIN_FONT),
            ("eastAsia", font),
            ("hint", "eastAsia"),
        ):
            fonts.set(f"{{{_W}}}{attribute}", value)
        node = etree.SubElement(run, f"{{{_W}}}t")
        node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        node.text = text  # lxml escapes it: user text stays text
    return p


# Characters a line of 3号 holds: 28 across the type area, 24 with the signature's right
# indent of four characters.
_LINE_CHARS: Final = 28
_SIGNATURE_CHARS: Final = _LINE_CHARS - 4


def _signature_lines(text: str) -> list[tuple[str, int | None]]:
    """A signature line as printed lines: indented four characters from the right when it
    fits, flush right when that alone makes it fit, else split where a line may break
    (before 政府信息公开专用章, or at the type area's width), never in the middle of a word."""
    if len(text) <= _SIGNATURE_CHARS:
        return [(text, None)]
    if len(text) <= _LINE_CHARS:
        return [(text, 0)]
    cut = text.find("政府信息公开专用章")
    if not 0 < cut <= _LINE_CHARS:
        cut = _LINE_CHARS
    head, tail = text[:cut], text[cut:]
    return [(head, 0 if len(head) > _SIGNATURE_CHARS else None), *_signature_lines(tail)]


def build_docx(blocks: Sequence[Block], base: Path | None = None) -> bytes:
    """A letter's blocks as .docx bytes, on the bundled base document or an agency's ``base``."""
    parts, document_xml, core_xml = _base(base)
    document = etree.fromstring(document_xml)
    body = document.find(f"{{{_W}}}body")
    assert body is not None
    section = body.find(f"{{{_W}}}sectPr")
    for child in list(body):
        if child is not section:
            body.remove(child)
    lines: list[tuple[str, str | None, str, int | None]] = []  # style, text, font, right
    closing: int | None = None  # the line before the first signature line
    for block in blocks:
        font = TITLE_FONT if block.style is BlockStyle.TITLE else BODY_FONT
        style = STYLE_OF_BLOCK[block.style]
        if block.style is BlockStyle.RIGHT:
            if closing is None:
                closing = max(len(lines) - 1, 0)
                lines.append(("OgiBlank", None, BODY_FONT, None))  # 空一行, for the seal
            lines.extend((style, text, font, right) for text, right in _signature_lines(block.text))
            continue
        lines.append((style, block.text, font, None))
        if block.style is BlockStyle.NUMBER:
            lines.append(("OgiBlank", None, BODY_FONT, None))  # 空一行
    # The closing sentence, the blank line for the seal and every signature line stay on one
    # page (GB/T 9704: the 署名 and 成文日期 never stand alone on a page).
    paragraphs = [
        _paragraph(
            style,
            text,
            font,
            keep_next=closing is not None and closing <= n < len(lines) - 1,
            right=right,
        )
        for n, (style, text, font, right) in enumerate(lines)
    ]
    for offset, paragraph in enumerate(paragraphs):
        body.insert(offset, paragraph)
    core = etree.fromstring(core_xml)
    title = core.find("{http://purl.org/dc/elements/1.1/}title")
    if title is None:
        title = etree.SubElement(core, "{http://purl.org/dc/elements/1.1/}title")
    title.text = title_of(blocks)
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        package.writestr(
            "word/document.xml",
            etree.tostring(document, xml_declaration=True, encoding="UTF-8", standalone=True),
        )
        package.writestr(
            "docProps/core.xml",
            etree.tostring(core, xml_declaration=True, encoding="UTF-8", standalone=True),
        )
        for info, data in parts:
            package.writestr(info, data)
    return out.getvalue()
