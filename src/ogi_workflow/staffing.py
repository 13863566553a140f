"""The agency's people, departments and roles, kept in the database with their history.

Every change is authorised (role ``admin``, 管理员) and written to ``ogi_staff_log`` in the
same transaction; role grants are never deleted, a revocation is dated. The first person of
an agency is its first administrator, who registers themself (the host OA system's installer
does it once); from then on only an administrator registers people, and the agency can never
be left without an active administrator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ogi_workflow.errors import NotFoundError, ValidationError
from ogi_workflow.models import AgencyProfile
from ogi_workflow.people import (
    DepartmentView,
    PersonView,
    Role,
    authorise,
    authorise_approval,
    check_code,
    check_login,
    check_name,
    check_roles,
)
from ogi_workflow.storage import staff
from ogi_workflow.storage.session import Session, Store

__all__ = ["Staffing"]


def _person(row: dict[str, Any] | None) -> PersonView | None:
    if row is None:
        return None
    return PersonView(
        agency=row["agency"],
        login=row["login"],
        name=row["name"],
        department=row["department"],
        roles=tuple(Role(r) for r in row["roles"]),
        active=bool(row["active"]),
        created_at=row["created_at"],
    )


def _department(row: dict[str, Any]) -> DepartmentView:
    return DepartmentView(
        agency=row["agency"],
        code=row["code"],
        name=row["name"],
        contact=row["contact"],
        active=bool(row["active"]),
    )


class Staffing:
    """People and departments of the Workflow's agency, and the authorisation of actions."""

    _store: Store
    _clock: Callable[[], datetime]
    agency: AgencyProfile

    # ------------------------------------------------------------------ authorisation

    def _authorise(
        self, conn: Connection, action: str, actor: object, *, approver: object = None
    ) -> PersonView:
        """Refuse (PermissionDenied) unless ``actor`` may take ``action`` now; for an act
        that needs approval, unless ``approver`` is another person who may approve it.
        The actor's record (roles and department, for the inner-work rules)."""
        code = self.agency.code
        login = check_login(f"{action}: actor", actor)
        who = _person(self._looked_up(conn, login))
        authorise(action, login, who, agency=code)
        assert who is not None  # authorise refused an unknown actor
        if approver is not None:
            other = check_login(f"{action}: approver", approver)
            found = _person(self._looked_up(conn, other))
            authorise_approval(action, login, other, found, agency=code)
        return who

    @contextmanager
    def _staff_writing(self) -> Iterator[Session]:
        """A unit of work changing people or departments: the people it looked up are
        forgotten after it, so later actions see the change."""
        with self._store.writing() as session:
            try:
                yield session
            finally:
                session.people.clear()

    def _looked_up(self, conn: Connection, login: str) -> dict[str, Any] | None:
        """``staff.person``, once per login in an open batch (Session.people)."""
        batch = self._store.current_batch
        if batch is None or batch.conn is not conn:
            return staff.person(conn, self.agency.code, login)
        if login not in batch.people:
            batch.people[login] = staff.person(conn, self.agency.code, login)
        return batch.people[login]

    def _may(self, action: str, actor: object) -> None:
        """:meth:`_authorise` for an action that writes nothing (a case file)."""
        with self._store.reading() as conn:
            self._authorise(conn, action, actor)

    def _check_routing_target(self, conn: Connection, action: str, params: dict[str, Any]) -> None:
        """分办 and 协查 go to a registered, active department, and 分办 to a person only of
        that department."""
        code = self.agency.code
        department = check_code(f"{action}: department", params.get("department"))
        found = staff.department(conn, code, department)
        if found is None or not found["active"]:
            known = ", ".join(d["code"] for d in staff.departments(conn, code) if d["active"])
            raise ValidationError(
                f"{action}: department {department!r} is not an active department of "
                f"{code!r} (active: {known or 'none'})"
            )
        person = params.get("person")
        if person is not None:
            login = check_login(f"{action}: person", person)
            who = _person(staff.person(conn, code, login))
            if who is None or not who.active or who.department != department:
                raise ValidationError(
                    f"{action}: person {login!r} is not an active member of department "
                    f"{department!r}"
                )

    def _check_handler(self, conn: Connection, action: str, handler: object) -> None:
        """办理 goes to a registered, active person holding the handler role."""
        login = check_login(f"{action}: handler", handler)
        who = _person(self._looked_up(conn, login))
        if who is None or not who.active or Role.HANDLER not in who.roles:
            raise ValidationError(
                f"{action}: handler {login!r} is not an active person of agency "
                f"{self.agency.code!r} holding the handler role"
            )

    # ------------------------------------------------------------------ reads

    def person(self, login: str) -> PersonView:
        """One registered person (NotFoundError if none has this login)."""
        login = check_login("person: login", login)
        with self._store.reading() as conn:
            found = _person(staff.person(conn, self.agency.code, login))
        if found is None:
            raise NotFoundError(f"no person {login!r} in agency {self.agency.code!r}")
        return found

    def people(
        self, *, department: str | None = None, role: Role | str | None = None
    ) -> list[PersonView]:
        """The agency's people by login, optionally of one department or holding one role."""
        wanted = None if role is None else check_roles("people: role", role)[0].value
        if department is not None:
            check_code("people: department", department)
        with self._store.reading() as conn:
            rows = staff.people(conn, self.agency.code, department=department, role=wanted)
        return [p for p in map(_person, rows) if p is not None]

    def departments(self) -> list[DepartmentView]:
        """The agency's departments by code."""
        with self._store.reading() as conn:
            return [_department(r) for r in staff.departments(conn, self.agency.code)]

    # ------------------------------------------------------------------ changes

    def add_department(
        self, code: str, name: str, *, actor: str, contact: str | None = None
    ) -> DepartmentView:
        """A new department (处室); ``contact`` is its 协查联络人, a registered person."""
        code = check_code("add_department: code", code)
        name = check_name("add_department: name", name)
        with self._staff_writing() as session:
            conn = session.conn
            self._authorise(conn, "manage_people", actor)
            if staff.department(conn, self.agency.code, code) is not None:
                raise ValidationError(f"add_department: department {code!r} already exists")
            if contact is not None:
                self._check_contact(conn, "add_department", contact)
            staff.insert_department(
                conn, self.agency.code, code, name=name, contact=contact, at=self._clock()
            )
            self._log(conn, actor, "add_department", code, {"name": name, "contact": contact})
            found = staff.department(conn, self.agency.code, code)
        assert found is not None
        return _department(found)

    def set_department_contact(self, code: str, contact: str | None, *, actor: str) -> None:
        """Name (or clear) the department's 协查联络人: a person holding ``search_contact``."""
        code = check_code("set_department_contact: code", code)
        with self._staff_writing() as session:
            conn = session.conn
            self._authorise(conn, "manage_people", actor)
            self._existing_department(conn, "set_department_contact", code)
            if contact is not None:
                self._check_contact(conn, "set_department_contact", contact)
            staff.set_contact(conn, self.agency.code, code, contact)
            self._log(conn, actor, "set_department_contact", code, {"contact": contact})

    def add_person(
        self,
        login: str,
        name: str,
        *,
        roles: Iterable[Role | str] | Role | str,
        actor: str,
        department: str | None = None,
    ) -> PersonView:
        """Register a person of the agency (``login``: the host OA system's user id).

        The agency's first person must be given ``admin`` and register themself
        (``actor == login``); every later one is registered by an administrator.
        """
        login = check_login("add_person: login", login)
        name = check_name("add_person: name", name)
        granted = check_roles("add_person: roles", roles)
        with self._staff_writing() as session:
            conn = session.conn
            code = self.agency.code
            if staff.has_active_role(conn, code, Role.ADMIN.value):
                self._authorise(conn, "manage_people", actor)
            elif Role.ADMIN not in granted or actor != login:
                raise ValidationError(
                    f"add_person: agency {code!r} has no administrator yet: the first person "
                    "registered must be given the role admin (管理员) and register themself "
                    f"(actor == login), got login {login!r}, actor {actor!r}"
                )
            if staff.person(conn, code, login) is not None:
                raise ValidationError(f"add_person: {login!r} is already registered")
            if department is not None:
                self._existing_department(conn, "add_person", department)
            now = self._clock()
            staff.insert_person(conn, code, login, name=name, department=department, at=now)
            for role in granted:
                staff.grant_role(conn, code, login, role=role.value, at=now, by=actor)
            payload = {"name": name, "department": department, "roles": [r.value for r in granted]}
            self._log(conn, actor, "add_person", login, payload)
            found = _person(staff.person(conn, code, login))
        assert found is not None
        return found

    def grant_role(self, login: str, role: Role | str, *, actor: str) -> PersonView:
        """Give a registered person one more role."""
        (wanted,) = check_roles("grant_role: role", role)
        return self._change(login, actor, "grant_role", {"role": wanted.value})

    def revoke_role(self, login: str, role: Role | str, *, actor: str) -> PersonView:
        """Take a role away (the grant stays in the history, dated)."""
        (wanted,) = check_roles("revoke_role: role", role)
        return self._change(login, actor, "revoke_role", {"role": wanted.value})

    def deactivate_person(self, login: str, *, actor: str) -> PersonView:
        """A person who left: they can no longer act; their past actions stay theirs."""
        return self._change(login, actor, "deactivate_person", {})

    # ------------------------------------------------------------------ helpers

    def _change(self, login: str, actor: str, action: str, payload: dict[str, Any]) -> PersonView:
        login = check_login(f"{action}: login", login)
        code = self.agency.code
        with self._staff_writing() as session:
            conn = session.conn
            self._authorise(conn, "manage_people", actor)
            before = _person(staff.person(conn, code, login))
            if before is None:
                raise NotFoundError(f"{action}: no person {login!r} in agency {code!r}")
            now = self._clock()
            role = str(payload.get("role"))
            if action == "grant_role":
                if role in before.roles:
                    raise ValidationError(f"grant_role: {login!r} already holds {role}")
                staff.grant_role(conn, code, login, role=role, at=now, by=actor)
            elif action == "revoke_role":
                if not staff.revoke_role(conn, code, login, role=role, at=now, by=actor):
                    raise ValidationError(f"revoke_role: {login!r} does not hold {role}")
            else:
                staff.set_active(conn, code, login, active=False)
            if not staff.has_active_role(conn, code, Role.ADMIN.value):
                raise ValidationError(
                    f"{action}: {login!r} is the agency's last active administrator; grant "
                    "admin to someone else first"
                )
            self._log(conn, actor, action, login, payload)
            after = _person(staff.person(conn, code, login))
        assert after is not None
        return after

    def _existing_department(self, conn: Connection, action: str, code: str) -> None:
        check_code(f"{action}: department", code)
        if staff.department(conn, self.agency.code, code) is None:
            known = ", ".join(d["code"] for d in staff.departments(conn, self.agency.code))
            raise ValidationError(
                f"{action}: no department {code!r} in agency {self.agency.code!r} "
                f"(known: {known or 'none yet; add_department first'})"
            )

    def _check_contact(self, conn: Connection, action: str, contact: str) -> None:
        login = check_login(f"{action}: contact", contact)
        found = _person(staff.person(conn, self.agency.code, login))
        if found is None or not found.active or Role.SEARCH_CONTACT not in found.roles:
            raise ValidationError(
                f"{action}: contact {login!r} must be an active person holding "
                "search_contact (协查联络人)"
            )

    def _log(
        self, conn: Connection, actor: str, action: str, subject: str, payload: dict[str, Any]
    ) -> None:
        staff.log(
            conn,
            self.agency.code,
            at=self._clock(),
            actor=actor,
            action=action,
            subject=subject,
            payload=payload,
        )
