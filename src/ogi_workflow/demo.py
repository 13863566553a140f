"""The demo: a few hundred realistic requests driven through the lifecycle on SQLite.

Applications arrive over the months before ``today`` and follow plausible paths (补正,
consultation, extension, fees, every outcome kind); a path stops at ``today``, so recent
requests are still open and a few forgotten ones are overdue. Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ogi_workflow._resources import load_toml
from ogi_workflow.clock import Channel
from ogi_workflow.letters.kinds import LetterKind
from ogi_workflow.lifecycle import Event
from ogi_workflow.lifecycle.payloads import CaseResult
from ogi_workflow.models import (
    SHANGHAI,
    ApplicantKind,
    IdType,
    resident_id_check_char,
    uscc_check_char,
)
from ogi_workflow.outcomes import Outcome
from ogi_workflow.workflow import Workflow

__all__ = ["DEMO_REQUESTS", "demo_agency", "populate", "write_sample_letters"]

DEMO_REQUESTS = 300
_REFUSALS = [
    Outcome.STATE_SECRET,
    Outcome.LAW_PROHIBITED,
    Outcome.THREE_SAFETIES,
    Outcome.THIRD_PARTY_RIGHTS,
    Outcome.INTERNAL_AFFAIRS,
    Outcome.PROCESS_INFORMATION,
    Outcome.ENFORCEMENT_FILES,
    Outcome.ADMINISTRATIVE_QUERY,
]
_NOT_PROCESSED = [
    Outcome.PETITION,
    Outcome.DUPLICATE,
    Outcome.PUBLICATION,
    Outcome.EXCESSIVE,
    Outcome.CONFIRMATION,
]
_UNAVAILABLE = [Outcome.NOT_EXIST, Outcome.NOT_RESPONSIBLE, Outcome.NEEDS_CREATION]


def _data() -> dict[str, Any]:
    return load_toml("data/demo.toml")


def demo_agency() -> dict[str, Any]:
    """The fictional agency of the demo (an AgencyProfile mapping)."""
    return dict(_data()["agency"])


@dataclass
class _Step:
    """Runs one request's path, one action at a time, stopping at ``today``."""

    wf: Workflow
    rid: int
    day: date
    today: date
    rng: random.Random
    open: bool = True

    def after(self, workdays: int) -> date:
        return self.wf.calendar.add_workdays(self.day, workdays) if workdays else self.day

    def do(
        self, workdays: int, action: Callable[[date], object], *letters: LetterKind | None
    ) -> bool:
        """Do ``action`` ``workdays`` working days after the last step, unless that is future.

        Then issue the letters it calls for (None: the one its event calls for), as an
        agency would.
        """
        when = self.after(workdays)
        if not self.open or when > self.today:
            self.open = False
            return False
        action(when)
        self.day = when
        for kind in letters:
            self.wf.render(self.rid, kind, fmt="txt", actor="公开办")
        return True


def _applicant(rng: random.Random) -> dict[str, Any]:
    pools = _data()["applicants"]
    kind = rng.choices(list(ApplicantKind), weights=[70, 10, 6, 6, 5, 3], k=1)[0]
    if kind is ApplicantKind.NATURAL_PERSON:
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 40))
        first17 = f"110105{born:%Y%m%d}{rng.randrange(1000):03d}"
        return {
            "kind": kind.value,
            "name": rng.choice(pools["persons"]),
            "id_type": IdType.RESIDENT_ID.value,
            "id_number": first17 + resident_id_check_char(first17),
            "phone": f"139{rng.randrange(10**8):08d}",
            "address": "示例市示例区示例路1号",
        }
    name = rng.choice(pools[kind.value])
    first17 = f"91110105MA{rng.randrange(10**7):07d}".replace("I", "1")
    return {
        "kind": kind.value,
        "name": name,
        "id_type": IdType.USCC.value,
        "id_number": first17 + uscc_check_char(first17),
        "phone": f"010-{rng.randrange(10**8):08d}",
        "address": "示例市示例区示例路2号",
    }


