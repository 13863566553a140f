"""Who may do what: people, roles and departments of an agency (data/roles.toml).

Each test is named after what it protects. The host OA authenticates; the library
authorises every action against the person's roles in force.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from conftest import AGENCY, application, details, fixed_clock, handling, open_staffed, signed_reply
from sqlalchemy import select

from ogi_workflow import Outcome, PermissionDenied, Role, Workflow
from ogi_workflow.errors import NotFoundError, OgiError, ValidationError
from ogi_workflow.storage.schema import NOTICE, ROLE_GRANT, STAFF_LOG

D = date


def test_the_window_clerk_cannot_approve_its_own_extension(wf: Workflow) -> None:
    rid = handling(wf)
    wf.add_person("窗口兼承办", "窗口兼承办", roles=["registrar", "handler"], actor="管理员")
    with pytest.raises(PermissionDenied, match="cannot approve their own extend"):
        wf.extend(rid, actor="窗口兼承办", approver="窗口兼承办", reason="x", on=D(2026, 3, 20))
    with pytest.raises(PermissionDenied, match=r"approver '窗口' .*signer"):
        wf.extend(rid, actor="李明", approver="窗口", reason="x", on=D(2026, 3, 20))
    assert wf.get(rid).extension_workdays == 0
    view = wf.extend(rid, actor="李明", approver="王主任", reason="x", on=D(2026, 3, 20))
    assert view.extension_workdays == 20


def test_an_unregistered_person_cannot_reply(wf: Workflow) -> None:
    rid = handling(wf)
    with pytest.raises(PermissionDenied, match="'任何人' is not a registered person"):
        signed_reply(
            wf, rid, actor="任何人", outcome=Outcome.NOT_EXIST, details=details(Outcome.NOT_EXIST)
        )
    assert wf.get(rid).state.value == "handling"


def test_an_intern_without_a_role_cannot_archive(wf: Workflow) -> None:
    rid = handling(wf)
    nothing = details(Outcome.NOT_EXIST)
    signed_reply(
        wf, rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing, on=D(2026, 3, 20)
    )
    wf.add_person("实习生", "实习生", roles=["search_contact"], actor="管理员")
    with pytest.raises(PermissionDenied, match=r"'实习生' .*holds search_contact .*registrar"):
        wf.archive(rid, actor="实习生", on=D(2026, 3, 25))


def test_only_a_legal_reviewer_records_a_review_result(wf: Workflow) -> None:
    rid = handling(wf)
    for actor in ("匿名", "李明"):
        with pytest.raises(PermissionDenied):
            wf.record_review(rid, actor=actor, result="upheld", on=D(2026, 3, 20))
    assert [e.event.value for e in wf.events(rid)][-1] == "start_handling"


def test_a_letter_is_issued_only_by_a_registrar_or_handler(wf: Workflow) -> None:
    rid = handling(wf)
    with pytest.raises(PermissionDenied, match="issue_letter"):
        wf.render(rid, "notice_registration", fmt="txt", actor="王主任")
    assert wf.render(rid, "notice_registration", fmt="txt", actor="登记员").number


def test_a_calendar_notice_needs_an_administrator_and_is_traced(
    wf: Workflow, tmp_path: Path
) -> None:
    notice = tmp_path / "2027.toml"
    notice.write_text(
        'year = 2027\n[[notices]]\ntitle = "国务院办公厅关于2027年部分节假日安排的通知"\n'
        'date = 2026-11-10\nurl = "https://www.gov.cn/example"\n'
        '[[rest]]\nname = "元旦"\nfrom = 2027-01-01\nto = 2027-01-03\n',
        encoding="utf-8",
    )
    for actor in ("李明", "不存在"):
        with pytest.raises(PermissionDenied, match="load_calendar_notice"):
            wf.load_calendar_notice(notice, actor=actor)
    with pytest.raises(PermissionDenied, match="reflow_deadlines"):
        wf.reflow_deadlines(actor="李明")
    wf.load_calendar_notice(notice, actor="管理员")
    with wf.engine.connect() as conn:
        row = conn.execute(select(NOTICE)).mappings().one()
    assert (row["loaded_by"], row["title"], row["source"]) == (
        "管理员",
        "国务院办公厅关于2027年部分节假日安排的通知",
        "https://www.gov.cn/example",
    )
    assert row["sha256"] == hashlib.sha256(notice.read_bytes()).hexdigest()


def test_the_first_person_must_be_an_administrator_registering_themself(db_url: str) -> None:
    with Workflow.open(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        with pytest.raises(ValidationError, match="no administrator yet"):
            wf.add_person("李明", "李明", roles=["handler"], actor="李明")
        with pytest.raises(ValidationError, match="register themself"):
            wf.add_person("管理员", "管理员", roles=["admin"], actor="别人")
        with pytest.raises(PermissionDenied):
            wf.receive(application(), actor="窗口")  # nobody may act yet
        wf.add_person("管理员", "张管理", roles=["admin"], actor="管理员")
        with pytest.raises(PermissionDenied, match=r"manage_people: '李明' is not a registered"):
            wf.add_person("李明", "李明", roles=["handler"], actor="李明")
        person = wf.add_person("李明", "李明", roles=["handler"], actor="管理员")
        assert person.roles == (Role.HANDLER,)


def test_only_an_administrator_changes_people(wf: Workflow) -> None:
    with pytest.raises(PermissionDenied, match="manage_people"):
        wf.add_person("新人", "新人", roles=["admin"], actor="李明")
    with pytest.raises(PermissionDenied, match="manage_people"):
        wf.grant_role("李明", "signer", actor="李明")
    assert wf.person("李明").roles == (Role.HANDLER,)


def test_a_revoked_role_no_longer_allows_and_its_history_is_kept(wf: Workflow) -> None:
    rid = handling(wf)
    wf.revoke_role("李明", "handler", actor="管理员")
    nothing = details(Outcome.NOT_EXIST)
    with pytest.raises(PermissionDenied, match="holds no role"):
        wf.submit_for_review(rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing)
    wf.grant_role("李明", Role.HANDLER, actor="管理员")
    with wf.engine.connect() as conn:
        grants = conn.execute(
            select(ROLE_GRANT.c.role, ROLE_GRANT.c.revoked_by).where(ROLE_GRANT.c.login == "李明")
        ).all()
        log = conn.execute(select(STAFF_LOG.c.action).where(STAFF_LOG.c.subject == "李明")).all()
    assert [tuple(g) for g in grants] == [("handler", "管理员"), ("handler", None)]
    assert [a for (a,) in log] == ["add_person", "revoke_role", "grant_role"]


def test_inside_a_batch_a_role_change_holds_for_the_next_action(wf: Workflow) -> None:
    """A batch looks each person up once, and again after a staff change in it."""
    rid = handling(wf)
    nothing = details(Outcome.NOT_EXIST)
    with wf.batch():
        wf.register(wf.receive(application(), actor="窗口").id, actor="登记员")
        wf.revoke_role("李明", "handler", actor="管理员")
        with pytest.raises(PermissionDenied, match="holds no role"):
            wf.submit_for_review(rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing)
        wf.grant_role("李明", Role.HANDLER, actor="管理员")
        wf.submit_for_review(rid, actor="李明", outcome=Outcome.NOT_EXIST, details=nothing)
        wf.deactivate_person("登记员", actor="管理员")
        with pytest.raises(PermissionDenied, match="no longer active"):
            wf.register(wf.receive(application(), actor="窗口").id, actor="登记员")
    assert wf.get(rid).state.value == "handling"  # submitted for review, still being handled


def test_a_person_who_left_can_no_longer_act(wf: Workflow) -> None:
    rid = handling(wf)
    wf.deactivate_person("李明", actor="管理员")
    with pytest.raises(PermissionDenied, match="no longer active"):
        wf.extend(rid, actor="李明", approver="王主任", reason="x", on=D(2026, 3, 20))
    wf.deactivate_person("王主任", actor="管理员")
    with pytest.raises(PermissionDenied, match="no longer active"):
        wf.extend(rid, actor="李四", approver="王主任", reason="x", on=D(2026, 3, 20))
    assert not wf.person("李明").active
    assert wf.events(rid)[-1].actor == "李明"  # past actions stay theirs


def test_the_agency_always_keeps_an_administrator(wf: Workflow) -> None:
    wf.revoke_role("升级", "admin", actor="管理员")  # the other administrator of CAST
    with pytest.raises(ValidationError, match="last active administrator"):
        wf.revoke_role("管理员", "admin", actor="管理员")
    with pytest.raises(ValidationError, match="last active administrator"):
        wf.deactivate_person("管理员", actor="管理员")
    assert wf.person("管理员").roles == (Role.ADMIN,)


def test_departments_and_their_search_contact(wf: Workflow) -> None:
    wf.add_department("planning", "规划科", actor="管理员")
    with pytest.raises(ValidationError, match="search_contact"):
        wf.set_department_contact("planning", "李明", actor="管理员")
    wf.add_person("赵联络", "赵联络", roles=["search_contact"], department="planning",
                  actor="管理员")  # fmt: skip
    wf.set_department_contact("planning", "赵联络", actor="管理员")
    assert [(d.code, d.contact) for d in wf.departments()] == [("planning", "赵联络")]
    assert [p.login for p in wf.people(department="planning")] == ["赵联络"]
    with pytest.raises(ValidationError, match="no department 'nowhere'"):
        wf.add_person("钱", "钱", roles=["handler"], department="nowhere", actor="管理员")
    with pytest.raises(ValidationError, match="already exists"):
        wf.add_department("planning", "又一个", actor="管理员")


@pytest.mark.parametrize(
    "call",
    [
        lambda wf: wf.add_person("", "x", roles=["handler"], actor="管理员"),
        lambda wf: wf.add_person("a b", "x", roles=["handler"], actor="管理员"),
        lambda wf: wf.add_person("x", "x", roles=["boss"], actor="管理员"),
        lambda wf: wf.add_person("x", "x", roles=[], actor="管理员"),
        lambda wf: wf.add_person("x", "\x00", roles=["handler"], actor="管理员"),
        lambda wf: wf.add_person("x" * 65, "x", roles=["handler"], actor="管理员"),
        lambda wf: wf.add_department("Planning!", "x", actor="管理员"),
        lambda wf: wf.people(role="boss"),
        lambda wf: wf.person("nobody"),
        lambda wf: wf.grant_role("nobody", "handler", actor="管理员"),
        lambda wf: wf.receive(application(), actor=None),
    ],
)
def test_bad_people_input_is_a_clear_error_and_changes_nothing(wf: Workflow, call: object) -> None:
    before = [p.model_dump() for p in wf.people()]
    with pytest.raises((ValidationError, NotFoundError, PermissionDenied)) as caught:
        call(wf)  # type: ignore[operator]
    assert isinstance(caught.value, OgiError)
    assert [p.model_dump() for p in wf.people()] == before


def test_the_cli_manages_people_and_refuses_without_a_role(tmp_path: Path) -> None:
    from test_cli_contract import run  # noqa: PLC0415

    db = str(tmp_path / "p.sqlite")
    open_staffed(db, agency=AGENCY, clock=fixed_clock).close()
    added = run("person", "add", "--db", db, "--actor", "管理员", "--role", "handler",
                "--role", "signer", "赵六", "赵六")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    refused = run("person", "add", "--db", db, "--actor", "李明", "--role", "admin", "x", "x")
    assert refused.exit_code == 2
    assert "manage_people" in refused.stderr
    listed = run("person", "list", "--db", db)
    assert "赵六\t赵六\t-\thandler, signer" in listed.stdout
