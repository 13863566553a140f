"""Calendar speed, side by side: ogi-workflow vs holidays vs chinese_calendar.

Run by hand: ``python benchmarks/bench_calendar.py``. Prints a Markdown table to paste
into docs/benchmarks.md. All three answer the same question: the n-th working day after d,
d not counted. ``chinese_calendar.find_workday(n, d)`` counts from d itself when d is a
working day but from the next working day when d is not, so it is asked
``find_workday(n, d)`` only for working-day starts and the samples are drawn so.
"""

from __future__ import annotations

import platform
import random
import time
from collections.abc import Callable
from datetime import date, timedelta

import chinese_calendar
import holidays
import numpy as np

from ogi_workflow import WorkdayCalendar

CALLS = 20_000
BATCH = 1_000_000
N = 20


def per_call_us(fn: Callable[[date, int], date], starts: list[date], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for d in starts:
            fn(d, N)
        best = min(best, time.perf_counter() - t0)
    return best / len(starts) * 1e6


def main() -> None:
    rng = random.Random(20261122)
    cal = WorkdayCalendar.china()
    first = date(2010, 1, 1)
    span = (date(2026, 10, 31) - first).days
    starts = [first + timedelta(days=rng.randrange(span)) for _ in range(CALLS * 4)]
    starts = [d for d in starts if cal.is_workday(d)][:CALLS]

    cn = holidays.country_holidays("CN", years=range(2009, 2028))

    def ours(d: date, n: int) -> date:
        return cal.add_workdays(d, n)

    def with_holidays(d: date, n: int) -> date:
        return cn.get_nth_working_day(d, n)

    def with_chinese_calendar(d: date, n: int) -> date:
        result: date = chinese_calendar.find_workday(n, d)
        return result

    for d in starts[:2000]:  # same meaning before timing anything
        assert ours(d, N) == with_holidays(d, N) == with_chinese_calendar(d, N), d

    rows = [
        ("ogi_workflow add_workdays", per_call_us(ours, starts)),
        ("holidays get_nth_working_day", per_call_us(with_holidays, starts[:2000], 1)),
        ("chinese_calendar find_workday", per_call_us(with_chinese_calendar, starts[:2000], 1)),
    ]
    batch = np.asarray(
        [first + timedelta(days=rng.randrange(span)) for _ in range(BATCH)], dtype="datetime64[D]"
    )
    cal.add_workdays_batch(batch[:10], N)  # build the numpy view once
    t0 = time.perf_counter()
    result = cal.add_workdays_batch(batch, N)
    batch_s = time.perf_counter() - t0
    sample = rng.sample(range(BATCH), 1000)
    assert all(result[i].astype(date) == cal.add_workdays(batch[i].astype(date), N) for i in sample)

    ours_us = rows[0][1]
    print(f"machine: {platform.processor() or platform.machine()}, {platform.python_version()}")
    print("| what | per call (µs) | vs ogi_workflow |")
    print("|---|---:|---:|")
    for name, us in rows:
        print(f"| {name} | {us:.3f} | {us / ours_us:.0f}× |")
    print(f"| add_workdays_batch, {BATCH:,} dates | {batch_s:.3f} s total | |")


if __name__ == "__main__":
    main()
