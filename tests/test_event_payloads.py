"""One named schema per event type (lifecycle/payloads.py): every event the code stores fits
its own schema exactly, and every event type is produced here by real actions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import jsonschema
import pytest
from conftest import (
    AGENCY,
    NOTICE_2027,
    REVIEWERS,
    application,
    details,
    fixed_clock,
    handling,
    open_staffed,
    registered,
    sign_off,
)
from pydantic import BaseModel, TypeAdapter

from ogi_workflow import Outcome, Workflow
from ogi_workflow.clock import PauseReason
from ogi_workflow.errors import ValidationError
from ogi_workflow.letters.kinds import LetterKind
from ogi_workflow.lifecycle import Event, State, payloads, typed_events
from ogi_workflow.lifecycle.typed_events import (
    EVENT_MODELS,
    EventBase,
    TypedEvent,
    event_schemas,
    typed_event,
)
from ogi_workflow.models import EventView, ReviewRole

D = date
EVENTS = Path(__file__).resolve().parents[1] / "docs" / "events"


def _camel(event: Event) -> str:
    return "".join(part.capitalize() for part in event.value.split("_"))


def _payload_model(event: Event) -> type[BaseModel]:
    annotation = EVENT_MODELS[event].model_fields["payload"].annotation
    assert isinstance(annotation, type)
    assert issubclass(annotation, BaseModel)
    return annotation


# --------------------------------------------------------------------------- the models


def test_every_event_has_exactly_one_payload_model_and_one_envelope() -> None:
    assert set(EVENT_MODELS) == set(Event)
    for event, envelope in EVENT_MODELS.items():
        assert envelope.__name__ == f"{_camel(event)}Event"
        assert get_args(envelope.model_fields["event"].annotation) == (event.value,)
        payload = _payload_model(event)
        assert payload.__name__ == f"{_camel(event)}Payload"
        assert payload.model_config.get("extra") == "forbid"
    defined = {
        name
        for module in (payloads, typed_events)
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == module.__name__
    }
    envelopes = {model.__name__ for model in EVENT_MODELS.values()}
    payload_models = {_payload_model(event).__name__ for event in Event}
    assert len(payload_models) == len(Event)  # no payload model serves two events
    assert defined == envelopes | payload_models | {"EventBase", "_Payload"}
    assert payload_models <= set(payloads.__all__)
    assert envelopes <= set(typed_events.__all__)


def test_the_envelope_has_every_column_of_event_view_but_event_and_payload() -> None:
    assert set(EventBase.model_fields) == set(EventView.model_fields) - {"event", "payload"}


def test_every_field_says_what_it_is() -> None:
    models: list[type[BaseModel]] = [EventBase, *(_payload_model(event) for event in Event)]
    undescribed = [
        f"{model.__name__}.{name}"
        for model in models
        for name, field in model.model_fields.items()
        if not field.description
    ]
    assert undescribed == []
    assert all(model.__doc__ for model in [*models, *EVENT_MODELS.values()])


def _objects(node: object, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield path, node
        for key, value in node.items():
            yield from _objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, f"{path}/{index}")


def test_the_schema_names_are_the_class_names_and_only_details_is_free() -> None:
    schema = TypeAdapter(TypedEvent).json_schema()
    named = {model.__name__ for model in EVENT_MODELS.values()}
    named |= {_payload_model(event).__name__ for event in Event}
    assert set(schema["$defs"]) == named | {"Channel", "FeeBasis", "Outcome", "State"}
    assert set(schema["discriminator"]["mapping"]) == {event.value for event in Event}
    free = sorted(
        path for path, node in _objects(schema) if node.get("additionalProperties") is not False
    )
    assert free == sorted(
        [
            f"/$defs/{name}/properties/details"
            for name in ("ReplyOnTheSpotPayload", "ReplyPayload", "ForwardPayload")
        ]
        + ["/$defs/SubmitForReviewPayload/properties/details"]
        + [
            f"/$defs/{model}/properties/{column}"
            for model in named
            if model.endswith("Event")
            for column in ("before", "after")
        ]
    )


def test_a_schema_is_the_same_read_and_written() -> None:
    """Otherwise a generator (FastAPI) splits it into Name-Input and Name-Output."""
    for envelope in EVENT_MODELS.values():
        assert envelope.model_json_schema(mode="validation") == envelope.model_json_schema(
            mode="serialization"
        )


def test_the_closed_sets_agree_with_their_homes() -> None:
    assert get_args(payloads.ReviewRole) == get_args(ReviewRole)
    assert set(get_args(payloads.Party)) < {reason.value for reason in PauseReason}


# --------------------------------------------------------------------------- typed_event


def _view(event: Event, payload: dict[str, Any], **columns: Any) -> EventView:
    row: dict[str, Any] = {
        "seq": 2,
        "event": event,
        "actor": "李明",
        "at": datetime(2026, 3, 2, 2, 0, tzinfo=UTC),
        "on": D(2026, 3, 2),
        "state_before": State.REGISTERED,
        "state_after": State.HANDLING,
        "reason": None,
        "payload": payload,
        "before": {},
        "after": {},
    }
    return EventView(**(row | columns))


def test_typed_event_reads_the_payload_into_its_types() -> None:
    typed = typed_event(
        _view(Event.EXTEND, {"approver": "王主任", "reason": "档案多", "workdays": 20})
    )
    assert isinstance(typed, typed_events.ExtendEvent)
    assert (typed.event, typed.payload.workdays, typed.state_after) == (
        "extend",
        20,
        State.HANDLING,
    )
    delay = typed_event(
        _view(Event.DELAY_REASONABLY, {"delayed_to": "2026-05-29", "reason": "数量巨大"})
    )
    assert isinstance(delay, typed_events.DelayReasonablyEvent)
    assert delay.payload.delayed_to == D(2026, 5, 29)


def test_a_payload_key_the_schema_does_not_name_is_a_validation_error() -> None:
    view = _view(Event.START_HANDLING, {"handler": "李明", "desk": "3楼"})
    with pytest.raises(ValidationError, match=r"event #2 \(start_handling\).*payload\.desk"):
        typed_event(view)
    with pytest.raises(ValidationError, match=r"payload\.handler: Field required"):
        typed_event(_view(Event.START_HANDLING, {}))
    with pytest.raises(ValidationError, match=r"payload\.party"):
        typed_event(
            _view(
                Event.START_CONSULTATION,
                {"party": "fee", "consulted": "某公司", "answer_by": "2026-03-23"},
            )
        )


# --------------------------------------------------------------------------- real logs


def _published() -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text("utf-8")) for path in EVENTS.glob("*.json")}


_PUBLISHED_VALIDATORS = {
    name: jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for name, schema in _published().items()
}


def test_the_published_event_schemas_are_the_ones_the_code_makes() -> None:
    assert _published() == event_schemas(), "regenerate: python scripts/openapi.py"
    for schema in _published().values():
        jsonschema.Draft202012Validator.check_schema(schema)


def _typed_log(wf: Workflow) -> dict[Event, set[str]]:
    """Every stored event of every request through typed_event; the payload keys seen of
    each event type."""
    seen: dict[Event, set[str]] = {}
    for request in wf.find(limit=10_000):
        for view in wf.events(request.id):
            typed = typed_event(view)
            assert type(typed) is EVENT_MODELS[view.event]
            # Exactly what is stored: nothing dropped, nothing added, the same JSON.
            assert typed.payload.model_dump(mode="json", exclude_none=True) == view.payload
            if isinstance(typed, typed_events.IssueLetterEvent):
                LetterKind(typed.payload.kind)
            # As the events route and webhooks send it, it fits the published schema of its
            # type, checked by an independent validator.
            sent = typed.model_dump(mode="json")
            _PUBLISHED_VALIDATORS[view.event.value].validate(sent)
            assert sent == view.model_dump(mode="json") | {"payload": sent["payload"]}
            seen.setdefault(view.event, set()).update(view.payload)
    return seen


def test_every_event_of_the_demo_fits_its_schema(tmp_path: Path) -> None:
    """The demo's few hundred lives (ogi-workflow demo), every stored event typed."""
    from ogi_workflow.demo import demo_agency, populate  # noqa: PLC0415

    with Workflow.open(f"sqlite:///{tmp_path / 'demo.sqlite'}", agency=demo_agency()) as wf:
        populate(wf, today=D(2026, 11, 22))
        kinds = _typed_log(wf)
    # The demo's paths (register … archive, 补正, consultation, fees, 协查, letters, 复议);
    # the scenarios below produce the rest.
    assert len(kinds) >= 20


