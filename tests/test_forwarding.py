"""转送 between the agencies of one database (条例第三十六条第五项), on SQLite and PostgreSQL: the
first agency answers 非本机关负责 naming the agency responsible, which receives the request
that day; both are linked, in one transaction; the annual reports count each side."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    DETAILS,
    details,
    fixed_clock,
    handling,
    open_staffed,
    registered,
    sign_off,
    signed_reply,
)
from sqlalchemy import text

from ogi_workflow import Event, Outcome, State, Workflow
from ogi_workflow.errors import NotFoundError, TransitionError, ValidationError

D = date
RESOURCES: dict[str, Any] = {
    "code": "city-nrb",
    "name": "某市自然资源和规划局",
    "abbreviation": "某自然资源信公开",
    "review_body": "某市人民政府",
    "court": "某市中级人民法院",
    "phone": "010-6543210",
}
REASON = "建设工程规划许可由你局作出并保存"
# A draft answering 非本机关负责 that names the agency responsible and leaves its contact out.
NOT_OURS = {
    "reason": "该规划许可由市自然资源和规划局作出并保存",
    "convenience": {"holder": "某市自然资源和规划局"},
}


@pytest.fixture
def resources(db_url: str, wf: Workflow) -> Iterator[Workflow]:
    """The agency responsible, in the same database as ``wf``'s."""
    with open_staffed(db_url, agency=RESOURCES, clock=fixed_clock) as other:
        yield other


def drafted(wf: Workflow, draft: dict[str, Any] | None = None) -> int:
    """A request received and handled on 2026-03-02 (due 03-30), whose not_responsible draft
    passed its review chain (审核 → 签发) on 2026-03-16."""
    rid = handling(wf)
    sign_off(
        wf, rid, actor="李明", outcome=Outcome.NOT_RESPONSIBLE, details=draft or NOT_OURS,
        on=D(2026, 3, 16),
    )  # fmt: skip
    return rid


def test_article_36_5_forward_answers_not_responsible_and_the_agency_responsible_receives_it(
    wf: Workflow, resources: Workflow
) -> None:
    rid = drafted(wf)
    view = wf.forward(rid, actor="李明", to_agency="city-nrb", reason=REASON, on=D(2026, 3, 18))
    assert (view.state, view.outcome, view.replied_on) == (
        State.REPLIED,
        Outcome.NOT_RESPONSIBLE,
        D(2026, 3, 18),
    )
    assert view.forwarded_to_agency == "city-nrb"
    assert view.forwarded_to_request is not None
    # The reply names the agency responsible and its contact from that agency's profile.
    forward = wf.events(rid)[-1]
    assert (forward.event, forward.reason) == (Event.FORWARD, REASON)
    assert forward.payload["details"] == {
        "reason": NOT_OURS["reason"],
        "convenience": {"holder": "某市自然资源和规划局", "contact": "010-6543210"},
    }
    assert forward.payload["to_request"] == view.forwarded_to_request
    # There it is a new request, received on the day of the forward: 20 working days from
    # 2026-03-18 end on 04-16 (清明 04-04..04-06 are rest days).
    new = resources.get(view.forwarded_to_request)
    assert (new.agency, new.state, new.reg_no) == ("city-nrb", State.RECEIVED, None)
    assert (new.received_on, new.due_date) == (D(2026, 3, 18), D(2026, 4, 16))
    assert (new.forwarded_from_agency, new.forwarded_from_request) == ("test-city", rid)
    first = wf.get(rid)
    assert (new.applicant_name, new.applicant_kind, new.description, new.channel) == (
        first.applicant_name,
        first.applicant_kind,
        first.description,
        first.channel,
    )
    assert new.application["applicant"] == first.application["applicant"]
    received = resources.events(new.id)
    assert [(e.event, e.on, e.actor, e.reason) for e in received] == [
        (Event.RECEIVE, D(2026, 3, 18), "李明", REASON)
    ]
    assert received[0].payload == {
        "channel": "in_person",
        "from_agency": "test-city",
        "from_agency_name": "某市人民政府办公室",
        "from_request": rid,
        "from_reg_no": "2026-0001",
    }
    # Each agency sees its own request only; the second numbers it in its own series.
    with pytest.raises(NotFoundError):
        wf.get(new.id)
    with pytest.raises(NotFoundError):
        resources.get(rid)
    assert resources.register(new.id, actor="登记员", on=D(2026, 3, 18)).reg_no == "2026-0001"
    # Each event goes to the webhooks of its own agency.
    with wf.engine.connect() as conn:
        outbox = conn.execute(
            text("SELECT request_id, agency FROM ogi_outbox WHERE request_id IN (:a, :b)"),
            {"a": rid, "b": new.id},
        ).all()
    assert {tuple(row) for row in outbox} == {(rid, "test-city"), (new.id, "city-nrb")}


