"""Letters: 1,000 .docx reply letters, issued and written, on SQLite.

Run by hand: ``python benchmarks/bench_letters.py``. Each letter is a real
``Workflow.render`` (numbering, the issue_letter event, template, Word document) plus
writing the file.
"""

from __future__ import annotations

import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from ogi_workflow.outcomes import Outcome
from ogi_workflow.workflow import Workflow

LETTERS = 1_000
AGENCY = {
    "code": "bench",
    "name": "基准测试市人民政府办公室",
    "abbreviation": "基准府办信公开",
    "review_body": "基准测试市人民政府",
    "court": "基准测试市中级人民法院",
}
DETAILS = {
    "searched": "本机关2019年以来的收文、发文档案和政府信息公开目录",
    "convenience": {"holder": "某区住房和城乡建设局", "contact": "010-7654321"},
}


def main() -> None:
    with tempfile.TemporaryDirectory(dir=sys.argv[1] if len(sys.argv) > 1 else None) as tmp:
        folder = Path(tmp)
        wf = Workflow.open(str(folder / "letters.sqlite"), agency=AGENCY)
        with wf.batch():
            for _ in range(LETTERS):
                rid = wf.receive(
                    {
                        "applicant": {"kind": "natural_person", "name": "张三"},
                        "description": "2025年度某区老旧小区改造项目的立项批复文件",
                        "received_at": "2026-03-02T09:30",
                    },
                    actor="窗口",
                ).id
                wf.register(rid, actor="登记员", on=date(2026, 3, 2))
                wf.start_handling(rid, actor="李明", on=date(2026, 3, 3))
                wf.reply(
                    rid,
                    actor="李明",
                    outcome=Outcome.NOT_EXIST,
                    details=DETAILS,
                    on=date(2026, 3, 20),
                )
        out = folder / "letters"
        out.mkdir()
        t0 = time.perf_counter()
        for rid in range(1, LETTERS + 1):
            wf.render(rid, fmt="docx").save(out / f"{rid}.docx")
        issued = time.perf_counter() - t0
        t0 = time.perf_counter()
        for rid in range(1, LETTERS + 1):
            wf.render(rid, fmt="docx")  # reprints: no numbering, no event
        reprinted = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in out.iterdir()) / LETTERS
        print(f"machine: {platform.machine()}, Python {platform.python_version()}")
        print("| what | result |")
        print("|---|---:|")
        print(
            f"| {LETTERS:,} .docx reply letters issued and written | {issued:.1f} s "
            f"({issued / LETTERS * 1000:.1f} ms each) |"
        )
        print(f"| the same {LETTERS:,} reprinted (no numbering, no event) | {reprinted:.1f} s |")
        print(f"| average .docx size | {size / 1024:.0f} KiB |")
        wf.close()


if __name__ == "__main__":
    main()
