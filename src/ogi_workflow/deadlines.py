"""The working-day calendar and the legal reply clock.

Everything here is pure: a calendar is built from State Council notices (and local
overrides), and the clock is a function of a request's clock events and a calendar. Nothing
reads today's date; ``as_of`` is always a parameter.

Rules, with their sources (《政府信息公开条例》unless another act is named):

* 条例第三十三条: reply within 20 working days of receipt; one extension of at most 20
  working days, approved by the 工作机构负责人 and given before the period ends.
* 条例第三十一条: what counts as the day of receipt, by channel.
* 条例第三十条: the 补正 notice within 7 working days of receipt; the period restarts from
  receipt of the corrected application.
* 条例第三十三条第二款: time spent consulting third parties (第三十二条) or other agencies
  (第三十四条) is not counted.
* 国办函〔2020〕109号: the fee notice-to-payment period (not counted, by default policy).
* 条例第三十五条: a reasonable later date set by the agency for a voluminous request.
* 期间开始之日不计算在内: the clock-start day itself is never counted.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ogi_workflow._labels import LabelledEnum, label
from ogi_workflow.errors import CalendarError, ValidationError

if TYPE_CHECKING:  # numpy is imported where the batch forms need it, not at start-up
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "Channel",
    "ClockEvents",
    "ClockPolicy",
    "DayInfo",
    "DayKind",
    "Deadline",
    "ExplainLine",
    "ExplainStatus",
    "Extension",
    "Notice",
    "Pause",
    "PauseReason",
    "WorkdayCalendar",
    "YearSchedule",
    "compute_deadline",
    "explain_deadline",
    "receipt_date",
]

_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
# December 25–31 of a year can still be set by the *next* year's notice (2012's notice made
# 2011-12-31 a working day; 2019's made 2018-12-29 one). Those days are settled only once the
# next year's notice is loaded.
_NEXT_NOTICE_TAIL_START: Final = 25
_Fail = Callable[[str], ValidationError]
# How many years an estimated calendar adds at a time when a computation runs past its end.
_ESTIMATE_STEP_YEARS: Final = 5


class DayKind(LabelledEnum):
    """What a calendar day is."""

    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    ADJUSTED_WORKDAY = "adjusted_workday"  # 调休: a weekend day that is a working day
    LOCAL_REST = "local_rest"
    LOCAL_WORKDAY = "local_workday"


class Channel(LabelledEnum):
    """How the application reached the agency (条例第三十一条)."""

    IN_PERSON = "in_person"
    POST = "post"
    LETTER = "letter"
    ONLINE = "online"
    FAX = "fax"


class PauseReason(LabelledEnum):
    """Why the clock stands still."""

    THIRD_PARTY = "third_party"  # 条例第三十二条
    CO_AGENCY = "co_agency"  # 条例第三十四条
    FEE = "fee"  # 国办函〔2020〕109号


# --------------------------------------------------------------------------- schedules


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
        first_allowed = date(year - 1, 12, _NEXT_NOTICE_TAIL_START)
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
                    if d in days:
                        raise fail(f"{d.isoformat()} is listed twice")
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
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise fail(f"{what} must be a date YYYY-MM-DD, got {value!r}")


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
def _bundled() -> tuple[YearSchedule, ...]:
    folder = files("ogi_workflow").joinpath("data/calendar/china")
    schedules = []
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            schedules.append(YearSchedule.from_mapping(data, origin=f"bundled {entry.name}"))
    return tuple(sorted(schedules, key=lambda s: s.year))


@cache
def _estimated_year(year: int) -> tuple[dict[date, str], frozenset[date]]:
    """The ``holidays`` package's rule-based rest days and 调休 working days for a year."""
    import holidays  # noqa: PLC0415 - only estimated calendars pay for the import

    cn = holidays.country_holidays("CN", years=year, language="zh_CN")
    rest = {d: str(name) for d, name in cn.items()}
    work = frozenset(d for d in cn.weekend_workdays if d.year == year)
    return rest, work


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True, slots=True)
class DayInfo:
    """Why a day is or is not a working day, for explanations."""

    day: date
    is_workday: bool
    kind: DayKind
    name: str | None
    source: str
    estimated: bool


