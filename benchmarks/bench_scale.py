"""Batch mode on PostgreSQL against SQLite, and 4 worker processes against one.

Run by hand, never in the test suite (PostgreSQL from ``.ci/postgres.sh start``)::

    python benchmarks/bench_scale.py --pg postgresql://postgres@127.0.0.1:54329/ogi_test
        [--lifecycles N] [--batch B] [--workers 4] [--rounds R] [--vs REV] [--lock-waits]

Each round measures the same full lifecycles (receipt … archive, 8 actions, as
bench_workflow.py), ``--batch`` to a transaction, on fresh storage: one worker on a SQLite
file, one worker on PostgreSQL, and ``--workers`` processes on PostgreSQL sharing the
lifecycles (each its own batches, all registering in the same agency and year, so they
share one registration counter). It prints the median lifecycles per second of each and
the two ratios issue 12 sets, PostgreSQL / SQLite (one worker) and N workers / one, each
as the ratio of the medians and as the median of each round's own ratio, and for each side
the machine's CPU milliseconds per lifecycle (every process, the database's too, from
/proc/stat): more of it with several workers is contention, and the same work costing more
in one round than in another is the machine's own noise. ``--lock-waits`` adds, for
PostgreSQL, the median share of the active backends' samples (pg_stat_activity every 2 ms)
that waited on a lock: workers queueing on the registration counter (the sampling costs CPU
of its own, so it is off by default). The rounds alternate the order, so the machine's
noise hits every side alike.

``--vs REV`` checks REV out into a temporary git worktree and measures every side of both
trees in the same rounds, each measurement in a child process whose ``PYTHONPATH`` points
at one tree, and adds the ratio of this tree to REV for each side.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import nullcontext
from multiprocessing.synchronize import Barrier
from pathlib import Path

import sqlalchemy as sa
from bench_workflow import HERE, api, lifecycle, open_staffed, paired_ratios, worktree

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


def busy_seconds() -> float:
    """CPU seconds the whole machine (every process, the database's too) has been busy
    since boot, from /proc/stat; 0 where there is none."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(t) for t in stat.readline().split()[1:]]
    except OSError:
        return 0.0
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle, iowait


def measure(url: str, lifecycles: int, batch: int, workers: int) -> tuple[float, float]:
    """Lifecycles per second of ``workers`` processes together on the storage at ``url``, and
    the machine's CPU milliseconds per lifecycle meanwhile."""
    open_staffed(api()["Workflow"], url).close()
    barrier = CTX.Barrier(workers + 1)
    share = lifecycles // workers
    procs = [CTX.Process(target=_work, args=(url, share, batch, barrier)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    barrier.wait()
    t0, cpu0 = time.perf_counter(), busy_seconds()
    for proc in procs:
        proc.join()
    took, cpu = time.perf_counter() - t0, busy_seconds() - cpu0
    if any(proc.exitcode for proc in procs):
        raise RuntimeError(f"a worker failed: exit codes {[p.exitcode for p in procs]}")
    with api()["Workflow"].open(url, agency_code="bench") as wf:
        assert wf.count() == share * workers, wf.count()
    return share * workers / took, cpu * 1e3 / (share * workers)


def pg_engine(base: str) -> sa.Engine:
    """An engine on the PostgreSQL at ``base`` (a postgresql:// URL), through psycopg 3."""
    return sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))


class Schema:
    """A fresh PostgreSQL schema, dropped afterwards: its URL."""

    def __init__(self, base: str) -> None:
        self.engine = pg_engine(base)
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


class LockWaits:
    """While open, samples PostgreSQL's active client backends every 2 ms: how many samples
    there were and how many of them waited on a lock (the registration counter's row)."""

    QUERY = (
        "SELECT count(*), count(*) FILTER (WHERE wait_event_type = 'Lock') FROM pg_stat_activity"
        " WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid()"
    )

    def __init__(self, base: str) -> None:
        self.engine = pg_engine(base)
        self.active = self.waiting = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample)

    def _sample(self) -> None:
        with self.engine.connect() as conn:
            while not self.done.wait(0.002):
                active, waiting = conn.exec_driver_sql(self.QUERY).one()
                self.active += active
                self.waiting += waiting
                conn.rollback()

    def __enter__(self) -> LockWaits:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        self.thread.join()
        self.engine.dispose()

    @property
    def share(self) -> float:
        return self.waiting / max(self.active, 1)


