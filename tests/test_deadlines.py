"""The calendar and the reply clock, rule by rule, with worked dates from real schedules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ogi_workflow import (
    CalendarError,
    Channel,
    ClockEvents,
    ClockPolicy,
    DayKind,
    ExplainStatus,
    Extension,
    Pause,
    PauseReason,
    ValidationError,
    WorkdayCalendar,
    compute_deadline,
    explain_deadline,
    receipt_date,
)
from ogi_workflow.calendar.schedule import estimated_year

CAL = WorkdayCalendar.china()
EST = WorkdayCalendar.china(allow_estimated=True)
D = date

NOTICE_2027 = """
year = 2027
[[notices]]
title = "国务院办公厅关于2027年部分节假日安排的通知（测试用）"
date = 2026-11-10

[[rest]]
name = "元旦"
from = 2027-01-01
to = 2027-01-03

[[work]]
name = "元旦"
dates = [2026-12-27]
"""


# ---------------------------------------------------------------- worked examples


def test_art33_twenty_workdays_across_2026_spring_festival() -> None:
    # 2-14 and 2-28 are working Saturdays (调休); 2-15..2-23 are 春节.
    assert CAL.add_workdays(D(2026, 2, 13), 20) == D(2026, 3, 19)
    assert CAL.workdays_between(D(2026, 2, 13), D(2026, 3, 19)) == 20


def test_receipt_day_not_counted() -> None:
    # 期间开始之日不计算在内: Friday receipt, the first counted day is Monday.
    assert CAL.add_workdays(D(2026, 3, 6), 1) == D(2026, 3, 9)


def test_receipt_on_holiday_counts_from_first_workday_after() -> None:
    # Received during 国庆 2026 (10-1..10-7): day 1 is Thursday 10-8.
    assert CAL.add_workdays(D(2026, 10, 3), 1) == D(2026, 10, 8)


def test_adjusted_working_sunday_counts_2025_national_day() -> None:
    # 2025-09-28 (Sunday) and 10-11 (Saturday) are working days; 10-1..10-8 are not.
    assert CAL.add_workdays(D(2025, 9, 26), 20) == D(2025, 10, 30)


def test_amended_2019_labour_day() -> None:
    # 国办发明电 of 2019-03-22 moved work to Sunday 4-28 and Sunday 5-5, rest 5-1..5-4.
    assert CAL.add_workdays(D(2019, 4, 26), 5) == D(2019, 5, 6)
    assert len(CAL.notices(2019)) == 2


def test_amended_2020_spring_festival_extension() -> None:
    # The 2020-01-26 notice extended 春节 to 2-2; 2-1 (a Saturday once set to work) rests.
    assert not CAL.is_workday(D(2020, 1, 31))
    assert not CAL.is_workday(D(2020, 2, 1))
    assert CAL.add_workdays(D(2020, 1, 20), 20) == D(2020, 2, 25)


def test_december_day_set_by_next_years_notice() -> None:
    # 2011-12-31 (Saturday) was made a working day by the 2012 notice.
    assert CAL.is_workday(D(2011, 12, 31))
    info = CAL.day_info(D(2011, 12, 31))
    assert info.kind is DayKind.ADJUSTED_WORKDAY
    assert "2012" in info.source


def test_workdays_between_is_antisymmetric() -> None:
    assert CAL.workdays_between(D(2026, 3, 19), D(2026, 2, 13)) == -20
    assert CAL.workdays_between(D(2026, 3, 19), D(2026, 3, 19)) == 0


def test_add_workdays_refuses_n_below_one() -> None:
    with pytest.raises(ValidationError, match="n must be"):
        CAL.add_workdays(D(2026, 3, 2), 0)
    with pytest.raises(ValidationError, match="every n"):
        CAL.add_workdays_batch([D(2026, 3, 2)], -1)


# ---------------------------------------------------------------- unknown years


def test_unknown_year_raises_calendar_error_naming_it() -> None:
    with pytest.raises(CalendarError, match=r"2027-01-05 is in 2027.*--calendar FILE"):
        CAL.is_workday(D(2027, 1, 5))
    with pytest.raises(CalendarError, match="2027"):
        CAL.add_workdays(D(2026, 12, 10), 20)
    with pytest.raises(CalendarError, match="2006"):
        CAL.is_workday(D(2006, 6, 1))


def test_december_tail_waits_for_next_years_notice() -> None:
    # December 25-31 may be set by the next notice, so they are not yet official.
    assert CAL.is_workday(D(2026, 12, 24))
    with pytest.raises(CalendarError, match="can still be set by the 2027"):
        CAL.is_workday(D(2026, 12, 28))


def test_estimate_is_opt_in_and_flagged() -> None:
    assert EST.add_workdays(D(2026, 12, 10), 20) == D(2027, 1, 8)
    assert EST.span_is_estimated(D(2026, 12, 10), D(2027, 1, 8))
    assert not EST.span_is_estimated(D(2026, 3, 1), D(2026, 3, 31))
    result = compute_deadline(ClockEvents(received=D(2026, 12, 10)), EST)
    assert result.estimated
    assert not compute_deadline(ClockEvents(received=D(2026, 3, 2)), EST).estimated
    info = EST.day_info(D(2027, 2, 6))
    assert info.estimated
    assert info.kind is DayKind.HOLIDAY


def test_estimates_end_where_the_holiday_rules_end() -> None:
    """The holidays package knows China's holidays for 1950 to 2100 only: a day past them is
    an error naming the year, never a year of plain weekdays, and a count that runs past
    2100 is refused rather than stopped short (or left running)."""
    import holidays  # noqa: PLC0415

    china = holidays.country_holidays("CN")
    assert (china.start_year, china.end_year) == (1950, 2100)
    est = EST.estimating()
    assert est.day_info(D(2100, 1, 1)).kind is DayKind.HOLIDAY  # 元旦, estimated
    for day in (D(2101, 1, 1), D(2199, 1, 1), D(1949, 10, 1)):
        with pytest.raises(CalendarError, match=f"no estimate for {day.year}"):
            est.is_workday(day)
    with pytest.raises(CalendarError, match="no estimate for 2101"):
        est.add_workdays(D(2100, 12, 20), 20)
    assert est.add_workdays(D(2100, 12, 1), 10) == D(2100, 12, 15)


def test_estimates_ask_the_holiday_rules_once_a_year(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each estimated year costs one holidays object, not one per day; a day before 1950 is
    refused before any year is built (it once built 1950 onward day by day, for seconds)."""
    import holidays  # noqa: PLC0415

    asked: list[object] = []
    real = holidays.country_holidays

    def counting(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("years"))
        return real(*args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counting)
    estimated_year.cache_clear()
    est = EST.estimating()
    with pytest.raises(CalendarError, match="no estimate for 857"):
        est.is_workday(D(857, 11, 9))
    assert asked == []
    est.add_workdays(D(2060, 12, 1), 40)
    assert len(asked) == len(set(asked)) > 0


