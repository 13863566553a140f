"""Letters: 1,000 .docx reply letters, issued and written, on SQLite; 100 as PDF.

Run by hand: ``python benchmarks/bench_letters.py [--pdf-only] [WORKDIR]``. Each letter is a
real ``Workflow.render`` (numbering, the issue_letter event, template, Word document) plus
writing the file. PDF (needs LibreOffice) is measured side by side: 10 letters one
LibreOffice run each (``Letter.pdf()``), and 100 letters through ``Workflow.render_many``
(one LibreOffice run for the batch).
"""

from __future__ import annotations

import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from ogi_workflow import Outcome, Workflow

LETTERS = 1_000
PDF_BATCH = 100
PDF_SINGLE = 10
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


def fill(wf: Workflow, count: int) -> None:
    wf.add_person("admin", "管理员", roles=["admin"], actor="admin")
    staff = (
        ("窗口", "registrar"),
        ("登记员", "registrar"),
        ("李明", "handler"),
        ("审核", "reviewer"),
        ("主任", "signer"),
    )
    for login, role in staff:
        wf.add_person(login, login, roles=[role], actor="admin")
    with wf.batch():
        for _ in range(count):
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
            day = date(2026, 3, 20)
            wf.submit_for_review(
                rid, actor="李明", outcome=Outcome.NOT_EXIST, details=DETAILS, on=day
            )
            wf.approve(rid, actor="审核", opinion="同意", on=day)
            wf.approve(rid, actor="主任", opinion="同意签发", on=day)
            wf.reply(rid, actor="李明", on=day)


def bench_docx(folder: Path) -> list[str]:
    wf = Workflow.open(str(folder / "letters.sqlite"), agency=AGENCY)
    fill(wf, LETTERS)
    out = folder / "letters"
    out.mkdir()
    t0 = time.perf_counter()
    for rid in range(1, LETTERS + 1):
        wf.render(rid, fmt="docx", actor="李明").save(out / f"{rid}.docx")
    issued = time.perf_counter() - t0
    t0 = time.perf_counter()
    for rid in range(1, LETTERS + 1):
        wf.render(rid, fmt="docx", actor="李明")  # reprints: no numbering, no event
    reprinted = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in out.iterdir()) / LETTERS
    wf.close()
    return [
        f"| {LETTERS:,} .docx reply letters issued and written | {issued:.1f} s "
        f"({issued / LETTERS * 1000:.1f} ms each) |",
        f"| the same {LETTERS:,} reprinted (no numbering, no event) | {reprinted:.1f} s |",
        f"| average .docx size | {size / 1024:.0f} KiB |",
    ]


def bench_pdf(folder: Path) -> list[str]:
    wf = Workflow.open(str(folder / "pdf.sqlite"), agency=AGENCY)
    fill(wf, PDF_BATCH + PDF_SINGLE)
    t0 = time.perf_counter()
    for rid in range(1, PDF_SINGLE + 1):
        wf.render(rid, fmt="pdf", actor="李明").save(folder / f"single-{rid}.pdf")
    single = (time.perf_counter() - t0) / PDF_SINGLE
    ids = list(range(PDF_SINGLE + 1, PDF_SINGLE + PDF_BATCH + 1))
    t0 = time.perf_counter()
    paths = wf.render_many(ids, folder / "batch", fmt="pdf", actor="李明")
    batch = (time.perf_counter() - t0) / PDF_BATCH
    assert len(paths) == PDF_BATCH
    assert all(p.read_bytes().startswith(b"%PDF") for p in paths)
    wf.close()
    return [
        f"| PDF, one LibreOffice run a letter ({PDF_SINGLE} letters) | {single * 1000:.0f} ms "
        "each |",
        f"| PDF, {PDF_BATCH} letters through `render_many` (one LibreOffice run) | "
        f"{batch * 1000:.0f} ms each ({single / batch:.0f}× faster) |",
    ]


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--pdf-only"]
    with tempfile.TemporaryDirectory(dir=args[0] if args else None) as tmp:
        folder = Path(tmp)
        rows = [] if "--pdf-only" in sys.argv else bench_docx(folder)
        rows += bench_pdf(folder)
        print(f"machine: {platform.machine()}, Python {platform.python_version()}")
        print("| what | result |")
        print("|---|---:|")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
