"""Shared fixtures: a Workflow on a real SQLite file and on a real PostgreSQL server.

PostgreSQL runs when OGI_TEST_POSTGRES_URL is set (``.ci/postgres.sh start`` prints one);
under CI it must be set. Each PostgreSQL test gets a schema of its own.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from ogi_workflow import Outcome, Workflow
from ogi_workflow.models import SHANGHAI, RequestView
from ogi_workflow.storage.engine import normalise_url

AGENCY: dict[str, Any] = {
    "code": "test-city",
    "name": "某市人民政府办公室",
    "abbreviation": "某府办信公开",
    "review_body": "某市人民政府",
    "court": "某市中级人民法院",
}
TODAY = date(2026, 11, 22)
# A test 2027 holiday notice: 元旦 1-1..1-3 off, Sunday 2026-12-27 worked.
NOTICE_2027 = Path(__file__).resolve().parent / "data" / "notice-2027.toml"
# Sample reply details: what each outcome's letter prints (checked when the reply is made).
DETAILS: dict[Outcome, dict[str, Any]] = {
    Outcome.ALREADY_PUBLIC: {
        "where": "某市人民政府门户网站“政府信息公开—规划信息”栏目，网址：https://www.example.gov.cn/ghxx/1.html"
    },
    Outcome.DISCLOSED: {
        "provided": "《关于某项目立项的批复》复制件1份，共3页",
        "delivery": "随本答复书邮寄提供。",
    },
    Outcome.PARTIAL: {
        "provided": "征收补偿方案（已删除个人信息）",
        "withheld": "被征收人的身份证号码",
        "withheld_ground": "third_party_rights",
        "withheld_reason": "属于个人隐私，第三方不同意公开",
    },
    Outcome.STATE_SECRET: {"reason": "该文件已依法定密"},
    Outcome.ADMINISTRATIVE_QUERY: {
        "statute": "《不动产登记暂行条例》",
        "where_to_apply": "请到某市不动产登记中心申请查询",
    },
    Outcome.NOT_EXIST: {
        "searched": "本机关2019年以来的收发文档案",
        "convenience": {"holder": "某区住房和城乡建设局", "contact": "010-7654321"},
    },
    Outcome.NOT_RESPONSIBLE: {
        "reason": "该规划许可由市自然资源和规划局作出并保存",
        "convenience": {"holder": "某市自然资源和规划局", "contact": "010-6543210"},
    },
    Outcome.NEEDS_CREATION: {"convenience": {"links": ["https://www.example.gov.cn/tjxx/"]}},
    Outcome.STILL_UNCLEAR: {
        "unclear": "未说明所需文件的名称或者文号",
        "convenience": {"narrowing": "您可以写明文件名称或者文号后重新申请"},
    },
    Outcome.PETITION: {
        "proper_channel": "某市信访局",
        "convenience": {"contact": "12345政务服务便民热线"},
    },
    Outcome.DUPLICATE: {
        "previous_date": "2026-01-10",
        "previous_number": "某府办信公开〔2026〕3号",
    },
    Outcome.PUBLICATION: {"where": "某市图书馆", "convenience": {"where": "某市图书馆地方文献室"}},
    Outcome.EXCESSIVE: {"assessment": "申请人一个月内提出82件申请，理由不能说明其合理性"},
    Outcome.CONFIRMATION: {},
    Outcome.OTHER: {"reason": "申请人所需信息已通过其他程序获得"},
}


# The people the tests act as (login: roles). The host OA authenticates; the library checks
# that each actor is registered with a role that allows the action (data/roles.toml).
CAST: dict[str, tuple[str, ...]] = {
    "管理员": ("admin",),
    "升级": ("admin",),
    "窗口": ("registrar",),
    "登记员": ("registrar",),
    "网上受理": ("registrar",),
    "财务": ("registrar",),
    "档案室": ("registrar",),
    "档案员": ("registrar",),
    "李明": ("handler",),
    "李四": ("handler",),
    "承办人": ("handler",),
    "张三": ("handler",),
    "王五": ("handler",),
    "王静": ("handler",),
    "张强": ("handler",),
    "刘芳": ("handler",),
    "公开办": ("registrar", "handler"),
    "法制科": ("legal_reviewer",),
    "审核员": ("reviewer",),
    "保密员": ("secrecy_reviewer",),
    "测试员": ("registrar", "handler", "legal_reviewer"),
    "王主任": ("signer",),
    "张主任": ("signer",),
    "办公室主任": ("signer",),
}


def staff(wf: Workflow) -> Workflow:
    """Register CAST in the Workflow's agency (those not registered yet); returns ``wf``."""
    known = {p.login for p in wf.people()}
    if "管理员" not in known:
        wf.add_person("管理员", "管理员", roles=CAST["管理员"], actor="管理员")
    for login, roles in CAST.items():
        if login not in known and login != "管理员":
            wf.add_person(login, login, roles=roles, actor="管理员")
    return wf