def test_load_next_years_notice_in_one_call(tmp_path: Path) -> None:
    path = tmp_path / "2027.toml"
    path.write_text(NOTICE_2027, encoding="utf-8")
    cal = CAL.with_notice_file(path)
    assert 2027 in cal.official_years
    assert 2027 not in CAL.official_years  # calendars are immutable
    assert cal.is_workday(D(2026, 12, 27))  # a Sunday set to work by the 2027 notice
    assert not cal.is_workday(D(2027, 1, 1))
    assert not cal.span_is_estimated(D(2026, 12, 10), D(2027, 1, 8))
    # One day earlier than the estimate: the file makes Sunday 2026-12-27 a working day.
    assert cal.add_workdays(D(2026, 12, 10), 20) == D(2027, 1, 7)


def test_loading_a_year_twice_needs_amends(tmp_path: Path) -> None:
    path = tmp_path / "2026.toml"
    path.write_text(
        'year = 2026\n[[notices]]\ntitle = "补充通知"\ndate = 2026-05-01\n'
        '[[rest]]\nname = "临时休息"\ndates = [2026-06-01]\n',
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match=r"already loaded.*amends = true"):
        CAL.with_notice_file(path)
    path.write_text(
        'year = 2026\namends = true\n[[notices]]\ntitle = "补充通知"\ndate = 2026-05-01\n'
        '[[rest]]\nname = "临时休息"\ndates = [2026-06-01]\n',
        encoding="utf-8",
    )
    amended = CAL.with_notice_file(path)
    assert not amended.is_workday(D(2026, 6, 1))
    assert CAL.is_workday(D(2026, 6, 1))
    assert amended.notices(2026)[-1].title == "补充通知"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("year = 'x'", "'year' must be a year"),
        ("year = 2027", r"at least one \[\[notices\]\]"),
        (
            'year = 2027\n[[notices]]\ntitle = "t"\ndate = 2026-01-01\n'
            '[[rest]]\nname = "n"\ndates = [2025-06-01]\n',
            "outside what a 2027 notice can set",
        ),
        (
            'year = 2027\n[[notices]]\ntitle = "t"\ndate = 2026-01-01\n'
            '[[rest]]\nname = "n"\nfrom = 2027-01-03\nto = 2027-01-01\n',
            "is before 'from'",
        ),
        ('year = 2027\n[[notices]]\ntitle = "t"\ndate = "soon"\n', "must be a date"),
        (  # a TOML date-time is not a date (it was compared with dates: a TypeError)
            'year = 2027\n[[notices]]\ntitle = "t"\ndate = 2026-11-04\n'
            '[[rest]]\nname = "n"\nfrom = 2027-01-07T00:00:00\nto = 2027-01-08\n',
            "must be a date YYYY-MM-DD, got 2027-01-07T00:00:00$",
        ),
        (
            'year = 2027\n[[notices]]\ntitle = "t"\ndate = 2026-11-04T10:00:00\n',
            "must be a date YYYY-MM-DD, got 2026-11-04T10:00:00$",
        ),
        ("year = [", "not valid TOML/JSON"),
    ],
)
def test_bad_notice_file_names_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        CAL.with_notice_file(path)


