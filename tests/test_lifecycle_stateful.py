"""Random lifecycles against a real SQLite file, with the invariants checked after every step."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from conftest import (
    AGENCY,
    application,
    details,
    fixed_clock,
    open_staffed,
    sign_off,
    signed_reply,
)
from hypothesis import HealthCheck, settings
from hypothesis import event as note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ogi_workflow import Event, Outcome, State, Workflow, allowed_events
from ogi_workflow.errors import OgiError
from ogi_workflow.lifecycle import DONE
from ogi_workflow.models import RequestView

Call = Callable[[Workflow, int, date, st.DataObject], object]
ACTOR = "测试员"
OTHER = AGENCY | {"code": "city-nrb", "name": "某市自然资源和规划局"}


def _outcome(data: st.DataObject) -> Outcome:
    return data.draw(st.sampled_from(list(Outcome)))


def _forward(wf: Workflow, request: int, on: date) -> RequestView:
    """转送 to the other agency of the database, after its not_responsible draft is signed off."""
    answer = details(Outcome.NOT_RESPONSIBLE)  # it names the other agency
    sign_off(wf, request, actor=ACTOR, outcome=Outcome.NOT_RESPONSIBLE, details=answer, on=on)
    return wf.forward(request, actor=ACTOR, to_agency=OTHER["code"], reason="由其负责", on=on)


CALLS: dict[Event, Call] = {
    Event.REGISTER: lambda wf, r, on, d: wf.register(r, actor=ACTOR, on=on),
    Event.REPLY_ON_THE_SPOT: lambda wf, r, on, d: wf.reply_on_the_spot(
        r, actor=ACTOR, on=on, outcome=(o := _outcome(d)), details=details(o)
    ),
    Event.START_HANDLING: lambda wf, r, on, d: wf.start_handling(r, actor=ACTOR, on=on),
    Event.REQUEST_CORRECTION: lambda wf, r, on, d: wf.request_correction(
        r,
        actor=ACTOR,
        items=["请明确所需信息"],
        on=on,
        correct_by=on + timedelta(days=d.draw(st.integers(0, 20))),
    ),
    Event.RECEIVE_CORRECTION: lambda wf, r, on, d: wf.receive_correction(r, actor=ACTOR, on=on),
    Event.CORRECTION_LAPSED: lambda wf, r, on, d: wf.correction_lapsed(r, actor=ACTOR, on=on),
    Event.START_CONSULTATION: lambda wf, r, on, d: wf.start_consultation(
        r,
        actor=ACTOR,
        on=on,
        consulted="某公司",
        party=d.draw(st.sampled_from(["third_party", "co_agency", "nobody"])),
    ),
    Event.END_CONSULTATION: lambda wf, r, on, d: wf.end_consultation(r, actor=ACTOR, on=on),
    Event.EXTEND: lambda wf, r, on, d: wf.extend(
        r,
        actor=ACTOR,
        approver="王主任",
        reason="情况复杂",
        on=on,
        workdays=d.draw(st.integers(0, 22)),
    ),
    Event.DELAY_REASONABLY: lambda wf, r, on, d: wf.delay_reasonably(
        r,
        actor=ACTOR,
        reason="数量过大",
        on=on,
        delayed_to=on + timedelta(days=d.draw(st.integers(0, 90))),
    ),
    Event.ISSUE_FEE_NOTICE: lambda wf, r, on, d: wf.issue_fee_notice(
        r,
        actor=ACTOR,
        basis="per_volume",
        on=on,
        pages=d.draw(st.integers(1, 400)),
    ),
    Event.RECEIVE_PAYMENT: lambda wf, r, on, d: wf.receive_payment(r, actor=ACTOR, on=on),
    Event.FEE_LAPSED: lambda wf, r, on, d: wf.fee_lapsed(r, actor=ACTOR, on=on),
    Event.WITHDRAW: lambda wf, r, on, d: wf.withdraw(r, actor=ACTOR, reason="不再需要", on=on),
    Event.REPLY: lambda wf, r, on, d: signed_reply(
        wf, r, actor=ACTOR, on=on, outcome=(o := _outcome(d)), details=details(o)
    ),
    Event.FORWARD: lambda wf, r, on, d: _forward(wf, r, on),
    Event.ARCHIVE: lambda wf, r, on, d: wf.archive(r, actor=ACTOR, on=on),
    Event.RECORD_REVIEW: lambda wf, r, on, d: wf.record_review(
        r,
        actor=ACTOR,
        on=on,
        result=d.draw(st.sampled_from(["upheld", "pending", "won"])),
    ),
    Event.RECORD_LITIGATION: lambda wf, r, on, d: wf.record_litigation(
        r,
        actor=ACTOR,
        on=on,
        after_review=False,
        result=d.draw(st.sampled_from(["corrected", "other"])),
    ),
}


SHORTCUTS = {Event.WITHDRAW, Event.REPLY_ON_THE_SPOT, Event.RECORD_REVIEW, Event.RECORD_LITIGATION}
DEEPER = {
    Event.REGISTER,
    Event.START_HANDLING,
    Event.START_CONSULTATION,
    Event.END_CONSULTATION,
    Event.ISSUE_FEE_NOTICE,
    Event.RECEIVE_PAYMENT,
    Event.FEE_LAPSED,
}


class Lifecycle(RuleBasedStateMachine):
    """Fire random events, legal or not, at a few requests."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        url = str(Path(self.folder.name) / "ogi.db")
        Workflow.open(url, agency=OTHER, clock=fixed_clock).close()  # forwarded to
        self.wf = open_staffed(url, agency=AGENCY, clock=fixed_clock)
        self.ids: list[int] = []
        self.last_on: dict[int, date] = {}

    @initialize()
    def first_request(self) -> None:
        self.receive(0)

    @rule(offset=st.integers(0, 400))
    def receive(self, offset: int) -> None:
        day = date(2025, 6, 2) + timedelta(days=offset)
        view = self.wf.receive(application(f"{day.isoformat()}T09:00"), actor=ACTOR)
        self.ids.append(view.id)
        self.last_on[view.id] = day

    @rule(data=st.data(), bias=st.integers(0, 9), gap=st.integers(0, 12))
    def fire(self, data: st.DataObject, bias: int, gap: int) -> None:
        # Mostly open requests and events that move them on (so consultation, fees and
        # corrections are reached), sometimes any request and any event, legal or not.
        open_ids = [i for i in self.ids if self.wf.get(i).state not in DONE]
        request = data.draw(st.sampled_from(open_ids if open_ids and bias < 9 else self.ids))
        on = self.last_on[request] + timedelta(days=gap)
        before, log = self.wf.get(request), self.wf.events(request)
        allowed = [e for e in allowed_events(before.state) if e in CALLS]
        onward = [e for e in allowed if e not in SHORTCUTS]
        deeper = [e for e in allowed if e in DEEPER]
        if bias < 3 and deeper:
            choices = deeper
        elif bias < 6 and onward:
            choices = onward
        else:
            choices = allowed if bias < 8 and allowed else list(CALLS)
        event = data.draw(st.sampled_from(choices))
        try:
            CALLS[event](self.wf, request, on, data)
        except OgiError:
            note(f"refused: {event.value}")
            # An illegal or invalid event changes nothing.
            assert self.wf.get(request) == before
            assert self.wf.events(request) == log
            return
        note(f"applied: {event.value}")
        after = self.wf.get(request)
        # a reply comes after its draft's submission and one approval per step of its chain
        replied = event in (Event.REPLY, Event.FORWARD) and after.outcome is not None
        chain = self.wf.agency.review_chain(after.outcome) if after.outcome and replied else ()
        assert after.version == before.version + 1 + (1 + len(chain) if chain else 0)
        assert self.wf.events(request)[-1].event == event.value
        self.last_on[request] = on

    @invariant()
    def rows_agree_with_their_events(self) -> None:
        reg_seqs = []
        for request in self.ids:
            view = self.wf.get(request)
            log = self.wf.events(request)
            assert isinstance(view.state, State)
            assert [e.seq for e in log] == list(range(1, view.version + 1))
            assert log[-1].state_after is view.state
            if view.reg_no is not None:
                reg_seqs.append(view.reg_no)
            if view.state is not State.RECEIVED and view.state not in DONE:
                recomputed = self.wf.recompute(request)
                assert view.due_date == recomputed.due_date
                assert view.paused_workdays == recomputed.paused_workdays
            if view.state in DONE:
                assert view.outcome is not None
        for report_year in (2025, 2026):  # the annual report balances whatever happened
            assert self.wf.annual_report(report_year).balanced()
        by_year: dict[str, list[int]] = {}
        for reg_no in reg_seqs:
            year, seq = reg_no.split("-")
            by_year.setdefault(year, []).append(int(seq))
        for seqs in by_year.values():
            assert sorted(seqs) == list(range(1, len(seqs) + 1))  # no gaps, no duplicates

    def teardown(self) -> None:
        self.wf.close()
        self.folder.cleanup()


Lifecycle.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLifecycle = Lifecycle.TestCase
