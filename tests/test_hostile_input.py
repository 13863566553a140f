"""Hostile or careless input at the boundary: refused as a ValidationError naming the field,
nothing stored, never a raw Python exception; personal data masked in what leaves."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from conftest import (
    AGENCY,
    application,
    details,
    fixed_clock,
    open_staffed,
    registered,
    signed_reply,
)

from ogi_workflow import Outcome, Workflow
from ogi_workflow.errors import OgiError, ValidationError
from ogi_workflow.models import AgencyProfile, validate

D = date
BAD_VALUES: list[Any] = [
    None,
    "",
    "\x00",
    "a\u202eb",
    "x" * 10_001,
    b"bytes",
    {1, 2},
    Decimal("1.5"),
    math.nan,
    10**30,
    -1,
    3.5,
    [],
    {},
    object(),
    D(9999, 1, 1),
    D(1900, 1, 1),
    "2026-03-02",
    True,
]


def test_application_text_is_clean(wf: Workflow) -> None:
    for field, value in (
        ("description", "某文件\x00"),
        ("description", "x" * 10_001),
        ("description", "\u202e件文某"),
    ):
        with pytest.raises(ValidationError, match=field):
            wf.receive(application() | {field: value}, actor="窗口")
    with pytest.raises(ValidationError, match=r"applicant\.name"):
        wf.receive(application(name="张\u202e三"), actor="窗口")
    with pytest.raises(ValidationError, match=r"received_at 2099-03-02 is outside"):
        wf.receive(application("2099-03-02T09:00"), actor="窗口")
    assert wf.count() == 0


def test_action_parameters_are_json_safe_text_and_bounded(wf: Workflow) -> None:
    rid = registered(wf)
    version = wf.get(rid).version
    hostile: list[tuple[dict[str, Any], str]] = [
        ({"provided": {1, 2}}, r"details\.provided is a set"),
        ({"provided": b"x"}, r"details\.provided is a bytes"),
        ({"provided": Decimal("1")}, r"details\.provided is a Decimal"),
        ({"provided": math.nan}, r"details\.provided must be a finite number"),
        ({"provided": "a\x00b"}, r"details\.provided contains a control character"),
        ({"provided": "x" * 10_001}, r"details\.provided is longer than 10000"),
        ({"provided": "文件", "delivery": ["x" * 9_000] * 9}, r"more than 64 KiB"),
    ]
    for bad, message in hostile:
        with pytest.raises(ValidationError, match=message):
            signed_reply(
                wf, rid, actor="李明", outcome=Outcome.DISCLOSED, details=bad, on=D(2026, 3, 9)
            )
    with pytest.raises(ValidationError, match=r"register: on|outside"):
        wf.register(registered(wf), actor="登记员", on=D(9999, 1, 1))
    with pytest.raises(ValidationError, match=r"actor .*control"):
        wf.start_handling(rid, actor="李\x07明", on=D(2026, 3, 3))
    assert wf.get(rid).version == version


def test_a_refused_action_inside_a_batch_does_not_roll_the_batch_back(wf: Workflow) -> None:
    with wf.batch():
        ids = [registered(wf) for _ in range(100)]
        with pytest.raises(ValidationError):
            signed_reply(wf,
                ids[50], actor="李明", outcome=Outcome.DISCLOSED, details={"provided": {1}},
                on=D(2026, 3, 9),
            )  # fmt: skip
    assert wf.count() == 100


def test_reads_refuse_bad_arguments_with_a_validation_error(wf: Workflow) -> None:
    registered(wf)
    calls: list[Callable[[], object]] = [
        lambda: wf.find(state="flying"),
        lambda: wf.find(outcome="maybe"),
        lambda: wf.find(limit=0),
        lambda: wf.find(received_from="2026-01-01"),  # type: ignore[arg-type]
        lambda: wf.count(state="flying"),
        lambda: wf.overdue(within=10**9),
        lambda: wf.overdue(D(2026, 3, 2), within=-1),
        lambda: wf.annual_report("2026"),  # type: ignore[arg-type]
        lambda: wf.annual_report(10**12),
        lambda: wf.get(3.5),  # type: ignore[arg-type]
        lambda: wf.get([1]),  # type: ignore[arg-type]
        lambda: wf.events(True),
    ]
    for call in calls:
        with pytest.raises(ValidationError):
            call()


ACTIONS: dict[str, Callable[[Workflow, int, Any], object]] = {
    "register": lambda wf, r, v: wf.register(r, actor="登记员", on=v),
    "start_handling": lambda wf, r, v: wf.start_handling(r, actor=v, on=D(2026, 3, 3)),
    "request_correction": lambda wf, r, v: wf.request_correction(
        r, actor="李明", items=v, correct_by=D(2026, 3, 20), on=D(2026, 3, 4)
    ),
    "extend": lambda wf, r, v: wf.extend(
        r, actor="李明", approver="王主任", reason="x", workdays=v, on=D(2026, 3, 5)
    ),
    "delay_reasonably": lambda wf, r, v: wf.delay_reasonably(
        r, actor="李明", delayed_to=v, reason="数量大", on=D(2026, 3, 5)
    ),
    "start_consultation": lambda wf, r, v: wf.start_consultation(
        r, actor="李明", party="third_party", consulted=v, on=D(2026, 3, 5)
    ),
    "issue_fee_notice": lambda wf, r, v: wf.issue_fee_notice(
        r, actor="李明", basis="per_volume", pages=v, on=D(2026, 3, 5)
    ),
    "reply": lambda wf, r, v: signed_reply(wf, r, actor="李明", outcome=v, on=D(2026, 3, 5)),
    "reply_details": lambda wf, r, v: signed_reply(
        wf, r, actor="李明", outcome=Outcome.OTHER, details={"reason": v}, on=D(2026, 3, 5)
    ),
    "withdraw": lambda wf, r, v: wf.withdraw(r, actor="窗口", reason=v, on=D(2026, 3, 5)),
    "record_review": lambda wf, r, v: wf.record_review(r, actor="法制科", result=v),
    "render": lambda wf, r, v: wf.render(r, v, actor="李明"),
    "actor": lambda wf, r, v: wf.start_handling(r, actor=v, on=D(2026, 3, 3)),
    "approver": lambda wf, r, v: wf.extend(
        r, actor="李明", approver=v, reason="x", on=D(2026, 3, 5)
    ),
    "add_person_login": lambda wf, r, v: wf.add_person(
        v, "某人", roles=["handler"], actor="管理员"
    ),
    "add_person_name": lambda wf, r, v: wf.add_person("x", v, roles=["handler"], actor="管理员"),
    "add_person_roles": lambda wf, r, v: wf.add_person("y", "某人", roles=v, actor="管理员"),
    "add_department": lambda wf, r, v: wf.add_department(v, v, actor="管理员"),
    "grant_role": lambda wf, r, v: wf.grant_role("李明", v, actor="管理员"),
    "people": lambda wf, r, v: wf.people(department=v, role=v),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_the_api_walked_with_bad_values_raises_only_ogi_errors(tmp_path: Any, action: str) -> None:
    with open_staffed(str(tmp_path / "walk.sqlite"), agency=AGENCY, clock=fixed_clock) as wf:
        for value in BAD_VALUES:
            rid = wf.receive(application(), actor="窗口").id
            if action != "register":
                wf.register(rid, actor="登记员", on=D(2026, 3, 2))
                wf.start_handling(rid, actor="李明", on=D(2026, 3, 2))
            try:
                ACTIONS[action](wf, rid, value)
            except OgiError:
                pass
            except Exception as exc:  # the point: nothing else escapes
                pytest.fail(f"{action}({value!r}) raised {type(exc).__name__}: {exc}")


def test_agency_patterns_are_checked_when_the_profile_is_saved() -> None:
    for pattern in ("{seq}", "{year}", "{year}-{seq:>99999999999}", "{year}{seq}{x}", "{year"):
        with pytest.raises(ValidationError, match="registration_pattern"):
            validate(AgencyProfile, AGENCY | {"registration_pattern": pattern})


def test_personal_data_is_masked_in_reports_and_error_messages(wf: Workflow) -> None:
    """Applicants type their 身份证号 and phone into the description; the report's
    most-requested list and error messages show them masked."""
    leaky = "请提供本人110105194912310020的低保材料，电话13812345678"
    for _ in range(3):
        rid = wf.receive(application() | {"description": leaky}, actor="窗口").id
        wf.register(rid, actor="登记员", on=D(2026, 3, 2))
        signed_reply(wf,
            rid, actor="李明", outcome=Outcome.DISCLOSED, details=details(Outcome.DISCLOSED),
            on=D(2026, 3, 9),
        )  # fmt: skip
    report = wf.annual_report(2026)
    shown = [description for description, _ in report.most_requested]
    assert shown == ["请提供本人110105********0020的低保材料，电话138****5678"]
    assert "110105194912310020" not in str(report.as_dict())
    with pytest.raises(ValidationError) as caught:
        wf.receive(application(id_type="resident_id", id_number="110105194912310021"), actor="窗口")
    assert "110105194912310021" not in str(caught.value)
    assert "110105********0021" in str(caught.value)