def open_staffed(url: str, **options: Any) -> Workflow:
    """``Workflow.open`` with CAST registered (use it as ``with open_staffed(...) as wf``)."""
    return staff(Workflow.open(url, **options))


# Who takes each step of a review chain in the tests (never a drafter of the tests).
REVIEWERS: dict[str, str] = {
    "reviewer": "审核员",
    "legal_reviewer": "法制科",
    "secrecy_reviewer": "保密员",
    "signer": "王主任",
}


def sign_off(
    wf: Workflow,
    request: int | str,
    *,
    actor: str,
    outcome: Outcome | str,
    details: Mapping[str, Any] | None = None,
    on: date | None = None,
) -> RequestView:
    """Submit ``actor``'s draft and have every step of its chain approve it (REVIEWERS)."""
    view = wf.submit_for_review(request, actor=actor, outcome=outcome, details=details, on=on)
    for role in wf.agency.review_chain(Outcome(outcome)):
        view = wf.approve(request, actor=REVIEWERS[role], opinion="同意", on=on)
    return view


def signed_reply(
    wf: Workflow,
    request: int | str,
    *,
    actor: str,
    outcome: Outcome | str,
    details: Mapping[str, Any] | None = None,
    on: date | None = None,
    **options: Any,
) -> RequestView:
    """:func:`sign_off`, then the reply (``options``: reason, expected_version)."""
    sign_off(wf, request, actor=actor, outcome=outcome, details=details, on=on)
    return wf.reply(request, actor=actor, on=on, **options)


def details(outcome: Outcome) -> dict[str, Any]:
    """Details a reply with ``outcome`` can be recorded with."""
    return DETAILS.get(outcome) or {"reason": "依法不予公开的具体理由"}


def fixed_clock() -> datetime:
    return datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)


def application(received: str = "2026-03-02T09:30", **applicant: Any) -> dict[str, Any]:
    person = {"kind": "natural_person", "name": "张三", "phone": "010-12345678"} | applicant
    return {
        "applicant": person,
        "description": "2025年度某区老旧小区改造项目的立项批复文件",
        "received_at": received,
    }


def registered(wf: Workflow, received: str = "2026-03-02") -> int:
    """A request received at 09:30 on ``received`` and registered that day; its id."""
    rid = wf.receive(application(f"{received}T09:30"), actor="窗口").id
    wf.register(rid, actor="登记员", on=date.fromisoformat(received))
    return rid


def handling(wf: Workflow, received: str = "2026-03-02", *, handler: str = "李明") -> int:
    """:func:`registered`, then handled by ``handler`` the same day (2026-03-02: due 03-30)."""
    rid = registered(wf, received)
    wf.start_handling(rid, actor=handler, on=date.fromisoformat(received))
    return rid


def free_port() -> int:
    """A TCP port of 127.0.0.1 free now (for a server the test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


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
    workflow = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    yield workflow
    workflow.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden files (tests/golden/) from the current output; review the diff",
    )
