"""转送 between the agencies of one database (条例第三十六条第五项).

Adds four nullable columns of ogi_request: the agency and request a request was forwarded
to, and, on the request a forward created, the agency and request it came from. Requests
stored before have none (NULL): they were neither forwarded nor created by a forward.

Revision ID: 0007_forwarding
Revises: 0006_agency_calendar
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_forwarding"
down_revision = "0006_agency_calendar"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("forwarded_to_agency", sa.String(64)),
    ("forwarded_to_request", sa.Integer()),
    ("forwarded_from_agency", sa.String(64)),
    ("forwarded_from_request", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("ogi_request") as request:
        for name, kind in _COLUMNS:
            request.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+): a batch copy of ogi_request would
    # have to drop the table that ogi_event's foreign key points at.
    for name, _kind in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE ogi_request DROP COLUMN {name}")
