"""Workflow speed on SQLite: full lifecycles, the overdue scan and the annual report.

Run by hand, never in the test suite::

    python benchmarks/bench_workflow.py [--quick]               # this checkout alone
    python benchmarks/bench_workflow.py --only cli,scan [--rounds N] [--db FILE]
    python benchmarks/bench_workflow.py --vs REV [--rounds N] [--quick]

The first form prints Markdown rows for docs/benchmarks.md. The second measures only the
named measurements of this checkout, in interleaved rounds, and gives medians (and, for
``cli`` with ``scan``, how many times the in-process scan the whole command takes). The
third checks REV out into a temporary git worktree and measures both trees side by side in
the same run: every measurement runs in a fresh child process whose ``PYTHONPATH`` points
at one tree (the child proves which ``ogi_workflow`` it imported), the trees alternate
within each round, and the table gives medians and the ratio, so machine noise hits both
sides alike. The scan and the report read one shared database filled once with this
checkout's schema. ``--db FILE`` keeps that database in FILE and reuses it on later runs
(filling a million requests takes about two minutes); delete the file after a schema change.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

HERE = Path(__file__).resolve().parents[1]
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
AS_OF = date(2026, 11, 20)
DETAILS = {"provided": "《关于某项目的批复》复制件1份"}  # what the reply letter prints


@dataclass(frozen=True)
class Size:
    lifecycles: int
    single: int
    stored: int


FULL = Size(lifecycles=10_000, single=1_000, stored=1_000_000)
QUICK = Size(lifecycles=2_000, single=300, stored=100_000)


def api() -> dict[str, Any]:
    """The names the benchmark needs, from whichever package layout this tree has.

    The 0.1 layout (``ogi_workflow.workflow``, ``.outcomes``, ``.store``) is tried after
    the current one so that ``--vs`` can measure commits from before the 0.2 layout.
    """
    try:
        root = importlib.import_module("ogi_workflow")
        schema = importlib.import_module("ogi_workflow.storage.schema")
        workflow, outcome = root.Workflow, root.Outcome
    except (ImportError, AttributeError):
        schema = importlib.import_module("ogi_workflow.store")
        workflow = importlib.import_module("ogi_workflow.workflow").Workflow
        outcome = importlib.import_module("ogi_workflow.outcomes").Outcome
    return {
        "Workflow": workflow,
        "Outcome": outcome,
        "REQUEST": schema.REQUEST,
        "description_key": schema.description_key,
    }


# The people the lifecycle acts as (from revision 0002_people every actor is a registered
# person holding a role for the action; older trees have no people and skip this).
STAFF = {
    "窗口": "registrar",
    "登记员": "registrar",
    "档案室": "registrar",
    "李明": "handler",
    "审核": "reviewer",
    "主任": "signer",
}


def open_staffed(workflow: Any, path: str) -> Any:
    wf = workflow.open(path, agency=AGENCY)
    if hasattr(wf, "add_person"):
        wf.add_person("admin", "管理员", roles=["admin"], actor="admin")
        for login, role in STAFF.items():
            wf.add_person(login, login, roles=[role], actor="admin")
    return wf


def lifecycle(wf: Any, outcome: Any) -> None:
    rid = wf.receive(APPLICATION, actor="窗口").id
    wf.register(rid, actor="登记员", on=date(2026, 3, 2))
    wf.start_handling(rid, actor="李明", on=date(2026, 3, 3))
    day = date(2026, 3, 20)
    if hasattr(wf, "submit_for_review"):  # the review chain (审核 → 签发) before the reply
        wf.submit_for_review(rid, actor="李明", outcome=outcome.DISCLOSED, details=DETAILS, on=day)
        wf.approve(rid, actor="审核", opinion="同意", on=day)
        wf.approve(rid, actor="主任", opinion="同意签发", on=day)
        wf.reply(rid, actor="李明", on=day)
    else:
        wf.reply(rid, actor="李明", outcome=outcome.DISCLOSED, details=DETAILS, on=day)
    wf.archive(rid, actor="档案室", on=date(2026, 3, 23))


# -- measurements, each run in a child process -------------------------------------------


def measure_batch(path: str, count: int) -> float:
    """Lifecycles per second in batches of 500 on a fresh file."""
    names = api()
    wf = open_staffed(names["Workflow"], path)
    t0 = time.perf_counter()
    for start in range(0, count, 500):
        with wf.batch():
            for _ in range(min(500, count - start)):
                lifecycle(wf, names["Outcome"])
    rate = count / (time.perf_counter() - t0)
    assert wf.count() == count
    wf.close()
    return rate


def measure_single(path: str, count: int) -> float:
    """Lifecycles per second with one transaction per action on a fresh file."""
    names = api()
    wf = open_staffed(names["Workflow"], path)
    t0 = time.perf_counter()
    for _ in range(count):
        lifecycle(wf, names["Outcome"])
    rate = count / (time.perf_counter() - t0)
    wf.close()
    return rate


def measure_scan(path: str, count: int) -> float:
    """Seconds for the streamed overdue scan; checks the count of overdue requests."""
    wf = api()["Workflow"].open(path)
    t0 = time.perf_counter()
    found = sum(item.overdue for item in wf.iter_overdue(AS_OF))
    took = time.perf_counter() - t0
    assert found == count, (found, count)
    wf.close()
    return took


def measure_list(path: str, count: int) -> float:
    """Seconds for the overdue list (the same scan, materialised)."""
    wf = api()["Workflow"].open(path)
    t0 = time.perf_counter()
    found = sum(item.overdue for item in wf.overdue(AS_OF))
    took = time.perf_counter() - t0
    assert found == count, (found, count)
    wf.close()
    return took


def measure_report(path: str, _: int) -> float:
    """Seconds for the 2026 annual report; checks that its tables balance."""
    wf = api()["Workflow"].open(path)
    t0 = time.perf_counter()
    result = wf.annual_report(2026)
    took = time.perf_counter() - t0
    assert result.balanced()
    wf.close()
    return took


def measure_cli(path: str, _: int) -> float:
    """Seconds for the whole `ogi-workflow overdue --format csv` command."""
    command = [sys.executable, "-m", "ogi_workflow", "overdue", "--db", path]
    command += ["--as-of", AS_OF.isoformat(), "--format", "csv"]
    t0 = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
    took = time.perf_counter() - t0
    assert done.returncode == 1, done.returncode  # some are overdue
    return took


MEASURES = {
    "batch": measure_batch,
    "single": measure_single,
    "scan": measure_scan,
    "list": measure_list,
    "report": measure_report,
    "cli": measure_cli,
}


def child_main(measure: str, path: str, count: int) -> None:
    value = MEASURES[measure](path, count)
    module = importlib.import_module("ogi_workflow")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if measure == "cli":
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{value:.6f} {peak_mb:.0f} {module.__file__}")


def compile_tree(tree: Path) -> None:
    """Byte-compile a tree's package once, as pip does when it installs one: a command
    started from cron loads .pyc files, and where PYTHONDONTWRITEBYTECODE is set (as in some
    shells and containers) it would otherwise compile every module at every start."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "src")], check=True)


