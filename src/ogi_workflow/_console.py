"""The terminal the CLI writes to (rich only: cheap to import for the light commands)."""

from __future__ import annotations

import sys

from rich.console import Console

__all__ = ["stdout_console"]


def stdout_console() -> Console:
    """Standard output; not a terminal (cron mail, a pipe): wide enough not to wrap tables."""
    return Console() if sys.stdout.isatty() else Console(width=160)