def _staff_departments(wf: Workflow) -> None:
    wf.add_department("planning", "规划科", actor="管理员")
    wf.add_department("archives", "档案科", actor="管理员")
    wf.add_person("规划甲", "规划甲", roles=["handler"], department="planning", actor="管理员")
    wf.add_person(
        "档案甲", "档案甲", roles=["search_contact"], department="archives", actor="管理员"
    )


def _inner_work_review_and_remedies(wf: Workflow) -> None:
    """分办, 退回, 转办, 签收, 协查 both ways, 会商, extension, a chain sent back, reply,
    letter, 复议 and 诉讼, archive."""
    rid = registered(wf)
    wf.assign(rid, actor="登记员", department="planning", person="规划甲", on=D(2026, 3, 2))
    wf.return_assignment(rid, actor="规划甲", reason="不属于本科室职责", on=D(2026, 3, 3))
    wf.assign(rid, actor="登记员", department="planning", on=D(2026, 3, 4))
    wf.reassign(
        rid,
        actor="规划甲",
        department="archives",
        person="档案甲",
        reason="档案科掌握",
        on=D(2026, 3, 4),
    )
    wf.accept_assignment(rid, actor="档案甲", on=D(2026, 3, 5))
    wf.start_handling(rid, actor="李明", on=D(2026, 3, 5))
    what = "2025年立项批复"
    wf.open_search_task(
        rid,
        actor="李明",
        department="archives",
        what=what,
        due_date=D(2026, 3, 10),
        on=D(2026, 3, 5),
    )
    wf.open_search_task(rid, actor="李明", department="planning", what=what, on=D(2026, 3, 5))
    wf.answer_search_task(
        rid,
        actor="档案甲",
        task=1,
        result="found",
        where="档案管理系统",
        searched_by="档案甲",
        found="立项批复1份",
        on=D(2026, 3, 6),
    )
    wf.answer_search_task(
        rid,
        actor="李明",
        task=2,
        result="not_found",
        where="规划科收发文登记簿",
        searched_by="规划甲",
        on=D(2026, 3, 6),
    )
    wf.record_meeting(
        rid,
        actor="李明",
        participants=["李明", "王主任", "法制科"],
        conclusion="依法定密，拟不予公开",
        on=D(2026, 3, 9),
    )
    wf.extend(rid, actor="李明", approver="王主任", reason="档案多", workdays=10, on=D(2026, 3, 10))
    refusal = details(Outcome.STATE_SECRET)
    wf.submit_for_review(
        rid, actor="李明", outcome=Outcome.STATE_SECRET, details=refusal, on=D(2026, 3, 11)
    )
    wf.approve(rid, actor=REVIEWERS["reviewer"], opinion="同意", on=D(2026, 3, 11))
    wf.send_back(rid, actor=REVIEWERS["legal_reviewer"], opinion="理由不足", on=D(2026, 3, 12))
    sign_off(wf, rid, actor="李明", outcome="state_secret", details=refusal, on=D(2026, 3, 13))
    wf.reply(rid, actor="李明", outcome=Outcome.STATE_SECRET, details=refusal, on=D(2026, 3, 13))
    wf.render(rid, actor="李明", fmt="txt")
    wf.record_review(
        rid, actor="法制科", result="upheld", case_no="某复决字〔2026〕1号", on=D(2026, 4, 20)
    )
    wf.record_litigation(
        rid,
        actor="法制科",
        result="pending",
        after_review=True,
        case_no="（2026）某行初1号",
        reason="复议后起诉",
        on=D(2026, 5, 20),
    )
    wf.archive(rid, actor="档案员", on=D(2026, 5, 21))