def test_notice_file_in_json(tmp_path: Path) -> None:
    path = tmp_path / "2027.json"
    path.write_text(
        '{"year": 2027, "notices": [{"title": "t", "date": "2026-11-10"}],'
        ' "rest": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}]}',
        encoding="utf-8",
    )
    assert 2027 in CAL.with_notice_file(path).official_years


def test_local_rest_day_override_moves_the_deadline() -> None:
    # A 民族自治地方 holiday on 2026-03-05 (Thursday) delays the 20th working day by one.
    local = CAL.with_overrides(rest_days={D(2026, 3, 5): "地方节日"})
    assert local.add_workdays(D(2026, 3, 2), 20) == CAL.add_workdays(D(2026, 3, 2), 21)
    assert local.day_info(D(2026, 3, 5)).kind is DayKind.LOCAL_REST
    extra_work = CAL.with_overrides(work_days={D(2026, 3, 7): "机关加班"})
    assert extra_work.is_workday(D(2026, 3, 7))
    with pytest.raises(ValidationError, match="both an extra rest day"):
        WorkdayCalendar(rest_days={D(2026, 3, 7): "a"}, work_days={D(2026, 3, 7): "b"})


def test_bundled_years_cite_their_notices() -> None:
    assert CAL.official_years == frozenset(range(2007, 2027))
    for year in CAL.official_years:
        notices = CAL.notices(year)
        assert notices, year
        for notice in notices:
            assert str(year) in notice.title or year == 2015
            assert notice.url is not None
            assert notice.url.startswith("http")
            assert notice.date < date(year, 12, 31)


