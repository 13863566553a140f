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
from importlib.resources import as_file, files
from pathlib import Path

from ogi_workflow.errors import OgiError

__all__ = ["PdfUnavailableError", "docx_to_pdf", "soffice"]


class PdfUnavailableError(OgiError):
    """LibreOffice is not installed, or it could not convert the letter."""


def soffice() -> str | None:
    """The LibreOffice executable, if there is one."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(data: bytes, *, timeout: float = 120) -> bytes:
    """Convert .docx bytes to PDF bytes with LibreOffice headless."""
    program = soffice()
    if program is None:
        raise PdfUnavailableError(
            "PDF output needs LibreOffice (Debian: apt-get install libreoffice-writer-nogui "
            "fonts-noto-cjk); .docx and .txt need nothing more"
        )
    with (
        tempfile.TemporaryDirectory(prefix="ogi-pdf-") as tmp,
        as_file(files("ogi_workflow.letters").joinpath("fonts.conf")) as fonts,
    ):
        folder = Path(tmp)
        (folder / "letter.docx").write_bytes(data)
        env = {**os.environ, "FONTCONFIG_FILE": str(fonts), "HOME": tmp}
        command = [
            program,
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(folder / "letter.docx"),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, env=env, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfUnavailableError(f"LibreOffice did not finish within {timeout} s") from None
        result = folder / "letter.pdf"
        if done.returncode != 0 or not result.is_file():
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise PdfUnavailableError(
                f"LibreOffice could not convert the letter: {message[-1] if message else '?'}"
            )
        return result.read_bytes()
