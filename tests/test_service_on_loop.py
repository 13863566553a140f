"""Where the service's quick calls run on SQLite (service/routes.py, _OnLoop): on the event
loop; in the pool while another thread writes; and back on the loop when the one writing is
a quick call of the pool, so that under a steady stream calls do not stay in the pool."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from sqlalchemy import Engine

from ogi_workflow.service.routes import _OnLoop
from ogi_workflow.storage.engine import make_engine, writer_lock


def _engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'loop.db'}")


class _Held:
    """The database's writer lock, held by a thread of its own until released."""

    def __init__(self, engine: Engine) -> None:
        self.taken, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, args=(engine,))

    def _hold(self, engine: Engine) -> None:
        with writer_lock(engine):
            self.taken.set()
            self.release.wait(10)

    def __enter__(self) -> _Held:
        self.thread.start()
        assert self.taken.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self.thread.join(10)


def test_a_quick_call_runs_on_the_loop_when_no_other_thread_writes(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    act = _OnLoop(engine).wrap(threading.get_ident)

    async def main() -> tuple[int, int]:
        return await act(), threading.get_ident()

    ran_in, loop = asyncio.run(main())
    assert ran_in == loop
    engine.dispose()


def test_while_another_thread_writes_calls_run_in_the_pool_and_reads_are_answered(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path)
    act = _OnLoop(engine).wrap(threading.get_ident)

    async def main() -> tuple[list[int], int]:
        with _Held(engine):
            reads = list(await asyncio.wait_for(asyncio.gather(act(), act()), 5))
        return reads, threading.get_ident()

    reads, loop_thread = asyncio.run(main())
    assert loop_thread not in reads
    engine.dispose()


def test_calls_that_find_a_quick_call_of_the_pool_writing_run_on_the_loop(
    tmp_path: Path,
) -> None:
    """Another thread writes, so a call goes to the pool; when it writes in its turn, the
    calls that come meanwhile wait for it on the loop (which keeps answering) and then run
    on the loop, rather than each going to the pool for the one before (each call writes,
    as an action does)."""
    engine = _engine(tmp_path)
    first_writing, proceed = threading.Event(), threading.Event()

    def write(name: str) -> tuple[str, int]:
        with writer_lock(engine):
            if name == "first":
                first_writing.set()
                proceed.wait(10)
            return name, threading.get_ident()

    act = _OnLoop(engine).wrap(write)

    async def main() -> tuple[list[tuple[str, int]], int, bool]:
        with _Held(engine):
            first = asyncio.ensure_future(act("first"))
            await asyncio.sleep(0.05)
        assert await asyncio.to_thread(first_writing.wait, 10)
        later = [asyncio.ensure_future(act(f"later {i}")) for i in range(3)]
        await asyncio.sleep(0.05)
        waited = not (first.done() or any(t.done() for t in later))  # the loop answered
        proceed.set()
        results = [await first, *[await t for t in later]]
        return results, threading.get_ident(), waited

    results, loop_thread, waited = asyncio.run(main())
    assert waited
    (first, first_thread), *later = results
    assert first == "first"
    assert first_thread != loop_thread
    assert [name for name, _ in later] == ["later 0", "later 1", "later 2"]
    assert all(thread == loop_thread for _, thread in later), later
    engine.dispose()
