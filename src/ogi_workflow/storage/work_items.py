"""The agency's work items (ogi_work_item): what an event opens and closes, written."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Update, bindparam, update
from sqlalchemy.engine import Connection

from ogi_workflow.lifecycle.inner import WorkChange
from ogi_workflow.storage.schema import WORK_ITEM, insert_many

__all__ = ["apply_work", "apply_work_many"]


def apply_work(
    conn: Connection, agency: str, request_id: int, on: date, work: Sequence[WorkChange]
) -> None:
    """Open and close a request's work items (ogi_work_item) as an event says, on ``on``."""
    apply_work_many(conn, agency, [(request_id, on, work)])


def apply_work_many(
    conn: Connection,
    agency: str,
    changes: Sequence[tuple[int, date, Sequence[WorkChange]]],
    new: Collection[int] = (),
) -> None:
    """Every work-item change of a unit of work, in order, in a few statements.

    Items opened here are followed in memory (closed there when a later change closes them)
    and inserted at the end, in one statement; the closings, one statement per shape in
    order, reach the items stored before, all opened before any of these changes. On
    PostgreSQL that is a few round trips for a whole batch instead of one per change.
    ``new``: requests stored in this same unit of work, which have no items stored before:
    their closings need no statement.
    """
    opened: list[dict[str, Any]] = []
    still_open: dict[int, list[dict[str, Any]]] = {}
    closings: dict[tuple[bool, bool], list[dict[str, Any]]] = {}
    for request_id, on, work in changes:
        for change in work:
            if change.open:
                item = {
                    "request_id": request_id,
                    "agency": agency,
                    "kind": change.kind,
                    "ref": change.ref,
                    "department": change.department,
                    "person": change.person,
                    "role": change.role,
                    "opened_on": on,
                    "due_on": change.due_on,
                    "closed_on": None,
                }
                opened.append(item)
                still_open.setdefault(request_id, []).append(item)
                continue
            for item in still_open.get(request_id, ()):
                kind_fits, ref_fits = (
                    change.kind in (None, item["kind"]),
                    change.ref in (None, item["ref"]),
                )
                if item["closed_on"] is None and kind_fits and ref_fits:
                    item["closed_on"] = on
            if request_id in new:
                continue
            shape = (change.kind is not None, change.ref is not None)
            closings.setdefault(shape, []).append(
                {"b_rid": request_id, "b_kind": change.kind, "b_ref": change.ref, "b_on": on}
            )
    for shape, params in closings.items():
        conn.execute(_close_work_items(*shape), params)
    insert_many(conn, WORK_ITEM, opened)


@cache
def _close_work_items(by_kind: bool, by_ref: bool) -> Update:
    """The statement closing a request's open work items (of one kind, one ref), built once
    per shape so SQLAlchemy's compiled cache hits: a batch runs it for most actions."""
    where = [WORK_ITEM.c.request_id == bindparam("b_rid"), WORK_ITEM.c.closed_on.is_(None)]
    if by_kind:
        where.append(WORK_ITEM.c.kind == bindparam("b_kind"))
    if by_ref:
        where.append(WORK_ITEM.c.ref == bindparam("b_ref"))
    return update(WORK_ITEM).where(*where).values(closed_on=bindparam("b_on"))
