"""Routing and the agency's work items: where a request is, and what waits on whom.

Adds two nullable columns of ogi_request (department, assignee: the 分办) and the table
ogi_work_item (assignments to sign for, returned requests, 协查 tasks, review steps). The
协查 tasks a database already holds are copied in from the event log, open or answered, so
the morning list shows the open ones after the upgrade. Tables are declared here, frozen.

Revision ID: 0003_routing
Revises: 0002_people
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0003_routing"
down_revision = "0002_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ogi_request") as request:
        request.add_column(sa.Column("department", sa.String(40)))
        request.add_column(sa.Column("assignee", sa.String(64)))
    work = op.create_table(
        "ogi_work_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("ogi_request.id"), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(16), nullable=False),
        sa.Column("department", sa.String(40)),
        sa.Column("person", sa.String(64)),
        sa.Column("role", sa.String(32)),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date()),
        sa.UniqueConstraint("request_id", "kind", "ref", name="uq_ogi_work_item"),
    )
    op.create_index("ix_ogi_work_item_open", "ogi_work_item", ["agency", "closed_on", "due_on"])
    _copy_search_tasks(work)


def _copy_search_tasks(work: sa.Table) -> None:
    """The 协查 tasks already in the event log become work items (closed when answered, or
    when the request was answered first)."""
    conn = op.get_bind()
    query = sa.text(
        "SELECT e.request_id, e.event, e.effective_on, e.payload, r.agency, r.replied_on "
        "FROM ogi_event e JOIN ogi_request r ON r.id = e.request_id "
        "WHERE e.event IN ('open_search_task', 'answer_search_task') "
        "ORDER BY e.request_id, e.seq"
    ).columns(
        sa.column("request_id", sa.Integer()),
        sa.column("event", sa.String()),
        sa.column("effective_on", sa.Date()),
        sa.column("payload", sa.JSON()),
        sa.column("agency", sa.String()),
        sa.column("replied_on", sa.Date()),
    )
    items: dict[tuple[int, str], dict[str, object]] = {}
    for row in conn.execute(query):
        ref = str(row.payload["task"])
        if row.event == "open_search_task":
            items[(row.request_id, ref)] = {
                "request_id": row.request_id,
                "agency": row.agency,
                "kind": "search_task",
                "ref": ref,
                "department": row.payload["department"],
                "person": None,
                "role": None,
                "opened_on": row.effective_on,
                "due_on": date.fromisoformat(row.payload["due_date"]),
                "closed_on": row.replied_on,
            }
        elif (row.request_id, ref) in items:
            items[(row.request_id, ref)]["closed_on"] = row.effective_on
    if items:
        conn.execute(work.insert(), list(items.values()))


def downgrade() -> None:
    op.drop_index("ix_ogi_work_item_open", "ogi_work_item")
    op.drop_table("ogi_work_item")
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+): a batch copy of ogi_request would
    # have to drop the table that ogi_event's foreign key points at.
    for column in ("assignee", "department"):
        op.execute(f"ALTER TABLE ogi_request DROP COLUMN {column}")