def _application(rng: random.Random, received: date) -> dict[str, Any]:
    at = datetime.combine(received, time(9 + rng.randrange(8), rng.randrange(60)), SHANGHAI)
    return {
        "applicant": _applicant(rng),
        "description": rng.choice(_data()["requests"]["descriptions"]),
        "channel": rng.choice(list(Channel)).value,
        "form": rng.choice(["paper", "electronic"]),
        "delivery": rng.choice(["mail", "email", "pickup"]),
        "received_at": at.isoformat(),
    }


_PATHS = {
    "spot": 6,
    "plain": 40,
    "correction": 7,
    "correction_lapse": 3,
    "third_party": 8,
    "co_agency": 5,
    "extension": 8,
    "fee": 5,
    "fee_lapse": 2,
    "withdraw": 3,
    "stalled": 4,
}
_Stage = Callable[[_Step, str, Outcome], Outcome | None]


def _words() -> dict[str, Any]:
    return dict(_data()["requests"])


def _details(outcome: Outcome) -> dict[str, Any]:
    """The reply details a handler would enter for this outcome (data/demo.toml)."""
    table = _data()["details"]
    key = "refused" if outcome.refusal and outcome is not Outcome.PARTIAL else outcome.value
    return dict(table.get(key, {}))


def _drive(s: _Step) -> None:
    """One plausible path; every action is a real Workflow call."""
    wf, rid, rng = s.wf, s.rid, s.rng
    path = rng.choices(list(_PATHS), weights=list(_PATHS.values()), k=1)[0]
    if path == "spot":
        s.do(
            0,
            lambda d: wf.reply_on_the_spot(
                rid,
                actor="窗口",
                outcome=Outcome.ALREADY_PUBLIC,
                details=_details(Outcome.ALREADY_PUBLIC),
                on=d,
            ),
            None,
        )
        return
    if not s.do(rng.choice([0, 0, 1]), lambda d: wf.register(rid, actor="登记员", on=d), None):
        return
    # 分办 to the office, which signs for it (签收) the same or the next working day.
    if not s.do(0, lambda d: wf.assign(rid, actor="登记员", department="office", on=d)):
        return
    s.do(rng.choice([0, 1]), lambda d: wf.accept_assignment(rid, actor="承办人", on=d))
    if path == "withdraw":
        s.do(
            rng.randrange(2, 8),
            lambda d: wf.withdraw(
                rid, actor="窗口", reason=rng.choice(_words()["withdraw_reasons"]), on=d
            ),
            None,
        )
        return
    outcome: Outcome | None = rng.choices(
        [
            Outcome.DISCLOSED,
            Outcome.ALREADY_PUBLIC,
            Outcome.PARTIAL,
            rng.choice(_REFUSALS),
            rng.choice(_UNAVAILABLE),
            rng.choice(_NOT_PROCESSED),
            Outcome.STILL_UNCLEAR if path == "correction" else Outcome.DISCLOSED,
        ],
        weights=[35, 12, 10, 12, 18, 8, 5],
        k=1,
    )[0]
    stages: list[_Stage] = [_open_file, _consult, _extend, _fee, _reply_and_archive]
    for stage in stages:
        assert outcome is not None
        outcome = stage(s, path, outcome)
        if outcome is None or not s.open:
            return


def _open_file(s: _Step, path: str, outcome: Outcome) -> Outcome | None:
    """补正 (answered or lapsed) or straight to handling; a stalled request stops here."""
    wf, rid, rng, words = s.wf, s.rid, s.rng, _words()
    actor = rng.choice(words["handlers"])
    if not path.startswith("correction"):
        s.do(rng.randrange(1, 3), lambda d: wf.start_handling(rid, actor=actor, on=d))
        return None if path == "stalled" else outcome  # stalled: forgotten on a desk
    correct_by = s.after(rng.randrange(3, 6)) + timedelta(days=15)
    if not s.do(
        rng.randrange(1, 6),
        lambda d: wf.request_correction(
            rid,
            actor=actor,
            items=words["correction_items"][: rng.randrange(1, 3)],
            correct_by=correct_by,
            on=d,
        ),
        None,
    ):
        return None
    if path == "correction_lapse":
        s.day = correct_by
        s.do(1, lambda d: wf.correction_lapsed(rid, actor=actor, on=d), None)
        return None
    s.do(rng.randrange(2, 8), lambda d: wf.receive_correction(rid, actor=actor, on=d))
    return outcome