def test_article_36_5_letters_of_a_forward_say_where_it_went_and_where_it_came_from(
    wf: Workflow, resources: Workflow
) -> None:
    rid = drafted(wf)
    view = wf.forward(rid, actor="李明", to_agency="city-nrb", reason=REASON, on=D(2026, 3, 18))
    reply = wf.render(rid, fmt="txt", actor="李明")  # the forward's letter: its reply
    assert (reply.kind.value, reply.recipient, reply.date) == (
        "reply_not_responsible",
        "张三",
        D(2026, 3, 18),
    )
    assert "该政府信息由某市自然资源和规划局负责公开，联系方式：010-6543210。" in reply.text()
    assert "本机关已于2026年3月18日将您的申请转送某市自然资源和规划局" in reply.text()
    sent = wf.render(rid, "forward_agency", fmt="txt", actor="李明")
    assert (sent.recipient, sent.number) == ("某市自然资源和规划局", "某府办信公开〔2026〕2号")
    assert REASON in sent.text()
    new = view.forwarded_to_request
    assert new is not None
    resources.register(new, actor="登记员", on=D(2026, 3, 18))
    receipt = resources.render(new, fmt="txt", actor="登记员").text()
    assert "收到某市人民政府办公室转送的您提出的政府信息公开申请" in receipt
    assert "于2026年4月16日前作出答复" in receipt


def test_article_36_5_forward_to_an_unknown_agency_or_itself_or_without_a_reason_changes_nothing(
    wf: Workflow, resources: Workflow
) -> None:
    rid = drafted(wf)
    before, log = wf.get(rid), wf.events(rid)
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"to_agency": "city-edu"},
            r"forward: to_agency 'city-edu' is not an agency of this database "
            r"\(the others: city-nrb\)",
        ),
        ({"to_agency": "test-city"}, r"to_agency 'test-city' is this agency itself"),
        ({"to_agency": ""}, r"to_agency must be the code of another agency"),
        ({"reason": "  "}, r"forward: request 2026-0001 needs a non-empty reason"),
    ]
    for change, message in cases:
        params = {"to_agency": "city-nrb", "reason": REASON} | change
        with pytest.raises(ValidationError, match=message):
            wf.forward(rid, actor="李明", on=D(2026, 3, 18), **params)
        assert (wf.get(rid), wf.events(rid)) == (before, log)
    assert resources.count() == 0