def _correction_consultation_fee_delay_withdrawal(wf: Workflow) -> None:
    """A late 补正 notice with its reason, a corrected description, a third party's answer,
    a fee by volume with its notice's receipt, payment, a 第三十五条 delay, withdrawal."""
    rid = registered(wf)
    wf.request_correction(
        rid,
        actor="李明",
        items=["所需信息的名称或者文号"],
        correct_by=D(2026, 3, 27),
        late_reason="邮寄退回后重新寄送",
        on=D(2026, 3, 16),
    )
    wf.receive_correction(
        rid, actor="李明", description="2025年度某区老旧小区改造项目的立项批复", on=D(2026, 3, 18)
    )
    wf.start_consultation(
        rid,
        actor="李明",
        party="third_party",
        consulted="某建设有限公司",
        reason="涉及该公司的商业秘密",
        notice_received_on=D(2026, 3, 20),
        on=D(2026, 3, 19),
    )
    wf.end_consultation(rid, actor="李明", opinion="不同意公开", on=D(2026, 3, 25))
    wf.issue_fee_notice(
        rid,
        actor="李明",
        basis="per_volume",
        pages=120,
        notice_received_on=D(2026, 3, 27),
        on=D(2026, 3, 26),
    )
    wf.receive_payment(rid, actor="财务", on=D(2026, 3, 30))
    due = wf.get(rid).due_date
    assert due is not None
    wf.delay_reasonably(
        rid,
        actor="李明",
        delayed_to=due + timedelta(days=30),
        reason="申请数量明显超过合理范围",
        on=D(2026, 3, 31),
    )
    wf.withdraw(rid, actor="窗口", reason="申请人书面撤回", on=D(2026, 4, 2))