def _consult(s: _Step, path: str, outcome: Outcome) -> Outcome | None:
    """征求第三方意见 (第三十二条) or 征求其他机关意见 (第三十四条)."""
    if path not in ("third_party", "co_agency"):
        return outcome
    wf, rid, rng, words = s.wf, s.rid, s.rng, _words()
    consulted = rng.choice(words["third_parties" if path == "third_party" else "co_agencies"])
    third_party = path == "third_party"
    s.do(
        rng.randrange(2, 6),
        lambda d: wf.start_consultation(
            rid,
            actor="承办人",
            party="third_party" if third_party else "co_agency",
            consulted=consulted,
            on=d,
            reason=rng.choice(_data()["consultation"]["reasons"]) if third_party else None,
        ),
        LetterKind.NOTICE_CONSULTATION,
        LetterKind.CONSULTATION_THIRD_PARTY if third_party else LetterKind.CONSULTATION_AGENCY,
    )
    s.do(rng.randrange(5, 16), lambda d: wf.end_consultation(rid, actor="承办人", on=d))
    if not third_party:
        return outcome
    # The third party objects; mostly the agency withholds its part, sometimes it discloses
    # anyway in the public interest and tells the third party why (条例第三十二条).
    return Outcome.DISCLOSED if rng.random() < 0.3 else Outcome.PARTIAL


def _extend(s: _Step, path: str, outcome: Outcome) -> Outcome | None:
    """延期答复 a few working days before the due date (第三十三条)."""
    if path != "extension":
        return outcome
    wf, rid, rng = s.wf, s.rid, s.rng
    due = wf.get(rid).due_date
    assert due is not None
    gap = max(0, wf.calendar.workdays_between(s.day, due) - rng.randrange(1, 4))
    s.do(
        gap,
        lambda d: wf.extend(
            rid,
            actor="承办人",
            approver="办公室主任",
            reason=rng.choice(_words()["extension_reasons"]),
            on=d,
        ),
        None,
    )
    return outcome


def _fee(s: _Step, path: str, outcome: Outcome) -> Outcome | None:
    """收费通知, then payment or 视为放弃 after 20 working days (国办函〔2020〕109号)."""
    if not path.startswith("fee"):
        return outcome
    wf, rid, rng = s.wf, s.rid, s.rng
    pages = rng.randrange(40, 260)
    if not s.do(
        rng.randrange(3, 8),
        lambda d: wf.issue_fee_notice(rid, actor="承办人", basis="per_volume", pages=pages, on=d),
        None,
    ):
        return None
    if path == "fee_lapse":
        s.day = s.after(20)
        s.do(1, lambda d: wf.fee_lapsed(rid, actor="承办人", on=d), None)
        return None
    s.do(rng.randrange(2, 10), lambda d: wf.receive_payment(rid, actor="财务", on=d))
    return outcome


