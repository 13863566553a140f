"""Many processes at one database: races, registration numbers, and a SIGKILL mid-batch."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, timedelta
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier
from typing import TypeVar

import pytest
import sqlalchemy as sa
from conftest import AGENCY, application, details, fixed_clock, open_staffed, signed_reply

from ogi_workflow import Outcome, State, Workflow
from ogi_workflow.errors import ConflictError, NotFoundError
from ogi_workflow.lifecycle import DONE

WORKERS = 8
T = TypeVar("T")
CTX = mp.get_context("fork")


def _race(
    url: str, request_id: int, version: int, worker: int, barrier: Barrier, out: Connection
) -> None:
    wf = open_staffed(url, agency=AGENCY, clock=fixed_clock)
    barrier.wait()
    try:
        wf.start_handling(request_id, actor="李明", on=date(2026, 3, 3), expected_version=version)
        out.send("won")
    except ConflictError:
        out.send("conflict")
    except Exception as exc:  # reported, so the test fails with the cause
        out.send(repr(exc))
    wf.close()


def _register_all(url: str, ids: list[int], barrier: Barrier, out: Connection) -> None:
    wf = open_staffed(url, agency=AGENCY, clock=fixed_clock)
    barrier.wait()
    try:
        for request_id in ids:
            wf.register(request_id, actor="登记员", on=date(2026, 3, 2))
        out.send("ok")
    except Exception as exc:
        out.send(repr(exc))
    wf.close()


def _run(target: object, args_per_worker: list[tuple[object, ...]]) -> list[str]:
    barrier = CTX.Barrier(len(args_per_worker))
    pipes = [CTX.Pipe(duplex=False) for _ in args_per_worker]
    procs = [
        CTX.Process(target=target, args=(*args, barrier, send))  # type: ignore[arg-type]
        for args, (_, send) in zip(args_per_worker, pipes, strict=True)
    ]
    for proc in procs:
        proc.start()
    results = []
    for recv, _ in pipes:  # a worker that died sends nothing: fail, never hang the suite
        assert recv.poll(120), f"a worker sent no result; exit codes {[p.exitcode for p in procs]}"
        results.append(recv.recv())
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    return results


def test_race_on_one_request_exactly_one_wins(db_url: str) -> None:
    wf = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    view = wf.receive(application(), actor="窗口")
    view = wf.register(view.id, actor="登记员", on=date(2026, 3, 2))
    wf.close()  # children open their own connections

    results = _run(_race, [(db_url, view.id, view.version, i) for i in range(WORKERS)])

    assert sorted(results) == ["conflict"] * (WORKERS - 1) + ["won"]
    wf = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    after = wf.get(view.id)
    assert after.state is State.HANDLING
    assert after.version == view.version + 1
    assert [e.event for e in wf.events(view.id)] == ["receive", "register", "start_handling"]
    wf.close()


def test_registration_numbers_have_no_gaps_or_duplicates_under_concurrency(db_url: str) -> None:
    per_worker = 25
    wf = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    with wf.batch():
        ids = [wf.receive(application(), actor="窗口").id for _ in range(WORKERS * per_worker)]
    wf.close()

    chunks = [ids[i::WORKERS] for i in range(WORKERS)]
    results = _run(_register_all, [(db_url, chunk) for chunk in chunks])

    assert results == ["ok"] * WORKERS
    wf = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    numbers = sorted(int(v.reg_no.split("-")[1]) for v in wf.find(limit=1000) if v.reg_no)
    assert numbers == list(range(1, WORKERS * per_worker + 1))
    assert all(len(wf.events(i)) == 2 for i in ids)
    wf.close()


def _busy_worker(url: str, out: Connection) -> None:
    """Batches of full lifecycles, forever; says 'started' as each batch begins."""
    wf = open_staffed(url, agency=AGENCY, clock=fixed_clock)
    day = date(2026, 3, 2)
    while True:
        with wf.batch():
            out.send("started")
            for _ in range(150):
                rid = wf.receive(application(f"{day.isoformat()}T09:00"), actor="窗口").id
                wf.register(rid, actor="登记员", on=day)
                wf.start_handling(rid, actor="李四", on=day)
                if rid % 3:
                    signed_reply(
                        wf,
                        rid,
                        actor="李四",
                        outcome=Outcome.DISCLOSED,
                        details=details(Outcome.DISCLOSED),
                        on=day + timedelta(days=5),
                    )


def test_sigkill_mid_batch_leaves_every_request_consistent(db_url: str) -> None:
    recv, send = CTX.Pipe(duplex=False)
    proc = CTX.Process(target=_busy_worker, args=(db_url, send))
    proc.start()
    for _ in range(4):  # three batches committed, the fourth under way
        assert recv.recv() == "started"
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=60)
    assert proc.exitcode == -signal.SIGKILL

    wf = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    views = wf.find(limit=10_000)
    assert len(views) == 3 * 150  # the killed batch left nothing behind
    for view in views:
        log = wf.events(view.id)
        assert [e.seq for e in log] == list(range(1, view.version + 1))
        assert log[-1].state_after is view.state
        if view.state not in DONE:
            assert wf.recompute(view.id).due_date == view.due_date
    numbers = sorted(int(v.reg_no.split("-")[1]) for v in views if v.reg_no)
    assert numbers == list(range(1, len(views) + 1))
    # The database is usable afterwards.
    assert (
        wf.register(
            wf.receive(application(), actor="窗口").id, actor="登记员", on=date(2026, 3, 2)
        ).reg_no
        == f"2026-{len(views) + 1:04d}"
    )
    wf.close()


def _open_empty(url: str, worker: int, barrier: Barrier, out: Connection) -> None:
    barrier.wait()
    try:
        Workflow.open(url, agency=AGENCY, clock=fixed_clock).close()
        out.send("ok")
    except Exception as exc:
        out.send(repr(exc))


def test_workers_opening_an_empty_database_at_once_create_it_once(db_url: str) -> None:
    """Eight workers open the same empty database at the same moment: all succeed (the
    schema is created under a lock, once)."""
    results = _run(_open_empty, [(db_url, n) for n in range(WORKERS)])
    assert results == ["ok"] * WORKERS
    with open_staffed(db_url, clock=fixed_clock) as wf:
        assert wf.count() == 0


def _batch_in_order(
    url: str, ids: list[int], days: list[date], barrier: Barrier, out: Connection
) -> None:
    wf = Workflow.open(url, clock=fixed_clock)
    try:
        with wf.batch():
            for request_id, day in zip(ids, days, strict=True):
                wf.register(request_id, actor="登记员", on=day)
                if request_id == ids[0]:
                    barrier.wait()  # both batches hold their first counter now
        out.send("ok")
    except ConflictError:
        out.send("conflict")
    except Exception as exc:
        out.send(repr(exc))
    wf.close()


def test_batches_taking_counters_in_opposite_orders_conflict_cleanly(db_url: str) -> None:
    """Batch A numbers a 2025 request then a 2026 one, batch B the other way round: on
    PostgreSQL one of them meets a deadlock, which is a ConflictError (retry), never a raw
    driver error; on SQLite the write lock serialises them and both succeed."""
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        old = [wf.receive(application("2025-12-29T09:00"), actor="窗口").id for _ in range(2)]
        new = [wf.receive(application("2026-01-05T09:00"), actor="窗口").id for _ in range(2)]
    a = ([old[0], new[0]], [date(2025, 12, 29), date(2026, 1, 5)])
    b = ([new[1], old[1]], [date(2026, 1, 5), date(2025, 12, 29)])
    if db_url.startswith("sqlite"):
        return  # BEGIN IMMEDIATE: the second batch waits for the first, no deadlock possible
    results = sorted(_run(_batch_in_order, [(db_url, *a), (db_url, *b)]))
    assert results in (["conflict", "ok"], ["ok", "ok"]), results


def test_a_batch_numbers_its_registrations_when_written_not_when_made(db_url: str) -> None:
    """条例 asks no number, but the agency's register must have no gaps: a batch numbers its
    registrations in order when it is written, just before it commits, so another worker
    registering meanwhile is not kept waiting for the whole batch. On PostgreSQL the other
    worker commits first and takes 1; the batch's two follow. (On SQLite the batch holds
    the database's write lock from its start, so the other would wait anyway.)"""
    if db_url.startswith("sqlite"):
        return
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        first, second, other = (wf.receive(application(), actor="窗口").id for _ in range(3))
    batch_wf = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    other_wf = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    try:
        with batch_wf.batch():
            inside = batch_wf.register(first, actor="登记员", on=date(2026, 3, 2))
            batch_wf.start_handling(first, actor="李四", on=date(2026, 3, 3))
            batch_wf.register(second, actor="登记员", on=date(2026, 3, 2))
            assert inside.reg_no is None  # given when the batch is written
            # Another worker, its own transaction: it would wait here until the batch
            # commits if the batch held the counter from its first registration on.
            done = _in_thread(lambda: other_wf.register(other, actor="登记员", on=date(2026, 3, 2)))
            assert done.result(timeout=30).reg_no == "2026-0001"
        assert [batch_wf.get(i).reg_no for i in (first, second)] == ["2026-0002", "2026-0003"]
        # The audit row says what a registration outside a batch says.
        (registered,) = (e for e in batch_wf.events(first) if e.event == "register")
        (direct,) = (e for e in batch_wf.events(other) if e.event == "register")
        assert (
            registered.before
            == direct.before
            == {"reg_no": None, "reg_year": None, "reg_seq": None}
        )
        assert registered.after == {"reg_no": "2026-0002", "reg_year": 2026, "reg_seq": 2}
    finally:
        batch_wf.close()
        other_wf.close()


