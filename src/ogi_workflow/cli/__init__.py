"""The ``ogi-workflow`` command: a thin shell over the public API.

Contract (docs/cli.md): ``--json`` prints one JSON object; exit status 0 done, 1 overdue
found, 2 bad input, 3 the environment failed, with one line on stderr and no traceback
(``--debug`` shows it). ``--db`` can come from ``OGI_DB``.
"""

from __future__ import annotations

from ogi_workflow.cli import clock_cmds, db_cmds, people_cmds, request_cmds, service_cmds
from ogi_workflow.cli._base import app, main

__all__ = [
    "app",
    "clock_cmds",
    "db_cmds",
    "main",
    "people_cmds",
    "request_cmds",
    "service_cmds",
]
