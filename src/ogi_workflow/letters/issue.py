"""Issuing a letter: its kind, the event it answers, its 文号, its facts, and the record of it.

A letter gets a 文号 from the agency's letter series the first time it is issued for the
event it answers, and an ``issue_letter`` event records it (kind, number, recipient). The
letter is frozen at issue (ogi_letter keeps its blocks and the exact .docx bytes): printing
it again returns the identical file and records nothing, whatever the templates or the
agency profile say later. Its date is the date of that event. A missing fact the letter
needs is a ValidationError and nothing is recorded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from ogi_workflow.clock import ClockPolicy
from ogi_workflow.errors import TransitionError, ValidationError
from ogi_workflow.letters.facts import basis_event, default_kind, letter_facts
from ogi_workflow.letters.kinds import LetterKind
from ogi_workflow.letters.render import Block, BlockStyle, LetterRenderer, plain_text, title_of
from ogi_workflow.lifecycle import Event, HistoryItem, State, request_label
from ogi_workflow.models import AgencyProfile, RequestRef
from ogi_workflow.storage.queries import event_views, freeze_letter, frozen_letters
from ogi_workflow.storage.session import Session
from ogi_workflow.storage.views import request_view

__all__ = [
    "FORMATS",
    "Letter",
    "issue_letter",
    "issued_letters",
    "letter_kind",
    "write_atomically",
    "write_letters",
]

FORMATS = ("docx", "txt", "pdf")


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
        return title_of(self.blocks)

    def text(self, width: int = 28) -> str:
        """Plain text: centred title and number, indented paragraphs, right-aligned signature."""
        return plain_text(self.blocks, width)

    def docx(self) -> bytes:
        """The letter as a .docx laid out to GB/T 9704-2012."""
        from ogi_workflow.letters.docx import build_docx  # noqa: PLC0415 - python-docx is heavy

        return self._docx if self._docx is not None else build_docx(self.blocks, self.base_docx)

    def pdf(self) -> bytes:
        """The .docx converted to PDF by LibreOffice headless (optional; see letters.pdf)."""
        from ogi_workflow.letters.pdf import docx_to_pdf  # noqa: PLC0415 - optional

        return docx_to_pdf(self.docx())

    def save(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write ``.docx``, ``.txt`` or ``.pdf`` (by ``fmt`` or the file's suffix), atomically:
        the file appears whole or not at all, and an old file is replaced only then."""
        target = Path(path)
        kind = fmt or target.suffix.lstrip(".").lower()
        if kind == "docx":
            data = self.docx()
        elif kind == "txt":
            data = self.text().encode("utf-8")
        elif kind == "pdf":
            data = self.pdf()
        else:
            raise ValidationError(f"letter format {kind!r} is not one of: docx, txt, pdf")
        write_atomically(target, data)
        return target


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target``, flush it to disk, rename it."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def letter_kind(value: LetterKind | str) -> LetterKind:
    try:
        return LetterKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in LetterKind)
        raise ValidationError(f"render: letter kind {value!r} is not one of: {allowed}") from None


def issue_letter(
    session: Session,
    request: RequestRef,
    kind: LetterKind | str | None,
    fmt: str,
    *,
    actor: str,
    agency: AgencyProfile,
    policy: ClockPolicy,
    renderer: LetterRenderer,
) -> Letter:
    """出具文书 inside the caller's unit of work: the letter, numbered and recorded once."""
    if fmt not in FORMATS:
        raise ValidationError(f"render: format {fmt!r} is not one of: docx, txt, pdf")
    conn = session.reader()  # inside a batch: flushed, so the row below is current
    row = session.row(request)
    view, events = request_view(row), event_views(conn, row["id"])
    label = request_label(row)
    wanted = letter_kind(kind) if kind is not None else default_kind(view, events)
    basis = basis_event(wanted, view, events)
    issued = next(
        (
            e.payload["number"]
            for e in events
            if e.event is Event.ISSUE_LETTER
            and e.payload.get("kind") == wanted.value
            and e.payload.get("basis_seq") == basis.seq
        ),
        None,
    )
    if issued is not None:
        frozen = frozen_letters(conn, row["id"], issued)
        if frozen:
            return _thawed(frozen[0])
    if issued is None and view.state is State.ARCHIVED:
        raise TransitionError(
            f"render: request {label} is archived; a letter not issued before cannot "
            "be issued now (only 复议/诉讼 records may be added after archiving)"
        )
    year = basis.on.year
    number = issued or agency.letter_number(year, session.next_seq(year, "letter"))
    facts = letter_facts(
        wanted,
        request=view,
        events=events,
        basis=basis,
        agency=agency,
        policy=policy,
        number=number,
    )
    blocks = renderer.render(wanted, facts, request_label=label)
    recipient = view.applicant_name
    if wanted.spec.recipient == "consulted":
        recipient = str(facts["consultation"].get("consulted"))
    elif wanted.spec.recipient == "forwarded":  # 转送函
        recipient = str(facts["forwarding"].get("to_agency_name"))
    letter = Letter(wanted, number, basis.on, recipient, blocks, base_docx=renderer.base_docx)
    letter = replace(letter, _docx=letter.docx())  # built now, so a failure records nothing
    if issued is None:
        payload = {
            "kind": wanted.value,
            "number": number,
            "basis_seq": basis.seq,
            "recipient": recipient,
        }
        history = [HistoryItem(e.event, e.on, e.payload) for e in events]
        session.write(
            row,
            history,
            {},
            event=Event.ISSUE_LETTER,
            on=basis.on,
            actor=actor,
            reason=None,
            payload=payload,
        )
    # A letter issued before letters were frozen (schema 0004) is frozen at its first reprint.
    freeze_letter(
        conn,
        {
            "request_id": row["id"],
            "number": number,
            "kind": wanted.value,
            "issued_on": basis.on,
            "recipient": recipient,
            "blocks": [[b.style.value, b.text] for b in blocks],
            "docx": letter.docx(),
        },
    )
    return letter


def issued_letters(conn: Connection, request_id: int) -> list[Letter]:
    """The letters issued for a request, in issue order, as they were issued."""
    return [_thawed(row) for row in frozen_letters(conn, request_id)]


def _thawed(row: dict[str, Any]) -> Letter:
    blocks = tuple(Block(BlockStyle(style), text) for style, text in row["blocks"])
    return Letter(
        LetterKind(row["kind"]),
        row["number"],
        row["issued_on"],
        row["recipient"],
        blocks,
        _docx=bytes(row["docx"]),
    )


def write_letters(letters: Sequence[Letter], folder: Path, fmt: str) -> list[Path]:
    """Write ``letters`` into ``folder`` as ``<文号>-<kind>.<fmt>``; PDFs in one LibreOffice run."""
    if fmt not in FORMATS:
        raise ValidationError(f"render: format {fmt!r} is not one of: docx, txt, pdf")
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{_file_stem(letter)}.{fmt}" for letter in letters]
    if fmt == "pdf":
        from ogi_workflow.letters.pdf import office_to_pdf  # noqa: PLC0415 - optional

        pdfs = office_to_pdf([("letter.docx", letter.docx()) for letter in letters])
        for path, data in zip(paths, pdfs, strict=True):
            write_atomically(path, data)
    else:
        for path, letter in zip(paths, letters, strict=True):
            letter.save(path, fmt)
    return paths


def _file_stem(letter: Letter) -> str:
    """A file name from the letter's number: characters no file system takes become _."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", f"{letter.number}-{letter.kind.value}")
