"""The Workflow API on SQLite and PostgreSQL: guards named after their articles, storage rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    AGENCY,
    NOTICE_2027,
    application,
    details,
    fixed_clock,
    open_staffed,
    signed_reply,
)

from ogi_workflow import Outcome, State, Workflow
from ogi_workflow.errors import ConflictError, NotFoundError, TransitionError, ValidationError

D = date


def registered(wf: Workflow, received: str = "2026-03-02T09:30") -> int:
    request = wf.receive(application(received), actor="窗口")
    return wf.register(request.id, actor="登记员", on=request.received_on).id


def test_art31_art33_the_clock_runs_from_receipt_before_registration(wf: Workflow) -> None:
    """Received 3-2 at the window and left unregistered: due 3-30, overdue on 3-31."""
    received = wf.receive(application(), actor="窗口")
    assert received.state is State.RECEIVED
    assert (received.clock_start, received.due_date) == (D(2026, 3, 2), D(2026, 3, 30))
    assert [i.id for i in wf.overdue(D(2026, 3, 31))] == [received.id]
    assert [i.id for i in wf.overdue(D(2026, 3, 26), within=3)] == [received.id]
    view = wf.register(received.id, actor="登记员", on=D(2026, 3, 2))
    assert view.reg_no == "2026-0001"
    assert view.clock_start == D(2026, 3, 2)
    assert view.due_date == D(2026, 3, 30)
    assert view.correction_window_end == D(2026, 3, 11)
    assert wf.get("2026-0001").id == view.id
    assert [e.event for e in wf.events(view.id)] == ["receive", "register"]


def test_registration_numbers_per_year(wf: Workflow) -> None:
    first = registered(wf, "2025-12-30T10:00")
    second = registered(wf, "2026-01-05T10:00")
    third = registered(wf, "2026-01-06T10:00")
    assert [wf.get(i).reg_no for i in (first, second, third)] == [
        "2025-0001",
        "2026-0001",
        "2026-0002",
    ]


def test_art30_correction_notice_within_seven_workdays(wf: Workflow) -> None:
    rid = registered(wf)
    with pytest.raises(TransitionError, match=r"window that ended 2026-03-11.*条例第三十条"):
        wf.request_correction(
            rid,
            actor="李四",
            items=["请明确文件名称"],
            correct_by=D(2026, 3, 27),
            on=D(2026, 3, 12),
        )
    late = wf.request_correction(
        rid,
        actor="李四",
        items=["请明确文件名称"],
        correct_by=D(2026, 3, 27),
        on=D(2026, 3, 12),
        late_reason="承办人病假，经负责人同意",
    )
    assert late.state is State.CORRECTION_PENDING
    assert wf.events(rid)[-1].reason == "承办人病假，经负责人同意"


def test_art30_correction_restarts_clock(wf: Workflow) -> None:
    rid = registered(wf)
    wf.request_correction(
        rid, actor="李四", items=["请明确年份"], correct_by=D(2026, 3, 20), on=D(2026, 3, 5)
    )
    view = wf.receive_correction(rid, actor="李四", on=D(2026, 3, 10))
    assert view.state is State.HANDLING
    assert view.clock_start == D(2026, 3, 10)
    assert view.due_date == D(2026, 4, 8)


def test_art30_correction_needs_items_and_a_later_date(wf: Workflow) -> None:
    rid = registered(wf)
    with pytest.raises(ValidationError, match="needs items"):
        wf.request_correction(
            rid, actor="李四", items=[], correct_by=D(2026, 3, 20), on=D(2026, 3, 5)
        )
    with pytest.raises(ValidationError, match="correct_by must be a date after"):
        wf.request_correction(
            rid, actor="李四", items=["x"], correct_by=D(2026, 3, 5), on=D(2026, 3, 5)
        )


def test_art30_correction_lapses_only_after_its_period(wf: Workflow) -> None:
    rid = registered(wf)
    wf.request_correction(
        rid, actor="李四", items=["请明确年份"], correct_by=D(2026, 3, 20), on=D(2026, 3, 5)
    )
    with pytest.raises(TransitionError, match="runs until 2026-03-20"):
        wf.correction_lapsed(rid, actor="李四", on=D(2026, 3, 20))
    view = wf.correction_lapsed(rid, actor="李四", on=D(2026, 3, 23))
    assert (view.state, view.outcome) == (State.REPLIED, Outcome.CORRECTION_LAPSED)


def test_art33_extension_only_once(wf: Workflow) -> None:
    rid = registered(wf)
    view = wf.extend(rid, actor="李四", approver="王主任", reason="涉及多个部门", on=D(2026, 3, 20))
    assert view.due_date == D(2026, 4, 28)  # 3-30 + 20 working days, 清明 and 劳动节 skipped
    with pytest.raises(TransitionError, match=r"already extended on 2026-03-20.*one extension"):
        wf.extend(rid, actor="李四", approver="王主任", reason="again", on=D(2026, 3, 23))


def test_art33_extension_needs_approver_and_reason(wf: Workflow) -> None:
    rid = registered(wf)
    with pytest.raises(ValidationError, match="approver must be a login"):
        wf.extend(rid, actor="李四", approver=" ", reason="x", on=D(2026, 3, 20))
    with pytest.raises(ValidationError, match="needs a non-empty reason"):
        wf.extend(rid, actor="李四", approver="王主任", reason=" ", on=D(2026, 3, 20))
    with pytest.raises(ValidationError, match="21 working days is not allowed"):
        wf.extend(rid, actor="李四", approver="王主任", reason="x", workdays=21, on=D(2026, 3, 20))


def test_art33_extension_only_before_the_due_date(wf: Workflow) -> None:
    rid = registered(wf)
    with pytest.raises(ValidationError, match="after the reply period ended on 2026-03-30"):
        wf.extend(rid, actor="李四", approver="王主任", reason="x", on=D(2026, 3, 31))
    assert wf.get(rid).version == 2  # nothing changed


def test_art33_extension_during_a_consultation(wf: Workflow) -> None:
    """Consulting from 3-20, the stored due date no longer binds: extending on 4-3 is within
    the period because the clock is stopped."""
    rid = registered(wf)
    wf.start_handling(rid, actor="李四", on=D(2026, 3, 3))
    wf.start_consultation(
        rid, actor="李四", party="third_party", consulted="某公司", on=D(2026, 3, 20)
    )
    view = wf.extend(rid, actor="李四", approver="王主任", reason="档案多", on=D(2026, 4, 3))
    assert view.state is State.CONSULTING
    assert (view.paused_workdays, view.due_date) == (15, D(2026, 5, 21))
    view = wf.end_consultation(rid, actor="李四", on=D(2026, 4, 8), opinion="同意")
    assert (view.paused_workdays, view.due_date) == (12, D(2026, 5, 18))


def test_art32_consultation_after_an_extension(wf: Workflow) -> None:
    """Extended on 3-20 to 4-28: a consultation on 4-10 is within the extended period."""
    rid = registered(wf)
    wf.start_handling(rid, actor="李四", on=D(2026, 3, 3))
    wf.extend(rid, actor="李四", approver="王主任", reason="档案多", on=D(2026, 3, 20))
    view = wf.start_consultation(
        rid, actor="李四", party="co_agency", consulted="市规划局", on=D(2026, 4, 10)
    )
    assert view.state is State.CONSULTING
    view = wf.end_consultation(rid, actor="李四", on=D(2026, 4, 20), opinion="同意")
    assert view.due_date == D(2026, 5, 9)


def test_art32_art34_unanswered_consultation_is_overdue_past_its_limit(wf: Workflow) -> None:
    """Received 3-2, co-producing agency consulted 3-20 and silent: the pause ends with its
    15 working days on 4-13, the period on 4-21; on 4-30 the request is on the list."""
    rid = registered(wf)
    wf.start_handling(rid, actor="李四", on=D(2026, 3, 3))
    view = wf.start_consultation(
        rid, actor="李四", party="co_agency", consulted="市规划局", on=D(2026, 3, 20)
    )
    assert view.due_date == D(2026, 4, 21)
    assert [i.id for i in wf.overdue(D(2026, 4, 30))] == [rid]
    assert [i.id for i in wf.overdue(D(2026, 6, 30))] == [rid]
    assert wf.overdue(D(2026, 4, 21)) == []
    view = wf.end_consultation(rid, actor="李四", on=D(2026, 6, 30), opinion="同意")
    assert (view.paused_workdays, view.due_date) == (15, D(2026, 4, 21))


def test_art32_consultation_pauses_the_clock(wf: Workflow) -> None:
    rid = registered(wf, "2026-09-28T09:00")
    wf.start_handling(rid, actor="李四", on=D(2026, 9, 29))
    consulting = wf.start_consultation(
        rid, actor="李四", party="third_party", consulted="某建设公司", on=D(2026, 10, 12)
    )
    assert consulting.state is State.CONSULTING
    assert wf.events(rid)[-1].payload["answer_by"] == "2026-11-02"  # 15 working days
    view = wf.end_consultation(rid, actor="李四", on=D(2026, 10, 20), opinion="不同意公开")
    assert (view.paused_workdays, view.due_date) == (6, D(2026, 11, 9))


def test_art34_co_agency_consultation(wf: Workflow) -> None:
    rid = registered(wf)
    wf.start_handling(rid, actor="李四", on=D(2026, 3, 3))
    with pytest.raises(ValidationError, match=r"'third_party'.*'co_agency'"):
        wf.start_consultation(
            rid,
            actor="李四",
            party="neighbour",  # type: ignore[arg-type]
            consulted="x",
            on=D(2026, 3, 4),
        )
    wf.start_consultation(
        rid, actor="李四", party="co_agency", consulted="某区住建局", on=D(2026, 3, 4)
    )
    assert wf.end_consultation(rid, actor="李四", on=D(2026, 3, 6)).due_date == D(2026, 4, 1)


def test_art35_reasonable_delay_must_be_later(wf: Workflow) -> None:
    rid = registered(wf)
    with pytest.raises(ValidationError, match="条例第三十五条"):
        wf.delay_reasonably(rid, actor="李四", delayed_to=D(2026, 3, 27), reason="数量大")
    view = wf.delay_reasonably(
        rid,
        actor="李四",
        delayed_to=D(2026, 5, 29),
        reason="申请数量明显超过合理范围",
        on=D(2026, 3, 10),
    )
    assert view.due_date == D(2026, 5, 29)


def test_fee_notice_pauses_and_lapses_after_twenty_workdays(wf: Workflow) -> None:
    # 国办函〔2020〕109号: pay within 20 working days from the day after receiving the notice.
    rid = registered(wf)
    wf.start_handling(rid, actor="李四", on=D(2026, 3, 3))
    view = wf.issue_fee_notice(rid, actor="李四", basis="per_volume", pages=40, on=D(2026, 3, 9))
    assert view.state is State.FEE_PENDING
    assert wf.events(rid)[-1].payload["payment_due"] == "2026-04-07"
    with pytest.raises(TransitionError, match="may pay until 2026-04-07"):
        wf.fee_lapsed(rid, actor="李四", on=D(2026, 4, 7))
    lapsed = wf.fee_lapsed(rid, actor="李四", on=D(2026, 4, 8))
    assert lapsed.outcome is Outcome.FEE_LAPSED


def test_fee_payment_resumes_the_clock(wf: Workflow) -> None:
    rid = registered(wf)
    wf.start_handling(rid, actor="李四", on=D(2026, 3, 3))
    wf.issue_fee_notice(rid, actor="李四", basis="per_volume", pages=40, on=D(2026, 3, 9))
    view = wf.receive_payment(rid, actor="财务", on=D(2026, 3, 16))
    assert (view.state, view.paused_workdays, view.due_date) == (
        State.HANDLING,
        5,
        D(2026, 4, 7),
    )


def test_fee_period_counts_when_the_policy_keeps_the_clock_running(db_url: str) -> None:
    """国办函〔2020〕109号 with fee_pauses_clock=False: awaiting payment, the request is due
    3-30 as if no notice had gone out, and overdue on 3-31."""
    from ogi_workflow import ClockPolicy  # noqa: PLC0415

    policy = ClockPolicy(fee_pauses_clock=False)
    with open_staffed(db_url, agency=AGENCY, policy=policy, clock=fixed_clock) as wf:
        rid = registered(wf)
        wf.start_handling(rid, actor="李四", on=D(2026, 3, 3))
        view = wf.issue_fee_notice(
            rid, actor="李四", basis="per_volume", pages=40, on=D(2026, 3, 9)
        )
        assert (view.state, view.due_date) == (State.FEE_PENDING, D(2026, 3, 30))
        assert [i.id for i in wf.overdue(D(2026, 3, 31))] == [rid]


def test_fee_pause_ends_with_the_payment_period(wf: Workflow) -> None:
    """国办函〔2020〕109号: the clock stops for the 20 days to pay (to 4-7), not longer."""
    rid = registered(wf)
    wf.start_handling(rid, actor="李四", on=D(2026, 3, 3))
    view = wf.issue_fee_notice(rid, actor="李四", basis="per_volume", pages=40, on=D(2026, 3, 9))
    assert (view.paused_workdays, view.due_date) == (20, D(2026, 4, 28))
    assert [i.id for i in wf.overdue(D(2026, 4, 29))] == [rid]


def test_reply_needs_an_outcome_of_its_own(wf: Workflow) -> None:
    rid = registered(wf)
    with pytest.raises(ValidationError, match="outcome 'maybe' is not one of"):
        signed_reply(wf, rid, actor="李四", outcome="maybe", on=D(2026, 3, 20))
    with pytest.raises(ValidationError, match="recorded by the withdraw event"):
        signed_reply(wf, rid, actor="李四", outcome=Outcome.WITHDRAWN, on=D(2026, 3, 20))
    view = signed_reply(
        wf,
        rid,
        actor="李四",
        outcome=Outcome.NOT_EXIST,
        details=details(Outcome.NOT_EXIST),
        on=D(2026, 3, 20),
    )
    assert (view.state, view.outcome, view.replied_on) == (
        State.REPLIED,
        Outcome.NOT_EXIST,
        D(2026, 3, 20),
    )


def test_art33_reply_on_the_spot_is_given_on_the_day_of_receipt(wf: Workflow) -> None:
    """当场答复: received 3-2, answered 3-2 and registered on the way (有申请必登记)."""
    request = wf.receive(application(), actor="窗口")
    where = {"where": "某市政府门户网站"}
    with pytest.raises(TransitionError, match=r"received on 2026-03-02; a 当场答复 is given that"):
        wf.reply_on_the_spot(
            request.id,
            actor="窗口",
            outcome=Outcome.ALREADY_PUBLIC,
            details=where,
            on=D(2026, 5, 6),
        )
    view = wf.reply_on_the_spot(
        request.id, actor="窗口", outcome=Outcome.ALREADY_PUBLIC, details=where, on=D(2026, 3, 2)
    )
    assert (view.state, view.reg_no) == (State.REPLIED, "2026-0001")
    assert "登记编号：2026-0001" in wf.render(view.id, fmt="txt", actor="李明").text()


def test_art30_one_correction_notice_per_application(wf: Workflow) -> None:
    """一次性告知: a second 补正 notice after the corrected application came is refused."""
    rid = registered(wf)
    wf.request_correction(
        rid, actor="李四", items=["年份"], correct_by=D(2026, 3, 20), on=D(2026, 3, 4)
    )
    wf.receive_correction(rid, actor="李四", on=D(2026, 3, 10), description="2025年的批复")
    with pytest.raises(TransitionError, match=r"already had its 补正 notice .*一次性告知"):
        wf.request_correction(
            rid, actor="李四", items=["文号"], correct_by=D(2026, 3, 25), on=D(2026, 3, 12)
        )
    # still unclear after correction: answered within the period restarted on 3-10 (4-8)
    view = signed_reply(
        wf,
        rid,
        actor="李四",
        outcome=Outcome.STILL_UNCLEAR,
        details={"unclear": "仍未写明文件名称", "convenience": {"narrowing": "写明文号"}},
        on=D(2026, 4, 8),
    )
    assert (view.outcome, view.clock_start, view.due_date) == (
        Outcome.STILL_UNCLEAR,
        D(2026, 3, 10),
        D(2026, 4, 8),
    )


def test_art30_still_unclear_needs_a_correction_first(wf: Workflow) -> None:
    rid = registered(wf)
    details = {"unclear": "未写明文件名称", "convenience": {"narrowing": "写明文号"}}
    with pytest.raises(TransitionError, match=r"still_unclear .* needs a corrected application"):
        signed_reply(
            wf, rid, actor="李四", outcome=Outcome.STILL_UNCLEAR, details=details, on=D(2026, 3, 9)
        )


def test_art35_delay_is_decided_within_the_period_and_has_its_letter(wf: Workflow) -> None:
    """Due 3-30: a 条例第三十五条 delay decided on 3-31 is refused; on 3-30 it stands and the
    延迟答复告知书 tells the applicant."""
    rid = registered(wf)
    with pytest.raises(ValidationError, match=r"decided on 2026-03-31, after the reply period"):
        wf.delay_reasonably(
            rid, actor="李四", delayed_to=D(2026, 5, 29), reason="数量大", on=D(2026, 3, 31)
        )
    wf.delay_reasonably(
        rid, actor="李四", delayed_to=D(2026, 5, 29), reason="数量大", on=D(2026, 3, 30)
    )
    letter = wf.render(rid, fmt="txt", actor="李明")
    assert letter.kind.value == "notice_delay"
    assert "第三十五条" in letter.text()
    assert "2026年5月29日前" in letter.text()


def test_art33_review_of_a_non_reply_is_recorded_and_counted(wf: Workflow) -> None:
    """逾期未作出处理 is reviewable: a 复议 filed over a request never answered counts in
    table 四 of the annual report."""
    rid = registered(wf)
    wf.record_review(rid, actor="法制科", result="pending", on=D(2026, 5, 6))
    assert wf.events(rid)[-1].payload["against"] == "non_reply"
    assert wf.get(rid).state is State.REGISTERED
    table4 = wf.annual_report(2026).table4
    assert table4["review"]["total"] == 1


def test_nothing_after_archive_but_review_and_litigation(wf: Workflow) -> None:
    rid = registered(wf)
    signed_reply(
        wf,
        rid,
        actor="李四",
        outcome=Outcome.STATE_SECRET,
        details=details(Outcome.STATE_SECRET),
        on=D(2026, 3, 20),
    )
    wf.archive(rid, actor="档案员", on=D(2026, 3, 23))
    with pytest.raises(
        TransitionError,
        match=r"is archived \(已归档\); from there only: "
        r"record_review, record_litigation",
    ):
        wf.withdraw(rid, actor="张三", reason="x", on=D(2026, 3, 24))
    view = wf.record_review(rid, actor="法制科", result="upheld", on=D(2026, 5, 6))
    assert view.state is State.ARCHIVED
    wf.record_litigation(rid, actor="法制科", result="pending", after_review=True, on=D(2026, 6, 1))
    with pytest.raises(ValidationError, match="result must be upheld"):
        wf.record_review(rid, actor="法制科", result="won", on=D(2026, 6, 2))  # type: ignore[arg-type]


def test_illegal_event_changes_nothing(wf: Workflow) -> None:
    rid = registered(wf)
    before, events = wf.get(rid), wf.events(rid)
    with pytest.raises(TransitionError, match=r"archive: request 2026-0001 is registered"):
        wf.archive(rid, actor="档案员", on=D(2026, 3, 3))
    assert wf.get(rid) == before
    assert wf.events(rid) == events


def test_events_are_recorded_in_date_order(wf: Workflow) -> None:
    rid = registered(wf)
    wf.start_handling(rid, actor="李四", on=D(2026, 3, 5))
    with pytest.raises(ValidationError, match="before the previous event on 2026-03-05"):
        signed_reply(
            wf,
            rid,
            actor="李四",
            outcome=Outcome.DISCLOSED,
            details=details(Outcome.DISCLOSED),
            on=D(2026, 3, 4),
        )


def test_expected_version_conflict(wf: Workflow) -> None:
    rid = registered(wf)
    seen = wf.get(rid).version
    wf.start_handling(rid, actor="李四", on=D(2026, 3, 3), expected_version=seen)
    with pytest.raises(ConflictError, match="not 2"):
        wf.start_handling(rid, actor="王五", on=D(2026, 3, 3), expected_version=seen)


def test_audit_log_records_actor_and_before_after(wf: Workflow) -> None:
    rid = registered(wf)
    wf.extend(rid, actor="李四", approver="王主任", reason="涉及多个部门", on=D(2026, 3, 20))
    last = wf.events(rid)[-1]
    assert (last.seq, last.event, last.actor, last.reason) == (3, "extend", "李四", "涉及多个部门")
    assert last.before == {"due_date": "2026-03-30", "extension_workdays": 0}
    assert last.after == {"due_date": "2026-04-28", "extension_workdays": 20}
    assert last.at.tzinfo is not None


def test_invalid_application_stores_nothing(wf: Workflow) -> None:
    bad = application(id_type="resident_id", id_number="110105194912310021")
    bad["description"] = ""
    with pytest.raises(ValidationError) as caught:
        wf.receive(bad, actor="窗口")
    message = str(caught.value)
    assert "2 invalid field(s)" in message
    assert "居民身份证号码校验位错误" in message
    assert "所需政府信息的内容描述：不能为空" in message
    assert wf.count() == 0


def test_not_found(wf: Workflow) -> None:
    with pytest.raises(NotFoundError, match="2026-9999"):
        wf.get("2026-9999")


def test_find_filters(wf: Workflow) -> None:
    a, b = registered(wf), registered(wf, "2026-04-01T09:00")
    wf.start_handling(b, actor="李四", on=D(2026, 4, 2))
    assert [v.id for v in wf.find(state="handling")] == [b]
    assert [v.id for v in wf.find(handler="李四")] == [b]
    assert [v.id for v in wf.find(received_to=D(2026, 3, 31))] == [a]
    assert wf.count(state=State.REGISTERED) == 1


def test_overdue_lists_running_clocks_only(wf: Workflow) -> None:
    late = registered(wf, "2026-10-09T09:00")  # due 2026-11-05 (Saturday 10-10 works)
    soon = registered(wf, "2026-10-26T09:00")  # due 2026-11-23
    paused = registered(wf, "2026-10-09T09:00")
    wf.start_handling(paused, actor="李四", on=D(2026, 10, 12))
    wf.start_consultation(
        paused, actor="李四", party="third_party", consulted="x", on=D(2026, 10, 13)
    )
    overdue = wf.overdue(as_of=D(2026, 11, 22))
    assert [(i.id, i.overdue, i.workdays_left) for i in overdue] == [(late, True, -11)]
    within = wf.overdue(as_of=D(2026, 11, 22), within=1)
    assert [i.id for i in within] == [late, soon]
    assert within[1].workdays_left == 1


def test_batch_is_all_or_nothing(wf: Workflow) -> None:
    def interrupted() -> None:
        with wf.batch():
            rid = registered(wf)
            wf.start_handling(rid, actor="李四", on=D(2026, 3, 3))
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        interrupted()
    assert wf.count() == 0


def test_batch_survives_a_refused_action(wf: Workflow) -> None:
    with wf.batch():
        rid = registered(wf)
        with pytest.raises(TransitionError):
            wf.archive(rid, actor="档案员", on=D(2026, 3, 3))
        wf.start_handling(rid, actor="李四", on=D(2026, 3, 3))
    assert wf.get(rid).state is State.HANDLING
    assert len(wf.events(rid)) == 3


def test_reflow_after_loading_next_years_notice(wf: Workflow, db_url: str) -> None:
    rid = registered(wf, "2026-12-10T09:00")
    assert (wf.get(rid).due_date, wf.get(rid).estimated) == (D(2027, 1, 8), True)
    moves = wf.load_calendar_notice(NOTICE_2027, actor="管理员")
    assert [(m.request_id, m.before, m.after, m.estimated_after) for m in moves] == [
        (rid, D(2027, 1, 8), D(2027, 1, 7), False)
    ]
    assert wf.events(rid)[-1].event == "recompute_deadline"
    # Another worker opening the same database uses the loaded notice too.
    other = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    assert 2027 in other.calendar.official_years
    assert other.reflow_deadlines(actor="管理员") == []
    other.close()


def test_a_long_lived_worker_uses_a_notice_another_worker_loaded(wf: Workflow, db_url: str) -> None:
    """Worker 1 opened before the 2027 notice; worker 2 loads it; worker 1's next action
    stores the official due date (2027-01-07), not its stale estimate (2027-01-08)."""
    rid = registered(wf, "2026-12-10T09:00")
    other_request = registered(wf, "2026-12-11T09:00")
    with open_staffed(db_url, clock=fixed_clock) as loader:
        loader.load_calendar_notice(NOTICE_2027, actor="管理员")
    view = wf.extend(rid, actor="李四", approver="王主任", reason="档案多", on=D(2026, 12, 14))
    fresh = wf.recompute(rid)
    assert (view.due_date, view.estimated) == (fresh.due_date, False)
    with wf.batch():  # inside a batch: checked once, at its first action
        batched = wf.start_handling(other_request, actor="李四", on=D(2026, 12, 14))
    assert batched.estimated is False
    assert 2027 in wf.calendar.official_years


def test_stored_clock_equals_recomputed_from_events(wf: Workflow) -> None:
    rid = registered(wf, "2026-09-28T09:00")
    wf.start_handling(rid, actor="李四", on=D(2026, 9, 29))
    wf.start_consultation(rid, actor="李四", party="third_party", consulted="x", on=D(2026, 10, 12))
    wf.end_consultation(rid, actor="李四", on=D(2026, 10, 20))
    wf.extend(rid, actor="李四", approver="王主任", reason="x", on=D(2026, 11, 2))
    stored, recomputed = wf.get(rid), wf.recompute(rid)
    assert (stored.due_date, stored.paused_workdays, stored.extension_workdays) == (
        recomputed.due_date,
        recomputed.paused_workdays,
        recomputed.extension_workdays,
    )
    assert stored.due_date == D(2026, 12, 7)


def test_json_notice_in_the_database_survives_reopening(db_url: str, tmp_path: Path) -> None:
    notice = tmp_path / "2027.json"
    notice.write_text(
        '{"year": 2027, "notices": [{"title": "国务院办公厅关于2027年部分节假日安排的通知",'
        ' "date": "2026-11-10"}],'
        ' "rest": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}]}',
        encoding="utf-8",
    )
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        wf.load_calendar_notice(notice, actor="管理员")
    with open_staffed(db_url, clock=fixed_clock) as again:
        assert 2027 in again.calendar.official_years
    with (
        pytest.raises(ValidationError, match="cannot be read"),
        open_staffed(db_url, clock=fixed_clock) as wf,
    ):
        wf.load_calendar_notice(tmp_path / "missing.toml", actor="管理员")


def test_views_returned_by_actions_equal_validated_views(wf: Workflow) -> None:
    """Actions build their RequestView without validating again; it must be the same model."""
    from ogi_workflow import RequestView  # noqa: PLC0415

    view = wf.get(registered(wf))
    again = RequestView.model_validate(view.model_dump())
    assert again == view
    assert view.model_fields_set == again.model_fields_set
    assert view.model_copy(update={"handler": "李明"}).handler == "李明"
    assert view.model_dump_json() == again.model_dump_json()


def test_extension_limit_has_one_home_in_the_policy(tmp_path: Path) -> None:
    """条例第三十三条: the guard and the clock read the same limit from ClockPolicy."""
    from ogi_workflow import ClockEvents, ClockPolicy, Extension, compute_deadline  # noqa: PLC0415

    policy = ClockPolicy(max_extension_workdays=10)
    with open_staffed(
        str(tmp_path / "p.sqlite"), agency=AGENCY, policy=policy, clock=fixed_clock
    ) as wf:
        rid = registered(wf)
        with pytest.raises(ValidationError, match=r"15 working days is not allowed .*1 to 10\)"):
            wf.extend(
                rid, actor="李明", approver="王主任", reason="档案", workdays=15, on=D(2026, 3, 5)
            )
        events = ClockEvents(D(2026, 3, 2), extension=Extension(D(2026, 3, 5), workdays=15))
        with pytest.raises(ValidationError, match=r"15 working days is not allowed .*1 to 10\)"):
            compute_deadline(events, wf.calendar, policy=policy)
        view = wf.extend(rid, actor="李明", approver="王主任", reason="档案", on=D(2026, 3, 5))
        assert view.extension_workdays == 10  # the default is the policy's maximum


def test_bulk_insert_stores_what_sqlalchemy_stores(wf: Workflow) -> None:
    """A batch writes its rows with insert_many (one executemany over the columns' own bind
    processors; COPY on PostgreSQL from COPY_FROM_ROWS rows on); read back, they equal rows
    written by SQLAlchemy's insert(), and a row that breaks a constraint fails as there."""
    from datetime import UTC, datetime  # noqa: PLC0415

    from sqlalchemy import delete, insert, select  # noqa: PLC0415
    from sqlalchemy.exc import IntegrityError  # noqa: PLC0415

    from ogi_workflow.storage.schema import COPY_FROM_ROWS, EVENT, insert_many  # noqa: PLC0415

    rid = registered(wf)
    rows = [
        {
            "request_id": rid,
            "seq": seq,
            "event": "note",
            "actor": "张三 O'Brien %s",
            "at": datetime(2026, 3, 2, 1, 30, 15, 123456, tzinfo=UTC),
            "effective_on": D(2026, 3, 2),
            "state_before": None,
            "state_after": "registered",
            "reason": None if seq % 5 == 0 else "理由\n第二行\t制表 \\N 反斜杠",
            "payload": {"n": seq, "list": [1.5, None, True], "文字": "公开\t\\"},
            "before_values": {},
            "after_values": {"due_date": "2026-03-30"},
        }
        for seq in range(100, 100 + COPY_FROM_ROWS)
    ]
    stored: list[list[Any]] = []
    for write in (lambda c: c.execute(insert(EVENT), rows), lambda c: insert_many(c, EVENT, rows)):
        with wf.engine.begin() as conn:
            write(conn)
            query = select(EVENT).where(EVENT.c.seq >= 100).order_by(EVENT.c.seq)
            stored.append([dict(r._mapping) | {"id": None} for r in conn.execute(query)])
            raw = "SELECT CAST(payload AS TEXT), CAST(at AS TEXT), CAST(effective_on AS TEXT) "
            stored.append(list(conn.exec_driver_sql(raw + "FROM ogi_event WHERE seq >= 100")))
            conn.execute(delete(EVENT).where(EVENT.c.seq >= 100))
    assert stored[0] == stored[2]
    assert sorted(stored[1]) == sorted(stored[3])  # the very text stored
    assert [r["payload"] for r in stored[2]] == [r["payload"] for r in rows]
    with pytest.raises(IntegrityError), wf.engine.begin() as conn:
        insert_many(conn, EVENT, [*rows, rows[0]])  # (request, seq) twice


