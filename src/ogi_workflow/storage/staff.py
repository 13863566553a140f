"""The SQL of people, departments, role grants and their history (ogi_person & co.)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, and_, bindparam, insert, select, update

from ogi_workflow.storage.schema import DEPARTMENT, PERSON, ROLE_GRANT, STAFF_LOG

__all__ = [
    "department",
    "departments",
    "grant_role",
    "has_active_role",
    "insert_department",
    "insert_person",
    "log",
    "people",
    "person",
    "revoke_role",
    "set_active",
    "set_contact",
]


def _roles(conn: Connection, agency: str, logins: list[str]) -> dict[str, list[str]]:
    """The roles in force (not revoked) of each login, in the order granted."""
    rows = conn.execute(
        select(ROLE_GRANT.c.login, ROLE_GRANT.c.role)
        .where(
            ROLE_GRANT.c.agency == agency,
            ROLE_GRANT.c.login.in_(logins),
            ROLE_GRANT.c.revoked_at.is_(None),
        )
        .order_by(ROLE_GRANT.c.id)
    )
    found: dict[str, list[str]] = {login: [] for login in logins}
    for login, role in rows:
        found[login].append(role)
    return found


# One statement, built once: every action looks its actor up, so SQLAlchemy's compiled cache
# must hit (building the two queries anew per action took most of a batch's time).
_PERSON_WITH_ROLES: Final = (
    select(PERSON, ROLE_GRANT.c.role.label("granted_role"))
    .outerjoin(
        ROLE_GRANT,
        and_(
            ROLE_GRANT.c.agency == PERSON.c.agency,
            ROLE_GRANT.c.login == PERSON.c.login,
            ROLE_GRANT.c.revoked_at.is_(None),
        ),
    )
    .where(PERSON.c.agency == bindparam("agency"), PERSON.c.login == bindparam("login"))
    .order_by(ROLE_GRANT.c.id)
)


def person(conn: Connection, agency: str, login: str) -> dict[str, Any] | None:
    """One person with the roles in force (``roles``, in the order granted), or None."""
    rows = conn.execute(_PERSON_WITH_ROLES, {"agency": agency, "login": login}).mappings().all()
    if not rows:
        return None
    found = {key: value for key, value in rows[0].items() if key != "granted_role"}
    return found | {"roles": [r["granted_role"] for r in rows if r["granted_role"] is not None]}


def people(
    conn: Connection, agency: str, *, department: str | None = None, role: str | None = None
) -> list[dict[str, Any]]:
    """The agency's people (optionally of one department or holding one role), by login."""
    query = select(PERSON).where(PERSON.c.agency == agency).order_by(PERSON.c.login)
    if department is not None:
        query = query.where(PERSON.c.department == department)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    roles = _roles(conn, agency, [r["login"] for r in rows])
    found = [r | {"roles": roles[r["login"]]} for r in rows]
    return [r for r in found if role is None or role in r["roles"]]


def has_active_role(conn: Connection, agency: str, role: str) -> bool:
    """Whether any active person of the agency holds ``role`` now."""
    query = (
        select(ROLE_GRANT.c.id)
        .join(
            PERSON,
            and_(PERSON.c.agency == ROLE_GRANT.c.agency, PERSON.c.login == ROLE_GRANT.c.login),
        )
        .where(
            ROLE_GRANT.c.agency == agency,
            ROLE_GRANT.c.role == role,
            ROLE_GRANT.c.revoked_at.is_(None),
            PERSON.c.active.is_(True),
        )
        .limit(1)
    )
    return conn.execute(query).first() is not None


def insert_person(
    conn: Connection, agency: str, login: str, *, name: str, department: str | None, at: datetime
) -> None:
    conn.execute(
        insert(PERSON).values(
            agency=agency,
            login=login,
            name=name,
            department=department,
            active=True,
            created_at=at,
        )
    )


def set_active(conn: Connection, agency: str, login: str, *, active: bool) -> None:
    conn.execute(
        update(PERSON)
        .where(PERSON.c.agency == agency, PERSON.c.login == login)
        .values(active=active)
    )


def grant_role(
    conn: Connection, agency: str, login: str, *, role: str, at: datetime, by: str
) -> None:
    conn.execute(
        insert(ROLE_GRANT).values(
            agency=agency, login=login, role=role, granted_at=at, granted_by=by
        )
    )


def revoke_role(
    conn: Connection, agency: str, login: str, *, role: str, at: datetime, by: str
) -> int:
    """Revoke the grant in force; how many rows it touched (0: the role was not held)."""
    return conn.execute(
        update(ROLE_GRANT)
        .where(
            ROLE_GRANT.c.agency == agency,
            ROLE_GRANT.c.login == login,
            ROLE_GRANT.c.role == role,
            ROLE_GRANT.c.revoked_at.is_(None),
        )
        .values(revoked_at=at, revoked_by=by)
    ).rowcount


def department(conn: Connection, agency: str, code: str) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(DEPARTMENT).where(DEPARTMENT.c.agency == agency, DEPARTMENT.c.code == code)
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


def departments(conn: Connection, agency: str) -> list[dict[str, Any]]:
    query = select(DEPARTMENT).where(DEPARTMENT.c.agency == agency).order_by(DEPARTMENT.c.code)
    return [dict(r) for r in conn.execute(query).mappings()]


def insert_department(
    conn: Connection, agency: str, code: str, *, name: str, contact: str | None, at: datetime
) -> None:
    conn.execute(
        insert(DEPARTMENT).values(
            agency=agency, code=code, name=name, contact=contact, active=True, created_at=at
        )
    )


def set_contact(conn: Connection, agency: str, code: str, contact: str | None) -> None:
    conn.execute(
        update(DEPARTMENT)
        .where(DEPARTMENT.c.agency == agency, DEPARTMENT.c.code == code)
        .values(contact=contact)
    )


def log(
    conn: Connection,
    agency: str,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    payload: Mapping[str, Any],
) -> None:
    """Append one line to the history of people and departments."""
    conn.execute(
        insert(STAFF_LOG).values(
            agency=agency,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            payload=dict(payload),
        )
    )
