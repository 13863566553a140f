"""Workflow speed on SQLite: full lifecycles, and the overdue scan over 1,000,000 requests.

Run by hand: ``python benchmarks/bench_workflow.py [WORKDIR]``. Prints Markdown rows for
docs/benchmarks.md. The overdue scan runs in a child process so that its peak memory is
its own, not the bulk load's.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from ogi_workflow.outcomes import Outcome
from ogi_workflow.store import REQUEST, description_key
from ogi_workflow.workflow import Workflow

AGENCY = {
    "code": "bench",
    "name": "基准测试机关",
    "abbreviation": "基准信公开",
    "review_body": "某市人民政府",
    "court": "某市中级人民法院",
}
APPLICATION = {
    "applicant": {"kind": "natural_person", "name": "张三"},
    "description": "某项目的批复文件",
    "received_at": "2026-03-02T09:30",
}
KINDS = ("natural_person",) * 7 + ("business", "research", "legal_services")
OUTCOMES = ("disclosed", "disclosed", "partial", "not_exist", "state_secret", "withdrawn")
LIFECYCLES = 10_000
STORED = 1_000_000
AS_OF = date(2026, 11, 20)


def lifecycle(wf: Workflow) -> None:
    rid = wf.receive(APPLICATION, actor="窗口").id
    wf.register(rid, actor="登记员", on=date(2026, 3, 2))
    wf.start_handling(rid, actor="李明", on=date(2026, 3, 3))
    wf.reply(rid, actor="李明", outcome=Outcome.DISCLOSED, on=date(2026, 3, 20))
    wf.archive(rid, actor="档案室", on=date(2026, 3, 23))


def bench_lifecycles(folder: Path) -> list[str]:
    """Three runs of 10,000 lifecycles, each on a fresh file: the median and the range."""
    rates = []
    for run in range(3):
        wf = Workflow.open(str(folder / f"lifecycle-{run}.sqlite"), agency=AGENCY)
        t0 = time.perf_counter()
        for start in range(0, LIFECYCLES, 500):
            with wf.batch():
                for _ in range(min(500, LIFECYCLES - start)):
                    lifecycle(wf)
        rates.append(LIFECYCLES / (time.perf_counter() - t0))
        assert wf.count() == LIFECYCLES
        wf.close()
    rates.sort()
    rows = [
        f"| full lifecycle, {LIFECYCLES:,} requests, batches of 500 (median of 3; range) | "
        f"{rates[1]:,.0f} requests/s ({rates[0]:,.0f}–{rates[2]:,.0f}) |"
    ]
    single = 1_000
    wf = Workflow.open(str(folder / "lifecycle-single.sqlite"), agency=AGENCY)
    t0 = time.perf_counter()
    for _ in range(single):
        lifecycle(wf)
    one_by_one = single / (time.perf_counter() - t0)
    wf.close()
    rows.append(
        f"| full lifecycle, {single:,} requests, one transaction per action | "
        f"{one_by_one:,.0f} requests/s |"
    )
    return rows


def fill(path: Path) -> int:
    """1,000,000 requests over ten years, 10 % still open; returns how many are overdue."""
    wf = Workflow.open(str(path), agency=AGENCY)
    rng = random.Random(7)
    cal = wf.calendar
    now = datetime.now(UTC)
    first = date(2016, 11, 20)
    overdue = 0
    chunk: list[dict[str, object]] = []
    with wf.engine.begin() as conn:
        for i in range(STORED):
            received = first + timedelta(days=rng.randrange(3650))
            open_ = rng.random() < 0.10
            if open_:  # recent enough to be open: received in the last 60 days
                received = AS_OF - timedelta(days=rng.randrange(60))
            due = cal.add_workdays(received, 20)
            overdue += open_ and due < AS_OF
            replied = None if open_ else received + timedelta(days=rng.randrange(5, 40))
            chunk.append(
                {
                    "agency": AGENCY["code"],
                    "reg_no": f"{received.year}-{i:07d}",
                    "reg_year": received.year,
                    "reg_seq": i,
                    "state": rng.choice(["registered", "handling"]) if open_ else "archived",
                    "outcome": None if open_ else OUTCOMES[i % len(OUTCOMES)],
                    "applicant_kind": KINDS[i % len(KINDS)],
                    "applicant_name": "张三",
                    "applicant_key": f"name:张三{i % 5000}",
                    "description": "某项目的批复文件",
                    "description_key": description_key("某项目的批复文件"),
                    "channel": "online",
                    "received_at": now,
                    "received_on": received,
                    "clock_start": received,
                    "due_date": due,
                    "correction_window_end": cal.add_workdays(received, 7),
                    "replied_on": replied,
                    "paused_workdays": 0,
                    "extension_workdays": 0,
                    "estimated": False,
                    "handler": "李明",
                    "application": {},
                    "version": 2,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(chunk) == 50_000:
                conn.execute(insert(REQUEST), chunk)
                chunk = []
        if chunk:
            conn.execute(insert(REQUEST), chunk)
    wf.close()
    return overdue


def scan(path: str) -> None:
    """Child process: time the overdue scan and report peak RSS."""
    wf = Workflow.open(path)
    t0 = time.perf_counter()
    count = sum(item.overdue for item in wf.iter_overdue(AS_OF))
    streamed = time.perf_counter() - t0
    t0 = time.perf_counter()
    listed = sum(item.overdue for item in wf.overdue(AS_OF))
    as_list = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{count} {streamed:.3f} {listed} {as_list:.3f} {peak_mb:.0f}")


def report(path: str) -> None:
    """Child process: time the 2026 annual report and report peak RSS."""
    wf = Workflow.open(path)
    t0 = time.perf_counter()
    result = wf.annual_report(2026)
    took = time.perf_counter() - t0
    assert result.balanced()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{took:.3f} {peak_mb:.0f} {result.table3['new']['total']}")


def cli(path: str) -> None:
    """Child process: run `ogi-workflow overdue --format csv`, report its time and RSS."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ogi_workflow",
            "overdue",
            "--db",
            path,
            "--as-of",
            AS_OF.isoformat(),
            "--format",
            "csv",
        ],
        stdout=subprocess.DEVNULL,
        check=False,
    )
    took = time.perf_counter() - t0
    assert done.returncode == 1  # some are overdue
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{took:.3f} {peak_mb:.0f}")


