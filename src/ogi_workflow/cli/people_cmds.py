"""``ogi-workflow person`` and ``ogi-workflow department``: the agency's people and roles."""

from __future__ import annotations

from typing import Annotated

import typer

from ogi_workflow.cli._base import (
    Actor,
    AgencyCode,
    Db,
    JsonFlag,
    app,
    emit_json,
    guarded,
    open_workflow,
)

person_app = typer.Typer(help="People of the agency and their roles (an administrator's job).")
app.add_typer(person_app, name="person")
department_app = typer.Typer(help="Departments (处室) of the agency.")
app.add_typer(department_app, name="department")

Login = Annotated[str, typer.Argument(help="The person's login in the host OA system.")]
Roles = Annotated[
    list[str],
    typer.Option(
        "--role",
        help="registrar | handler | search_contact | reviewer | legal_reviewer | "
        "secrecy_reviewer | signer | admin; repeatable.",
    ),
]


@person_app.command("add")
@guarded
def person_add(
    db: Db,
    login: Login,
    name: Annotated[str, typer.Argument(help="The person's name.")],
    roles: Roles,
    actor: Actor,
    department: Annotated[str | None, typer.Option(help="Department code.")] = None,
    agency_code: AgencyCode = None,
) -> None:
    """Register a person (the agency's first one: an admin registering themself)."""
    with open_workflow(db, agency_code, read_only=False) as wf:
        person = wf.add_person(login, name, roles=roles, actor=actor, department=department)
    typer.echo(f"{person.login}: {person.name} ({', '.join(r.value for r in person.roles)})")


@person_app.command("grant")
@guarded
def person_grant(
    db: Db, login: Login, role: Annotated[str, typer.Argument(help="The role.")], actor: Actor,
    agency_code: AgencyCode = None,
) -> None:  # fmt: skip
    """Give a person one more role."""
    with open_workflow(db, agency_code, read_only=False) as wf:
        person = wf.grant_role(login, role, actor=actor)
    typer.echo(f"{person.login}: {', '.join(r.value for r in person.roles)}")


@person_app.command("revoke")
@guarded
def person_revoke(
    db: Db, login: Login, role: Annotated[str, typer.Argument(help="The role.")], actor: Actor,
    agency_code: AgencyCode = None,
) -> None:  # fmt: skip
    """Take a role away (the grant stays in the history, dated)."""
    with open_workflow(db, agency_code, read_only=False) as wf:
        person = wf.revoke_role(login, role, actor=actor)
    typer.echo(f"{person.login}: {', '.join(r.value for r in person.roles) or 'no role'}")


@person_app.command("deactivate")
@guarded
def person_deactivate(db: Db, login: Login, actor: Actor, agency_code: AgencyCode = None) -> None:
    """A person who left: they can no longer act."""
    with open_workflow(db, agency_code, read_only=False) as wf:
        wf.deactivate_person(login, actor=actor)
    typer.echo(f"{login}: inactive")


@person_app.command("list")
@guarded
def person_list(db: Db, agency_code: AgencyCode = None, as_json: JsonFlag = False) -> None:
    """The agency's people, their departments and roles (read-only)."""
    with open_workflow(db, agency_code, read_only=True) as wf:
        people = wf.people()
    if as_json:
        emit_json({"people": [p.model_dump(mode="json") for p in people]})
        return
    for p in people:
        roles = ", ".join(r.value for r in p.roles) or "no role"
        state = "" if p.active else " [inactive]"
        typer.echo(f"{p.login}\t{p.name}\t{p.department or '-'}\t{roles}{state}")


@department_app.command("add")
@guarded
def department_add(
    db: Db,
    code: Annotated[str, typer.Argument(help="Department code (a-z, 0-9, - and _).")],
    name: Annotated[str, typer.Argument(help="Department name.")],
    actor: Actor,
    agency_code: AgencyCode = None,
) -> None:
    """Add a department."""
    with open_workflow(db, agency_code, read_only=False) as wf:
        department = wf.add_department(code, name, actor=actor)
    typer.echo(f"{department.code}: {department.name}")


@department_app.command("list")
@guarded
def department_list(db: Db, agency_code: AgencyCode = None) -> None:
    """The agency's departments (read-only)."""
    with open_workflow(db, agency_code, read_only=True) as wf:
        for d in wf.departments():
            typer.echo(f"{d.code}\t{d.name}\t{d.contact or '-'}")
