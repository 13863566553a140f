"""协查 (search tasks) and 会商 (case meetings): documented inner work; the clock never moves."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import details, handling, registered, signed_reply

from ogi_workflow import Outcome, PermissionDenied, Workflow
from ogi_workflow.errors import TransitionError, ValidationError

D = date


@pytest.fixture
def wf(wf: Workflow) -> Workflow:
    """The staffed workflow, with the department the tasks go to."""
    wf.add_department("planning", "规划科", actor="管理员")
    return wf


def search(wf: Workflow, rid: int, on: date, due: date | None = None) -> None:
    wf.open_search_task(
        rid, actor="李明", department="planning", what="2025年立项批复", due_date=due, on=on
    )


def test_not_exist_is_refused_while_a_search_task_is_open(wf: Workflow) -> None:
    rid = handling(wf)
    search(wf, rid, D(2026, 3, 3))
    nothing = details(Outcome.NOT_EXIST)
    with pytest.raises(TransitionError, match=r"every search task answered.*#1 \(planning\)"):
        signed_reply(
            wf, rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing, on=D(2026, 3, 10)
        )
    wf.answer_search_task(
        rid,
        actor="李明",
        task=1,
        result="not_found",
        where="规划科2019年以来的收发文档案和审批系统",
        searched_by="赵联络",
        on=D(2026, 3, 9),
    )
    view = signed_reply(
        wf, rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing, on=D(2026, 3, 10)
    )
    assert view.state.value == "replied"
    (task,) = wf.search_tasks(rid)
    assert (task.result, task.answered_on, task.searched_by) == (
        "not_found",
        D(2026, 3, 9),
        "赵联络",
    )


def test_a_search_task_is_due_in_the_agencys_working_days_never_after_the_reply(
    wf: Workflow,
) -> None:
    rid = handling(wf)
    search(wf, rid, D(2026, 3, 2))  # 5 working days (the agency's default): 03-09
    search(wf, rid, D(2026, 3, 27))  # 03-27 + 5 working days is 04-03, after the reply's 03-30
    assert [(t.task, t.due_date) for t in wf.search_tasks(rid)] == [
        (1, D(2026, 3, 9)),
        (2, D(2026, 3, 30)),
    ]
    with pytest.raises(ValidationError, match="after the reply is due"):
        search(wf, rid, D(2026, 3, 27), due=D(2026, 3, 31))


def test_search_tasks_and_meetings_never_move_the_clock(wf: Workflow) -> None:
    rid = handling(wf)
    before = wf.get(rid)
    search(wf, rid, D(2026, 3, 3))
    wf.record_meeting(
        rid,
        actor="李明",
        participants=["李明", "王主任", "法制科"],
        conclusion="属于过程性信息，拟不予公开",
        on=D(2026, 3, 20),
    )
    after = wf.get(rid)
    assert (after.due_date, after.paused_workdays, after.state) == (
        before.due_date,
        before.paused_workdays,
        before.state,
    )
    meeting = wf.events(rid)[-1]
    assert meeting.payload["participants"] == ["李明", "王主任", "法制科"]


def test_an_answer_documents_an_open_task(wf: Workflow) -> None:
    rid = handling(wf)
    search(wf, rid, D(2026, 3, 3))
    answer = {"actor": "李明", "where": "档案室", "searched_by": "赵联络", "on": D(2026, 3, 5)}
    with pytest.raises(ValidationError, match=r"open: #1\), got 9"):
        wf.answer_search_task(rid, task=9, result="not_found", **answer)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="result must be one of"):
        wf.answer_search_task(rid, task=1, result="maybe", **answer)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="needs a non-empty found"):
        wf.answer_search_task(rid, task=1, result="found", **answer)  # type: ignore[arg-type]
    wf.answer_search_task(rid, task=1, result="partly", found="2025年批复1份", **answer)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"open: none"):
        wf.answer_search_task(rid, task=1, result="found", found="x", **answer)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="at least two"):
        wf.record_meeting(rid, actor="李明", participants=["李明"], conclusion="x")


def test_a_department_contact_answers_but_does_not_open_tasks(wf: Workflow) -> None:
    rid = handling(wf)
    wf.add_person("赵联络", "赵联络", roles=["search_contact"], actor="管理员")
    with pytest.raises(PermissionDenied, match="open_search_task"):
        wf.open_search_task(rid, actor="赵联络", department="planning", what="x", on=D(2026, 3, 3))
    search(wf, rid, D(2026, 3, 3))
    with pytest.raises(PermissionDenied, match="answer_search_task"):
        wf.answer_search_task(rid, actor="窗口", task=1, result="not_found", where="档案室",
                              searched_by="窗口", on=D(2026, 3, 4))  # fmt: skip
    wf.answer_search_task(rid, actor="赵联络", task=1, result="not_found", where="档案室",
                          searched_by="赵联络", on=D(2026, 3, 4))  # fmt: skip
    assert wf.events(rid)[-1].actor == "赵联络"


def test_a_task_goes_to_a_department_and_the_work_to_a_handler_that_exist(wf: Workflow) -> None:
    """协查 to an unknown department, or 办理 by someone not registered as a handler, was
    once recorded as given; both are refused by name, and nothing is written."""
    rid = registered(wf)
    for nobody in ("无此人", "窗口"):  # not registered; registered, but not a handler
        with pytest.raises(ValidationError, match=f"handler '{nobody}' is not an active"):
            wf.start_handling(rid, actor="李明", handler=nobody, on=D(2026, 3, 2))
    assert wf.get(rid).state == "registered"
    wf.start_handling(rid, actor="李明", handler="李四", on=D(2026, 3, 2))
    assert wf.get(rid).handler == "李四"
    with pytest.raises(ValidationError, match="department 'nowhere' is not an active"):
        wf.open_search_task(rid, actor="李明", department="nowhere", what="x", on=D(2026, 3, 3))
    with pytest.raises(ValidationError, match=r"got 2026-03-01$"):  # ISO, not a Python repr
        wf.open_search_task(
            rid, actor="李明", department="planning", what="x", due_date=D(2026, 3, 1),
            on=D(2026, 3, 3),
        )  # fmt: skip
    assert wf.search_tasks(rid) == []
