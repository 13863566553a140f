"""Alembic migrations of the ogi-workflow schema (one per schema change; see docs/storage.md)."""
