"""分办 (routing) and the review chain: each rule by a test named after what it protects."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date as D  # noqa: N812
from pathlib import Path

import pytest
from conftest import AGENCY, REVIEWERS, details, fixed_clock, registered, sign_off
from sqlalchemy import select

from ogi_workflow import (
    NotFoundError,
    Outcome,
    PermissionDenied,
    TransitionError,
    ValidationError,
    Workflow,
)
from ogi_workflow.models import AgencyProfile, Urgency, validate
from ogi_workflow.storage.schema import WORK_ITEM


def _departments(wf: Workflow) -> None:
    wf.add_department("planning", "规划科", actor="管理员")
    wf.add_department("archives", "档案科", actor="管理员")
    wf.add_person("规划甲", "规划甲", roles=["handler"], department="planning", actor="管理员")
    wf.add_person("规划乙", "规划乙", roles=["handler"], department="planning", actor="管理员")
    wf.add_person(
        "档案甲", "档案甲", roles=["search_contact"], department="archives", actor="管理员"
    )
    wf.set_department_contact("archives", "档案甲", actor="管理员")


@pytest.fixture
def rid(wf: Workflow) -> int:
    _departments(wf)
    return registered(wf)


def _open_items(wf: Workflow, rid: int) -> list[tuple[str, str]]:
    with wf.engine.connect() as conn:
        rows = conn.execute(
            select(WORK_ITEM.c.kind, WORK_ITEM.c.ref)
            .where(WORK_ITEM.c.request_id == rid, WORK_ITEM.c.closed_on.is_(None))
            .order_by(WORK_ITEM.c.id)
        )
        return [(row.kind, row.ref) for row in rows]


def test_assign_goes_only_to_an_active_department(wf: Workflow, rid: int) -> None:
    with pytest.raises(ValidationError, match="'legal' is not an active department"):
        wf.assign(rid, actor="登记员", department="legal", on=D(2026, 3, 2))
    with pytest.raises(ValidationError, match="'档案甲' is not an active member of department"):
        wf.assign(rid, actor="登记员", department="planning", person="档案甲", on=D(2026, 3, 2))
    assert wf.get(rid).department is None
    assert wf.events(rid)[-1].event == "register"


def test_only_the_registrar_assigns(wf: Workflow, rid: int) -> None:
    with pytest.raises(PermissionDenied, match="needs registrar"):
        wf.assign(rid, actor="规划甲", department="planning", on=D(2026, 3, 2))


def test_only_the_assigned_department_signs_for_it(wf: Workflow, rid: int) -> None:
    wf.assign(rid, actor="登记员", department="planning", on=D(2026, 3, 2))
    with pytest.raises(PermissionDenied, match="needs someone of department planning"):
        wf.accept_assignment(rid, actor="李明", on=D(2026, 3, 3))
    view = wf.accept_assignment(rid, actor="规划乙", on=D(2026, 3, 3))
    assert (view.department, view.assignee) == ("planning", "规划乙")
    with pytest.raises(TransitionError, match="already signed for by 规划乙"):
        wf.accept_assignment(rid, actor="规划甲", on=D(2026, 3, 3))


def test_an_assignment_to_a_person_is_signed_for_by_that_person(wf: Workflow, rid: int) -> None:
    wf.assign(rid, actor="登记员", department="planning", person="规划甲", on=D(2026, 3, 2))
    with pytest.raises(PermissionDenied, match="the person it is addressed to"):
        wf.accept_assignment(rid, actor="规划乙", on=D(2026, 3, 3))
    assert wf.accept_assignment(rid, actor="规划甲", on=D(2026, 3, 3)).assignee == "规划甲"


def test_a_return_needs_a_reason_and_goes_back_to_the_registrar(wf: Workflow, rid: int) -> None:
    wf.assign(rid, actor="登记员", department="planning", on=D(2026, 3, 2))
    with pytest.raises(ValidationError, match="needs a non-empty reason"):
        wf.return_assignment(rid, actor="规划甲", reason=" ", on=D(2026, 3, 3))
    view = wf.return_assignment(rid, actor="规划甲", reason="不属于本科室职责", on=D(2026, 3, 3))
    assert view.department is None
    assert _open_items(wf, rid) == [("returned", "1")]
    # on the morning list once the registrar's accept_workdays (2) have passed
    late = [i for i in wf.overdue(D(2026, 3, 6)) if i.kind is Urgency.RETURNED]
    assert [(i.id, i.deadline) for i in late] == [(rid, D(2026, 3, 5))]
    wf.assign(rid, actor="登记员", department="archives", on=D(2026, 3, 4))
    assert _open_items(wf, rid) == [("assignment", "2")]


def test_reassign_moves_it_and_assign_refuses_a_second_assignment(wf: Workflow, rid: int) -> None:
    wf.assign(rid, actor="登记员", department="planning", on=D(2026, 3, 2))
    with pytest.raises(TransitionError, match="use reassign"):
        wf.assign(rid, actor="登记员", department="archives", on=D(2026, 3, 2))
    wf.accept_assignment(rid, actor="规划甲", on=D(2026, 3, 3))
    with pytest.raises(PermissionDenied, match="may not act on assignment #1"):
        wf.reassign(rid, actor="李明", department="archives", reason="转档案科", on=D(2026, 3, 3))
    view = wf.reassign(
        rid, actor="规划甲", department="archives", reason="档案科掌握", on=D(2026, 3, 3)
    )
    assert (view.department, view.assignee) == ("archives", None)
    assert _open_items(wf, rid) == [("assignment", "2")]


def test_an_assignment_not_signed_for_is_on_the_department_morning_list(
    wf: Workflow, rid: int
) -> None:
    wf.assign(rid, actor="登记员", department="planning", on=D(2026, 3, 2))
    assert wf.overdue(D(2026, 3, 4), department="planning") == []  # due 03-04
    items = wf.overdue(D(2026, 3, 5), department="planning")
    assert [(i.kind, i.overdue, i.department) for i in items] == [
        (Urgency.ASSIGNMENT, True, "planning")
    ]
    assert wf.overdue(D(2026, 3, 5), department="archives") == []
    wf.accept_assignment(rid, actor="规划甲", on=D(2026, 3, 5))
    assert wf.overdue(D(2026, 3, 5), department="planning") == []
    assert [i.kind for i in wf.overdue(D(2026, 4, 1), person="规划甲")] == [Urgency.OVERDUE]


def test_a_late_search_task_names_the_department_contact(wf: Workflow, rid: int) -> None:
    wf.start_handling(rid, actor="李明", on=D(2026, 3, 2))
    wf.open_search_task(
        rid, actor="李明", department="archives", what="收发文记录", on=D(2026, 3, 2)
    )
    (item,) = wf.overdue(D(2026, 3, 10))
    assert (item.kind, item.task, item.contact, item.deadline) == (
        Urgency.SEARCH_TASK,
        "1",
        "档案甲",
        D(2026, 3, 9),
    )


def test_no_reply_without_a_complete_review_chain(wf: Workflow, rid: int) -> None:
    wf.start_handling(rid, actor="李明", on=D(2026, 3, 2))
    nothing = details(Outcome.NOT_EXIST)
    with pytest.raises(TransitionError, match="no signed-off draft; submit_for_review first"):
        wf.reply(rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing, on=D(2026, 3, 9))
    wf.submit_for_review(rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing)
    wf.approve(rid, actor=REVIEWERS["reviewer"], opinion="同意")
    with pytest.raises(TransitionError, match=r"waits for step 2 \(signer\)"):
        wf.reply(rid, actor="李明")
    assert wf.get(rid).state.value == "handling"


def test_a_reviewer_never_reviews_their_own_draft(wf: Workflow, rid: int) -> None:
    wf.add_person("兼职", "兼职", roles=["handler", "reviewer"], actor="管理员")
    wf.start_handling(rid, actor="兼职", on=D(2026, 3, 2))
    wf.submit_for_review(
        rid, actor="兼职", outcome=Outcome.NOT_EXIST, details=details(Outcome.NOT_EXIST)
    )
    with pytest.raises(PermissionDenied, match="separation of duties"):
        wf.approve(rid, actor="兼职", opinion="同意")


def test_each_step_needs_its_own_role(wf: Workflow, rid: int) -> None:
    wf.start_handling(rid, actor="李明", on=D(2026, 3, 2))
    partial = details(Outcome.PARTIAL)
    wf.submit_for_review(rid, actor="李明", outcome=Outcome.PARTIAL, details=partial)
    with pytest.raises(PermissionDenied, match="step 1 of draft #1 needs the role reviewer"):
        wf.approve(rid, actor=REVIEWERS["signer"], opinion="同意")
    wf.approve(rid, actor=REVIEWERS["reviewer"], opinion="同意")
    # a refusal or partial disclosure passes 法制审核 before 签发
    with pytest.raises(PermissionDenied, match="needs the role legal_reviewer"):
        wf.approve(rid, actor=REVIEWERS["signer"], opinion="同意")


def test_a_draft_sent_back_passes_the_whole_chain_again(wf: Workflow, rid: int) -> None:
    wf.start_handling(rid, actor="李明", on=D(2026, 3, 2))
    nothing = details(Outcome.NOT_EXIST)
    wf.submit_for_review(rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing)
    wf.approve(rid, actor=REVIEWERS["reviewer"], opinion="同意")
    with pytest.raises(ValidationError, match="needs a non-empty opinion"):
        wf.send_back(rid, actor=REVIEWERS["signer"], opinion="")
    wf.send_back(rid, actor=REVIEWERS["signer"], opinion="检索范围不全，补充档案室检索")
    with pytest.raises(TransitionError, match="was sent back by 王主任"):
        wf.reply(rid, actor="李明")
    sign_off(wf, rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing)
    assert wf.reply(rid, actor="李明").outcome is Outcome.NOT_EXIST
    assert _open_items(wf, rid) == []


def test_the_reply_says_what_was_signed_off(wf: Workflow, rid: int) -> None:
    wf.start_handling(rid, actor="李明", on=D(2026, 3, 2))
    nothing = details(Outcome.NOT_EXIST)
    sign_off(wf, rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing)
    with pytest.raises(ValidationError, match="differs from draft #1 as signed off"):
        wf.reply(
            rid,
            actor="李明",
            outcome=Outcome.NEEDS_CREATION,
            details=details(Outcome.NEEDS_CREATION),
        )
    with pytest.raises(ValidationError, match="differs from draft #1"):
        wf.reply(
            rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing | {"searched": "别处"}
        )
    assert wf.reply(rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing).outcome


def test_a_draft_that_can_never_be_printed_is_not_submitted(wf: Workflow, rid: int) -> None:
    wf.start_handling(rid, actor="李明", on=D(2026, 3, 2))
    with pytest.raises(ValidationError, match="needs details provided, withheld"):
        wf.submit_for_review(rid, actor="李明", outcome=Outcome.PARTIAL)
    assert wf.events(rid)[-1].event == "start_handling"


def test_a_review_chain_is_configured_per_outcome_and_ends_with_the_signer() -> None:
    def profile(chains: dict[str, tuple[str, ...]]) -> AgencyProfile:
        return validate(AgencyProfile, {**AGENCY, "review_chains": chains})

    chosen = profile({"disclosed": ("signer",)})
    assert chosen.review_chain(Outcome.DISCLOSED) == ("signer",)
    assert chosen.review_chain(Outcome.STATE_SECRET) == ("reviewer", "legal_reviewer", "signer")
    with pytest.raises(ValidationError, match="end with signer"):
        profile({"default": ("signer", "reviewer")})
    with pytest.raises(ValidationError, match="'maybe' is not an outcome"):
        profile({"maybe": ("signer",)})


def test_internal_steps_never_move_the_clock(wf: Workflow, rid: int) -> None:
    due = wf.get(rid).due_date
    wf.assign(rid, actor="登记员", department="planning", on=D(2026, 3, 2))
    wf.return_assignment(rid, actor="规划甲", reason="不属于本科室", on=D(2026, 3, 3))
    wf.assign(rid, actor="登记员", department="planning", person="规划乙", on=D(2026, 3, 4))
    wf.accept_assignment(rid, actor="规划乙", on=D(2026, 3, 5))
    wf.start_handling(rid, actor="规划乙", on=D(2026, 3, 5))
    wf.submit_for_review(
        rid, actor="规划乙", outcome=Outcome.NOT_EXIST, details=details(Outcome.NOT_EXIST)
    )
    wf.send_back(rid, actor=REVIEWERS["reviewer"], opinion="请补充检索")
    assert wf.get(rid).due_date == due == wf.recompute(rid).due_date


def test_the_case_file_holds_every_part_of_the_request(
    wf: Workflow, rid: int, tmp_path: Path
) -> None:
    """归档 (一案一档): application, letters issued (reprinted, same number), 审批 and 协查
    records, the event log and the deadline, with an index and each file's SHA-256."""
    wf.start_handling(rid, actor="李明", on=D(2026, 3, 2))
    wf.open_search_task(
        rid, actor="李明", department="archives", what="收发文记录", on=D(2026, 3, 2)
    )
    wf.answer_search_task(
        rid, actor="档案甲", task=1, result="not_found", where="档案系统", searched_by="档案甲",
        on=D(2026, 3, 3),
    )  # fmt: skip
    nothing = details(Outcome.NOT_EXIST)
    wf.submit_for_review(rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing)
    wf.send_back(rid, actor=REVIEWERS["reviewer"], opinion="请补充检索说明")
    sign_off(wf, rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing)
    wf.reply(rid, actor="李明")
    issued = wf.render(rid, actor="李明")
    events_before = len(wf.events(rid))
    with pytest.raises(PermissionDenied, match="case_file"):
        wf.case_file(rid, tmp_path / "x.zip", actor="审核员")
    path = wf.case_file(rid, tmp_path / "case.zip", actor="档案员")
    assert len(wf.events(rid)) == events_before  # reprints record nothing
    with zipfile.ZipFile(path) as case:
        names = case.namelist()
        manifest = json.loads(case.read("manifest.json"))
        review = json.loads(case.read("04-review.json"))
        tasks = json.loads(case.read("05-search-tasks.json"))
        index = case.read("00-index.txt").decode("utf-8")
        letter = case.read("03-letters/01-reply_not_exist.docx")
        for entry in manifest:
            assert hashlib.sha256(case.read(entry["file"])).hexdigest() == entry["sha256"]
    assert {"01-application.json", "06-events.json", "07-deadline.json"} <= set(names)
    assert issued.docx()[:2] == letter[:2] == b"PK"
    assert issued.number in index
    assert "一案一档" in index
    assert [[s["decision"] for s in case["steps"]] for case in review] == [
        ["send_back"],
        ["approve", "approve"],
    ]
    assert review[0]["steps"][0]["opinion"] == "请补充检索说明"
    assert {"04-approval/01-approval-form.docx", "04-approval/02-approval-form.docx"} <= set(names)
    assert letter == issued.docx()  # the frozen file, as issued
    assert tasks[0]["answer"]["result"] == "not_found"
    folder = wf.case_file(rid, tmp_path / "case", actor="档案员")
    assert (folder / "00-index.txt").read_text(encoding="utf-8") == index