def test_article_36_5_only_an_open_request_with_a_signed_off_not_responsible_draft_is_forwarded(
    wf: Workflow, resources: Workflow
) -> None:
    def refused(rid: int, error: type[Exception], message: str) -> None:
        before, log = wf.get(rid), wf.events(rid)
        with pytest.raises(error, match=message):
            wf.forward(rid, actor="李明", to_agency="city-nrb", reason=REASON, on=D(2026, 3, 20))
        assert (wf.get(rid), wf.events(rid)) == (before, log)

    answered = handling(wf)
    signed_reply(
        wf, answered, actor="李明", outcome=Outcome.DISCLOSED, details=details(Outcome.DISCLOSED),
        on=D(2026, 3, 18),
    )  # fmt: skip
    refused(answered, TransitionError, r"forward: request 2026-0001 is replied \(已答复\)")
    wf.archive(answered, actor="登记员", on=D(2026, 3, 19))
    refused(answered, TransitionError, r"is archived \(已归档\)")
    undrafted = registered(wf)
    refused(undrafted, TransitionError, r"has no signed-off draft; submit_for_review first")
    waiting = handling(wf)
    wf.submit_for_review(
        waiting, actor="李明", outcome=Outcome.NOT_RESPONSIBLE, details=NOT_OURS,
        on=D(2026, 3, 16),
    )  # fmt: skip
    refused(waiting, TransitionError, r"draft #1 waits for step 1 \(reviewer\)")
    refusal = handling(wf)
    sign_off(
        wf, refusal, actor="李明", outcome=Outcome.NOT_EXIST, details=DETAILS[Outcome.NOT_EXIST],
        on=D(2026, 3, 16),
    )  # fmt: skip
    refused(refusal, TransitionError, r"signed off as not_exist; a forward answers not_responsible")
    # The signed-off letter names the agency responsible: the forward goes there, or nowhere.
    elsewhere = drafted(wf, {**NOT_OURS, "convenience": {"holder": "某区住房和城乡建设局"}})
    refused(
        elsewhere,
        ValidationError,
        r"names '某区住房和城乡建设局' as the agency responsible, not '某市自然资源和规划局'",
    )
    assert resources.count() == 0


def test_article_36_5_the_forward_and_the_request_it_creates_are_one_transaction(
    wf: Workflow, resources: Workflow
) -> None:
    rid = drafted(wf)

    def forward_then_fail() -> None:
        with wf.batch():
            wf.forward(rid, actor="李明", to_agency="city-nrb", reason=REASON, on=D(2026, 3, 18))
            raise RuntimeError("the batch fails after the forward")

    with pytest.raises(RuntimeError, match="fails after the forward"):
        forward_then_fail()
    assert wf.get(rid).state is State.HANDLING
    assert resources.count() == 0
    with wf.batch():
        view = wf.forward(rid, actor="李明", to_agency="city-nrb", reason=REASON, on=D(2026, 3, 18))
        new = view.forwarded_to_request
        assert new is not None
        with pytest.raises(NotFoundError):  # inside the batch too, the other agency's own
            wf.register(new, actor="登记员", on=D(2026, 3, 18))
    assert resources.get(new).forwarded_from_request == rid
    assert [e.event for e in resources.events(new)] == [Event.RECEIVE]


def test_article_36_5_a_forwarded_request_counts_as_not_responsible_there_and_new_here(
    wf: Workflow, resources: Workflow
) -> None:
    """年度报告 table 三: the first agency answered it (无法提供: 本机关不掌握, 非本机关负责); the
    second received a new request, still open at the year's end."""
    rid = drafted(wf)
    wf.forward(rid, actor="李明", to_agency="city-nrb", reason=REASON, on=D(2026, 3, 18))
    first = wf.annual_report(2026).table3
    assert (first["new"]["total"], first["results_total"]["total"]) == (1, 1)
    assert first["unavailable_not_held"]["natural_person"] == 1
    assert first["carried_out"]["total"] == 0
    second = resources.annual_report(2026)
    assert second.table3["new"]["natural_person"] == 1
    assert (second.table3["results_total"]["total"], second.table3["carried_out"]["total"]) == (
        0,
        1,
    )
    assert second.received_by_month[3] == 1
    assert wf.annual_report(2026).balanced()
    assert second.balanced()


def test_article_36_5_the_rollup_counts_a_forwarded_request_in_each_agency_that_handled_it(
    db_url: str, wf: Workflow, resources: Workflow
) -> None:
    """The 本级政府 roll-up sums its members' own tables as they stand: the first agency
    answered the request (非本机关负责) and the second received one, so the total has two
    new requests, one answered and one open, and every agency balances on its own."""
    rid = drafted(wf)
    wf.forward(rid, actor="李明", to_agency="city-nrb", reason=REASON, on=D(2026, 3, 18))
    city = {"code": "city", "name": "某市人民政府", "abbreviation": "某市政府信公开",
            "review_body": "某省人民政府", "court": "某市中级人民法院",
            "members": [wf.agency.code, "city-nrb"]}  # fmt: skip
    with open_staffed(db_url, agency=city, clock=fixed_clock) as government:
        summed = government.rollup_report(2026)
    names = ["某市人民政府", wf.agency.name, RESOURCES["name"]]
    assert [part.agency for part in summed.parts] == names
    total = summed.total.table3
    assert (total["new"]["total"], total["results_total"]["total"]) == (2, 1)
    assert total["unavailable_not_held"]["total"] == 1
    assert total["carried_out"]["total"] == 1
    assert summed.unbalanced() == []


