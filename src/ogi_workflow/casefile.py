"""归档 as a case file: one package per request (一案一档).

The package holds the application as received, every letter issued for the request (the
frozen .docx as issued), the 审批表 of each draft sent through the review chain (and the same
records as data), the 协查 records, the event log and the deadline with its day-by-day
explanation, with an index
(目录, in Chinese, from data/labels.toml) and a manifest giving each file's SHA-256. Written
as a zip file or a folder; a zip is written to a temporary file and renamed, so a failed
write leaves no half a case file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from abc import ABC, abstractmethod
from datetime import date
from pathlib import Path
from typing import Any

from ogi_workflow._resources import label
from ogi_workflow.calendar import WorkdayCalendar
from ogi_workflow.clock import ClockPolicy, explain_deadline
from ogi_workflow.errors import NotFoundError, StorageError
from ogi_workflow.lifecycle import Event, HistoryItem, clock_events, search_tasks
from ogi_workflow.lifecycle.events import ReviewCase
from ogi_workflow.lifecycle.inner import review_cases
from ogi_workflow.models import EventView, RequestRef, RequestView

__all__ = ["CaseFiles"]


class CaseFiles(ABC):
    """The 一案一档 package of a request (mixed into Workflow)."""

    policy: ClockPolicy
    calendar: WorkdayCalendar

    @abstractmethod
    def _may(self, action: str, actor: object) -> None: ...

    @abstractmethod
    def get(self, request: RequestRef) -> RequestView: ...

    @abstractmethod
    def events(self, request: RequestRef) -> list[EventView]: ...

    @abstractmethod
    def _history(self, request: RequestRef) -> tuple[RequestView, list[HistoryItem]]: ...

    @abstractmethod
    def letters(self, request: RequestRef) -> list[Any]: ...

    @abstractmethod
    def departments(self) -> list[Any]: ...

    @abstractmethod
    def render(
        self,
        request: RequestRef,
        kind: Any = None,
        fmt: str = "docx",
        *,
        actor: str,
        output: str | Path | None = None,
    ) -> Any: ...

    def case_file(
        self, request: RequestRef, path: str | Path, *, actor: str, as_zip: bool | None = None
    ) -> Path:
        """Write the request's case file to ``path``: a zip file (``*.zip``, or ``as_zip``)
        or a folder; the path written. Every letter issued for the request is reprinted (the
        same 文号, nothing recorded); ``actor`` may print letters and read the case."""
        self._may("case_file", actor)
        view = self.get(request)
        log = self.events(view.id)
        files = self._case_contents(view, log, actor)
        target = Path(path)
        zipped = target.suffix.lower() == ".zip" if as_zip is None else as_zip
        try:
            if zipped:
                _write_zip(target, files)
            else:
                _write_folder(target, files)
        except OSError as exc:
            raise StorageError(f"case_file: cannot write {target}: {exc.strerror or exc}") from None
        return target

    def approval_form(self, request: RequestRef, *, actor: str, draft: int | None = None) -> bytes:
        """The 政府信息公开申请办理审批表 of a draft reply (default: the latest submitted) as a
        .docx: each step of its review chain with opinion, name and date. Records nothing."""
        from ogi_workflow.letters.approval import approval_form_docx  # noqa: PLC0415 - docx

        self._may("approval_form", actor)
        view, history = self._history(request)
        return approval_form_docx(view, self._review_case(view, history, draft), self._dept(view))

    def _review_case(
        self, view: RequestView, history: list[HistoryItem], draft: int | None
    ) -> ReviewCase:
        cases = review_cases(history)
        label_ = view.reg_no or f"#{view.id}"
        if not cases:
            raise NotFoundError(
                f"approval_form: request {label_} has no draft submitted for review"
            )
        if draft is None:
            return cases[-1]
        found = [c for c in cases if c.number == draft]
        if not found:
            raise NotFoundError(
                f"approval_form: request {label_} has no draft #{draft} "
                f"(drafts: {', '.join(str(c.number) for c in cases)})"
            )
        return found[0]

    def _dept(self, view: RequestView) -> str | None:
        """The name of the department holding the request (its code if it has none)."""
        names = {d.code: d.name for d in self.departments()}
        return None if view.department is None else names.get(view.department, view.department)

    def _case_contents(
        self, view: RequestView, log: list[EventView], actor: str
    ) -> list[tuple[str, str, bytes]]:
        """(file name, 目录 title, bytes) of every part, in the order of the index."""
        history = [HistoryItem(e.event, e.on, e.payload) for e in log]
        parts: list[tuple[str, str, bytes]] = [
            ("01-application.json", _title("application"), _json(view.application)),
            ("02-request.json", _title("request"), _json(view.model_dump(mode="json"))),
        ]
        issued = [e for e in log if e.event is Event.ISSUE_LETTER]
        frozen = {letter.number: letter for letter in self.letters(view.id)}
        for n, event in enumerate(issued, start=1):
            kind = str(event.payload["kind"])
            letter = frozen.get(str(event.payload["number"]))
            if letter is None:  # issued before letters were frozen: frozen by this reprint
                letter = self.render(view.id, kind, "docx", actor=actor)
            name = f"03-letters/{n:02d}-{kind}.docx"
            parts.append((name, f"{letter.title}（{letter.number}）", letter.docx()))
        cases = review_cases(history)
        if cases:
            from ogi_workflow.letters.approval import approval_form_docx  # noqa: PLC0415

            department = self._dept(view)
            for case in cases:
                form = approval_form_docx(view, case, department)
                title = f"{_title('approval_form')}（{case.number}）"
                parts.append((f"04-approval/{case.number:02d}-approval-form.docx", title, form))
        parts.append(("04-review.json", _title("review"), _json(_review_records(history))))
        tasks = search_tasks(history)
        parts.append(("05-search-tasks.json", _title("search_tasks"), _json(tasks)))
        logged = [e.model_dump(mode="json") for e in log]
        parts.append(("06-events.json", _title("events"), _json(logged)))
        parts.append(("07-deadline.json", _title("deadline"), _json(self._deadline(view, history))))
        return parts

    def _deadline(self, view: RequestView, history: list[HistoryItem]) -> dict[str, Any]:
        events = clock_events(view.received_on, view.channel, history)
        deadline, lines = explain_deadline(events, self.calendar, policy=self.policy)
        return {"deadline": deadline.as_dict(), "days": [line.as_dict() for line in lines]}


def _review_records(history: list[HistoryItem]) -> list[dict[str, Any]]:
    """Every draft submitted for review, with each step's opinion, name and date (审批)."""
    return [
        {
            "draft": case.number,
            "drafter": case.drafter,
            "submitted_on": case.submitted_on,
            "outcome": case.outcome,
            "chain": list(case.chain),
            "steps": [{**step, "decision": Event.APPROVE.value} for step in case.approvals]
            + ([{**case.sent_back, "decision": Event.SEND_BACK.value}] if case.sent_back else []),
        }
        for case in review_cases(history)
    ]


def _title(part: str) -> str:
    return label("case_file", part)


def _json(value: object) -> bytes:
    text = json.dumps(value, ensure_ascii=False, indent=2, default=_plain)
    return (text + "\n").encode("utf-8")


def _plain(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _index(files: list[tuple[str, str, bytes]]) -> list[tuple[str, bytes]]:
    """The parts, then the 目录 (what each file is) and the manifest (name, title, SHA-256)."""
    lines = [label("case_file", "index_title"), ""]
    lines += [f"{n}. {title}　{name}" for n, (name, title, _) in enumerate(files, start=1)]
    manifest = [
        {"file": name, "title": title, "sha256": hashlib.sha256(data).hexdigest()}
        for name, title, data in files
    ]
    return [
        *((name, data) for name, _, data in files),
        ("00-index.txt", ("\n".join(lines) + "\n").encode("utf-8")),
        ("manifest.json", _json(manifest)),
    ]


def _write_zip(target: Path, files: list[tuple[str, str, bytes]]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as out:
            for name, data in _index(files):
                out.writestr(name, data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _write_folder(target: Path, files: list[tuple[str, str, bytes]]) -> None:
    for name, data in _index(files):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.tmp")
        temp.write_bytes(data)
        os.replace(temp, path)