# ---------------------------------------------------------------- the clock


def test_art31_receipt_date_by_channel() -> None:
    assert receipt_date(Channel.IN_PERSON, submitted_on=D(2026, 3, 2)) == D(2026, 3, 2)
    assert receipt_date(Channel.POST, signed_for_on=D(2026, 3, 4)) == D(2026, 3, 4)
    assert receipt_date(Channel.LETTER, confirmed_on=D(2026, 3, 5)) == D(2026, 3, 5)
    assert receipt_date(Channel.ONLINE, confirmed_on=D(2026, 3, 6)) == D(2026, 3, 6)
    with pytest.raises(ValidationError, match="'post' needs signed_for_on"):
        receipt_date(Channel.POST, submitted_on=D(2026, 3, 2))


def test_art33_due_twenty_workdays_after_receipt() -> None:
    d = compute_deadline(ClockEvents(received=D(2026, 9, 28)), CAL)
    assert d.clock_start == D(2026, 9, 28)
    assert d.due_date == D(2026, 10, 30)  # 国庆 2026 and the working Saturday 10-10
    assert not d.extended


def test_art30_correction_window_seven_workdays() -> None:
    d = compute_deadline(ClockEvents(received=D(2026, 9, 28)), CAL)
    assert d.correction_window_end == D(2026, 10, 13)


def test_art30_correction_restarts_clock() -> None:
    d = compute_deadline(ClockEvents(received=D(2026, 3, 2), corrected_on=D(2026, 3, 10)), CAL)
    assert d.clock_start == D(2026, 3, 10)
    assert d.due_date == D(2026, 4, 8)  # 清明 4-4..4-6 skipped
    with pytest.raises(ValidationError, match="before the receipt date"):
        compute_deadline(ClockEvents(received=D(2026, 3, 2), corrected_on=D(2026, 3, 1)), CAL)


def test_art33_consultation_pause_not_counted() -> None:
    events = ClockEvents(received=D(2026, 9, 28), pauses=(Pause(D(2026, 10, 12), D(2026, 10, 20)),))
    d = compute_deadline(events, CAL)
    assert d.paused_workdays == 6  # 10-13..10-16, 10-19, 10-20
    assert d.due_date == D(2026, 11, 9)


def test_art33_extension_adds_twenty_workdays() -> None:
    events = ClockEvents(
        received=D(2026, 9, 28),
        pauses=(Pause(D(2026, 10, 12), D(2026, 10, 20)),),
        extension=Extension(approved_on=D(2026, 11, 2), approver="张主任", reason="需协调"),
    )
    d = compute_deadline(events, CAL, as_of=D(2026, 11, 20))
    assert d.extended
    assert d.due_date == D(2026, 12, 7)
    assert d.workdays_left == 11
    assert d.overdue is False


def test_art33_extension_at_most_twenty_workdays() -> None:
    events = ClockEvents(received=D(2026, 3, 2), extension=Extension(D(2026, 3, 10), workdays=21))
    with pytest.raises(ValidationError, match="21 working days is not allowed"):
        compute_deadline(events, CAL)


def test_art33_extension_only_within_the_period() -> None:
    events = ClockEvents(received=D(2026, 3, 2), extension=Extension(D(2026, 3, 31)))
    with pytest.raises(ValidationError, match="after the reply period ended on 2026-03-30"):
        compute_deadline(events, CAL)


def test_art35_reasonable_delay_sets_a_later_date() -> None:
    d = compute_deadline(ClockEvents(received=D(2026, 3, 2), delayed_to=D(2026, 5, 29)), CAL)
    assert d.delayed
    assert d.due_date == D(2026, 5, 29)
    with pytest.raises(ValidationError, match="条例第三十五条"):
        compute_deadline(ClockEvents(received=D(2026, 3, 2), delayed_to=D(2026, 3, 20)), CAL)