def test_article_36_5_the_receiving_agency_answers_the_forwarded_request_itself(
    wf: Workflow, resources: Workflow
) -> None:
    """The request received by forwarding runs its own life there: registered, handled and
    answered by the second agency, on its own clock and numbering."""
    rid = drafted(wf)
    new = wf.forward(
        rid, actor="李明", to_agency="city-nrb", reason=REASON, on=D(2026, 3, 18)
    ).forwarded_to_request
    assert new is not None
    resources.register(new, actor="登记员", on=D(2026, 3, 19))
    resources.start_handling(new, actor="李明", on=D(2026, 3, 19))
    answered = signed_reply(
        resources, new, actor="李明", outcome=Outcome.DISCLOSED,
        details=details(Outcome.DISCLOSED), on=D(2026, 4, 16),
    )  # fmt: skip
    assert (answered.state, answered.replied_on, answered.due_date) == (
        State.REPLIED,
        D(2026, 4, 16),
        D(2026, 4, 16),
    )
    assert wf.get(rid).outcome is Outcome.NOT_RESPONSIBLE  # the first answer stands


def test_article_36_5_the_forwarded_request_is_timed_on_the_receiving_agencys_calendar(
    wf: Workflow, resources: Workflow, tmp_path: Path
) -> None:
    """Its clock is the receiving agency's: there a local rest day on 2026-03-25 (its own
    notice) moves the 20th working day from 04-16 to 04-17; the first agency has none."""
    notice = tmp_path / "local-2026.toml"
    notice.write_text(
        'year = 2026\n[[notices]]\ntitle = "某市关于2026年地方节日的通知（测试）"\n'
        'date = 2026-01-05\n[[rest]]\nname = "地方节日"\nfrom = 2026-03-25\nto = 2026-03-25\n',
        encoding="utf-8",
    )
    resources.load_calendar_notice(notice, actor="管理员", own=True)
    rid = drafted(wf)
    view = wf.forward(rid, actor="李明", to_agency="city-nrb", reason=REASON, on=D(2026, 3, 18))
    assert view.forwarded_to_request is not None
    assert resources.get(view.forwarded_to_request).due_date == D(2026, 4, 17)
    assert wf.calendar.is_workday(D(2026, 3, 25))


def test_article_36_5_a_corrected_application_is_forwarded_as_corrected(
    wf: Workflow, resources: Workflow
) -> None:
    """条例第三十条: after a correction the corrected application is the one answered, so it is
    the one the agency responsible receives."""
    rid = registered(wf)
    wf.request_correction(
        rid, actor="李明", items=["请明确地块位置"], correct_by=D(2026, 3, 13), on=D(2026, 3, 3)
    )
    wf.receive_correction(
        rid, actor="李明", description="某路12号地块的建设工程规划许可证", on=D(2026, 3, 9)
    )
    sign_off(
        wf, rid, actor="李明", outcome=Outcome.NOT_RESPONSIBLE, details=NOT_OURS,
        on=D(2026, 3, 16),
    )  # fmt: skip
    new = wf.forward(
        rid, actor="李明", to_agency="city-nrb", reason=REASON, on=D(2026, 3, 18)
    ).forwarded_to_request
    assert new is not None
    received = resources.get(new)
    assert received.description == "某路12号地块的建设工程规划许可证"
    assert received.application["description"] == received.description
    assert received.application["received_at"] == "2026-03-18T00:00:00+08:00"
