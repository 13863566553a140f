"""The HTTP service against the library in-process, on SQLite, one transaction per action.

Run by hand, never in the test suite::

    python benchmarks/bench_service.py [--lifecycles N] [--rounds R] [--callers 1,4]
        [--clients C] [--seconds S] [--rate R] [--vs REV] [--client socket|stdlib]
        [--deliver-every S]

Each round measures, on fresh database files, the same lifecycles (receive, register,
handle, submit, two approvals, reply, archive: 8 actions): through ``Workflow`` in this
process, and through a real ``ogi-workflow serve`` (uvicorn, one worker) driven by 1 and by
4 keep-alive HTTP callers at once (``--callers``), each action with the token of the person
who takes it. It prints the median actions per second of each, its ratio to the
in-process median, the median of each round's own ratio (the two sides of a round run
within seconds of each other), and the CPU an action costs the process that acts (this one
in-process, the server's over HTTP; from /proc, so Linux only). The rounds alternate, so
the machine's noise hits both sides alike.

Then ``C`` clients at once (threads, each its own connection) drive lifecycles for
``--seconds``, twice: paced (together ``--rate`` calls per second, each client on a fixed
schedule, a call's latency counted from when it was due) and with no pause at all. It prints
each call's latency: median, p95, p99 and the largest. With no pause, latency is the queue:
C callers over a server doing X calls/s wait C/X seconds a call on average (Little's law).

``--vs REV`` checks REV out into a temporary git worktree and runs every HTTP measurement
against a server of each tree, side by side in the same rounds (the server's ``PYTHONPATH``
points at the tree's ``src``).
"""

from __future__ import annotations

import argparse
import http.client
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
import urllib.request
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Final, NamedTuple

import orjson
from bench_workflow import (  # the same agency and request
    AGENCY,
    APPLICATION,
    DETAILS,
    paired_ratios,
    worktree,
)

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


class Measured(NamedTuple):
    rate: float  # actions per second
    cpu: float | None  # CPU seconds per action of the process that acts (None: unknown)


def in_process(path: Path, lifecycles: int) -> Measured:
    """Actions per second through Workflow, one transaction each, and this process's CPU."""
    with Workflow.open(f"sqlite:///{path}", agency_code="bench") as wf:
        t0, cpu0 = time.perf_counter(), time.process_time()
        for _ in range(lifecycles):
            rid = wf.receive(APPLICATION, actor="窗口").id
            for who, action, body in STEPS:
                params = {k: date.fromisoformat(v) if k == "on" else v for k, v in body.items()}
                getattr(wf, action)(rid, actor=who, **params)
        actions = lifecycles * ACTIONS_PER_LIFECYCLE
        cpu = (time.process_time() - cpu0) / actions
        return Measured(actions / (time.perf_counter() - t0), cpu)


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user and system) process ``pid`` has used; None without /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Client:
    """One keep-alive HTTP/1.1 connection over a plain socket: the request written in one
    piece, the answer read by its Content-Length. The lightest caller Python allows, so
    that the measurement is the server's: http.client (``--client stdlib``) spends about
    half a millisecond of its own a call here (docs/benchmarks.md), more than the server's
    parsing and routing together."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.pending = b""

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        data = orjson.dumps(body)
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"{lines}Content-Length: {len(data)}\r\n\r\n"
        )
        self.sock.sendall(head.encode() + data)
        while b"\r\n\r\n" not in self.pending:
            self.pending += self._receive()
        head_bytes, _, rest = self.pending.partition(b"\r\n\r\n")
        status_line, *fields = head_bytes.split(b"\r\n")
        sizes = [int(f[15:]) for f in fields if f[:15].lower() == b"content-length:"]
        if not sizes:
            raise RuntimeError(f"{path}: an answer without Content-Length")
        while len(rest) < sizes[0]:
            rest += self._receive()
        answer, self.pending = rest[: sizes[0]], rest[sizes[0] :]
        status = int(status_line.split()[1])
        if status >= 300:
            raise RuntimeError(f"{path}: {status} {answer[:300]!r}")
        found: dict[str, Any] = orjson.loads(answer)
        return found

    def _receive(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("the server closed the connection")
        return chunk

    def close(self) -> None:
        self.sock.close()


class StdlibClient(Client):
    """The same calls through the standard library's http.client."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        self.conn.request("POST", path, orjson.dumps(body), {**headers, **_JSON})
        answer = self.conn.getresponse()
        data = answer.read()
        if answer.status >= 300:
            raise RuntimeError(f"{path}: {answer.status} {data[:300]!r}")
        found: dict[str, Any] = orjson.loads(data)
        return found

    def close(self) -> None:
        self.conn.close()