@dataclass(slots=True)
class _Table:
    """Prefix sums over a contiguous run of days: the fast path of every calendar query."""

    lo: int  # ordinal of the first day
    work: bytearray  # 1 where the day is a working day
    cum: list[int]  # cum[i]: working days in [lo, lo + i]
    workdays: list[date]  # every working day in order: workdays[cum[i]] is the next after i
    est_cum: list[int]  # estimated days in [lo, lo + i]
    np_cum: npt.NDArray[np.int64] | None = None
    np_workdays: npt.NDArray[np.datetime64] | None = None

    @property
    def size(self) -> int:
        return len(self.work)

    @property
    def last(self) -> date:
        return date.fromordinal(self.lo + self.size - 1)

    def numpy(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.datetime64]]:
        import numpy as np  # noqa: PLC0415 - only the batch forms need numpy

        if self.np_cum is None or self.np_workdays is None:
            self.np_cum = np.asarray(self.cum, dtype=np.int64)
            self.np_workdays = np.asarray(self.workdays, dtype="datetime64[D]")
        return self.np_cum, self.np_workdays


class WorkdayCalendar:
    """Chinese working days per the State Council's yearly 节假日安排 notices.

    A day is *official* when its year's notice is loaded (and, for December 25–31, the next
    year's too). Any answer that depends on a day that is not official raises
    :class:`CalendarError`, unless the calendar was built with ``allow_estimated=True``:
    then such days come from the ``holidays`` package's rules and :meth:`span_is_estimated`
    (and every :class:`Deadline`) says so.

    Calendars are immutable; :meth:`with_notice_file` and :meth:`with_overrides` return new
    ones, so a calendar can be shared between threads and workers.
    """

    def __init__(
        self,
        schedules: Iterable[YearSchedule] = (),
        *,
        allow_estimated: bool = False,
        rest_days: Mapping[date, str] | None = None,
        work_days: Mapping[date, str] | None = None,
    ) -> None:
        merged: dict[int, YearSchedule] = {}
        for schedule in schedules:
            merged = _merge(merged, schedule)
        self._schedules = merged
        self._allow_estimated = allow_estimated
        rest = dict(rest_days or {})
        work = dict(work_days or {})
        both = sorted(set(rest) & set(work))
        if both:
            raise ValidationError(
                f"local overrides: {both[0].isoformat()} is both an extra rest day and an "
                "extra working day"
            )
        self._rest_overrides = rest
        self._work_overrides = work
        self._day_rules: dict[date, DayRule] = {}
        for schedule in sorted(merged.values(), key=lambda s: s.year):
            self._day_rules.update(schedule.days)
        self._official = frozenset(merged)
        self._table = self._build_initial()

    # ---- construction

    @classmethod
    def china(cls, allow_estimated: bool = False) -> WorkdayCalendar:
        """The bundled State Council schedules (2007–2026), official years only by default."""
        return cls(_bundled(), allow_estimated=allow_estimated)

    def with_schedule(self, schedule: YearSchedule) -> WorkdayCalendar:
        """A new calendar with one more year's notice (or an amendment) loaded."""
        merged = _merge(self._schedules, schedule)
        return self._copy(schedules=merged.values())

    def with_notice_file(self, path: str | Path) -> WorkdayCalendar:
        """A new calendar with the notice in a TOML/JSON file loaded (docs/deadlines.md)."""
        return self.with_schedule(YearSchedule.from_file(path))

    def with_overrides(
        self,
        *,
        rest_days: Mapping[date, str] | None = None,
        work_days: Mapping[date, str] | None = None,
    ) -> WorkdayCalendar:
        """A new calendar with local extra rest days or working days (name or reason each).

        For 民族自治地方 holidays or an agency's own closures; they win over the national
        schedule for this calendar only.
        """
        rest = {**self._rest_overrides, **(rest_days or {})}
        work = {**self._work_overrides, **(work_days or {})}
        for d in rest_days or {}:
            work.pop(d, None)
        for d in work_days or {}:
            rest.pop(d, None)
        return self._copy(rest_days=rest, work_days=work)

    def estimating(self, allow_estimated: bool = True) -> WorkdayCalendar:
        """The same calendar with estimates allowed (or not)."""
        return self._copy(allow_estimated=allow_estimated)

    def _copy(
        self,
        *,
        schedules: Iterable[YearSchedule] | None = None,
        allow_estimated: bool | None = None,
        rest_days: Mapping[date, str] | None = None,
        work_days: Mapping[date, str] | None = None,
    ) -> WorkdayCalendar:
        return WorkdayCalendar(
            self._schedules.values() if schedules is None else schedules,
            allow_estimated=self._allow_estimated if allow_estimated is None else allow_estimated,
            rest_days=self._rest_overrides if rest_days is None else rest_days,
            work_days=self._work_overrides if work_days is None else work_days,
        )

    # ---- facts

    @property
    def official_years(self) -> frozenset[int]:
        return self._official

    @property
    def allow_estimated(self) -> bool:
        return self._allow_estimated

    def notices(self, year: int) -> tuple[Notice, ...]:
        """The notices a year's schedule comes from; empty if the year is not official."""
        schedule = self._schedules.get(year)
        return schedule.notices if schedule else ()

    def is_official(self, d: date) -> bool:
        """Whether the State Council has settled this day (see the class docstring)."""
        if d.year not in self._official:
            return False
        if d.month == 12 and d.day >= _NEXT_NOTICE_TAIL_START:
            return d.year + 1 in self._official
        return True

    def day_info(self, d: date) -> DayInfo:  # noqa: PLR0911 - one return per kind of day
        """Classify one day, with the holiday name and the notice (or rule) behind it."""
        estimated = (
            not self.is_official(d)
            and d not in self._rest_overrides
            and (d not in self._work_overrides)
        )
        if estimated and not self._allow_estimated:
            raise CalendarError(self._unknown_message(d))
        if d in self._rest_overrides:
            return DayInfo(
                d,
                False,
                DayKind.LOCAL_REST,
                self._rest_overrides[d],
                label("source", "local"),
                False,
            )
        if d in self._work_overrides:
            return DayInfo(
                d,
                True,
                DayKind.LOCAL_WORKDAY,
                self._work_overrides[d],
                label("source", "local"),
                False,
            )
        rule = self._day_rules.get(d)
        if rule is None and estimated and d.year not in self._official:
            rest, work = _estimated_year(d.year)
            source = label("source", "estimated")
            if d in rest:
                return DayInfo(d, False, DayKind.HOLIDAY, rest[d], source, True)
            if d in work:
                return DayInfo(d, True, DayKind.ADJUSTED_WORKDAY, None, source, True)
        if rule is not None:
            kind = DayKind.ADJUSTED_WORKDAY if rule.is_workday else DayKind.HOLIDAY
            if rule.is_workday and d.weekday() < 5:
                kind = DayKind.WORKDAY  # a notice re-stating an ordinary weekday
            return DayInfo(d, rule.is_workday, kind, rule.name, rule.source, estimated)
        if d.weekday() >= 5:
            return DayInfo(d, False, DayKind.WEEKEND, None, label("source", "weekend"), estimated)
        return DayInfo(d, True, DayKind.WORKDAY, None, label("source", "weekday"), estimated)

    def days(self, after: date, through: date) -> Iterator[DayInfo]:
        """Every day in (after, through], classified."""
        d = after + timedelta(days=1)
        while d <= through:
            yield self.day_info(d)
            d += timedelta(days=1)

    # ---- the three contract queries (fast path: list lookups on the prefix-sum table)

    def is_workday(self, d: date) -> bool:
        t = self._table
        i = d.toordinal() - t.lo
        if 0 <= i < t.size:
            return t.work[i] == 1
        return self._covering(d).work[d.toordinal() - self._table.lo] == 1

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th working day after ``d`` (``d`` itself is never counted), n >= 1."""
        if n < 1:
            raise ValidationError(f"add_workdays: n must be a whole number >= 1, got {n!r}")
        t = self._table
        i = d.toordinal() - t.lo
        if 0 <= i < t.size:
            k = t.cum[i] + n - 1
            if k < len(t.workdays):
                return t.workdays[k]
        return self._add_workdays_slow(d, n)

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative (minus those in (b, a]) when b is before a."""
        t = self._table
        i, j = a.toordinal() - t.lo, b.toordinal() - t.lo
        if 0 <= i < t.size and 0 <= j < t.size:
            return t.cum[j] - t.cum[i]
        self._covering(min(a, b), max(a, b))
        return self.workdays_between(a, b)

    def workdays_from(self, start: date) -> Callable[[date], int]:
        """``workdays_between(start, ·)`` with ``start`` fixed: for loops over many ends."""
        t = self._table
        i = start.toordinal() - t.lo
        if not 0 <= i < t.size:
            return lambda end: self.workdays_between(start, end)
        base, cum, lo, size = t.cum[i], t.cum, t.lo, t.size

        def between(end: date) -> int:
            j = end.toordinal() - lo
            return cum[j] - base if 0 <= j < size else self.workdays_between(start, end)

        return between

    def span_is_estimated(self, a: date, b: date) -> bool:
        """Whether any day in (a, b] is an estimate (never true for a strict calendar)."""
        if b <= a:
            return False
        self._covering(a, b)
        t = self._table
        return t.est_cum[b.toordinal() - t.lo] - t.est_cum[a.toordinal() - t.lo] > 0

    # ---- batch forms

    def add_workdays_batch(
        self,
        starts: Sequence[date] | npt.NDArray[np.datetime64],
        n: int | Sequence[int] | npt.NDArray[np.integer[Any]],
    ) -> npt.NDArray[np.datetime64]:
        """``add_workdays`` for many dates at once: a ``datetime64[D]`` array.

        ``n`` is one count for all or one per start. Same rules and errors as the scalar form.
        """
        import numpy as np  # noqa: PLC0415 - only the batch forms need numpy

        days = np.asarray(starts, dtype="datetime64[D]")
        try:
            counts = np.broadcast_to(np.asarray(n, dtype=np.int64), days.shape)
        except ValueError as exc:
            raise ValidationError(
                f"add_workdays_batch: n must be one count or one per start ({exc})"
            ) from exc
        if days.size == 0:
            return days.copy()
        if counts.size and int(counts.min()) < 1:
            raise ValidationError(
                f"add_workdays_batch: every n must be >= 1, got {int(counts.min())}"
            )
        while True:
            t = self._table
            np_cum, np_workdays = t.numpy()
            idx = days.astype(np.int64) - (t.lo - _EPOCH_ORDINAL)
            lo_i, hi_i = int(idx.min()), int(idx.max())
            if lo_i >= 0 and hi_i < t.size:
                k = np_cum[idx] + counts - 1
                if int(k.max()) < np_workdays.size:
                    found: npt.NDArray[np.datetime64] = np_workdays[k]
                    return found
                worst = int(np.argmax(k))
                start = _to_date(days.flat[worst])
                self._covering(start, start + timedelta(days=int(counts.flat[worst]) * 2 + 30))
            else:
                self._covering(
                    date.fromordinal(lo_i + t.lo) if lo_i < 0 else t.last,
                    date.fromordinal(hi_i + t.lo) if hi_i >= t.size else t.last,
                )

    def workdays_between_batch(
        self,
        a: Sequence[date] | npt.NDArray[np.datetime64],
        b: Sequence[date] | npt.NDArray[np.datetime64],
    ) -> npt.NDArray[np.int64]:
        """``workdays_between`` element-wise over two equal-length arrays."""
        import numpy as np  # noqa: PLC0415 - only the batch forms need numpy

        first = np.asarray(a, dtype="datetime64[D]")
        second = np.asarray(b, dtype="datetime64[D]")
        if first.shape != second.shape:
            raise ValidationError(
                f"workdays_between_batch: shapes differ ({first.shape} vs {second.shape})"
            )
        if first.size == 0:
            return np.zeros(first.shape, dtype=np.int64)
        both = np.concatenate([first.ravel(), second.ravel()])
        self._covering(_to_date(both.min()), _to_date(both.max()))
        t = self._table
        np_cum, _ = t.numpy()
        offset = t.lo - _EPOCH_ORDINAL
        result: npt.NDArray[np.int64] = (
            np_cum[second.astype(np.int64) - offset] - np_cum[first.astype(np.int64) - offset]
        )
        return result

    # ---- table building

    def _add_workdays_slow(self, d: date, n: int) -> date:
        t = self._table
        i = d.toordinal() - t.lo
        if not 0 <= i < t.size:
            self._covering(d)
            return self.add_workdays(d, n)
        # The start is covered but the answer runs past the last known day.
        if not self._allow_estimated:
            first_unknown = t.last + timedelta(days=1)
            raise CalendarError(
                f"add_workdays: {n} working days after {d.isoformat()} runs past "
                f"{t.last.isoformat()}, the last day an official notice settles. "
                + self._unknown_message(first_unknown, lead=False)
            )
        self._extend_to(d + timedelta(days=n * 2 + 30))
        return self.add_workdays(d, n)

    def _covering(self, first: date, last: date | None = None) -> _Table:
        """The table, extended (estimated calendars) or checked (strict) to hold the days."""
        last = last or first
        t = self._table
        lo_ok = first.toordinal() >= t.lo
        hi_ok = last.toordinal() < t.lo + t.size
        if lo_ok and hi_ok:
            return t
        if not self._allow_estimated:
            # Name the day asked about, or the first unsettled day inside the span.
            bad = first if not lo_ok or first == last else t.last + timedelta(days=1)
            raise CalendarError(self._unknown_message(bad))
        self._extend_to(first)
        self._extend_to(last)
        return self._table

    def _extend_to(self, d: date) -> None:
        t = self._table
        first_year, last_year = date.fromordinal(t.lo).year, t.last.year
        if d.year < first_year:
            self._table = self._build(min(d.year, first_year - _ESTIMATE_STEP_YEARS), last_year)
        elif d.year >= last_year:
            self._table = self._build(first_year, max(d.year, last_year + _ESTIMATE_STEP_YEARS))

    def _build_initial(self) -> _Table:
        if self._allow_estimated:
            # Official years only; estimated years are added when a computation reaches them
            # (_extend_to), so opening a calendar does not pay for the holidays package.
            years = sorted(self._official) or [2026]
            return self._build(years[0], years[-1])
        if not self._official:
            return _Table(
                lo=date(2000, 1, 1).toordinal(), work=bytearray(), cum=[], workdays=[], est_cum=[]
            )
        first = min(self._official)
        last = first
        while last + 1 in self._official:
            last += 1
        return self._build(first, last, through=date(last, 12, _NEXT_NOTICE_TAIL_START - 1))

    def _build(self, first_year: int, last_year: int, through: date | None = None) -> _Table:
        lo = date(first_year, 1, 1).toordinal()
        hi = (through or date(last_year, 12, 31)).toordinal()
        work = bytearray(hi - lo + 1)
        cum: list[int] = []
        est_cum: list[int] = []
        workdays: list[date] = []
        count = est = 0
        for i, ordinal in enumerate(range(lo, hi + 1)):
            info = self.day_info(date.fromordinal(ordinal))
            if info.is_workday:
                work[i] = 1
                count += 1
                workdays.append(info.day)
            est += info.estimated
            cum.append(count)
            est_cum.append(est)
        return _Table(lo=lo, work=work, cum=cum, workdays=workdays, est_cum=est_cum)

    def _unknown_message(self, d: date, *, lead: bool = True) -> str:
        year = d.year + 1 if d.year in self._official else d.year
        years = sorted(self._official)
        known = f"official years loaded: {_year_ranges(years)}" if years else "no official years"
        why = (
            f"{d.isoformat()} can still be set by the {year} State Council 节假日安排 notice"
            if year != d.year
            else f"{d.isoformat()} is in {year}"
        )
        head = (
            f"{why}, which is not loaded ({known}). "
            if lead
            else (f"The {year} State Council 节假日安排 notice is not loaded ({known}). ")
        )
        return head + (
            f"Load the {year} notice with WorkdayCalendar.with_notice_file(PATH) or "
            "'--calendar FILE', or opt into an estimate with allow_estimated=True or "
            "'--allow-estimated'."
        )


