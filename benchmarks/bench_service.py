"""The HTTP service against the library in-process, on SQLite, one transaction per action.

Run by hand, never in the test suite::

    python benchmarks/bench_service.py [--lifecycles N] [--rounds R] [--clients C]

Each round measures, on fresh database files, the same lifecycles (receive, register,
handle, submit, two approvals, reply, archive: 8 actions) twice: through ``Workflow`` in this
process, and through a real ``ogi-workflow serve`` (uvicorn, one worker) driven by one
keep-alive HTTP client, each action with the token of the person who takes it. It prints the
median actions per second of each and their ratio. Then ``C`` clients at once (threads, each
its own connection, no pause between calls) drive lifecycles for ``--seconds`` and it prints
the latency of every call: median, p95, p99 and the largest. The rounds alternate, so the
machine's noise hits both sides alike.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from bench_workflow import AGENCY, APPLICATION, DETAILS  # the same agency and request

from ogi_workflow import Workflow

STAFF = {"窗口": "registrar", "李明": "handler", "审核": "reviewer", "主任": "signer"}
# (who, action, body) after receive; 8 actions in all.
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("窗口", "register", {"on": "2026-03-02"}),
    ("李明", "start_handling", {"on": "2026-03-03"}),
    (
        "李明",
        "submit_for_review",
        {"outcome": "disclosed", "details": DETAILS, "on": "2026-03-20"},
    ),
    ("审核", "approve", {"opinion": "同意", "on": "2026-03-20"}),
    ("主任", "approve", {"opinion": "同意签发", "on": "2026-03-20"}),
    ("李明", "reply", {"on": "2026-03-20"}),
    ("窗口", "archive", {"on": "2026-03-23"}),
]
ACTIONS_PER_LIFECYCLE = 1 + len(STEPS)


def staffed(path: Path) -> dict[str, str]:
    """A fresh database with the staff; their tokens."""
    with Workflow.open(f"sqlite:///{path}", agency=AGENCY) as wf:
        wf.add_person("admin", "管理员", roles=["admin"], actor="admin")
        for login, role in STAFF.items():
            wf.add_person(login, login, roles=[role], actor="admin")
        return {login: wf.create_token(login, actor="admin")[1] for login in STAFF}


def in_process(path: Path, lifecycles: int) -> float:
    """Actions per second through Workflow, one transaction each."""
    with Workflow.open(f"sqlite:///{path}", agency_code="bench") as wf:
        t0 = time.perf_counter()
        for _ in range(lifecycles):
            rid = wf.receive(APPLICATION, actor="窗口").id
            for who, action, body in STEPS:
                params = {k: date.fromisoformat(v) if k == "on" else v for k, v in body.items()}
                getattr(wf, action)(rid, actor=who, **params)
        return lifecycles * ACTIONS_PER_LIFECYCLE / (time.perf_counter() - t0)


def one_lifecycle(
    client: httpx.Client, auth: dict[str, dict[str, str]], timed: Callable[..., httpx.Response]
) -> None:
    created = timed(client, "/v1/requests", APPLICATION, auth["窗口"])
    rid = created.json()["id"]
    for who, action, body in STEPS:
        timed(client, f"/v1/requests/{rid}/actions/{action}", body, auth[who])


def _post(
    client: httpx.Client, path: str, body: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    answer = client.post(path, json=body, headers=headers)
    if answer.status_code >= 300:
        raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:300]}")
    return answer


class Server:
    """``ogi-workflow serve`` on a free port of 127.0.0.1, one worker."""

    def __init__(self, path: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [
            *(sys.executable, "-m", "ogi_workflow", "serve"),
            *("--db", f"sqlite:///{path}", "--port", str(self.port), "--workers", "1"),
        ]
        quiet = subprocess.DEVNULL  # the access log too
        self.process = subprocess.Popen(command, stdout=quiet, stderr=quiet)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(400):
            try:
                if httpx.get(f"{self.url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(30)


def over_http(path: Path, tokens: dict[str, str], lifecycles: int) -> float:
    """Actions per second through the service, one client, one transaction per action."""
    auth = {login: {"Authorization": f"Bearer {t}"} for login, t in tokens.items()}
    with Server(path) as server, httpx.Client(base_url=server.url) as client:
        one_lifecycle(client, auth, _post)  # warm up: the worker opens the agency
        t0 = time.perf_counter()
        for _ in range(lifecycles):
            one_lifecycle(client, auth, _post)
        return lifecycles * ACTIONS_PER_LIFECYCLE / (time.perf_counter() - t0)


def under_load(path: Path, tokens: dict[str, str], clients: int, seconds: float) -> list[float]:
    """Every call's latency (s) with ``clients`` callers at once for ``seconds``."""
    auth = {login: {"Authorization": f"Bearer {t}"} for login, t in tokens.items()}
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def timed(
        client: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str]
    ) -> httpx.Response:
        t0 = time.perf_counter()
        answer = _post(client, url, body, headers)
        spent = time.perf_counter() - t0
        with lock:
            latencies.append(spent)
        return answer

    with Server(path) as server:
        with httpx.Client(base_url=server.url) as warm:
            one_lifecycle(warm, auth, _post)
        stop = time.perf_counter() + seconds

        def caller() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                while time.perf_counter() < stop:
                    try:
                        one_lifecycle(client, auth, timed)
                    except RuntimeError as exc:
                        with lock:
                            errors.append(str(exc))

        threads = [threading.Thread(target=caller) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if errors:
        print(f"{len(errors)} errors, e.g. {errors[0]}", file=sys.stderr)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycles", type=int, default=200, help="per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0, help="of the load phase")
    args = parser.parse_args()
    rates: dict[str, list[float]] = {"in-process": [], "http": []}
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(args.rounds):
            for side in ("in-process", "http") if round_ % 2 == 0 else ("http", "in-process"):
                path = Path(folder) / f"{side}-{round_}.sqlite"
                tokens = staffed(path)
                rate = (
                    in_process(path, args.lifecycles)
                    if side == "in-process"
                    else over_http(path, tokens, args.lifecycles)
                )
                rates[side].append(rate)
        path = Path(folder) / "load.sqlite"
        latencies = sorted(under_load(path, staffed(path), args.clients, args.seconds))
    cpu = platform.processor() or platform.machine()
    print(
        f"{date.today()} · {cpu} ({os.cpu_count()} cores) · Python {platform.python_version()}"
        f" · SQLite {sqlite3.sqlite_version} · {args.rounds} rounds of {args.lifecycles} lifecycles"
    )
    medians = {side: statistics.median(found) for side, found in rates.items()}
    for side, found in rates.items():
        spread = ", ".join(f"{r:.0f}" for r in found)
        print(f"| {side} | {medians[side]:.0f} actions/s | rounds: {spread} |")
    print(f"| ratio http / in-process | {medians['http'] / medians['in-process']:.2f}× |")

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    print(
        f"| {args.clients} clients, {args.seconds:.0f} s | {len(latencies)} calls"
        f" ({len(latencies) / args.seconds:.0f}/s) | median {pct(0.5):.1f} ms · p95 {pct(0.95):.1f}"
        f" ms · p99 {pct(0.99):.1f} ms · max {latencies[-1] * 1000:.1f} ms |"
    )


if __name__ == "__main__":
    main()
