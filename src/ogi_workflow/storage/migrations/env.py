"""Alembic environment: runs on the connection ogi-workflow hands it (storage.migrate)."""

from __future__ import annotations

from alembic import context

from ogi_workflow.storage.schema import METADATA

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=METADATA, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