def _merge(merged: Mapping[int, YearSchedule], schedule: YearSchedule) -> dict[int, YearSchedule]:
    result = dict(merged)
    current = result.get(schedule.year)
    if schedule.amends:
        if current is None:
            raise ValidationError(
                f"calendar: the amendment for {schedule.year} ('{schedule.notices[0].title}') "
                f"needs the {schedule.year} notice loaded first"
            )
        result[schedule.year] = YearSchedule(
            year=schedule.year,
            notices=current.notices + schedule.notices,
            days={**current.days, **schedule.days},
        )
    elif current is not None:
        raise ValidationError(
            f"calendar: {schedule.year} is already loaded from '{current.notices[0].title}'; "
            "a file that changes it must say amends = true"
        )
    else:
        result[schedule.year] = schedule
    return result


def _year_ranges(years: Sequence[int]) -> str:
    parts: list[str] = []
    start = prev = years[0]
    for y in [*years[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(parts)


def _to_date(value: np.datetime64) -> date:
    return date.fromordinal(int(value.astype("datetime64[D]").astype("int64")) + _EPOCH_ORDINAL)


# --------------------------------------------------------------------------- the clock


def receipt_date(
    channel: Channel,
    *,
    submitted_on: date | None = None,
    signed_for_on: date | None = None,
    confirmed_on: date | None = None,
) -> date:
    """The day of receipt by channel (条例第三十一条).

    当面 = the submission day; 邮寄 = the day the agency signs for it; 平常信函 = the day the
    agency confirms receipt with the applicant; 互联网/传真 = the day both sides confirm.
    """
    needed: dict[Channel, tuple[str, date | None]] = {
        Channel.IN_PERSON: ("submitted_on", submitted_on),  # 条例第三十一条第一项
        Channel.POST: ("signed_for_on", signed_for_on),  # 条例第三十一条第二项
        Channel.LETTER: ("confirmed_on", confirmed_on),  # 条例第三十一条第二项（平常信函）
        Channel.ONLINE: ("confirmed_on", confirmed_on),  # 条例第三十一条第三项
        Channel.FAX: ("confirmed_on", confirmed_on),  # 条例第三十一条第三项
    }
    name, value = needed[Channel(channel)]
    if value is None:
        raise ValidationError(f"receipt_date: channel '{channel}' needs {name} (条例第三十一条)")
    return value


@dataclass(frozen=True, slots=True)
class ClockPolicy:
    """The numbers of the rules, and the one choice the law leaves to local practice."""

    reply_workdays: int = 20  # 条例第三十三条第一款
    max_extension_workdays: int = 20  # 条例第三十三条第一款
    correction_window_workdays: int = 7  # 条例第三十条
    consultation_workdays: int = 15  # 条例第三十二条、第三十四条
    fee_payment_workdays: int = 20  # 国办函〔2020〕109号
    # 国办函〔2020〕109号 does not say whether the notice-to-payment period counts; most
    # local rules stop the clock. Set False to keep it running.
    fee_pauses_clock: bool = True


@dataclass(frozen=True, slots=True)
class Pause:
    """Working days in (start, end] are not counted; ``end=None`` while still paused."""

    start: date
    end: date | None
    reason: PauseReason = PauseReason.THIRD_PARTY


@dataclass(frozen=True, slots=True)
class Extension:
    """The one extension of 条例第三十三条, approved by the 工作机构负责人."""

    approved_on: date
    workdays: int = 20
    approver: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ClockEvents:
    """What the clock needs to know about one request."""

    received: date
    channel: Channel = Channel.IN_PERSON
    corrected_on: date | None = None
    pauses: tuple[Pause, ...] = ()
    extension: Extension | None = None
    delayed_to: date | None = None  # 条例第三十五条

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel", Channel(self.channel))
        object.__setattr__(self, "pauses", tuple(sorted(self.pauses, key=lambda p: p.start)))


@dataclass(frozen=True, slots=True)
class Deadline:
    """The computed reply deadline of one request, and its status as of a date if given."""

    received: date
    channel: Channel
    clock_start: date
    base_due_date: date
    paused_workdays: int
    extension_workdays: int
    due_date: date
    correction_window_end: date
    estimated: bool
    delayed: bool = False
    paused_now: bool = False
    as_of: date | None = None
    workdays_left: int | None = None
    overdue: bool | None = None

    @property
    def extended(self) -> bool:
        return self.extension_workdays > 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (dates as ISO strings); the keys the CLI prints."""
        out: dict[str, Any] = {
            "received": self.received.isoformat(),
            "channel": self.channel.value,
            "clock_start": self.clock_start.isoformat(),
            "base_due_date": self.base_due_date.isoformat(),
            "paused_workdays": self.paused_workdays,
            "extended": self.extended,
            "extension_workdays": self.extension_workdays,
            "delayed": self.delayed,
            "due_date": self.due_date.isoformat(),
            "correction_window_end": self.correction_window_end.isoformat(),
            "estimated": self.estimated,
        }
        if self.as_of is not None:
            out |= {
                "as_of": self.as_of.isoformat(),
                "workdays_left": self.workdays_left,
                "overdue": self.overdue,
                "paused_now": self.paused_now,
            }
        return out


def compute_deadline(
    events: ClockEvents,
    calendar: WorkdayCalendar,
    *,
    as_of: date | None = None,
    policy: ClockPolicy = ClockPolicy(),
) -> Deadline:
    """The reply deadline of a request from its clock events.

    due = the (20 + paused + extension)-th working day after the clock start, where the
    clock starts on receipt (条例第三十一条) or on receipt of the correction (条例第三十条),
    and paused working days are those inside (pause start, pause end] (条例第三十三条第二款).
    Raises :class:`ValidationError` for events the law does not allow and
    :class:`CalendarError` for days no loaded notice settles.
    """
    cal = calendar
    # 条例第三十条: the 补正 notice is due within 7 working days of the original receipt.
    correction_end = cal.add_workdays(events.received, policy.correction_window_workdays)
    clock_start = events.received
    if events.corrected_on is not None:
        if events.corrected_on < events.received:
            raise ValidationError(
                f"corrected_on {events.corrected_on} is before the receipt date "
                f"{events.received} (条例第三十条: the period restarts on receipt of the "
                "corrected application)"
            )
        clock_start = events.corrected_on  # 条例第三十条: restart from zero
    base_due = cal.add_workdays(clock_start, policy.reply_workdays)  # 条例第三十三条

    paused, paused_now, due = _apply_pauses(
        events, cal=cal, clock_start=clock_start, due=base_due, as_of=as_of, policy=policy
    )

    extension_days = 0
    if events.extension is not None:
        ext = events.extension
        # 条例第三十三条: at most 20 working days, decided within the period.
        if not 1 <= ext.workdays <= policy.max_extension_workdays:
            raise ValidationError(
                f"extension: {ext.workdays} working days is not allowed (条例第三十三条 allows "
                f"1 to {policy.max_extension_workdays})"
            )
        if ext.approved_on > due:
            raise ValidationError(
                f"extension: approved on {ext.approved_on}, after the reply period ended on "
                f"{due} (条例第三十三条: an extension is decided within the period)"
            )
        extension_days = ext.workdays
        due = cal.add_workdays(clock_start, policy.reply_workdays + paused + extension_days)

    delayed = False
    if events.delayed_to is not None:
        # 条例第三十五条: a reasonable later date, never earlier than the statutory one.
        if events.delayed_to < due:
            raise ValidationError(
                f"delayed_to {events.delayed_to} is before the statutory due date {due} "
                "(条例第三十五条 allows only a later, reasonable date)"
            )
        delayed, due = True, events.delayed_to

    last_day = max(due, correction_end)
    estimated = cal.span_is_estimated(events.received, last_day)
    result = Deadline(
        received=events.received,
        channel=events.channel,
        clock_start=clock_start,
        base_due_date=base_due,
        paused_workdays=paused,
        extension_workdays=extension_days,
        due_date=due,
        correction_window_end=correction_end,
        estimated=estimated,
        delayed=delayed,
        paused_now=paused_now,
    )
    if as_of is None:
        return result
    left = cal.workdays_between(as_of, due)
    return replace(result, as_of=as_of, workdays_left=left, overdue=as_of > due)


def _apply_pauses(
    events: ClockEvents,
    *,
    cal: WorkdayCalendar,
    clock_start: date,
    due: date,
    as_of: date | None,
    policy: ClockPolicy,
) -> tuple[int, bool, date]:
    paused = 0
    paused_now = False
    previous_end: date | None = None
    for pause in events.pauses:
        if pause.reason is PauseReason.FEE and not policy.fee_pauses_clock:
            continue
        end = pause.end
        if end is None:
            if as_of is None:
                raise ValidationError(
                    f"pause from {pause.start} ({pause.reason.value}) has no end: pass as_of "
                    "to count it up to that date"
                )
            end, paused_now = max(as_of, pause.start), True
        if end < pause.start:
            raise ValidationError(f"pause {pause.start}:{end} ends before it starts")
        if pause.start < clock_start:
            raise ValidationError(
                f"pause {pause.start}:{end} starts before the clock started on {clock_start}"
            )
        if previous_end is not None and pause.start < previous_end:
            raise ValidationError(
                f"pause {pause.start}:{end} overlaps the pause ending {previous_end}"
            )
        if pause.start > due:
            raise ValidationError(
                f"pause {pause.start}:{end} starts after the reply period ended on {due} "
                "(条例第三十三条第二款 stops a running clock only)"
            )
        previous_end = end
        paused += cal.workdays_between(pause.start, end)  # 条例第三十三条第二款
        due = cal.add_workdays(clock_start, policy.reply_workdays + paused)
    return paused, paused_now, due


# --------------------------------------------------------------------------- explain


class ExplainStatus(LabelledEnum):
    """How the clock treated one day."""

    START = "start"
    COUNTED = "counted"
    EXTENSION = "extension"
    SKIPPED = "skipped"
    PAUSED = "paused"
    DELAY = "delay"


@dataclass(frozen=True, slots=True)
class ExplainLine:
    """One day of a deadline's explanation."""

    day: date
    status: ExplainStatus
    info: DayInfo
    ordinal: int | None = None  # the n-th counted working day
    pause_reason: PauseReason | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "status": self.status.value,
            "day_kind": self.info.kind.value,
            "workday_number": self.ordinal,
            "name": self.info.name,
            "source": self.info.source,
            "pause_reason": self.pause_reason.value if self.pause_reason else None,
            "estimated": self.info.estimated,
        }


def explain_deadline(
    events: ClockEvents,
    calendar: WorkdayCalendar,
    *,
    as_of: date | None = None,
    policy: ClockPolicy = ClockPolicy(),
) -> tuple[Deadline, tuple[ExplainLine, ...]]:
    """The deadline and, day by day from the clock start to the due date, why it counts."""
    deadline = compute_deadline(events, calendar, as_of=as_of, policy=policy)
    pauses = [
        (p.start, p.end if p.end is not None else max(as_of or p.start, p.start), p.reason)
        for p in events.pauses
        if policy.fee_pauses_clock or p.reason is not PauseReason.FEE
    ]
    statutory = policy.reply_workdays
    lines = [
        ExplainLine(
            deadline.clock_start, ExplainStatus.START, calendar.day_info(deadline.clock_start)
        )
    ]
    counted = 0
    for info in calendar.days(deadline.clock_start, deadline.due_date):
        reason = next((r for s, e, r in pauses if s < info.day <= e), None)
        if not info.is_workday:
            lines.append(ExplainLine(info.day, ExplainStatus.SKIPPED, info))
        elif reason is not None:
            lines.append(ExplainLine(info.day, ExplainStatus.PAUSED, info, pause_reason=reason))
        elif counted < statutory + deadline.extension_workdays:
            counted += 1
            status = ExplainStatus.COUNTED if counted <= statutory else ExplainStatus.EXTENSION
            lines.append(ExplainLine(info.day, status, info, ordinal=counted))
        else:
            lines.append(ExplainLine(info.day, ExplainStatus.DELAY, info))
    return deadline, tuple(lines)
