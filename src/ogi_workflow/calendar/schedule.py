"""State Council 节假日安排 notices: one year's schedule each, parsed, validated and bundled.

A schedule names the notice(s) it comes from and the days they set (rest days and 调休
working days). The bundled schedules (2007–2026) live in ``data/calendar/china/``; a new
year's notice, or an amendment, is one more file (format: docs/deadlines.md). Years no
notice settles can be estimated from the ``holidays`` package's rules, and every answer
built on them says so. This module knows no law of disclosure: only which days are which.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from ogi_workflow._text import shown
from ogi_workflow.errors import CalendarError, ValidationError

__all__ = [
    "ESTIMABLE_YEARS",
    "NEXT_NOTICE_TAIL_START",
    "DayRule",
    "Notice",
    "YearSchedule",
    "bundled_schedules",
    "check_estimable",
    "estimated_year",
    "merge_schedule",
    "read_notice_file",
]

# December 25–31 of a year can still be set by the *next* year's notice (2012's notice made
# 2011-12-31 a working day; 2019's made 2018-12-29 one). Those days are settled only once the
# next year's notice is loaded.
NEXT_NOTICE_TAIL_START: Final = 25
# The years the ``holidays`` package has China's rules for (holidays.CN.start_year and
# end_year; its lunar tables end in 2100): past them it knows no holiday at all, so an
# estimate there would be a silent guess.
ESTIMABLE_YEARS: Final = (1950, 2100)
_Fail = Callable[[str], ValidationError]


@dataclass(frozen=True, slots=True)
class Notice:
    """A State Council notice (or an agency's own document) that sets working days."""

    title: str
    date: date
    url: str | None = None
    document_number: str | None = None


@dataclass(frozen=True, slots=True)
class DayRule:
    """One day a notice sets: a rest day or a (调休) working day."""

    day: date
    is_workday: bool
    name: str
    source: str


@dataclass(frozen=True, slots=True)
class YearSchedule:
    """One year's official schedule: the notices that set it and the days they set.

    ``amends`` marks a file that amends an already loaded year (as happened in 2015, 2019
    and 2020): its days replace those of the same dates, its notices are added.
    """

    year: int
    notices: tuple[Notice, ...]
    days: Mapping[date, DayRule]
    amends: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, origin: str = "<data>") -> YearSchedule:
        """Build and validate a schedule from parsed TOML/JSON (format: docs/deadlines.md)."""

        def fail(what: str) -> ValidationError:
            return ValidationError(f"calendar file {origin}: {what}")

        year = data.get("year")
        if not isinstance(year, int) or not 1949 < year < 2200:
            raise fail(f"'year' must be a year like 2027, got {year!r}")
        notices_raw = data.get("notices")
        if not isinstance(notices_raw, list) or not notices_raw:
            raise fail("needs at least one [[notices]] entry naming the notice it comes from")
        notices = tuple(_parse_notice(n, fail) for n in notices_raw)
        first_allowed = date(year - 1, 12, NEXT_NOTICE_TAIL_START)
        last_allowed = date(year, 12, 31)
        days: dict[date, DayRule] = {}
        source = notices[-1].title
        for key, is_workday in (("rest", False), ("work", True)):
            blocks = data.get(key, [])
            if not isinstance(blocks, list):
                raise fail(f"'{key}' must be a list of tables ([[{key}]])")
            for block in blocks:
                name, block_days = _parse_block(block, key, fail)
                for d in block_days:
                    if not first_allowed <= d <= last_allowed:
                        raise fail(
                            f"{d.isoformat()} in [[{key}]] '{name}' is outside what a {year} "
                            f"notice can set ({first_allowed.isoformat()} to "
                            f"{last_allowed.isoformat()})"
                        )
                    if (earlier := days.get(d)) is not None:
                        raise fail(
                            f"{d.isoformat()} is listed twice: in "
                            f"[[{'work' if earlier.is_workday else 'rest'}]] '{earlier.name}' and "
                            f"in [[{key}]] '{name}' (a day is a rest day or a working day, once)"
                        )
                    days[d] = DayRule(d, is_workday, name, source)
        amends = data.get("amends", False)
        if not isinstance(amends, bool):
            raise fail(f"'amends' must be true or false, got {amends!r}")
        return cls(year=year, notices=notices, days=days, amends=amends)

    @classmethod
    def from_file(cls, path: str | Path) -> YearSchedule:
        """Read a schedule from a ``.toml`` or ``.json`` file."""
        return cls.from_text(read_notice_file(path), origin=str(path))

    @classmethod
    def from_text(cls, text: str, *, origin: str = "<text>") -> YearSchedule:
        """Parse a schedule from TOML or JSON text (JSON starts with "{", TOML cannot)."""
        try:
            data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
        except ValueError as exc:
            raise ValidationError(f"calendar file {origin}: not valid TOML/JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise ValidationError(f"calendar file {origin}: the top level must be a table")
        return cls.from_mapping(data, origin=origin)


def read_notice_file(path: str | Path) -> str:
    """The text of a notice file, or a ValidationError saying why it cannot be read."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise ValidationError(f"calendar file {p}: cannot be read ({why})") from exc


def _parse_date(value: object, what: str, fail: _Fail) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):  # TOML has both
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise fail(f"{what} must be a date YYYY-MM-DD, got {shown(value)}")


def _parse_notice(raw: object, fail: _Fail) -> Notice:
    if not isinstance(raw, dict):
        raise fail("each [[notices]] entry must be a table")
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        raise fail("each notice needs a non-empty 'title'")
    url, number = raw.get("url"), raw.get("document_number")
    if url is not None and not isinstance(url, str):
        raise fail(f"notice '{title}': 'url' must be text")
    if number is not None and not isinstance(number, str):
        raise fail(f"notice '{title}': 'document_number' must be text")
    return Notice(title, _parse_date(raw.get("date"), f"notice '{title}' date", fail), url, number)


def _parse_block(raw: object, key: str, fail: _Fail) -> tuple[str, list[date]]:
    if not isinstance(raw, dict):
        raise fail(f"each [[{key}]] entry must be a table")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail(f"each [[{key}]] entry needs a non-empty 'name'")
    if "dates" in raw:
        listed = raw["dates"]
        if not isinstance(listed, list) or not listed:
            raise fail(f"[[{key}]] '{name}': 'dates' must be a non-empty list of dates")
        return name, [_parse_date(v, f"[[{key}]] '{name}' date", fail) for v in listed]
    first = _parse_date(raw.get("from"), f"[[{key}]] '{name}' from", fail)
    last = _parse_date(raw.get("to", first), f"[[{key}]] '{name}' to", fail)
    if last < first:
        raise fail(f"[[{key}]] '{name}': 'to' {last.isoformat()} is before 'from' {first}")
    return name, [first + timedelta(days=i) for i in range((last - first).days + 1)]


@cache
def bundled_schedules() -> tuple[YearSchedule, ...]:
    folder = files("ogi_workflow").joinpath("data/calendar/china")
    schedules = []
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            schedules.append(YearSchedule.from_mapping(data, origin=f"bundled {entry.name}"))
    return tuple(sorted(schedules, key=lambda s: s.year))


def check_estimable(year: int) -> None:
    """A CalendarError naming ``year`` when it is outside ESTIMABLE_YEARS."""
    first, last = ESTIMABLE_YEARS
    if not first <= year <= last:
        raise CalendarError(
            f"calendar: no estimate for {year}: China's holidays can be estimated for "
            f"{first} to {last} only; load the State Council notice for {year}"
        )


@cache  # one holidays object per year, not one per day a calendar classifies
def estimated_year(year: int) -> tuple[Mapping[date, str], frozenset[date]]:
    """The ``holidays`` package's rule-based rest days and 调休 working days for a year."""
    check_estimable(year)
    import holidays  # noqa: PLC0415 - only estimated calendars pay for the import

    cn = holidays.country_holidays("CN", years=year, language="zh_CN")
    rest = MappingProxyType({d: str(name) for d, name in cn.items()})
    work = frozenset(d for d in cn.weekend_workdays if d.year == year)
    return rest, work


def merge_schedule(
    merged: Mapping[int, YearSchedule], schedule: YearSchedule, *, whose: str = "the"
) -> dict[int, YearSchedule]:
    """The schedules with one more year added, or an amendment applied to its year;
    ``whose`` names the notices in errors ("the agency's own")."""
    result = dict(merged)
    current = result.get(schedule.year)
    if schedule.amends:
        if current is None:
            raise ValidationError(
                f"calendar: the amendment for {schedule.year} ('{schedule.notices[0].title}') "
                f"needs {whose} {schedule.year} notice loaded first"
            )
        result[schedule.year] = YearSchedule(
            year=schedule.year,
            notices=current.notices + schedule.notices,
            days={**current.days, **schedule.days},
        )
    elif current is not None:
        raise ValidationError(
            f"calendar: {whose} {schedule.year} notice is already loaded "
            f"('{current.notices[0].title}'); a file that changes it must say amends = true"
        )
    else:
        result[schedule.year] = schedule
    return result
