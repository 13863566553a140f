"""People, departments and roles; calendar notices traced by title, source and hash.

Adds ogi_department, ogi_person, ogi_role_grant (every grant kept, revocations dated) and
ogi_staff_log (the history of people and departments), and three nullable columns of
ogi_calendar_notice: title, source and sha256. Requests and events are untouched. Tables are
declared here, frozen, as in the baseline.

Revision ID: 0002_people
Revises: 0001_baseline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_people"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    instant = sa.DateTime(timezone=True)
    op.create_table(
        "ogi_department",
        sa.Column("agency", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("contact", sa.String(64)),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", instant, nullable=False),
    )
    op.create_table(
        "ogi_person",
        sa.Column("agency", sa.String(64), primary_key=True),
        sa.Column("login", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("department", sa.String(40)),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", instant, nullable=False),
    )
    op.create_table(
        "ogi_role_grant",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("granted_at", instant, nullable=False),
        sa.Column("granted_by", sa.String(64), nullable=False),
        sa.Column("revoked_at", instant),
        sa.Column("revoked_by", sa.String(64)),
    )
    op.create_index("ix_ogi_role_grant_person", "ogi_role_grant", ["agency", "login", "revoked_at"])
    op.create_table(
        "ogi_staff_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("at", instant, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
    )
    with op.batch_alter_table("ogi_calendar_notice") as notice:
        notice.add_column(sa.Column("title", sa.String(300)))
        notice.add_column(sa.Column("source", sa.String(500)))
        notice.add_column(sa.Column("sha256", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("ogi_calendar_notice") as notice:
        notice.drop_column("sha256")
        notice.drop_column("source")
        notice.drop_column("title")
    op.drop_table("ogi_staff_log")
    op.drop_index("ix_ogi_role_grant_person", "ogi_role_grant")
    op.drop_table("ogi_role_grant")
    op.drop_table("ogi_person")
    op.drop_table("ogi_department")
