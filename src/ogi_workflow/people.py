"""People, departments and roles of an agency, and who may do what: the rules, no I/O.

The host OA system authenticates a person; ogi-workflow authorises the action. The table of
actions and the roles that allow them is data (``data/roles.toml``): an actor must be a
registered, active person of the agency holding one of those roles, and an act that needs
approval (the extension, 条例第三十三条: 经政府信息公开工作机构负责人同意) needs an approver who
holds an approving role and is not the actor (separation of duties).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from pydantic import BaseModel, ConfigDict

from ogi_workflow._resources import LabelledEnum, load_toml
from ogi_workflow._text import text_problem
from ogi_workflow.errors import PermissionDenied, ValidationError

__all__ = [
    "ACTIONS",
    "DepartmentView",
    "PersonView",
    "Role",
    "approver_roles",
    "authorise",
    "authorise_approval",
    "check_code",
    "check_login",
    "check_name",
    "check_roles",
    "roles_for",
]


class Role(LabelledEnum):
    """What a person may do inside the agency (labels: 登记员, 承办人 …)."""

    REGISTRAR = "registrar"  # 登记员
    HANDLER = "handler"  # 承办人
    SEARCH_CONTACT = "search_contact"  # 协查联络人: a department's contact
    REVIEWER = "reviewer"  # 审核
    LEGAL_REVIEWER = "legal_reviewer"  # 法制审核
    SECRECY_REVIEWER = "secrecy_reviewer"  # 保密审查
    SIGNER = "signer"  # 签发 (负责人)
    ADMIN = "admin"  # 管理员


_TABLE: Final = load_toml("data/roles.toml")
ACTIONS: Final[dict[str, frozenset[Role]]] = {
    action: frozenset(Role(r) for r in roles) for action, roles in _TABLE["actions"].items()
}
_APPROVALS: Final[dict[str, frozenset[Role]]] = {
    action: frozenset(Role(r) for r in roles) for action, roles in _TABLE["approvals"].items()
}
_LOGIN: Final = re.compile(r"[^\s\x00-\x1f\x7f]{1,64}")
_CODE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


class PersonView(BaseModel):
    """A registered person as the library knows them now."""

    model_config = ConfigDict(frozen=True)

    agency: str
    login: str  # the host OA system's user id
    name: str
    department: str | None
    roles: tuple[Role, ...]
    active: bool
    created_at: datetime


class DepartmentView(BaseModel):
    """A department (处室) of the agency; ``contact`` is its 协查联络人."""

    model_config = ConfigDict(frozen=True)

    agency: str
    code: str
    name: str
    contact: str | None
    active: bool


def roles_for(action: str) -> frozenset[Role]:
    """The roles any one of which allows ``action``."""
    try:
        return ACTIONS[action]
    except KeyError:
        raise ValidationError(
            f"unknown action {action!r}; known: {', '.join(sorted(ACTIONS))}"
        ) from None


def approver_roles(action: str) -> frozenset[Role] | None:
    """The roles an approver of ``action`` needs, or None when it needs no approval."""
    return _APPROVALS.get(action)


def _needs(roles: Iterable[Role]) -> str:
    return " or ".join(f"{r.value} ({r.label})" for r in sorted(roles))


def _check_person(action: str, login: str, person: PersonView | None, agency: str) -> PersonView:
    if person is None:
        raise PermissionDenied(
            f"{action}: {login!r} is not a registered person of agency {agency!r} "
            "(an administrator registers people with add_person)"
        )
    if not person.active:
        raise PermissionDenied(f"{action}: {login!r} ({person.name}) is no longer active")
    return person


def authorise(action: str, login: str, person: PersonView | None, *, agency: str) -> None:
    """Refuse unless ``person`` (the record of ``login``) may take ``action``."""
    needed = roles_for(action)
    who = _check_person(action, login, person, agency)
    if not needed.intersection(who.roles):
        held = ", ".join(f"{r.value} ({r.label})" for r in who.roles) or "no role"
        raise PermissionDenied(
            f"{action}: {login!r} ({who.name}) holds {held}; the action needs {_needs(needed)}"
        )


def authorise_approval(
    action: str, actor: str, approver: str, person: PersonView | None, *, agency: str
) -> None:
    """Refuse unless ``approver`` may approve ``actor``'s ``action``: an approving role, and
    never the actor themself (separation of duties)."""
    needed = approver_roles(action)
    if needed is None:
        return
    if approver == actor:
        raise PermissionDenied(
            f"{action}: {actor!r} cannot approve their own {action} (separation of duties: "
            f"the approver must be another person holding {_needs(needed)})"
        )
    who = _check_person(f"{action} approval", approver, person, agency)
    if not needed.intersection(who.roles):
        raise PermissionDenied(
            f"{action}: approver {approver!r} ({who.name}) does not hold {_needs(needed)} "
            "(条例第三十三条: 经政府信息公开工作机构负责人同意)"
        )


def check_login(field: str, login: object) -> str:
    """A person's login: 1-64 characters, no spaces or control characters."""
    if not isinstance(login, str) or not _LOGIN.fullmatch(login):
        raise ValidationError(
            f"{field} must be a login of 1 to 64 characters without spaces or control "
            f"characters, got {login!r:.80}"
        )
    if (problem := text_problem(login, multiline=False)) is not None:
        raise ValidationError(f"{field} {problem[1]}")
    return login


def check_name(field: str, name: object, limit: int = 100) -> str:
    """A person's or department's name: text of 1 to ``limit`` characters on one line."""
    if not isinstance(name, str) or not name.strip() or len(name) > limit:
        raise ValidationError(f"{field} must be text of 1 to {limit} characters, got {name!r:.80}")
    if (problem := text_problem(name, multiline=False)) is not None:
        raise ValidationError(f"{field} {problem[1]}")
    return name.strip()


def check_code(field: str, code: object) -> str:
    """A department code: lower-case letters, digits, '-' and '_', at most 40."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise ValidationError(
            f"{field} must be 1 to 40 of a-z, 0-9, '-' and '_' (starting with a letter or "
            f"digit), got {code!r:.80}"
        )
    return code


def check_roles(field: str, roles: object) -> tuple[Role, ...]:
    """A non-empty collection of role names (or Role members), without repeats."""
    if isinstance(roles, str | Role) or not isinstance(roles, Iterable):
        roles = [roles]
    out: list[Role] = []
    for value in roles:
        try:
            role = Role(value if isinstance(value, str) else str(value))
        except ValueError:
            allowed = ", ".join(r.value for r in Role)
            raise ValidationError(f"{field}: unknown role {value!r}; allowed: {allowed}") from None
        if role not in out:
            out.append(role)
    if not out:
        raise ValidationError(f"{field}: at least one role is needed")
    return tuple(out)
