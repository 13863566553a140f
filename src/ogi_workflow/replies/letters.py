"""Letter kinds, the facts a letter is written from, and rendering its text from templates.

A letter is rendered from a Jinja2 template (``templates/<kind>.j2``, overridable by an
agency's own folder) into marked lines — ``T|`` title, ``N|`` 文号, ``S|`` salutation,
``P|`` paragraph, ``R|`` right-aligned — and from those into plain text or a .docx. User
values are data: they are never evaluated as templates, newlines in them are folded so they
cannot start a line of their own, and the Word writer escapes them as XML text.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined
from jinja2.exceptions import TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from ogi_workflow.errors import ValidationError
from ogi_workflow.outcomes import Outcome

__all__ = [
    "CONVENIENCE_KEYS",
    "Block",
    "BlockStyle",
    "KindSpec",
    "Letter",
    "LetterKind",
    "LetterRenderer",
    "cn_date",
]

# What a 便民答复 paragraph can carry (LETTERS.md): where the information may be found, who
# holds it and how to reach them, related public links, how to narrow the request.
CONVENIENCE_KEYS: Final = ("where", "holder", "contact", "links", "narrowing")


class LetterKind(StrEnum):
    """Every letter and notice ogi-workflow writes (DESIGN §6, LETTERS.md)."""

    NOTICE_REGISTRATION = "notice_registration"  # 登记回执
    NOTICE_CORRECTION = "notice_correction"  # 补正告知书 (第三十条)
    NOTICE_EXTENSION = "notice_extension"  # 延期答复告知书 (第三十三条)
    CONSULTATION_THIRD_PARTY = "consultation_third_party"  # 征求第三方意见书 (第三十二条)
    NOTICE_CONSULTATION = "notice_consultation"  # 征求意见告知书 (to the applicant)
    CONSULTATION_AGENCY = "consultation_agency"  # 征求意见函 (第三十四条)
    NOTICE_THIRD_PARTY_DECISION = "notice_third_party_decision"  # 第三方决定公开告知书
    NOTICE_FEE = "notice_fee"  # 收费通知书 (国办函〔2020〕109号)
    NOTICE_DEEMED_ABANDONED = "notice_deemed_abandoned"  # 视为放弃告知书
    NOTICE_WITHDRAWN = "notice_withdrawn"  # 终止办理告知书 (撤回)
    REPLY_ALREADY_PUBLIC = "reply_already_public"
    REPLY_DISCLOSED = "reply_disclosed"
    REPLY_PARTIAL = "reply_partial"
    REPLY_REFUSED = "reply_refused"
    REPLY_ADMINISTRATIVE_QUERY = "reply_administrative_query"
    REPLY_NOT_EXIST = "reply_not_exist"
    REPLY_NOT_RESPONSIBLE = "reply_not_responsible"
    REPLY_NEEDS_CREATION = "reply_needs_creation"
    REPLY_STILL_UNCLEAR = "reply_still_unclear"
    REPLY_PETITION = "reply_petition"
    REPLY_DUPLICATE = "reply_duplicate"
    REPLY_PUBLICATION = "reply_publication"
    REPLY_EXCESSIVE = "reply_excessive"
    REPLY_CONFIRMATION = "reply_confirmation"
    REPLY_OTHER = "reply_other"

    @property
    def spec(self) -> KindSpec:
        return _specs()[self]


@dataclass(frozen=True, slots=True)
class KindSpec:
    """When a letter kind applies and what it needs (``replies/kinds.toml``)."""

    events: tuple[str, ...]
    party: str | None
    recipient: str  # "applicant" or "consulted"
    requires: tuple[str, ...]


@cache
def _specs() -> dict[LetterKind, KindSpec]:
    raw = files("ogi_workflow.replies").joinpath("kinds.toml").read_text(encoding="utf-8")
    table = tomllib.loads(raw)
    return {
        kind: KindSpec(
            events=tuple(table[kind.value]["events"]),
            party=table[kind.value].get("party"),
            recipient=table[kind.value].get("recipient", "applicant"),
            requires=tuple(table[kind.value].get("requires", ())),
        )
        for kind in LetterKind
    }


class BlockStyle(StrEnum):
    TITLE = "T"
    NUMBER = "N"
    SALUTATION = "S"
    PARAGRAPH = "P"
    RIGHT = "R"


@dataclass(frozen=True, slots=True)
class Block:
    style: BlockStyle
    text: str


@dataclass(frozen=True)
class Letter:
    """A rendered letter: its number, date, recipient and content, ready for text or Word."""

    kind: LetterKind
    number: str
    date: date
    recipient: str
    blocks: tuple[Block, ...]
    base_docx: Path | None = field(default=None, repr=False, compare=False)
    _docx: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def title(self) -> str:
        """The title's lines joined (a long title is written on two lines, GB/T 9704)."""
        return "".join(b.text for b in self.blocks if b.style is BlockStyle.TITLE)

    def text(self, width: int = 28) -> str:
        """Plain text: centred title and number, indented paragraphs, right-aligned signature."""
        lines: list[str] = []
        previous: BlockStyle | None = None
        for block in self.blocks:
            if block.style in (BlockStyle.TITLE, BlockStyle.NUMBER):
                lines.append(block.text.center(width, "\u3000").rstrip("\u3000"))
                if block.style is BlockStyle.NUMBER:
                    lines.append("")
            elif block.style is BlockStyle.PARAGRAPH:
                lines.append("\u3000\u3000" + block.text)
            elif block.style is BlockStyle.RIGHT:
                if previous is not BlockStyle.RIGHT:
                    lines.append("")  # room for the seal
                lines.append(block.text.rjust(width - 4, "\u3000"))
            else:
                lines.append(block.text)
            previous = block.style
        return "\n".join(lines) + "\n"

    def docx(self) -> bytes:
        """The letter as a .docx laid out to GB/T 9704-2012."""
        from ogi_workflow.replies.docx import build_docx  # noqa: PLC0415 - python-docx is heavy

        return self._docx if self._docx is not None else build_docx(self, self.base_docx)

    def pdf(self) -> bytes:
        """The .docx converted to PDF by LibreOffice headless (optional; see replies.pdf)."""
        from ogi_workflow.replies.pdf import docx_to_pdf  # noqa: PLC0415 - optional

        return docx_to_pdf(self.docx())

    def save(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write ``.docx``, ``.txt`` or ``.pdf`` (by ``fmt`` or the file's suffix)."""
        target = Path(path)
        kind = fmt or target.suffix.lstrip(".").lower()
        if kind == "docx":
            target.write_bytes(self.docx())
        elif kind == "txt":
            target.write_text(self.text(), encoding="utf-8")
        elif kind == "pdf":
            target.write_bytes(self.pdf())
        else:
            raise ValidationError(f"letter format {kind!r} is not one of: docx, txt, pdf")
        return target


def cn_date(value: date | str) -> str:
    """A date as written in letters: 2026年3月9日 (Arabic numerals, no leading zeros)."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.year}年{day.month}月{day.day}日"


def _sentence(text: str) -> str:
    """End a user-supplied clause with 。 unless it already ends a sentence."""
    return text if text.endswith(("。", "！", "？", "；", ".", "!", "?")) else text + "。"


def _one_line(value: Any) -> Any:
    """Fold user text to one line, recursively, so it cannot start a marked line."""
    if isinstance(value, str):
        return re.sub(r"\s*[\r\n\u2028\u2029\x0b\x0c\x85]+\s*", " ", value)
    if isinstance(value, Mapping):
        return {k: _one_line(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_one_line(v) for v in value]
    return value


def _lookup(context: Mapping[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


class LetterRenderer:
    """Renders letters from the bundled templates, or an agency's folder of overrides.

    A file ``<kind>.j2`` (or ``_common.j2``) in ``templates`` replaces the bundled one of the
    same name, and a ``base.docx`` there (with the paragraph styles OgiTitle, OgiNumber,
    OgiSalutation, OgiBody, OgiSignature, OgiBlank) replaces the Word layout; templates run
    in Jinja2's sandbox and an undefined value is an error.
    """

    def __init__(self, templates: str | Path | None = None) -> None:
        loaders: list[Any] = []
        self.base_docx: Path | None = None  # the agency's Word base document, if any
        if templates is not None:
            folder = Path(templates)
            if not folder.is_dir():
                raise ValidationError(f"letter templates: {folder} is not a folder")
            loaders.append(FileSystemLoader(folder))
            if (folder / "base.docx").is_file():
                self.base_docx = folder / "base.docx"
        loaders.append(PackageLoader("ogi_workflow.replies", "templates"))
        self._env = SandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,
            # Keep the newline after a block tag: a line ending in {% endif %} must still end,
            # or the next marked line would run into it. Blank lines are dropped when parsing.
            trim_blocks=False,
            lstrip_blocks=True,
        )
        self._env.filters["cn_date"] = cn_date
        self._env.filters["sentence"] = _sentence

    def render(
        self, kind: LetterKind, context: Mapping[str, Any], *, request_label: str
    ) -> tuple[Block, ...]:
        """The marked blocks of one letter; a missing fact is a ValidationError naming it."""
        facts = _one_line(context)
        missing = [path for path in kind.spec.requires if _missing(path, _lookup(facts, path))]
        if missing:
            raise ValidationError(
                f"render: letter {kind.value} for request {request_label} needs "
                + ", ".join(missing)
                + _hint(missing)
            )
        try:
            text = self._env.get_template(f"{kind.value}.j2").render(facts)
        except UndefinedError as exc:
            raise ValidationError(
                f"render: letter {kind.value} for request {request_label} needs a value "
                f"the template uses: {exc.message}"
            ) from None
        except (TemplateError, TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ValidationError(
                f"render: template {kind.value}.j2 failed for request {request_label}: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        return _blocks(kind, text)


def _missing(path: str, value: Any) -> bool:
    if path.endswith("convenience"):  # a 便民答复 needs at least one real piece of help
        return not isinstance(value, Mapping) or not any(value.get(k) for k in CONVENIENCE_KEYS)
    return value is None or value in ("", [], {})


def _hint(missing: Sequence[str]) -> str:
    if any(p.startswith("details.") for p in missing):
        extra = (
            f" (details.convenience is a table with any of: {', '.join(CONVENIENCE_KEYS)})"
            if "details.convenience" in missing
            else ""
        )
        return f"; give them in the reply's details{extra}"
    return ""


def _blocks(kind: LetterKind, text: str) -> tuple[Block, ...]:
    blocks = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        marker, bar, body = line.partition("|")
        try:
            style = BlockStyle(marker.strip())
        except ValueError:
            style = None
        if not bar or style is None:
            raise ValidationError(
                f"render: template {kind.value}.j2 line {number} does not start with a marker "
                f"(T| N| S| P| R|): {line[:40]!r}"
            )
        blocks.append(Block(style, body.strip()))
    return tuple(blocks)


def outcome_letter(outcome: Outcome) -> LetterKind:
    """The reply letter an outcome calls for."""
    return LetterKind(outcome.info.letter)