def test_a_batch_locks_the_registration_counter_only_after_its_other_writes(
    db_url: str,
) -> None:
    """The counter row is the one lock every registering worker shares: a batch takes it
    only after its other rows are written (here the new request and the outbox rows), then
    writes the numbers into its requests and its registering events, and commits. The
    event ids, taken ahead, still follow the order the events happened in."""
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        old = wf.receive(application(), actor="窗口").id
        statements: list[str] = []

        def record(conn: object, cursor: object, statement: str, *args: object) -> None:
            statements.append(" ".join(statement.split()[:3]))

        sa.event.listen(wf.engine, "before_cursor_execute", record)
        with wf.batch():  # few rows: no COPY, so every statement passes the listener
            new = wf.receive(application(), actor="窗口").id
            for request_id in (old, new):
                wf.register(request_id, actor="登记员", on=date(2026, 3, 2))
                wf.start_handling(request_id, actor="李四", on=date(2026, 3, 3))
        sa.event.remove(wf.engine, "before_cursor_execute", record)

        lock = next(i for i, s in enumerate(statements) if "ogi_counter" in s)
        assert {"INSERT INTO ogi_request", "INSERT INTO ogi_outbox"} <= set(statements[:lock])
        assert [s for s in statements[lock:] if "ogi_counter" not in s] == [
            "UPDATE ogi_request SET",  # the numbers
            "INSERT INTO ogi_event",  # the registering events
        ]
        assert [wf.get(i).reg_no for i in (old, new)] == ["2026-0001", "2026-0002"]
        with wf.engine.connect() as conn:
            ids = conn.execute(sa.text("SELECT request_id, event FROM ogi_event ORDER BY id")).all()
        assert [tuple(r) for r in ids] == [
            (old, "receive"),
            (new, "receive"),
            (old, "register"),
            (old, "start_handling"),
            (new, "register"),
            (new, "start_handling"),
        ]


