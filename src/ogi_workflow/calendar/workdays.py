"""Working days: :class:`WorkdayCalendar` and its prefix-sum table.

A calendar answers the three questions of the public contract (``is_workday``,
``add_workdays``, ``workdays_between``) from a prefix-sum table over its days, and their
batch forms with numpy. It knows no law of disclosure: the clock (``ogi_workflow.clock``)
asks it questions. Days no loaded notice settles raise :class:`CalendarError`, unless the
calendar allows estimates; then every answer that touched an estimate says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ogi_workflow._resources import LabelledEnum, label
from ogi_workflow.calendar.schedule import (
    ESTIMABLE_YEARS,
    NEXT_NOTICE_TAIL_START,
    DayRule,
    Notice,
    YearSchedule,
    bundled_schedules,
    check_estimable,
    estimated_year,
    merge_schedule,
)
from ogi_workflow.errors import CalendarError, ValidationError

if TYPE_CHECKING:  # numpy is imported where the batch forms need it, not at start-up
    import numpy as np
    import numpy.typing as npt

__all__ = ["DayInfo", "DayKind", "WorkdayCalendar"]

_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
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

    An agency's own notices (``local``, :meth:`with_local_schedule`) set its local rest days
    and working days for a year on top: for a day they set, their word wins over the
    national schedule and over :meth:`with_overrides`; every other day is the national one.

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
        local: Iterable[YearSchedule] = (),
    ) -> None:
        merged: dict[int, YearSchedule] = {}
        for schedule in schedules:
            merged = merge_schedule(merged, schedule)
        self._schedules = merged
        own: dict[int, YearSchedule] = {}
        for schedule in local:
            own = merge_schedule(own, schedule, whose="the agency's own")
        self._local = own
        self._local_rules: dict[date, DayRule] = {}
        for schedule in sorted(own.values(), key=lambda s: s.year):
            self._local_rules.update(schedule.days)
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
        return cls(bundled_schedules(), allow_estimated=allow_estimated)

    def with_schedule(self, schedule: YearSchedule) -> WorkdayCalendar:
        """A new calendar with one more year's notice (or an amendment) loaded."""
        merged = merge_schedule(self._schedules, schedule)
        return self._copy(schedules=merged.values())

    def with_stored_notices(
        self, notices: Sequence[str], own: Sequence[str] = ()
    ) -> WorkdayCalendar:
        """A new calendar with the notices stored in a database (their file texts, oldest
        first) loaded: what every worker on that database must count by. ``notices`` are the
        deployment-wide ones, ``own`` one agency's own (see :meth:`with_local_schedule`)."""
        if not notices and not own:
            return self
        merged = self._schedules
        for content in notices:
            schedule = YearSchedule.from_text(content, origin="database")
            merged = merge_schedule(merged, schedule)
        local = self._local
        for content in own:
            schedule = YearSchedule.from_text(content, origin="database (the agency's own)")
            local = merge_schedule(local, schedule, whose="the agency's own")
        return self._copy(schedules=merged.values(), local=local.values())

    def with_local_schedule(self, schedule: YearSchedule) -> WorkdayCalendar:
        """A new calendar with one of an agency's own notices (or an amendment to one) loaded.

        Such a notice (a 少数民族's holidays set by the local people's government under
        《全国年节及纪念日放假办法》第四条, a province's local 调休) has the format of a
        State Council one (docs/deadlines.md); its rest days and working days win over the
        national schedule on the days it sets, and it makes no other day of its year official.
        A year holds one such notice; a later one for the year must say ``amends = true``.
        """
        local = merge_schedule(self._local, schedule, whose="the agency's own")
        return self._copy(local=local.values())

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
        local: Iterable[YearSchedule] | None = None,
    ) -> WorkdayCalendar:
        return WorkdayCalendar(
            self._schedules.values() if schedules is None else schedules,
            allow_estimated=self._allow_estimated if allow_estimated is None else allow_estimated,
            rest_days=self._rest_overrides if rest_days is None else rest_days,
            work_days=self._work_overrides if work_days is None else work_days,
            local=self._local.values() if local is None else local,
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
        if d.month == 12 and d.day >= NEXT_NOTICE_TAIL_START:
            return d.year + 1 in self._official
        return True

    def day_info(self, d: date) -> DayInfo:  # noqa: PLR0911 - one return per kind of day
        """Classify one day, with the holiday name and the notice (or rule) behind it."""
        local = self._local_rules.get(d)
        if local is not None:
            kind = DayKind.LOCAL_WORKDAY if local.is_workday else DayKind.LOCAL_REST
            return DayInfo(d, local.is_workday, kind, local.name, local.source, False)
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
            rest, work = estimated_year(d.year)
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
        if not 0 <= i < t.size or t.cum[i] + n - 1 >= len(t.workdays):
            t = self._covering_count(d, n)
            i = d.toordinal() - t.lo
        return t.workdays[t.cum[i] + n - 1]

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative (minus those in (b, a]) when b is before a."""
        t = self._table
        i, j = a.toordinal() - t.lo, b.toordinal() - t.lo
        if not (0 <= i < t.size and 0 <= j < t.size):
            t = self._covering(min(a, b), max(a, b))
            i, j = a.toordinal() - t.lo, b.toordinal() - t.lo
        return t.cum[j] - t.cum[i]

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

    def _covering_count(self, d: date, n: int) -> _Table:
        """The table, holding ``d`` and the n-th working day after it (or an error)."""
        t = self._covering(d)
        while t.cum[d.toordinal() - t.lo] + n - 1 >= len(t.workdays):
            # The start is covered but the answer runs past the last known day.
            if not self._allow_estimated:
                raise CalendarError(
                    f"add_workdays: {n} working days after {d.isoformat()} runs past "
                    f"{t.last.isoformat()}, the last day an official notice settles. "
                    + self._unknown_message(t.last + timedelta(days=1), lead=False)
                )
            t = self._covering(t.last + timedelta(days=1), d + timedelta(days=n * 2 + 30))
        return t

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
        for day in (first, last):
            if not t.lo <= day.toordinal() < t.lo + t.size:
                check_estimable(day.year)  # before building decades of years up to it
            self._extend_to(day)
            if not self._table.lo <= day.toordinal() < self._table.lo + self._table.size:
                raise CalendarError(self._unknown_message(day))
        return self._table

    def _extend_to(self, d: date) -> None:
        """Add estimated years (a few at a time, within ESTIMABLE_YEARS) up to ``d``'s."""
        t = self._table
        first_year, last_year = date.fromordinal(t.lo).year, t.last.year
        lowest, highest = ESTIMABLE_YEARS
        if d.year < first_year:
            start = max(lowest, min(d.year, first_year - _ESTIMATE_STEP_YEARS))
            if start < first_year:
                self._table = self._build(start, last_year)
        elif d.year >= last_year:
            end = min(highest, max(d.year, last_year + _ESTIMATE_STEP_YEARS))
            if end > last_year:
                self._table = self._build(first_year, end)

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
        return self._build(first, last, through=date(last, 12, NEXT_NOTICE_TAIL_START - 1))

    def _build(self, first_year: int, last_year: int, through: date | None = None) -> _Table:
        lo = date(first_year, 1, 1).toordinal()
        hi = (through or date(last_year, 12, 31)).toordinal()
        work = bytearray(hi - lo + 1)
        cum: list[int] = []
        est_cum: list[int] = []
        workdays: list[date] = []
        count = est = 0
        # Most days are settled by a notice that says nothing of them: a plain weekday or
        # weekend, which day_info would say without the DayInfo (a third of opening a
        # calendar). The rest go through day_info.
        special = {
            *self._day_rules,
            *self._rest_overrides,
            *self._work_overrides,
            *self._local_rules,
        }
        for i, ordinal in enumerate(range(lo, hi + 1)):
            day = date.fromordinal(ordinal)
            if day in special or not self.is_official(day):
                info = self.day_info(day)
                is_workday, estimated = info.is_workday, info.estimated
            else:
                is_workday, estimated = day.weekday() < 5, False
            if is_workday:
                work[i] = 1
                count += 1
                workdays.append(day)
            est += estimated
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
