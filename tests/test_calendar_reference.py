"""Every day 2007–2026 against the State Council data (holiday-cn) and the ``holidays`` package."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import holidays

from ogi_workflow import WorkdayCalendar

REFERENCE = Path(__file__).resolve().parent / "data" / "holiday-cn"  # MIT, see its LICENSE
FIRST, LAST = date(2007, 1, 1), date(2026, 12, 31)


def _reference_days() -> dict[date, bool]:
    days: dict[date, bool] = {}
    for year in range(2007, 2027):
        data = json.loads((REFERENCE / f"{year}.json").read_text(encoding="utf-8"))
        for entry in data["days"]:
            days[date.fromisoformat(entry["date"])] = not entry["isOffDay"]
    return days


def _all_days() -> list[date]:
    return [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]


def test_every_day_matches_state_council_reference() -> None:
    reference = _reference_days()
    strict = WorkdayCalendar.china()
    estimating = WorkdayCalendar.china(allow_estimated=True)
    mismatches = []
    for d in _all_days():
        expected = reference.get(d, d.weekday() < 5)
        # December 25-31 2026 wait for the 2027 notice: only the estimating calendar answers.
        cal = strict if strict.is_official(d) else estimating
        if cal.is_workday(d) != expected:
            mismatches.append(d)
    assert mismatches == []


def test_every_day_matches_holidays_package() -> None:
    cn = holidays.country_holidays("CN", years=range(2007, 2027))
    cal = WorkdayCalendar.china(allow_estimated=True)
    mismatches = [d for d in _all_days() if cal.is_workday(d) != cn.is_working_day(d)]
    assert mismatches == []


def test_official_span_ends_before_the_unsettled_december_tail() -> None:
    strict = WorkdayCalendar.china()
    assert strict.is_official(date(2026, 12, 24))
    assert not strict.is_official(date(2026, 12, 25))
    assert strict.is_official(date(2025, 12, 31))  # the 2026 notice is loaded