def test_a_rolled_back_batch_gives_its_registration_numbers_back(db_url: str) -> None:
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        ids = [wf.receive(application(), actor="窗口").id for _ in range(3)]
        try:
            with wf.batch():
                for request_id in ids[:2]:
                    wf.register(request_id, actor="登记员", on=date(2026, 3, 2))
                raise RuntimeError("power cut")
        except RuntimeError:
            pass
        assert wf.register(ids[2], actor="登记员", on=date(2026, 3, 2)).reg_no == "2026-0001"
        with wf.batch():
            wf.register(ids[0], actor="登记员", on=date(2026, 3, 2))
            # A read inside the batch writes it first, numbers included.
            assert wf.get(ids[0]).reg_no == "2026-0002"


def test_batches_at_once_take_distinct_request_ids_and_a_rollback_leaves_a_gap(
    db_url: str,
) -> None:
    """A batch inserts its new requests when it is written, their ids handed out before:
    on PostgreSQL from the id sequence, so two workers' batches open at once never take the
    same id. An id a rolled-back batch took is skipped; registration numbers stay gap-free.
    (On SQLite a batch holds the write lock from its start: the other would wait.)"""
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only: on SQLite the second batch would wait for the first")
    one = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    other = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    try:
        with one.batch():
            ids = [one.receive(application(), actor="窗口").id for _ in range(3)]
            with other.batch():
                ids += [other.receive(application(), actor="窗口").id for _ in range(3)]
                assert other.count() >= 3  # a read writes the batch so far; ids go on
                ids += [other.receive(application(), actor="窗口").id for _ in range(4)]
            ids += [one.receive(application(), actor="窗口").id for _ in range(3)]
        try:
            with one.batch():
                lost = one.receive(application(), actor="窗口").id
                raise RuntimeError("power cut")
        except RuntimeError:
            pass
        ids.append(one.receive(application(), actor="窗口").id)
        assert len(set(ids)) == 14
        assert one.count() == 14
        assert lost not in ids
        assert ids[-1] > lost
        with pytest.raises(NotFoundError):
            one.get(lost)
        numbers = [one.register(i, actor="登记员", on=date(2026, 3, 2)).reg_no for i in ids]
        assert numbers == [f"2026-{n:04d}" for n in range(1, 15)]
    finally:
        one.close()
        other.close()