CLIENTS: Final = {"socket": Client, "stdlib": StdlibClient}


_JSON: Final = {"Content-Type": "application/json"}
Call = Callable[[Client, str, dict[str, Any], dict[str, str]], dict[str, Any]]


def _post(
    client: Client, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    return client.post(path, body, headers)


def one_lifecycle(client: Client, auth: dict[str, dict[str, str]], call: Call = _post) -> None:
    rid = call(client, "/v1/requests", APPLICATION, auth["窗口"])["id"]
    for who, action, body in STEPS:
        call(client, f"/v1/requests/{rid}/actions/{action}", body, auth[who])


class Server:
    """``ogi-workflow serve`` on a free port of 127.0.0.1, one worker; ``src``: the package
    of another tree; ``options``: more of serve's options, for every server of the run."""

    options: tuple[str, ...] = ()

    def __init__(self, path: Path, src: Path | None = None) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [
            *(sys.executable, "-m", "ogi_workflow", "serve"),
            *("--db", f"sqlite:///{path}", "--port", str(self.port), "--workers", "1"),
            *self.options,
        ]
        env = {**os.environ, "PYTHONPATH": str(src)} if src else None
        quiet = subprocess.DEVNULL
        self.process = subprocess.Popen(command, stdout=quiet, stderr=quiet, env=env)
        for _ in range(400):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz") as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(30)


def _auth(tokens: dict[str, str]) -> dict[str, dict[str, str]]:
    return {login: {"Authorization": f"Bearer {t}"} for login, t in tokens.items()}


def _in_threads(count: int, work: Callable[[], None]) -> None:
    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def over_http(
    path: Path,
    tokens: dict[str, str],
    lifecycles: int,
    clients: int,
    src: Path | None = None,
    *,
    client_class: type[Client] = Client,
) -> Measured:
    """Actions per second through the service, one transaction per action, ``clients``
    callers at once sharing the lifecycles, and the server's CPU per action."""
    auth = _auth(tokens)
    with Server(path, src) as server:
        warm = client_class(server.port)
        one_lifecycle(warm, auth)  # the worker opens the agency
        warm.close()

        def caller() -> None:
            client = client_class(server.port)
            for _ in range(lifecycles // clients):
                one_lifecycle(client, auth)
            client.close()

        t0, cpu0 = time.perf_counter(), cpu_seconds(server.process.pid)
        _in_threads(clients, caller)
        seconds, cpu1 = time.perf_counter() - t0, cpu_seconds(server.process.pid)
        actions = lifecycles // clients * clients * ACTIONS_PER_LIFECYCLE
        cpu = (cpu1 - cpu0) / actions if cpu0 is not None and cpu1 is not None else None
        return Measured(actions / seconds, cpu)


def under_load(
    path: Path,
    tokens: dict[str, str],
    clients: int,
    seconds: float,
    rate: float,
    *,
    src: Path | None = None,
    client_class: type[Client] = Client,
) -> tuple[list[float], int]:
    """Every call's latency (s) with ``clients`` callers at once for ``seconds``, and the
    errors. ``rate``: the calls per second they make together, each caller on a fixed
    schedule, a call's latency counted from when it was due (a late call counts its
    wait); 0: no pause between calls."""
    auth = _auth(tokens)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    every = clients / rate if rate else 0.0

    with Server(path, src) as server:
        warm = client_class(server.port)
        one_lifecycle(warm, auth)
        warm.close()
        begin = time.perf_counter()
        stop = begin + seconds

        def caller(offset: float) -> None:
            due = begin + offset

            def timed(
                client: Client, url: str, body: dict[str, Any], headers: dict[str, str]
            ) -> dict[str, Any]:
                nonlocal due
                if every:
                    time.sleep(max(0.0, due - time.perf_counter()))
                started = due if every else time.perf_counter()
                answer = client.post(url, body, headers)
                spent = time.perf_counter() - started
                due += every
                with lock:
                    latencies.append(spent)
                return answer

            client = client_class(server.port)
            while time.perf_counter() < stop:
                try:
                    one_lifecycle(client, auth, timed)
                except RuntimeError as exc:
                    with lock:
                        errors.append(str(exc))
            client.close()

        threads = [
            threading.Thread(target=caller, args=(every * i / clients,)) for i in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if errors:
        print(f"{len(errors)} errors, e.g. {errors[0]}", file=sys.stderr)
    return latencies, len(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycles", type=int, default=200, help="per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--callers", default="1,4", help="HTTP callers at once in the rate rounds (a list)"
    )
    parser.add_argument("--clients", type=int, default=32, help="of the load phases")
    parser.add_argument("--seconds", type=float, default=20.0, help="of each load phase")
    parser.add_argument("--rate", type=float, default=100.0, help="calls/s of the paced load")
    parser.add_argument("--vs", metavar="REV", help="also serve from REV, side by side")
    parser.add_argument(
        "--client", choices=CLIENTS, default="socket", help="the HTTP callers' client"
    )
    parser.add_argument(
        "--deliver-every",
        type=float,
        metavar="S",
        help="serve's webhook round interval (0: no delivery thread; default: serve's own)",
    )
    args = parser.parse_args()
    if args.deliver_every is not None:
        Server.options = ("--deliver-every", str(args.deliver_every))
    with tempfile.TemporaryDirectory() as folder:
        if not args.vs:
            measure(Path(folder), args, {"": None})
            return
        with worktree(args.vs, Path(folder) / "other") as other:
            measure(Path(folder), args, {"": None, f" @{args.vs}": other / "src"})


def measure(folder: Path, args: argparse.Namespace, trees: dict[str, Path | None]) -> None:
    """The rate rounds and the load phases of each tree; a table of medians and ratios."""
    callers = [int(n) for n in args.callers.split(",")]
    sides = ["in-process", *(f"http×{n}{tree}" for n in callers for tree in trees)]
    rates: dict[str, list[float]] = {side: [] for side in sides}
    cpus: dict[str, list[float]] = {side: [] for side in sides}
    for round_ in range(args.rounds):
        for number, side in enumerate(sides if round_ % 2 == 0 else reversed(sides)):
            path = folder / f"{round_}-{number}.sqlite"
            tokens = staffed(path)
            if side == "in-process":
                found = in_process(path, args.lifecycles)
            else:
                count, _, tree = side.removeprefix("http×").partition(" ")
                src = trees[f" {tree}" if tree else ""]
                found = over_http(
                    path,
                    tokens,
                    args.lifecycles,
                    int(count),
                    src,
                    client_class=CLIENTS[args.client],
                )
            rates[side].append(found.rate)
            if found.cpu is not None:
                cpus[side].append(found.cpu)
            print(f"round {round_ + 1} {side}: {found.rate:.0f}", file=sys.stderr, flush=True)
    loads = {}
    for paced in (args.rate, 0.0):
        for tree, src in trees.items():
            path = folder / f"load-{paced}{tree.strip()}.sqlite"
            loads[(paced, tree)] = under_load(
                path,
                staffed(path),
                args.clients,
                args.seconds,
                paced,
                src=src,
                client_class=CLIENTS[args.client],
            )
    cpu = platform.processor() or platform.machine()
    print(
        f"{date.today()} · {cpu} ({os.cpu_count()} cores) · Python {platform.python_version()}"
        f" · SQLite {sqlite3.sqlite_version} · {args.rounds} rounds of {args.lifecycles} lifecycles"
    )
    medians = {side: statistics.median(each) for side, each in rates.items()}
    for side, each in rates.items():
        spread = ", ".join(f"{r:.0f}" for r in each)
        ratio, paired = paired_ratios(each, rates["in-process"])
        cpu_ms = f"{statistics.median(cpus[side]) * 1000:.2f} ms" if cpus[side] else "?"
        print(
            f"| {side} | {medians[side]:.0f} actions/s | {ratio:.2f}× | {paired:.2f}× |"
            f" CPU {cpu_ms} an action | rounds: {spread} |"
        )
    for (paced, tree), (latencies, errors) in loads.items():
        latencies.sort()

        def pct(p: float, found: list[float] = latencies) -> float:
            return found[min(len(found) - 1, int(p * len(found)))] * 1000

        how = f"paced at {paced:.0f} calls/s" if paced else "no pause"
        print(
            f"| {args.clients} clients, {how}, {args.seconds:.0f} s{tree} | {len(latencies)} calls"
            f" ({len(latencies) / args.seconds:.0f}/s, {errors} errors) | median {pct(0.5):.1f}"
            f" ms · p95 {pct(0.95):.1f} ms · p99 {pct(0.99):.1f} ms"
            f" · max {latencies[-1] * 1000:.1f} ms |"
        )


if __name__ == "__main__":
    main()