def test_fee_period_pauses_by_default_policy_and_can_be_switched_off() -> None:
    events = ClockEvents(
        received=D(2026, 3, 2), pauses=(Pause(D(2026, 3, 9), D(2026, 3, 16), PauseReason.FEE),)
    )
    assert compute_deadline(events, CAL).paused_workdays == 5
    running = compute_deadline(events, CAL, policy=ClockPolicy(fee_pauses_clock=False))
    assert running.paused_workdays == 0
    assert running.due_date == D(2026, 3, 30)


def test_art33_open_pause_counts_up_to_its_limit() -> None:
    """An open pause shows the due date reached if no answer comes (第三十二条: 15 days)."""
    events = ClockEvents(received=D(2026, 3, 2), pauses=(Pause(D(2026, 3, 9), None),))
    d = compute_deadline(events, CAL, as_of=D(2026, 3, 13))
    assert d.paused_now
    assert d.paused_workdays == 15  # 3-10 … 3-30, the third party's 15 working days
    assert d.due_date == D(2026, 4, 21)
    assert compute_deadline(events, CAL) == replace(
        d, as_of=None, workdays_left=None, overdue=None, paused_now=False
    )


def test_art32_art34_consultation_pause_capped_at_the_answer_period() -> None:
    """Received 3-2, co-producing agency consulted 3-20 and answering only on 6-30: the pause
    covers its 15 working days (3-23 … 4-13), then the clock runs again."""
    late = Pause(D(2026, 3, 20), D(2026, 6, 30), PauseReason.CO_AGENCY)
    events = ClockEvents(received=D(2026, 3, 2), pauses=(late,))
    assert late.limit(CAL, ClockPolicy()) == D(2026, 4, 13)
    on_0430 = compute_deadline(events, CAL, as_of=D(2026, 4, 30))
    assert (on_0430.paused_workdays, on_0430.due_date) == (15, D(2026, 4, 21))
    assert on_0430.overdue
    assert not on_0430.paused_now
    still_open = ClockEvents(
        received=D(2026, 3, 2), pauses=(Pause(D(2026, 3, 20), None, PauseReason.CO_AGENCY),)
    )
    assert compute_deadline(still_open, CAL, as_of=D(2026, 6, 30)).overdue
    waiting = compute_deadline(still_open, CAL, as_of=D(2026, 4, 1))
    assert waiting.paused_now
    assert not waiting.overdue
    # an answer inside the period ends the pause on its day
    early = ClockEvents(received=D(2026, 3, 2), pauses=(Pause(D(2026, 3, 20), D(2026, 3, 25)),))
    assert compute_deadline(early, CAL).due_date == D(2026, 4, 2)


def test_art32_answer_period_counts_from_the_recipients_receipt() -> None:
    """The letter reached the third party on 3-24: its 15 days run 3-25 … 4-15."""
    pause = Pause(D(2026, 3, 20), None, PauseReason.THIRD_PARTY, until=D(2026, 4, 15))
    d = compute_deadline(ClockEvents(received=D(2026, 3, 2), pauses=(pause,)), CAL)
    assert d.paused_workdays == 17
    assert d.due_date == D(2026, 4, 23)


def test_art33_pause_after_an_extension_is_within_the_extended_period() -> None:
    """Extended on 3-20 to 4-28: a consultation from 4-10 is within the period (第三十二条)."""
    events = ClockEvents(
        received=D(2026, 3, 2),
        extension=Extension(D(2026, 3, 20)),
        pauses=(Pause(D(2026, 4, 10), D(2026, 4, 20)),),
    )
    d = compute_deadline(events, CAL)
    assert (d.paused_workdays, d.extension_workdays) == (6, 20)
    assert d.due_date == D(2026, 5, 9)  # an adjusted working Saturday
    with pytest.raises(ValidationError, match="after the reply period ended on 2026-04-28"):
        compute_deadline(
            ClockEvents(
                received=D(2026, 3, 2),
                extension=Extension(D(2026, 3, 20)),
                pauses=(Pause(D(2026, 4, 29), D(2026, 4, 30)),),
            ),
            CAL,
        )