def test_a_batch_stores_what_one_action_at_a_time_stores(wf: Workflow) -> None:
    """The rows a batch writes at flush (COPY on PostgreSQL from COPY_FROM_ROWS rows on) are
    the rows the same actions write one transaction each: requests, events, outbox rows and
    work items, ids and numbers aside, and the very text of each application and payload."""
    from sqlalchemy import bindparam, select, text  # noqa: PLC0415

    from ogi_workflow.storage.schema import (  # noqa: PLC0415
        COPY_FROM_ROWS,
        EVENT,
        OUTBOX,
        REQUEST,
        WORK_ITEM,
    )

    def lifecycle() -> int:
        rid = registered(wf)
        wf.start_handling(rid, actor="李明", on=D(2026, 3, 3))
        outcome = Outcome.DISCLOSED
        on = D(2026, 3, 20)
        signed_reply(wf, rid, actor="李明", outcome=outcome, details=details(outcome), on=on)
        return wf.archive(rid, actor="窗口", on=D(2026, 3, 23)).id

    direct = [lifecycle() for _ in range(COPY_FROM_ROWS)]
    with wf.batch():
        batched = [lifecycle() for _ in range(COPY_FROM_ROWS)]
    numbers = {"id", "request_id", "reg_no", "reg_seq"}

    def stored(ids: list[int]) -> list[Any]:
        found: list[Any] = []
        with wf.engine.connect() as conn:
            for table in (REQUEST, EVENT, OUTBOX, WORK_ITEM):
                key = table.c.id if table is REQUEST else table.c.request_id
                rows = conn.execute(select(table).where(key.in_(ids)).order_by(key, table.c.id))
                for row in rows:
                    values = {k: v for k, v in row._mapping.items() if k not in numbers}
                    for side in ("before_values", "after_values"):
                        if side in values:
                            values[side] = {
                                k: v for k, v in values[side].items() if k not in numbers
                            }
                    found.append((table.name, values))
            for json in (
                "SELECT CAST(application AS TEXT) FROM ogi_request WHERE id IN :ids ORDER BY id",
                "SELECT CAST(payload AS TEXT) FROM ogi_event WHERE request_id IN :ids ORDER BY id",
            ):
                query = text(json).bindparams(bindparam("ids", expanding=True))
                found.append(list(conn.execute(query, {"ids": ids}).scalars()))
        return found

    expected = stored(direct)
    assert stored(batched) == expected
    assert len(expected) > 4 * COPY_FROM_ROWS
