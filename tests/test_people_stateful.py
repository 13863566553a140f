"""A permission is never bypassed: random people, role changes and actions by random actors,
routing (分办、签收) and review chains included; nothing is replied without sign-off.

The expected permissions are written here from the roles' definitions (docs/agency.md), not
read from data/roles.toml. Whatever happened before, an action by someone the model says
may not take it is a PermissionDenied and changes nothing; one by someone who may is never
refused for permission (the state machine may still refuse it for its own reasons).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from tempfile import mkdtemp
from typing import Any, Final

from conftest import AGENCY, application, details, fixed_clock
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ogi_workflow import Outcome, PermissionDenied, Workflow
from ogi_workflow.errors import OgiError

ROLES: Final = (
    "registrar",
    "handler",
    "reviewer",
    "legal_reviewer",
    "signer",
    "search_contact",
    "admin",
)
ALLOWED: Final = {
    "receive": {"registrar"},
    "register": {"registrar"},
    "start_handling": {"handler"},
    "extend": {"handler"},
    "reply": {"handler"},
    "submit_for_review": {"handler"},
    "assign": {"registrar"},
    "archive": {"registrar", "handler"},
    "record_review": {"legal_reviewer"},
    "issue_letter": {"registrar", "handler"},
}
LOGINS: Final = ("a", "b", "c", "d", "e", "nobody")  # "nobody" is never registered
DEPARTMENTS: Final = ("d1", "d2")
DAY: Final = date(2026, 3, 2)
CHAIN: Final = ("reviewer", "signer")  # 不存在 is no refusal: 审核 → 签发 (docs/agency.md)


class People(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        path = Path(mkdtemp()) / "people.sqlite"
        self.wf = Workflow.open(str(path), agency=AGENCY, clock=fixed_clock)
        self.wf.add_person("root", "管理员", roles=["admin"], actor="root")
        for code in DEPARTMENTS:
            self.wf.add_department(code, code, actor="root")
        self.roles: dict[str, set[str]] = {}  # registered logins and their roles
        self.active: dict[str, bool] = {}
        self.department: dict[str, str] = {}
        self.requests: list[int] = []
        self.assigned: dict[int, str] = {}  # request -> department, while not signed for
        self.drafts: dict[int, tuple[str, int]] = {}  # request -> (drafter, steps approved)

    def teardown(self) -> None:
        self.wf.close()

    def may(self, login: str, action: str) -> bool:
        return self.active.get(login, False) and bool(self.roles[login] & ALLOWED[action])

    # ------------------------------------------------------------------ people change

    @rule(
        login=st.sampled_from(LOGINS[:-1]),
        roles=st.sets(st.sampled_from(ROLES), min_size=1),
        department=st.sampled_from(DEPARTMENTS),
    )
    def add(self, login: str, roles: set[str], department: str) -> None:
        if login in self.roles:
            return
        self.wf.add_person(login, login, roles=sorted(roles), department=department, actor="root")
        self.roles[login], self.active[login] = set(roles), True
        self.department[login] = department

    @rule(login=st.sampled_from(LOGINS[:-1]), role=st.sampled_from(ROLES))
    def grant_or_revoke(self, login: str, role: str) -> None:
        if login not in self.roles:
            return
        if role in self.roles[login]:
            self.wf.revoke_role(login, role, actor="root")
            self.roles[login].discard(role)
        else:
            self.wf.grant_role(login, role, actor="root")
            self.roles[login].add(role)

    @rule(login=st.sampled_from(LOGINS[:-1]))
    def leave(self, login: str) -> None:
        if self.active.get(login):
            self.wf.deactivate_person(login, actor="root")
            self.active[login] = False

    # ------------------------------------------------------------------ actions

    def attempt(self, action: str, login: str, call: Any, request: int | None) -> None:
        before = None if request is None else self.wf.get(request)
        count = self.wf.count()
        allowed = self.may(login, action)
        try:
            call()
        except PermissionDenied:
            assert not allowed, f"{login} ({self.roles.get(login)}) was refused {action}"
            assert count == self.wf.count()
            assert request is None or self.wf.get(request) == before
            return
        except OgiError:
            assert allowed, f"{login} ({self.roles.get(login)}) got past the check for {action}"
            return
        assert allowed, f"{login} ({self.roles.get(login)}) took {action}"

    @rule(login=st.sampled_from(LOGINS))
    def receive(self, login: str) -> None:
        def call() -> None:
            self.requests.append(self.wf.receive(application(), actor=login).id)

        self.attempt("receive", login, call, None)

    @precondition(lambda self: self.requests)
    @rule(
        login=st.sampled_from(LOGINS),
        action=st.sampled_from(
            ["register", "start_handling", "reply", "archive", "record_review", "issue_letter"]
        ),
        data=st.data(),
    )
    def act(self, login: str, action: str, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(self.requests))
        wf = self.wf
        calls = {
            "register": lambda: wf.register(rid, actor=login, on=DAY),
            "start_handling": lambda: wf.start_handling(rid, actor=login, on=DAY),
            "reply": lambda: wf.reply(rid, actor=login, on=DAY),
            "archive": lambda: wf.archive(rid, actor=login, on=DAY),
            "record_review": lambda: wf.record_review(rid, actor=login, result="upheld", on=DAY),
            "issue_letter": lambda: wf.render(rid, "notice_registration", "txt", actor=login),
        }
        self.attempt(action, login, calls[action], rid)

    @precondition(lambda self: self.requests)
    @rule(login=st.sampled_from(LOGINS), approver=st.sampled_from(LOGINS), data=st.data())
    def extend(self, login: str, approver: str, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(self.requests))
        before = self.wf.get(rid)
        approves = (
            approver != login
            and self.active.get(approver, False)
            and "signer" in self.roles[approver]
        )
        try:
            self.wf.extend(rid, actor=login, approver=approver, reason="需协调", on=DAY)
        except PermissionDenied:
            assert not (self.may(login, "extend") and approves)
            assert self.wf.get(rid) == before
            return
        except OgiError:
            pass
        assert self.may(login, "extend"), (login, self.roles)
        assert approves, (approver, self.roles)

    # ------------------------------------------------------------------ routing and review

    @precondition(lambda self: self.requests)
    @rule(login=st.sampled_from(LOGINS), department=st.sampled_from(DEPARTMENTS), data=st.data())
    def assign(self, login: str, department: str, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(self.requests))

        def call() -> None:
            self.wf.assign(rid, actor=login, department=department, on=DAY)

        if self._acted("assign", login, call, rid):
            self.assigned[rid] = department

    @precondition(lambda self: self.assigned)
    @rule(login=st.sampled_from(LOGINS), data=st.data())
    def accept(self, login: str, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(sorted(self.assigned)))
        before = self.wf.get(rid)
        allowed = (
            self.active.get(login, False)
            and bool(self.roles[login] & {"handler", "search_contact"})
            and self.department[login] == self.assigned[rid]
        )
        try:
            self.wf.accept_assignment(rid, actor=login, on=DAY)
        except PermissionDenied:
            assert not allowed, f"{login} of {self.department.get(login)} was refused 签收"
            assert self.wf.get(rid) == before
            return
        assert allowed, f"{login} ({self.roles.get(login)}) signed for {self.assigned[rid]}"
        del self.assigned[rid]

    @precondition(lambda self: self.requests)
    @rule(login=st.sampled_from(LOGINS), data=st.data())
    def submit(self, login: str, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(self.requests))
        nothing = details(Outcome.NOT_EXIST)

        def call() -> None:
            self.wf.submit_for_review(
                rid, actor=login, outcome=Outcome.NOT_EXIST, details=nothing, on=DAY
            )

        if self._acted("submit_for_review", login, call, rid):
            self.drafts[rid] = (login, 0)

    @precondition(lambda self: self.drafts)
    @rule(login=st.sampled_from(LOGINS), data=st.data())
    def approve(self, login: str, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(sorted(self.drafts)))
        drafter, approved = self.drafts[rid]
        before = self.wf.get(rid)
        waiting = CHAIN[approved] if approved < len(CHAIN) else None
        allowed = (
            waiting is not None
            and self.active.get(login, False)
            and waiting in self.roles[login]
            and login != drafter
        )
        try:
            self.wf.approve(rid, actor=login, opinion="同意", on=DAY)
        except PermissionDenied:
            assert not allowed, f"{login} ({self.roles.get(login)}) was refused step {waiting}"
            assert self.wf.get(rid) == before
            return
        except OgiError:
            assert waiting is None or before.state.value in ("replied", "archived")
            return
        assert allowed, f"{login} ({self.roles.get(login)}) approved step {waiting} of {drafter}"
        self.drafts[rid] = (drafter, approved + 1)

    def _acted(self, action: str, login: str, call: Any, rid: int) -> bool:
        """:meth:`attempt`, and whether the action was taken."""
        version = self.wf.get(rid).version
        self.attempt(action, login, call, rid)
        return self.wf.get(rid).version > version

    @invariant()
    def nothing_is_replied_without_sign_off(self) -> None:
        for rid in self.requests:
            events = self.wf.events(rid)
            if not any(e.event == "reply" for e in events):
                continue
            last = max(i for i, e in enumerate(events) if e.event == "submit_for_review")
            drafter = events[last].actor
            steps = [e for e in events[last + 1 :] if e.event == "approve"]
            assert [e.payload["role"] for e in steps] == list(CHAIN)
            assert all(e.actor != drafter for e in steps)

    @invariant()
    def administrator_remains(self) -> None:
        assert any(p.login == "root" and p.active for p in self.wf.people())


People.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestPeople = People.TestCase
