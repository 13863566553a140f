"""Rendering a letter's text from templates into marked blocks.

A letter is rendered from a Jinja2 template (``templates/<kind>.j2``, overridable by an
agency's own folder) into marked lines — ``T|`` title, ``N|`` 文号, ``S|`` salutation,
``P|`` paragraph, ``R|`` right-aligned — and from those into plain text or a .docx. User
values are data: they are never evaluated as templates, newlines in them are folded so they
cannot start a line of their own, and the Word writer escapes them as XML text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined
from jinja2.exceptions import TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from ogi_workflow.errors import ValidationError
from ogi_workflow.letters.kinds import CONVENIENCE_KEYS, LetterKind

__all__ = ["Block", "BlockStyle", "LetterRenderer", "cn_date", "plain_text", "title_of"]


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


def plain_text(blocks: Sequence[Block], width: int = 28) -> str:
    """Plain text: centred title and number, indented paragraphs, right-aligned signature."""
    lines: list[str] = []
    previous: BlockStyle | None = None
    for block in blocks:
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


def title_of(blocks: Sequence[Block]) -> str:
    """The title's lines joined (a long title is written on two lines, GB/T 9704)."""
    return "".join(b.text for b in blocks if b.style is BlockStyle.TITLE)


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
        loaders.append(PackageLoader("ogi_workflow.letters", "templates"))
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
