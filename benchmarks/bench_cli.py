"""Cold start of the command line, side by side with the same work in a minimal script.

Run by hand: ``python benchmarks/bench_cli.py [ROUNDS]``. Each command and its minimal
library script run as fresh processes, interleaved, ROUNDS times (default 15); the table
gives the medians and the ratio command / script (issue 10: deadline, calendar and fee
within 1.5x of the script; --help within 5x of ``python -c pass``).
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import sys
import time
from datetime import date

PAIRS = {
    "--help": (["--help"], "pass"),
    "deadline": (
        ["deadline", "--received", "2026-03-02", "--json"],
        "from datetime import date\n"
        "from ogi_workflow import ClockEvents, WorkdayCalendar, compute_deadline\n"
        "d = compute_deadline(ClockEvents(received=date(2026, 3, 2)), WorkdayCalendar.china())\n"
        "print(d.as_dict())",
    ),
    "calendar": (
        ["calendar", "2026", "--json"],
        "from datetime import date\n"
        "from ogi_workflow import WorkdayCalendar\n"
        "cal = WorkdayCalendar.china(allow_estimated=True)\n"
        "days = list(cal.days(date(2025, 12, 31), date(2026, 12, 31)))\n"
        "print(sum(d.is_workday for d in days))",
    ),
    "fee": (
        ["fee", "--pages", "121", "--json"],
        "from ogi_workflow import fee_per_volume\nprint(fee_per_volume(121))",
    ),
}


def timed(command: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    cli = [sys.executable, "-m", "ogi_workflow"]
    results: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in PAIRS}
    for _ in range(rounds):
        for name, (args, script) in PAIRS.items():
            results[name][0].append(timed([*cli, *args]))
            results[name][1].append(timed([sys.executable, "-c", script]))
    print(f"{date.today()} · {platform.machine()} · Python {platform.python_version()}")
    print()
    print("| command | command (ms) | minimal script (ms) | ratio |")
    print("|---|---:|---:|---:|")
    for name, (ours, minimal) in results.items():
        a, b = statistics.median(ours) * 1000, statistics.median(minimal) * 1000
        baseline = "`python -c pass`" if name == "--help" else "the same computation"
        print(f"| `ogi-workflow {name}` vs {baseline} | {a:.0f} | {b:.0f} | {a / b:.2f}× |")


if __name__ == "__main__":
    main()