def test_art33_extension_during_a_consultation_is_within_the_period() -> None:
    """Consulting from 3-20 (clock stopped): an extension on 4-3 is within the period."""
    events = ClockEvents(
        received=D(2026, 3, 2),
        pauses=(Pause(D(2026, 3, 20), None, PauseReason.THIRD_PARTY),),
        extension=Extension(D(2026, 4, 3)),
    )
    d = compute_deadline(events, CAL)
    assert (d.paused_workdays, d.extension_workdays, d.due_date) == (15, 20, D(2026, 5, 21))
    # after the pause's limit (4-13) the clock ran again; the period then ended on 4-21
    late = replace(events, extension=Extension(D(2026, 4, 22)))
    with pytest.raises(ValidationError, match="after the reply period ended on 2026-04-21"):
        compute_deadline(late, CAL)


def test_art35_delay_is_decided_within_the_period() -> None:
    ok = ClockEvents(received=D(2026, 3, 2), delayed_to=D(2026, 5, 29), delayed_on=D(2026, 3, 30))
    assert compute_deadline(ok, CAL).due_date == D(2026, 5, 29)
    late = replace(ok, delayed_on=D(2026, 3, 31))
    with pytest.raises(ValidationError, match="条例第三十五条: the reasonable period is set"):
        compute_deadline(late, CAL)