def run_child(src: Path, url: str, args: argparse.Namespace, workers: int) -> tuple[float, float]:
    """One measurement in a child process with the package of ``src`` first on the path."""
    command = [sys.executable, __file__, "--child", url, str(workers)]
    command += ["--lifecycles", str(args.lifecycles), "--batch", str(args.batch)]
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        sys.exit(f"{url} ×{workers} from {src} failed:\n{done.stderr}")
    rate, cpu = map(float, done.stdout.split())
    return rate, cpu


def paired(top: list[float], bottom: list[float]) -> str:
    """The ratio of the medians and, after the slash, the median of each round's own ratio."""
    medians, rounds = paired_ratios(top, bottom)
    return f"{medians:.2f}× / {rounds:.2f}×"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("OGI_BENCH_POSTGRES_URL"), required=False)
    parser.add_argument("--lifecycles", type=int, default=2000, help="per measurement")
    parser.add_argument("--batch", type=int, default=100, help="lifecycles per transaction")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--vs", metavar="REV", help="also measure REV, side by side")
    parser.add_argument(
        "--lock-waits", action="store_true", help="sample PostgreSQL's lock waits (costs CPU)"
    )
    parser.add_argument("--child", nargs=2, metavar=("URL", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, workers = args.child
        print(*measure(url, args.lifecycles, args.batch, int(workers)))
        return
    if not args.pg:
        parser.error("--pg URL (or OGI_BENCH_POSTGRES_URL) is needed")
    with tempfile.TemporaryDirectory() as folder:
        if not args.vs:
            run(Path(folder), args, {"": HERE / "src"})
            return
        with worktree(args.vs, Path(folder) / "other") as other:
            run(Path(folder), args, {"": HERE / "src", f" @{args.vs}": other / "src"})


def run(folder: Path, args: argparse.Namespace, trees: dict[str, Path]) -> None:
    """Every side of every tree in each round, in an order that alternates; the table."""
    sides = [
        (f"{kind} ×{n}{tree}", kind, n, src)
        for tree, src in trees.items()
        for kind, n in (("sqlite", 1), ("postgresql", 1), ("postgresql", args.workers))
    ]
    rates: dict[str, list[float]] = {name: [] for name, *_ in sides}
    waits: dict[str, list[float]] = {name: [] for name, *_ in sides}
    cpus: dict[str, list[float]] = {name: [] for name, *_ in sides}
    for round_ in range(args.rounds):
        for name, kind, workers, src in sides if round_ % 2 == 0 else reversed(sides):
            if kind == "sqlite":
                url = f"sqlite:///{folder / f'{round_}-{src.parent.name}.sqlite'}"
                rate, cpu = run_child(src, url, args, workers)
            else:
                sampling = LockWaits(args.pg) if args.lock_waits else None
                with Schema(args.pg) as url, sampling or nullcontext():
                    rate, cpu = run_child(src, url, args, workers)
                if sampling:
                    waits[name].append(sampling.share)
            rates[name].append(rate)
            cpus[name].append(cpu)
    machine = platform.processor() or platform.machine()
    print(
        f"{time.strftime('%Y-%m-%d')} · {machine} ({os.cpu_count()} cores) · Python"
        f" {platform.python_version()} · {args.rounds} rounds of {args.lifecycles} lifecycles,"
        f" {args.batch} a batch"
    )
    for name, found in rates.items():
        spread = ", ".join(f"{r:.0f}" for r in found)
        waited = f" | lock waits {statistics.median(waits[name]):.0%}" if waits[name] else ""
        print(
            f"| {name} | {statistics.median(found):.0f} lifecycles/s | rounds: {spread}"
            f" | CPU {statistics.median(cpus[name]):.2f} ms a lifecycle{waited} |"
        )
    ratios = []
    for tree in trees:
        one, many, lite = (
            f"postgresql ×1{tree}",
            f"postgresql ×{args.workers}{tree}",
            f"sqlite ×1{tree}",
        )
        ratios.append((f"postgresql / sqlite, one worker{tree}", one, lite))
        ratios.append((f"{args.workers} workers / one, postgresql{tree}", many, one))
    if len(trees) == 2:
        other = list(trees)[1]
        ratios += [
            (f"{name}: this tree / {other.strip()}", name, name + other) for name, *_ in sides[:3]
        ]
    for label, top, bottom in ratios:
        print(f"| {label} | {paired(rates[top], rates[bottom])} |")


if __name__ == "__main__":
    main()
