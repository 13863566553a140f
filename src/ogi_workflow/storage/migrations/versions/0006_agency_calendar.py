"""Calendar notices per agency: ogi_calendar_notice gains a nullable ``agency`` column.

NULL is a deployment-wide notice (a State Council 节假日安排 notice, every agency counts by
it), as every notice stored before this revision stays; an agency code is that agency's own
notice for a year (local rest days and working days on top of the national ones,
docs/deadlines.md). A year may hold, per owner, its notice and the amendments to it, so the
table is looked up by (agency, year) and nothing makes a year unique: the calendar refuses a
second notice for an owner's year that does not say ``amends = true``.

Going back to 0005 removes the agencies' own notices (0005 could only read them as
deployment-wide ones, which they are not); load them again after upgrading.

Revision ID: 0006_agency_calendar
Revises: 0005_service
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_agency_calendar"
down_revision = "0005_service"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ogi_calendar_notice") as notice:
        notice.add_column(sa.Column("agency", sa.String(64), nullable=True))
    op.create_index("ix_ogi_calendar_notice_owner", "ogi_calendar_notice", ["agency", "year"])


def downgrade() -> None:
    op.drop_index("ix_ogi_calendar_notice_owner", "ogi_calendar_notice")
    op.execute("DELETE FROM ogi_calendar_notice WHERE agency IS NOT NULL")
    with op.batch_alter_table("ogi_calendar_notice") as notice:
        notice.drop_column("agency")