@pytest.mark.parametrize(
    ("pauses", "message"),
    [
        ((Pause(D(2026, 3, 10), D(2026, 3, 9)),), "ends before it starts"),
        ((Pause(D(2026, 3, 10), None, until=D(2026, 3, 9)),), "is before it starts"),
        ((Pause(D(2026, 3, 1), D(2026, 3, 9)),), "before the clock started"),
        (
            (Pause(D(2026, 3, 5), D(2026, 3, 12)), Pause(D(2026, 3, 10), D(2026, 3, 16))),
            "overlaps",
        ),
        ((Pause(D(2026, 4, 20), D(2026, 4, 22)),), "after the reply period ended"),
    ],
)
def test_art33_bad_pauses_are_refused(pauses: tuple[Pause, ...], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        compute_deadline(ClockEvents(received=D(2026, 3, 2), pauses=pauses), CAL)


def test_overdue_as_of() -> None:
    d = compute_deadline(ClockEvents(received=D(2026, 3, 2)), CAL, as_of=D(2026, 4, 1))
    assert d.due_date == D(2026, 3, 30)
    assert d.overdue is True
    assert d.workdays_left == -2


def test_explain_lists_every_day_with_its_reason() -> None:
    events = ClockEvents(
        received=D(2026, 9, 28),
        pauses=(Pause(D(2026, 10, 12), D(2026, 10, 20), PauseReason.CO_AGENCY),),
        extension=Extension(D(2026, 11, 2)),
    )
    deadline, lines = explain_deadline(events, CAL)
    assert lines[0].status is ExplainStatus.START
    assert lines[-1].day == deadline.due_date
    by_day = {line.day: line for line in lines}
    national_day = by_day[D(2026, 10, 1)]
    assert national_day.status is ExplainStatus.SKIPPED
    assert national_day.info.name == "国庆节"
    assert "2026年部分节假日安排" in national_day.info.source
    saturday = by_day[D(2026, 10, 10)]
    assert saturday.info.kind is DayKind.ADJUSTED_WORKDAY
    assert saturday.ordinal == 5
    assert by_day[D(2026, 10, 13)].pause_reason is PauseReason.CO_AGENCY
    assert by_day[D(2026, 10, 17)].info.kind is DayKind.WEEKEND
    counted = [line for line in lines if line.ordinal]
    assert [line.ordinal for line in counted] == list(range(1, 41))
    assert sum(line.status is ExplainStatus.EXTENSION for line in lines) == 20
    assert sum(line.status is ExplainStatus.PAUSED for line in lines) == 6


def test_art33_explain_labels_a_due_date_that_ends_a_pause() -> None:
    """Due 3-30 and consulted from 3-30 to 4-3: the 20 days were used up, so the reply is
    due the day the pause ends, and the explanation says that rather than "paused"."""
    events = ClockEvents(received=D(2026, 3, 2), pauses=(Pause(D(2026, 3, 30), D(2026, 4, 3)),))
    deadline, lines = explain_deadline(events, CAL)
    assert deadline.due_date == D(2026, 4, 3)
    assert (lines[-1].day, lines[-1].status) == (D(2026, 4, 3), ExplainStatus.DUE_AFTER_PAUSE)
    assert lines[-1].status.label == "暂停结束，答复期限届满"
    assert lines[-2].status is ExplainStatus.PAUSED


# ---------------------------------------------------------------- properties

dates = st.dates(min_value=D(2007, 1, 1), max_value=D(2026, 9, 30))
counts = st.integers(min_value=1, max_value=60)


@given(dates, counts)
def test_result_is_a_working_day_after_the_start(d: date, n: int) -> None:
    result = CAL.add_workdays(d, n)
    assert result > d
    assert CAL.is_workday(result)


@given(dates, counts)
def test_workdays_between_inverts_add_workdays(d: date, n: int) -> None:
    assert CAL.workdays_between(d, CAL.add_workdays(d, n)) == n


@given(dates, dates, counts)
def test_add_workdays_monotone_in_start(a: date, b: date, n: int) -> None:
    lo, hi = sorted((a, b))
    assert CAL.add_workdays(lo, n) <= CAL.add_workdays(hi, n)


@given(dates, counts, counts)
def test_add_workdays_monotone_in_n(d: date, n: int, m: int) -> None:
    lo, hi = sorted((n, m))
    assert CAL.add_workdays(d, lo) <= CAL.add_workdays(d, hi)


@given(dates, st.integers(0, 25), st.integers(0, 15))
def test_a_pause_never_shortens_a_deadline(d: date, offset: int, length: int) -> None:
    plain = compute_deadline(ClockEvents(received=d), CAL)
    start = d + timedelta(days=offset)
    if start > plain.due_date:
        return
    paused = ClockEvents(received=d, pauses=(Pause(start, start + timedelta(days=length)),))
    assert compute_deadline(paused, CAL).due_date >= plain.due_date


@given(dates)
def test_receipt_on_a_rest_day_counts_from_the_next_working_day(d: date) -> None:
    if CAL.is_workday(d):
        return
    first = CAL.add_workdays(d, 1)
    assert all(not CAL.is_workday(d + timedelta(days=i)) for i in range((first - d).days))


@settings(max_examples=50)
@given(st.lists(dates, min_size=1, max_size=50), counts)
def test_batch_equals_scalar(starts: list[date], n: int) -> None:
    batch = CAL.add_workdays_batch(starts, n)
    assert [d.astype(object) for d in batch] == [CAL.add_workdays(d, n) for d in starts]
    ends = [CAL.add_workdays(d, n) for d in starts]
    assert CAL.workdays_between_batch(starts, ends).tolist() == [n] * len(starts)


def test_batch_refuses_unknown_years_and_estimates_on_request() -> None:
    starts = np.array([D(2026, 3, 2), D(2026, 12, 20)], dtype="datetime64[D]")
    with pytest.raises(CalendarError, match="2027"):
        CAL.add_workdays_batch(starts, 20)
    result = WorkdayCalendar.china(allow_estimated=True).add_workdays_batch(starts, 20)
    assert result[0] == np.datetime64("2026-03-30")
    assert result[1] > np.datetime64("2027-01-01")
