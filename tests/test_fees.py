"""信息处理费 (国办函〔2020〕109号): every tier boundary, and 按件 counted from storage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from conftest import AGENCY, application, fixed_clock, open_staffed
from typer.testing import CliRunner

from ogi_workflow import FeeBasis, Workflow, fee_per_request, fee_per_volume
from ogi_workflow.cli import app
from ogi_workflow.errors import ValidationError


@pytest.mark.parametrize(
    ("nth", "fee"),
    [
        (1, 0),
        (10, 0),
        (11, 100),
        (30, 100),
        (31, 200),
        (40, 200),
        (41, 300),
        (50, 300),
        (51, 400),
        (60, 400),
        (61, 500),
    ],
)
def test_per_request_tiers(nth: int, fee: int) -> None:
    quote = fee_per_request(nth)
    assert (quote.basis, quote.fee_yuan) == (FeeBasis.PER_REQUEST, fee)


@pytest.mark.parametrize(
    ("pages", "fee"),
    [(1, 0), (30, 0), (31, 10), (100, 700), (101, 720), (200, 2700), (201, 2740), (250, 4700)],
)
def test_per_volume_tiers(pages: int, fee: int) -> None:
    # 31-100: 10 元/页; 101-200: 20 元/页; 201+: 40 元/页 (30 pages free).
    assert fee_per_volume(pages).fee_yuan == fee


def test_per_volume_shows_each_tier_applied() -> None:
    assert fee_per_volume(121).tiers == ((1, 30, 0), (31, 100, 10), (101, 121, 20))


@pytest.mark.parametrize("bad", [0, -3])
def test_bad_quantities(bad: int) -> None:
    with pytest.raises(ValidationError, match=">= 1"):
        fee_per_request(bad)
    with pytest.raises(ValidationError, match=">= 1"):
        fee_per_volume(bad)


@pytest.fixture
def wf(db_url: str) -> Iterator[Workflow]:
    workflow = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    yield workflow
    workflow.close()


def _requests(wf: Workflow, n: int, day: str, **applicant: str) -> list[int]:
    ids = []
    for _ in range(n):
        rid = wf.receive(application(f"{day}T09:00", **applicant), actor="窗口").id
        wf.register(rid, actor="登记员", on=date.fromisoformat(day))
        wf.start_handling(rid, actor="李明", on=date.fromisoformat(day))
        ids.append(rid)
    return ids


def test_per_request_counts_the_applicants_month_from_storage(wf: Workflow) -> None:
    person = {"id_type": "resident_id", "id_number": "11010519491231002X"}
    _requests(wf, 1, "2026-02-27", **person)  # last month: not counted
    _requests(wf, 2, "2026-03-02", name="李四")  # someone else: not counted
    march = _requests(wf, 9, "2026-03-02", **person)
    # The same person, ID written with a lowercase x: the same applicant.
    eleventh = _requests(wf, 2, "2026-03-03", **(person | {"id_number": "11010519491231002x"}))
    with pytest.raises(ValidationError, match="no fee is due"):
        wf.issue_fee_notice(march[-1], actor="李明", basis="per_request", on=date(2026, 3, 4))
    with pytest.raises(ValidationError, match="no fee is due"):  # the 10th is still free
        wf.issue_fee_notice(eleventh[0], actor="李明", basis="per_request", on=date(2026, 3, 4))
    wf.issue_fee_notice(eleventh[1], actor="李明", basis="per_request", on=date(2026, 3, 4))
    payload = wf.events(eleventh[1])[-1].payload
    assert (payload["quantity"], payload["amount_yuan"]) == (11, 100)


def test_per_request_counts_in_the_order_received_not_entered(wf: Workflow) -> None:
    """国办函〔2020〕109号 按件: the applicant's requests of the month in the order received.
    One received on 03-02 but entered after ten of 03-03 is the first; the tenth entered
    of 03-03 is the eleventh received (ids follow entry, not receipt)."""
    person = {"id_type": "resident_id", "id_number": "11010519491231002X"}
    later = _requests(wf, 10, "2026-03-03", **person)
    (earlier,) = _requests(wf, 1, "2026-03-02", **person)
    with pytest.raises(ValidationError, match="no fee is due"):
        wf.issue_fee_notice(earlier, actor="李明", basis="per_request", on=date(2026, 3, 4))
    wf.issue_fee_notice(later[-1], actor="李明", basis="per_request", on=date(2026, 3, 4))
    assert wf.events(later[-1])[-1].payload["quantity"] == 11


def test_never_both_bases(wf: Workflow) -> None:
    rid = _requests(wf, 1, "2026-03-02")[0]
    with pytest.raises(ValidationError, match="never both"):
        wf.issue_fee_notice(rid, actor="李明", basis="per_request", pages=40, on=date(2026, 3, 4))
    with pytest.raises(ValidationError, match="per_volume needs pages"):
        wf.issue_fee_notice(rid, actor="李明", basis="per_volume", on=date(2026, 3, 4))
    with pytest.raises(ValidationError, match="basis 'both'"):
        wf.issue_fee_notice(rid, actor="李明", basis="both", on=date(2026, 3, 4))


def test_fee_cli_contract() -> None:
    runner = CliRunner()
    out = json.loads(runner.invoke(app, ["fee", "--pages", "101", "--json"]).stdout)
    assert (out["basis"], out["fee_yuan"]) == ("per_volume", 720)
    out = json.loads(runner.invoke(app, ["fee", "--nth-request-this-month", "41", "--json"]).stdout)
    assert (out["basis"], out["fee_yuan"]) == ("per_request", 300)
    for args in ([], ["--pages", "40", "--nth-request-this-month", "11"], ["--pages", "0"]):
        result = runner.invoke(app, ["fee", *args])
        assert result.exit_code == 2, args
        assert result.stderr.count("\n") == 1
