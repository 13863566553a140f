"""Batch mode on PostgreSQL against SQLite, and 4 worker processes against one.

Run by hand, never in the test suite (PostgreSQL from ``.ci/postgres.sh start``)::

    python benchmarks/bench_scale.py --pg postgresql://postgres@127.0.0.1:54329/ogi_test
        [--lifecycles N] [--batch B] [--workers 4] [--rounds R]

Each round measures the same full lifecycles (receipt … archive, 8 actions, as
bench_workflow.py), ``--batch`` to a transaction, on fresh storage: one worker on a SQLite
file, one worker on PostgreSQL, and ``--workers`` processes on PostgreSQL sharing the
lifecycles (each its own batches, all registering in the same agency and year, so they
share one registration counter). It prints the median lifecycles per second of each and
the two ratios issue 12 sets, PostgreSQL / SQLite (one worker) and N workers / one, each
as the ratio of the medians and as the median of each round's own ratio. The
rounds alternate the order, so the machine's noise hits every side alike. To compare two
commits, run it twice with ``PYTHONPATH`` at each tree's ``src``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import tempfile
import time
import uuid
from multiprocessing.synchronize import Barrier
from pathlib import Path

import sqlalchemy as sa
from bench_workflow import api, lifecycle, open_staffed

import ogi_workflow

CTX = mp.get_context("fork")


def _work(url: str, lifecycles: int, batch: int, barrier: Barrier) -> None:
    names = api()
    wf = names["Workflow"].open(url, agency_code="bench")
    barrier.wait()
    for start in range(0, lifecycles, batch):
        with wf.batch():
            for _ in range(min(batch, lifecycles - start)):
                lifecycle(wf, names["Outcome"])
    wf.close()


def measure(url: str, lifecycles: int, batch: int, workers: int) -> float:
    """Lifecycles per second of ``workers`` processes together on the storage at ``url``."""
    open_staffed(api()["Workflow"], url).close()
    barrier = CTX.Barrier(workers + 1)
    share = lifecycles // workers
    procs = [CTX.Process(target=_work, args=(url, share, batch, barrier)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    barrier.wait()
    t0 = time.perf_counter()
    for proc in procs:
        proc.join()
    took = time.perf_counter() - t0
    if any(proc.exitcode for proc in procs):
        raise RuntimeError(f"a worker failed: exit codes {[p.exitcode for p in procs]}")
    with api()["Workflow"].open(url, agency_code="bench") as wf:
        assert wf.count() == share * workers, wf.count()
    return share * workers / took


class Schema:
    """A fresh PostgreSQL schema, dropped afterwards: its URL."""

    def __init__(self, base: str) -> None:
        self.engine = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
        self.name = f"bench_{uuid.uuid4().hex[:10]}"
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {self.name}")
        self.url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{self.name}"

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *_: object) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {self.name} CASCADE")
        self.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("OGI_BENCH_POSTGRES_URL"), required=False)
    parser.add_argument("--lifecycles", type=int, default=2000, help="per measurement")
    parser.add_argument("--batch", type=int, default=100, help="lifecycles per transaction")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.pg:
        parser.error("--pg URL (or OGI_BENCH_POSTGRES_URL) is needed")
    sides = ["sqlite ×1", "postgresql ×1", f"postgresql ×{args.workers}"]
    rates: dict[str, list[float]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(args.rounds):
            for side in sides if round_ % 2 == 0 else reversed(sides):
                workers = int(side.split("×")[1])
                if side.startswith("sqlite"):
                    url = f"sqlite:///{Path(folder) / f'{round_}.sqlite'}"
                    rate = measure(url, args.lifecycles, args.batch, workers)
                else:
                    with Schema(args.pg) as url:
                        rate = measure(url, args.lifecycles, args.batch, workers)
                rates[side].append(rate)
    cpu = platform.processor() or platform.machine()
    print(
        f"{time.strftime('%Y-%m-%d')} · {cpu} ({os.cpu_count()} cores) · Python"
        f" {platform.python_version()} · ogi_workflow from {Path(ogi_workflow.__file__).parent}"
        f" · {args.rounds} rounds of {args.lifecycles} lifecycles, {args.batch} a batch"
    )
    medians = {side: statistics.median(found) for side, found in rates.items()}
    for side, found in rates.items():
        spread = ", ".join(f"{r:.0f}" for r in found)
        print(f"| {side} | {medians[side]:.0f} lifecycles/s | rounds: {spread} |")
    # Each ratio of the medians, and the median of each round's own ratio: the sides of a
    # round run within seconds of each other, so the machine's slower and faster spells touch
    # both alike.
    for name, top, bottom in (
        ("postgresql / sqlite, one worker", "postgresql ×1", "sqlite ×1"),
        (f"{args.workers} workers / one, postgresql", sides[2], "postgresql ×1"),
    ):
        paired = statistics.median(a / b for a, b in zip(rates[top], rates[bottom], strict=True))
        print(f"| {name} | {medians[top] / medians[bottom]:.2f}× | rounds: {paired:.2f}× |")


if __name__ == "__main__":
    main()
