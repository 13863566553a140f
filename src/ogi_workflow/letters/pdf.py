"""Optional PDF output through LibreOffice headless.

Needs LibreOffice (Debian: ``libreoffice-writer-nogui``) and CJK fonts (``fonts-noto-cjk``).
The official font names in the letter are drawn with Noto CJK through fontconfig aliases
shipped in this package (``fonts.conf``), so nothing on the system has to change.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from importlib.resources import as_file, files
from pathlib import Path

from ogi_workflow.errors import OgiError

__all__ = ["PdfUnavailableError", "docx_to_pdf", "office_to_pdf", "soffice"]


class PdfUnavailableError(OgiError):
    """LibreOffice is not installed, or it could not convert the letter."""


def soffice() -> str | None:
    """The LibreOffice executable, if there is one."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(data: bytes, *, timeout: float = 120) -> bytes:
    """Convert .docx bytes to PDF bytes with LibreOffice headless."""
    return office_to_pdf([("letter.docx", data)], timeout=timeout)[0]


def office_to_pdf(
    documents: Sequence[tuple[str, bytes]], *, timeout: float | None = None
) -> list[bytes]:
    """Convert office documents (name with its suffix, bytes) to PDF in one LibreOffice run.

    Starting LibreOffice is most of a conversion's cost, so a batch pays it once. The
    default timeout allows 120 s plus 10 s a document.
    """
    program = soffice()
    if program is None:
        raise PdfUnavailableError(
            "PDF output needs LibreOffice (Debian: apt-get install libreoffice-writer-nogui "
            "fonts-noto-cjk); .docx and .txt need nothing more"
        )
    if not documents:
        return []
    limit = timeout if timeout is not None else 120 + 10 * len(documents)
    with (
        tempfile.TemporaryDirectory(prefix="ogi-pdf-") as tmp,
        as_file(files("ogi_workflow.letters").joinpath("fonts.conf")) as fonts,
    ):
        folder = Path(tmp)
        inputs = []
        for n, (name, data) in enumerate(documents):
            path = folder / "in" / f"{n:06d}{Path(name).suffix}"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            inputs.append(path)
        env = {**os.environ, "FONTCONFIG_FILE": str(fonts), "HOME": tmp}
        command = [
            program,
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder / "out"),
            *map(str, inputs),
        ]
        try:
            done = subprocess.run(command, capture_output=True, env=env, timeout=limit, check=False)
        except subprocess.TimeoutExpired:
            raise PdfUnavailableError(f"LibreOffice did not finish within {limit} s") from None
        results = [folder / "out" / f"{path.stem}.pdf" for path in inputs]
        if done.returncode != 0 or not all(r.is_file() for r in results):
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise PdfUnavailableError(
                f"LibreOffice could not convert {len(documents)} document(s): "
                f"{message[-1] if message else 'no output for some of them'}"
            )
        return [r.read_bytes() for r in results]
