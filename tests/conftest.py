"""Shared fixtures: a Workflow on a real SQLite file and on a real PostgreSQL server.

PostgreSQL runs when OGI_TEST_POSTGRES_URL is set (``.ci/postgres.sh start`` prints one);
under CI it must be set. Each PostgreSQL test gets a schema of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from ogi_workflow import Workflow
from ogi_workflow.models import SHANGHAI
from ogi_workflow.storage.schema import normalise_url

AGENCY: dict[str, Any] = {
    "code": "test-city",
    "name": "某市人民政府办公室",
    "abbreviation": "某府办信公开",
    "review_body": "某市人民政府",
    "court": "某市中级人民法院",
}
TODAY = date(2026, 11, 22)


def fixed_clock() -> datetime:
    return datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)


def application(received: str = "2026-03-02T09:30", **applicant: Any) -> dict[str, Any]:
    person = {"kind": "natural_person", "name": "张三", "phone": "010-12345678"} | applicant
    return {
        "applicant": person,
        "description": "2025年度某区老旧小区改造项目的立项批复文件",
        "received_at": received,
    }


def postgres_base_url() -> str | None:
    url = os.environ.get("OGI_TEST_POSTGRES_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("CI must run the PostgreSQL suite: set OGI_TEST_POSTGRES_URL")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ogi.db'}"
        return
    base = postgres_base_url()
    if base is None:
        pytest.skip("OGI_TEST_POSTGRES_URL not set (run .ci/postgres.sh start)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(base))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def wf(db_url: str) -> Iterator[Workflow]:
    workflow = Workflow.open(db_url, agency=AGENCY, clock=fixed_clock)
    yield workflow
    workflow.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden files (tests/golden/) from the current output; review the diff",
    )