def _reply_and_archive(s: _Step, path: str, outcome: Outcome) -> Outcome | None:
    """Reply mostly well inside the period (a few late), sometimes a 复议, then archive."""
    wf, rid, rng = s.wf, s.rid, s.rng
    due = wf.get(rid).due_date
    assert due is not None
    left = wf.calendar.workdays_between(s.day, due)
    gap = max(1, left - rng.randrange(0, 10)) if rng.random() > 0.05 else left + 2
    details = _details(outcome)
    letters: list[LetterKind | None] = [None]
    if path == "third_party" and outcome is Outcome.DISCLOSED:
        details = _data()["details"]["third_party_decision"]
        letters.append(LetterKind.NOTICE_THIRD_PARTY_DECISION)
    if outcome is Outcome.NOT_EXIST and not _search(s, gap):
        return None
    if not s.do(gap, lambda d: _sign_off_and_reply(wf, rid, outcome, details, d), *letters):
        return None
    if outcome.refusal and rng.random() < 0.3:
        results: list[CaseResult] = ["upheld", "upheld", "corrected", "pending"]
        result = rng.choice(results)
        s.do(
            rng.randrange(20, 50),
            lambda d: wf.record_review(rid, actor="法制科", result=result, on=d),
        )
    s.do(rng.randrange(10, 30), lambda d: wf.archive(rid, actor="档案室", on=d))
    return outcome


def _search(s: _Step, gap: int) -> bool:
    """协查: the archives search their records before a 不存在 reply (检索 documented)."""
    wf, rid = s.wf, s.rid
    what = "申请所涉文件的收文、发文及归档记录"
    if not s.do(
        max(0, gap - 3),
        lambda d: wf.open_search_task(rid, actor="承办人", department="archives", what=what, on=d),
    ):
        return False
    return s.do(
        1,
        lambda d: wf.answer_search_task(
            rid,
            actor="档案室",
            task=1,
            result="not_found",
            where="档案管理系统、收发文登记簿",
            searched_by="档案管理员",
            on=d,
        ),
    )


def _sign_off_and_reply(
    wf: Workflow, rid: int, outcome: Outcome, details: dict[str, Any], day: date
) -> None:
    """The draft passes its review chain (审核 → 法制审核 for refusals → 签发), then goes out."""
    wf.submit_for_review(rid, actor="承办人", outcome=outcome, details=details, on=day)
    reviewers = _data()["reviewers"]
    for role in wf.agency.review_chain(outcome):
        wf.approve(rid, actor=reviewers[role]["login"], opinion=reviewers[role]["opinion"], on=day)
    wf.reply(rid, actor="承办人", on=day)


def register_staff(wf: Workflow) -> None:
    """The demo agency's departments and people (data/demo.toml), once per database."""
    staff = _data()["staff"]
    if wf.people():
        return
    first, *others = staff["people"]
    wf.add_person(first["login"], first["name"], roles=first["roles"], actor=first["login"])
    for department in staff["departments"]:
        wf.add_department(department["code"], department["name"], actor=first["login"])
    for person in others:
        wf.add_person(
            person["login"],
            person["name"],
            roles=person["roles"],
            department=person["department"],
            actor=first["login"],
        )
    for department in staff["departments"]:
        if "contact" in department:
            wf.set_department_contact(
                department["code"], department["contact"], actor=first["login"]
            )


def populate(wf: Workflow, *, today: date, count: int = DEMO_REQUESTS, seed: int = 2026) -> None:
    """Receive ``count`` applications over the ~150 days before ``today`` and drive them."""
    register_staff(wf)
    rng = random.Random(seed)
    first = today - timedelta(days=150)
    days = sorted(first + timedelta(days=rng.randrange(150)) for _ in range(count))
    with wf.batch():
        for received in days:
            rid = wf.receive(_application(rng, received), actor="窗口").id
            _drive(_Step(wf, rid, received, today, rng))


def write_sample_letters(wf: Workflow, folder: Path) -> list[Path]:
    """One issued letter of each kind, reprinted as .docx and .txt into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    written: list[Path] = []
    for view in wf.find(limit=10_000):
        for event in wf.events(view.id):
            kind = event.payload.get("kind") if event.event is Event.ISSUE_LETTER else None
            if kind is None or kind in seen:
                continue
            seen.add(kind)
            # A reprint: the same number, no event.
            letter = wf.render(view.id, kind, fmt="docx", actor="公开办")
            stem = f"{kind}-{view.reg_no}"
            written.append(letter.save(folder / f"{stem}.docx"))
            written.append(letter.save(folder / f"{stem}.txt"))
    return written