def _short_lives(wf: Workflow) -> None:
    """当场答复 before registration, 补正 lapsed, fee lapsed, a co-agency consultation and a
    复议 over no reply, a fee per request (the applicant's 11th request of April)."""
    spot = wf.receive(application("2026-03-03T10:00"), actor="窗口").id
    wf.reply_on_the_spot(
        spot,
        actor="窗口",
        outcome=Outcome.ALREADY_PUBLIC,
        details=details(Outcome.ALREADY_PUBLIC),
        on=D(2026, 3, 3),
    )
    wf.render(spot, actor="窗口", fmt="txt")
    lapsed = registered(wf)
    wf.request_correction(
        lapsed, actor="李明", items=["申请人身份证明"], correct_by=D(2026, 3, 10), on=D(2026, 3, 3)
    )
    wf.correction_lapsed(lapsed, actor="李明", on=D(2026, 3, 11))
    unpaid = handling(wf)
    wf.issue_fee_notice(unpaid, actor="李明", basis="per_volume", pages=50, on=D(2026, 3, 3))
    notice = wf.events(unpaid)[-1].payload
    wf.fee_lapsed(
        unpaid, actor="李明", on=D.fromisoformat(notice["payment_due"]) + timedelta(days=1)
    )
    consulted = handling(wf)
    wf.start_consultation(
        consulted,
        actor="李明",
        party="co_agency",
        consulted="某市自然资源和规划局",
        on=D(2026, 3, 4),
    )
    wf.end_consultation(consulted, actor="李明", on=D(2026, 3, 9))
    wf.record_review(consulted, actor="法制科", result="pending", on=D(2026, 4, 20))
    for _ in range(10):
        wf.receive(application("2026-04-01T09:00"), actor="窗口")
    eleventh = handling(wf, "2026-04-01")
    wf.issue_fee_notice(eleventh, actor="李明", basis="per_request", on=D(2026, 4, 1))
    wf.receive_payment(eleventh, actor="财务", on=D(2026, 4, 2))


def _forwarded(wf: Workflow, db_url: str) -> Workflow:
    """转送 to another agency of the database: the forward, and the request it creates there
    (a receive with from_*); the other agency's Workflow."""
    other = open_staffed(
        db_url,
        agency=AGENCY | {"code": "city-nrb", "name": "某市自然资源和规划局"},
        clock=fixed_clock,
    )
    rid = handling(wf)
    answer = details(Outcome.NOT_RESPONSIBLE)  # it names 某市自然资源和规划局
    sign_off(wf, rid, actor="李明", outcome="not_responsible", details=answer, on=D(2026, 3, 4))
    wf.forward(rid, actor="李明", to_agency="city-nrb", reason="由你局作出", on=D(2026, 3, 5))
    return other


def _reflow(wf: Workflow) -> None:
    """The 2027 notice moves an estimated due date: a recompute_deadline record."""
    rid = registered(wf, "2026-12-10")
    assert [m.request_id for m in wf.load_calendar_notice(NOTICE_2027, actor="管理员")] == [rid]


def test_every_stored_event_fits_its_schema_and_every_kind_occurs(
    wf: Workflow, db_url: str
) -> None:
    _staff_departments(wf)
    _inner_work_review_and_remedies(wf)
    _correction_consultation_fee_delay_withdrawal(wf)
    _short_lives(wf)
    with _forwarded(wf, db_url) as other:
        _reflow(wf)
        keys = _typed_log(wf)
        for event, seen in _typed_log(other).items():
            keys.setdefault(event, set()).update(seen)
    assert set(keys) == set(Event)
    # and every field of every payload model, optional ones included, is written somewhere
    unwritten = {
        event.value: sorted(set(_payload_model(event).model_fields) - keys[event])
        for event in Event
        if set(_payload_model(event).model_fields) - keys[event]
    }
    assert unwritten == {}
    against = {
        typed.payload.against
        for request in wf.find(limit=100)
        for typed in map(typed_event, wf.events(request.id))
        if isinstance(typed, typed_events.RecordReviewEvent | typed_events.RecordLitigationEvent)
    }
    assert against == {"reply", "non_reply"}