def test_an_issued_letter_is_frozen_and_reprints_identically(
    wf: Workflow, rid: int, db_url: str
) -> None:
    """The letter is frozen at issue: after the agency's name changes, a reprint returns the
    same bytes and text, and Workflow.letters lists it as issued."""
    wf.start_handling(rid, actor="李明", on=D(2026, 3, 2))
    opened = details(Outcome.DISCLOSED)
    sign_off(wf, rid, actor="李明", outcome=Outcome.DISCLOSED, details=opened, on=D(2026, 3, 9))
    wf.reply(rid, actor="李明", on=D(2026, 3, 10))
    issued = wf.render(rid, actor="李明")
    renamed = {**AGENCY, "name": "某市人民政府办公厅"}
    with Workflow.open(db_url, agency=renamed, clock=fixed_clock) as later:
        again = later.render(rid, actor="李明")
        listed = later.letters(rid)
        fresh = later.render(rid, "notice_registration", actor="李明")
    assert again.docx() == issued.docx()
    assert again.text() == issued.text()
    assert "某市人民政府办公室" in again.text()
    assert [(x.number, x.docx()) for x in listed] == [(issued.number, issued.docx())]
    assert "某市人民政府办公厅" in fresh.text()  # a letter issued later takes the new name


def test_the_approval_form_prints_each_step_with_opinion_name_and_date(
    wf: Workflow, rid: int
) -> None:
    """审批表: the chain of a draft, 审核 → 法制审核 → 签发 for a refusal, with opinions, names
    and dates; a step not taken reads 待审; a draft sent back shows who and why."""
    import docx  # noqa: PLC0415

    def cells(data: bytes) -> list[tuple[str, str]]:
        table = docx.Document(io.BytesIO(data)).tables[0]
        return [(row.cells[0].text, row.cells[1].text) for row in table.rows]

    wf.assign(rid, actor="登记员", department="planning", person="规划乙", on=D(2026, 3, 2))
    wf.accept_assignment(rid, actor="规划乙", on=D(2026, 3, 3))
    wf.start_handling(rid, actor="规划乙", on=D(2026, 3, 3))
    with pytest.raises(NotFoundError, match="no draft submitted"):
        wf.approval_form(rid, actor="规划乙")
    refusal = details(Outcome.STATE_SECRET)
    wf.submit_for_review(
        rid, actor="规划乙", outcome=Outcome.STATE_SECRET, details=refusal, on=D(2026, 3, 9)
    )
    wf.approve(rid, actor=REVIEWERS["reviewer"], opinion="拟同意", on=D(2026, 3, 10))
    first = dict(cells(wf.approval_form(rid, actor=REVIEWERS["signer"])))
    assert (first["承办部门"], first["承办人（拟稿）"]) == ("规划科", "规划乙")
    assert first["审核意见"] == "拟同意\n审核员　2026-03-10"
    assert first["法制审核意见"] == first["签发（负责人）意见"] == "（待审）"
    wf.send_back(rid, actor=REVIEWERS["legal_reviewer"], opinion="理由不足", on=D(2026, 3, 11))
    sent_back = dict(cells(wf.approval_form(rid, actor="规划乙", draft=1)))
    assert sent_back["法制审核退回意见"] == "理由不足\n法制科　2026-03-11"
    sign_off(
        wf, rid, actor="规划乙", outcome=Outcome.STATE_SECRET, details=refusal, on=D(2026, 3, 12)
    )
    rows = cells(wf.approval_form(rid, actor="规划乙"))
    assert [c for c, _ in rows[-3:]] == ["审核意见", "法制审核意见", "签发（负责人）意见"]
    assert dict(rows)["审批次序"] == "第2次送审"
    with pytest.raises(NotFoundError, match="no draft #3"):
        wf.approval_form(rid, actor="规划乙", draft=3)
    with pytest.raises(PermissionDenied, match="approval_form"):
        wf.approval_form(rid, actor="档案甲")


