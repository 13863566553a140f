"""Letters frozen at issue: the table ogi_letter keeps each issued letter's blocks and the
exact .docx bytes, so a reprint returns the identical file.

Letters issued before this revision have no frozen copy; the first reprint after the upgrade
renders them once more and freezes that copy. The table is declared here, frozen.

Revision ID: 0004_letters
Revises: 0003_routing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_letters"
down_revision = "0003_routing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ogi_letter",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("ogi_request.id"), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("blocks", sa.JSON(), nullable=False),
        sa.Column("docx", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("request_id", "number", name="uq_ogi_letter"),
    )


def downgrade() -> None:
    op.drop_table("ogi_letter")
