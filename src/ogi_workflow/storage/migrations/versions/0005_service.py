"""The HTTP service: API tokens, idempotent POSTs, the transactional outbox, webhooks and
their delivery log. The tables are declared here, frozen.

Events stored before this revision have no outbox row: webhooks receive what happens from
the upgrade on.

Revision ID: 0005_service
Revises: 0004_letters
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0005_service"
down_revision = "0004_letters"
branch_labels = None
depends_on = None


def _instant(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "ogi_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        _instant("created_at"),
        sa.Column("created_by", sa.String(64), nullable=False),
        _instant("revoked_at", nullable=True),
    )
    op.create_table(
        "ogi_idempotency",
        sa.Column("token_id", sa.Integer(), sa.ForeignKey("ogi_token.id"), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        _instant("created_at"),
    )
    op.create_table(
        "ogi_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("ogi_request.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("dispatched", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_ogi_outbox_pending", "ogi_outbox", ["dispatched", "id"])
    op.create_table(
        "ogi_webhook",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _instant("created_at"),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "ogi_delivery",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("webhook_id", sa.Integer(), sa.ForeignKey("ogi_webhook.id"), nullable=False),
        sa.Column("outbox_id", sa.Integer(), sa.ForeignKey("ogi_outbox.id"), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _instant("next_attempt_at"),
        _instant("claimed_until", nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        _instant("delivered_at", nullable=True),
        _instant("created_at"),
        sa.UniqueConstraint("webhook_id", "outbox_id", name="uq_ogi_delivery"),
    )
    op.create_index("ix_ogi_delivery_due", "ogi_delivery", ["status", "next_attempt_at"])
    op.create_index(
        "ix_ogi_delivery_order", "ogi_delivery", ["webhook_id", "request_id", "outbox_id"]
    )


def downgrade() -> None:
    for table in ("ogi_delivery", "ogi_webhook", "ogi_outbox", "ogi_idempotency", "ogi_token"):
        op.drop_table(table)