def paired_ratios(top: list[float], bottom: list[float]) -> tuple[float, float]:
    """Two sides measured round by round: the ratio of their medians, and the median of each
    round's own ratio. The sides of a round run within seconds of each other, so the
    machine's slower and faster spells touch both alike."""
    rounds = statistics.median(a / b for a, b in zip(top, bottom, strict=True))
    return statistics.median(top) / statistics.median(bottom), rounds


@contextmanager
def worktree(rev: str, path: Path) -> Iterator[Path]:
    """REV checked out at ``path`` (a detached git worktree, byte-compiled), removed after."""
    subprocess.run(
        ["git", "-C", str(HERE), "worktree", "add", "--detach", "-q", str(path), rev], check=True
    )
    try:
        compile_tree(path)
        yield path
    finally:
        subprocess.run(
            ["git", "-C", str(HERE), "worktree", "remove", "--force", str(path)], check=False
        )


def run_child(tree: Path, measure: str, path: Path, count: int) -> tuple[float, float]:
    """Run one measurement with ``tree``'s package first on the path; (value, peak MB)."""
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    done = subprocess.run(
        [sys.executable, __file__, "--child", measure, str(path), str(count)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{measure} in {tree} failed:\n{done.stderr}")
    value, peak, module = done.stdout.split()
    if not Path(module).resolve().is_relative_to((tree / "src").resolve()):
        sys.exit(f"{measure}: imported {module}, not the package from {tree}")
    return float(value), float(peak)


# -- the shared million-request database ------------------------------------------------


def fill(path: Path, stored: int) -> int:
    """``stored`` requests over ten years, 10 % still open; returns how many are overdue."""
    names = api()
    wf = names["Workflow"].open(str(path), agency=AGENCY)
    rng = random.Random(7)
    cal = wf.calendar
    now = datetime.now(UTC)
    first = date(2016, 11, 20)
    overdue = 0
    chunk: list[dict[str, object]] = []
    with wf.engine.begin() as conn:
        for i in range(stored):
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
                    "description_key": names["description_key"]("某项目的批复文件"),
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
                conn.execute(insert(names["REQUEST"]), chunk)
                chunk = []
        if chunk:
            conn.execute(insert(names["REQUEST"]), chunk)
    wf.close()
    return int(overdue)


def filled(folder: Path, size: Size, keep: Path | None) -> tuple[Path, int]:
    """The shared database and how many of its requests are overdue: ``keep`` when it was
    filled earlier with as many requests, otherwise filled now (in ``keep`` if given)."""
    path = keep or folder / "stored.sqlite"
    facts = path.with_name(path.name + ".json")  # what the fill returned, beside the file
    if keep is not None and path.exists() and facts.exists():
        known = json.loads(facts.read_text())
        if known["stored"] == size.stored:
            return path, int(known["overdue"])
    for stale in (path, facts, path.with_name(path.name + "-wal")):
        stale.unlink(missing_ok=True)
    expected = fill(path, size.stored)
    facts.write_text(json.dumps({"stored": size.stored, "overdue": expected}))
    return path, expected


# -- the reports --------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return (
        f"{date.today()} · {cpu} ({os.cpu_count()} cores) · Python {platform.python_version()}"
        f" · SQLite {sqlite3.sqlite_version}"
    )


def alone(folder: Path, size: Size, keep: Path | None) -> None:
    rows = []
    rates = sorted(
        run_child(HERE, "batch", folder / f"life-{i}.sqlite", size.lifecycles)[0] for i in range(3)
    )
    rows.append(
        f"| full lifecycle, {size.lifecycles:,} requests, batches of 500 (median of 3; range) |"
        f" {rates[1]:,.0f} requests/s ({rates[0]:,.0f}–{rates[2]:,.0f}) |"
    )
    single = run_child(HERE, "single", folder / "single.sqlite", size.single)[0]
    rows.append(
        f"| full lifecycle, {size.single:,} requests, one transaction per action |"
        f" {single:,.0f} requests/s |"
    )
    t0 = time.perf_counter()
    path, expected = filled(folder, size, keep)
    rows.append(
        f"| load {size.stored:,} requests (bulk insert, setup only; 0 if reused) |"
        f" {time.perf_counter() - t0:.1f} s |"
    )
    scan, scan_peak = run_child(HERE, "scan", path, expected)
    listed, _ = run_child(HERE, "list", path, expected)
    report, report_peak = run_child(HERE, "report", path, 0)
    cli, cli_peak = run_child(HERE, "cli", path, 0)
    rows += [
        f"| overdue scan over {size.stored:,} requests ({expected:,} overdue), streamed |"
        f" {scan:.3f} s, {scan_peak:.0f} MB |",
        f"| the same, as a list | {listed:.3f} s |",
        f"| `ogi-workflow overdue --format csv`, the whole command | {cli:.3f} s,"
        f" {cli_peak:.0f} MB |",
        f"| annual report 2026 | {report:.3f} s, {report_peak:.0f} MB |",
    ]
    print(machine())
    print()
    print("| what | result |")
    print("|---|---:|")
    print("\n".join(rows))


def some(folder: Path, size: Size, rounds: int, only: set[str], keep: Path | None) -> None:
    """The measurements in ``only`` of this checkout, in interleaved rounds: medians."""
    measures = [m for m in MEASURES if m in only]
    shared = bool(only - {"batch", "single"})
    path, expected = filled(folder, size, keep) if shared else (folder / "none", 0)
    counts = {"batch": size.lifecycles, "single": size.single, "scan": expected, "list": expected}
    values: dict[str, list[float]] = {}
    for round_ in range(rounds):
        for measure in measures if round_ % 2 == 0 else reversed(measures):
            target = path
            if measure in ("batch", "single"):
                target = folder / f"{measure}-{round_}.sqlite"
            value, _peak = run_child(HERE, measure, target, counts.get(measure, 0))
            values.setdefault(measure, []).append(value)
            print(
                f"round {round_ + 1}/{rounds} {measure:>6}: {value:,.3f}",
                file=sys.stderr,
                flush=True,
            )
    print(machine())
    print()
    print(f"Median of {rounds} interleaved rounds; range.")
    print()
    print("| what | median | range |")
    print("|---|---:|---:|")
    for measure in measures:
        got = values[measure]
        unit = "lifecycles/s" if measure in ("batch", "single") else "s"
        shown = "{:,.0f}" if measure in ("batch", "single") else "{:.3f}"
        print(
            f"| {measure} ({unit}) | {shown.format(statistics.median(got))} |"
            f" {shown.format(min(got))}–{shown.format(max(got))} |"
        )
    if {"cli", "scan"} <= only:
        ratio = statistics.median(values["cli"]) / statistics.median(values["scan"])
        print(f"| the whole command / the in-process scan | {ratio:.2f}× | |")


def side_by_side(
    folder: Path,
    size: Size,
    rev: str,
    rounds: int,
    *,
    only: set[str] | None = None,
    keep: Path | None = None,
) -> None:
    with worktree(rev, folder / "other") as other:
        shared = only is None or bool(only - {"batch", "single"})
        path, expected = filled(folder, size, keep) if shared else (folder / "none", 0)
        trees = {"previous": other, "this": HERE}
        measures = [
            ("batch", size.lifecycles, f"lifecycles/s, {size.lifecycles:,} in batches of 500"),
            ("single", size.single, f"lifecycles/s, {size.single:,}, one transaction per action"),
            ("scan", expected, f"s, overdue scan of {size.stored:,} (streamed)"),
            ("list", expected, "s, the same as a list"),
            ("report", 0, "s, annual report 2026"),
            ("cli", 0, "s, `ogi-workflow overdue --format csv`"),
        ]
        measures = [m for m in measures if only is None or m[0] in only]
        values: dict[tuple[str, str], list[float]] = {}
        for round_ in range(rounds):
            order = list(trees.items())
            if round_ % 2:
                order.reverse()
            for measure, count, _ in measures:
                for name, tree in order:
                    target = path
                    if measure in ("batch", "single"):
                        target = folder / f"{measure}-{name}-{round_}.sqlite"
                    value, _peak = run_child(tree, measure, target, count)
                    values.setdefault((measure, name), []).append(value)
                    print(
                        f"round {round_ + 1}/{rounds} {measure:>6} {name:>8}: {value:,.3f}",
                        file=sys.stderr,
                        flush=True,
                    )
        print(machine())
        print()
        print(
            f"Side by side with `{rev}`, median of {rounds} interleaved rounds; ratio > 1 means"
            " this checkout is faster."
        )
        print()
        print(f"| what | `{rev}` | this checkout | ratio |")
        print("|---|---:|---:|---:|")
        for measure, _, label in measures:
            before = statistics.median(values[(measure, "previous")])
            after = statistics.median(values[(measure, "this")])
            rate = measure in ("batch", "single")
            ratio = after / before if rate else before / after
            shown = "{:,.0f}" if rate else "{:.3f}"
            print(f"| {label} | {shown.format(before)} | {shown.format(after)} | {ratio:.2f}× |")
        if {"cli", "scan"} <= {measure for measure, _, _ in measures}:
            times = {
                name: statistics.median(values[("cli", name)])
                / statistics.median(values[("scan", name)])
                for name in trees
            }
            print(
                f"| the command / the in-process scan | {times['previous']:.2f}× |"
                f" {times['this']:.2f}× | |"
            )


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vs", metavar="REV", help="measure side by side with this commit")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (--vs, --only)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a first look")
    parser.add_argument("--workdir", type=Path, help="where the temporary files go")
    parser.add_argument(
        "--only",
        help="comma-separated measurements (batch,single,scan,list,report,cli), in rounds. "
        "With --vs, batch and single alone need no shared database, so they also compare "
        "across a schema change",
    )
    parser.add_argument(
        "--db",
        type=Path,
        help="keep the filled database in this file and reuse it (refilled if it holds "
        "another number of requests; delete it after a schema change)",
    )
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    only = set(args.only.split(",")) if args.only else None
    if only is not None and only - set(MEASURES):
        parser.error(f"--only: not measurements: {', '.join(sorted(only - set(MEASURES)))}")
    keep = args.db.resolve() if args.db else None
    compile_tree(HERE)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        if args.vs:
            side_by_side(Path(tmp), size, args.vs, args.rounds, only=only, keep=keep)
        elif only:
            some(Path(tmp), size, args.rounds, only, keep)
        else:
            alone(Path(tmp), size, keep)


if __name__ == "__main__":
    main()