def _in_thread(work: Callable[[], T]) -> Future[T]:
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(work)
    finally:
        pool.shutdown(wait=False)


def test_a_batch_that_numbers_now_answers_with_the_number(db_url: str) -> None:
    """``batch(number_now=True)``: each registration numbered at once, as outside a batch
    (what the HTTP service's one-action transactions use, so their answer shows it)."""
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        ids = [wf.receive(application(), actor="窗口").id for _ in range(2)]
        with wf.batch(number_now=True):
            views = [wf.register(i, actor="登记员", on=date(2026, 3, 2)) for i in ids]
            assert [v.reg_no for v in views] == ["2026-0001", "2026-0002"]
        assert [wf.get(i).reg_no for i in ids] == ["2026-0001", "2026-0002"]


def test_a_batch_numbers_a_reply_on_the_spot_too(db_url: str) -> None:
    """当场答复 registers on the way (条例第三十三条第一款): inside a batch it is numbered
    with the batch's registrations, in order, its audit row as outside a batch."""
    where = {"where": "某市政府门户网站"}
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        first, second = (wf.receive(application(), actor="窗口").id for _ in range(2))
        with wf.batch():
            wf.reply_on_the_spot(
                first,
                actor="窗口",
                outcome=Outcome.ALREADY_PUBLIC,
                details=where,
                on=date(2026, 3, 2),
            )
            wf.register(second, actor="登记员", on=date(2026, 3, 2))
        assert [wf.get(i).reg_no for i in (first, second)] == ["2026-0001", "2026-0002"]
        (answered,) = (e for e in wf.events(first) if e.event == "reply_on_the_spot")
        assert answered.after["reg_no"] == "2026-0001"
        assert answered.before["reg_no"] is None