def bench_overdue(folder: Path) -> list[str]:
    path = folder / "million.sqlite"
    t0 = time.perf_counter()
    expected = fill(path)
    loaded = time.perf_counter() - t0

    def child(mode: str) -> list[str]:
        return subprocess.run(
            [sys.executable, __file__, mode, str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()

    out = child("--scan")
    count, streamed, listed, as_list, peak = int(out[0]), out[1], int(out[2]), out[3], out[4]
    assert count == listed == expected, (count, listed, expected)
    report_s, report_peak, new_in_2026 = child("--report")
    cli_s, cli_peak = child("--cli")
    return [
        f"| load {STORED:,} requests (bulk insert, setup only) | {loaded:.1f} s |",
        f"| overdue scan over {STORED:,} requests ({count:,} overdue), streamed | {streamed} s |",
        f"| the same, as a list | {as_list} s |",
        f"| peak memory of the scanning process (RSS) | {peak} MB |",
        f"| `ogi-workflow overdue --format csv`, the whole command | {cli_s} s, {cli_peak} MB |",
        f"| annual report 2026 ({int(new_in_2026):,} received in 2026) | {report_s} s, "
        f"{report_peak} MB |",
    ]


def main() -> None:
    modes = {"--scan": scan, "--report": report, "--cli": cli}
    if sys.argv[1:2] and sys.argv[1] in modes:
        modes[sys.argv[1]](sys.argv[2])
        return
    with tempfile.TemporaryDirectory(dir=sys.argv[1] if len(sys.argv) > 1 else None) as tmp:
        folder = Path(tmp)
        print("| what | result |")
        print("|---|---:|")
        for row in bench_lifecycles(folder) + bench_overdue(folder):
            print(row, flush=True)


if __name__ == "__main__":
    main()
