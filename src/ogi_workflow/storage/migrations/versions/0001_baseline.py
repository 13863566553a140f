"""Baseline: the schema of ogi-workflow 0.1, which had no version table.

Written to repair as well as create: on an empty database it creates everything; on a
database made by 0.1 it creates what is missing (a table, an index, a unique constraint
dropped by hand) and leaves what is there. Tables are declared here, frozen, rather than
taken from the models, so later model changes never change what this revision means.

Revision ID: 0001_baseline
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

_RECORDS = "event IN ('record_review', 'record_litigation')"


def _tables() -> sa.MetaData:
    meta = sa.MetaData()
    instant = sa.DateTime(timezone=True)
    sa.Table(
        "ogi_agency",
        meta,
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("updated_at", instant, nullable=False),
    )
    sa.Table(
        "ogi_calendar_notice",
        meta,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("loaded_at", instant, nullable=False),
        sa.Column("loaded_by", sa.String(200), nullable=False),
    )
    sa.Table(
        "ogi_counter",
        meta,
        sa.Column("agency", sa.String(64), primary_key=True),
        sa.Column("series", sa.String(16), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
    )
    request = sa.Table(
        "ogi_request",
        meta,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("reg_no", sa.String(64)),
        sa.Column("reg_year", sa.Integer()),
        sa.Column("reg_seq", sa.Integer()),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(64)),
        sa.Column("applicant_kind", sa.String(32), nullable=False),
        sa.Column("applicant_name", sa.Text(), nullable=False),
        sa.Column("applicant_key", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_key", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("received_at", instant, nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("clock_start", sa.Date()),
        sa.Column("due_date", sa.Date()),
        sa.Column("correction_window_end", sa.Date()),
        sa.Column("correction_requested_on", sa.Date()),
        sa.Column("paused_workdays", sa.Integer(), nullable=False),
        sa.Column("extension_workdays", sa.Integer(), nullable=False),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("handler", sa.String(200)),
        sa.Column("replied_on", sa.Date()),
        sa.Column("archived_on", sa.Date()),
        sa.Column("application", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", instant, nullable=False),
        sa.Column("updated_at", instant, nullable=False),
        sa.UniqueConstraint("agency", "reg_no", name="uq_ogi_request_reg_no"),
        sa.UniqueConstraint("agency", "reg_year", "reg_seq", name="uq_ogi_request_reg_seq"),
    )
    c = request.c
    sa.Index("ix_ogi_request_applicant", c.agency, c.applicant_key, c.received_on)
    sa.Index("ix_ogi_request_received", c.agency, c.received_on, c.description_key)
    sa.Index(
        "ix_ogi_request_replied",
        c.agency,
        c.replied_on,
        c.received_on,
        c.applicant_kind,
        c.outcome,
        c.clock_start,
        c.paused_workdays,
    )
    sa.Index("ix_ogi_request_state_correction", c.state, c.correction_window_end)
    sa.Index("ix_ogi_request_state_due", c.state, c.due_date)
    event = sa.Table(
        "ogi_event",
        meta,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("ogi_request.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", instant, nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("state_before", sa.String(32)),
        sa.Column("state_after", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("before_values", sa.JSON(), nullable=False),
        sa.Column("after_values", sa.JSON(), nullable=False),
        sa.UniqueConstraint("request_id", "seq", name="uq_ogi_event_seq"),
    )
    e = event.c
    sa.Index(
        "ix_ogi_event_records",
        e.event,
        e.effective_on,
        e.request_id,
        sqlite_where=sa.text(_RECORDS),
        postgresql_where=sa.text(_RECORDS),
    )
    return meta


def upgrade() -> None:
    bind = op.get_bind()
    meta = _tables()
    meta.create_all(bind, checkfirst=True)  # the tables missing, with their indexes
    inspector = sa.inspect(bind)
    for table in meta.sorted_tables:
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        uniques = {u["name"] for u in inspector.get_unique_constraints(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(bind)
        for constraint in table.constraints:
            if not isinstance(constraint, sa.UniqueConstraint) or constraint.name in uniques:
                continue
            if constraint.name in indexes:
                continue  # SQLite: repaired before as a unique index of the same name
            columns = [col.name for col in constraint.columns]
            if bind.dialect.name == "sqlite":  # SQLite cannot add a constraint to a table
                op.create_index(str(constraint.name), table.name, columns, unique=True)
            else:
                op.create_unique_constraint(str(constraint.name), table.name, columns)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: restore a backup instead")