def _routed_and_reviewed(wf: Workflow, rid: int) -> None:
    """分办, 退回, 再分办, 签收, 转办, 协查 and a review chain: items opened and closed."""
    wf.assign(rid, actor="登记员", department="planning", on=D(2026, 3, 2))
    wf.return_assignment(rid, actor="规划甲", reason="不属于本科室职责", on=D(2026, 3, 3))
    wf.assign(rid, actor="登记员", department="planning", on=D(2026, 3, 4))
    wf.accept_assignment(rid, actor="规划甲", on=D(2026, 3, 4))
    wf.reassign(rid, actor="规划甲", department="archives", reason="档案科掌握", on=D(2026, 3, 5))
    wf.open_search_task(
        rid, actor="李明", department="archives", what="收发文记录", on=D(2026, 3, 5)
    )
    wf.answer_search_task(
        rid, actor="档案甲", task=1, result="not_found", where="档案系统", searched_by="档案甲",
        on=D(2026, 3, 6),
    )  # fmt: skip
    sign_off(
        wf,
        rid,
        actor="李明",
        outcome=Outcome.DISCLOSED,
        details=details(Outcome.DISCLOSED),
        on=D(2026, 3, 9),
    )


def _all_items(wf: Workflow, rid: int) -> list[tuple[object, ...]]:
    columns = [c for c in WORK_ITEM.c if c.name not in ("id", "request_id")]
    with wf.engine.connect() as conn:
        rows = conn.execute(
            select(*columns).where(WORK_ITEM.c.request_id == rid).order_by(WORK_ITEM.c.id)
        )
        return [tuple(row) for row in rows]


def test_a_batch_leaves_the_same_work_items_as_one_action_at_a_time(wf: Workflow) -> None:
    """A batch writes its work-item changes at flush, followed in memory; what it stores is
    what the same actions store one transaction each: for a request stored before the batch
    (its items closed by statements) and for one received in it (closed in memory)."""
    _departments(wf)
    direct, batched = registered(wf), registered(wf)
    _routed_and_reviewed(wf, direct)
    with wf.batch():
        _routed_and_reviewed(wf, batched)
        received = registered(wf)
        _routed_and_reviewed(wf, received)
    assert _all_items(wf, batched) == _all_items(wf, direct)
    assert _all_items(wf, received) == _all_items(wf, direct)
    assert len(_all_items(wf, direct)) >= 6
