"""What every command shares: the app, the exit-status contract, options, logging.

Exit status (docs/cli.md): 0 done (``overdue``: none overdue), 1 ``overdue`` found some,
2 bad input (an OgiError about the input, or a bad option), 3 the environment failed
(database unreachable, locked past its timeout, needs ``db upgrade``, not an ogi-workflow
database, disk full, output not writable) or an internal error. One line on stderr, never a
traceback; ``--debug`` adds the traceback.

Nothing heavy is imported here: each command imports what it uses when it runs, so
``--help`` and the calendar commands start fast.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, NoReturn, ParamSpec, TypeVar

import click
import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from ogi_workflow.workflow import Workflow

__all__ = [
    "EXIT_ENVIRONMENT",
    "EXIT_INPUT",
    "EXIT_OVERDUE",
    "Actor",
    "AgencyCode",
    "AllowEstimated",
    "CalendarFiles",
    "Db",
    "JsonFlag",
    "app",
    "emit_json",
    "fail",
    "guarded",
    "main",
    "open_workflow",
    "parse_date",
    "shanghai_today",
]

EXIT_OVERDUE: Final = 1
EXIT_INPUT: Final = 2
EXIT_ENVIRONMENT: Final = 3


class _Commands(TyperGroup):
    """The command group: a value an option's type cannot even look at (a path with a NUL
    byte: click's Path calls os.stat on it) is bad input, exit 2, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValueError as exc:  # commands catch their own errors (guarded): this is parsing
            raise click.UsageError(str(exc), ctx) from None


app = typer.Typer(
    cls=_Commands,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="ogi-workflow: 政府信息公开申请 lifecycle, deadlines and letters.",
)
_settings: dict[str, Any] = {"debug": False}

P = ParamSpec("P")
R = TypeVar("R")

Db = Annotated[
    str,
    typer.Option("--db", envvar="OGI_DB", help="Database URL or SQLite path (env OGI_DB)."),
]
AgencyCode = Annotated[
    str | None,
    typer.Option(
        "--agency-code",
        envvar="OGI_AGENCY_CODE",
        help="Which stored agency (env OGI_AGENCY_CODE); needed only if the database has several.",
    ),
]
Actor = Annotated[
    str,
    typer.Option(
        "--actor",
        envvar="OGI_ACTOR",
        help="Login of the person acting, registered in the agency with a role that allows "
        "it (env OGI_ACTOR).",
    ),
]
CalendarFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--calendar",
        help="A State Council notice file (TOML/JSON, see docs/deadlines.md) to load; repeatable.",
    ),
]
AllowEstimated = Annotated[
    bool,
    typer.Option(
        "--allow-estimated",
        help="Estimate days no loaded notice settles (the result says estimated: true).",
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version  # noqa: PLC0415

        typer.echo(f"ogi-workflow {version('ogi-workflow')}")
        raise typer.Exit


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="On an error, print the traceback too.")
    ] = False,
    log_format: Annotated[
        str,
        typer.Option(
            envvar="OGI_LOG_FORMAT", help="Log lines on stderr: none | text | json (env)."
        ),
    ] = "none",
) -> None:
    """ogi-workflow: 政府信息公开申请 lifecycle, deadlines and letters."""
    _settings["debug"] = debug
    if log_format not in ("none", "text", "json"):
        fail(f"--log-format {log_format!r} is not one of: none, text, json")
    if log_format == "none":
        _log_to_stderr_off()
    else:
        _log_to_stderr(log_format)


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created).astimezone().isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= getattr(record, "ogi", {})
        return json.dumps(entry, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when the line is logged."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _log_to_stderr(fmt: str) -> None:
    logger = logging.getLogger("ogi_workflow")
    for old in [h for h in logger.handlers if isinstance(h, _Stderr)]:
        logger.removeHandler(old)  # one handler, however often the app runs in a process
    handler = _Stderr()
    handler.setFormatter(
        _JsonLines() if fmt == "json" else logging.Formatter("%(levelname)s %(name)s %(message)s")
    )
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _log_to_stderr_off() -> None:
    logger = logging.getLogger("ogi_workflow")
    for old in [h for h in logger.handlers if isinstance(h, _Stderr)]:
        logger.removeHandler(old)


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    typer.echo(f"ogi-workflow: error: {message}", err=True)
    raise typer.Exit(code)


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """The exit-status contract: every failure becomes one line on stderr and 2 or 3."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from ogi_workflow.errors import OgiError, StorageError  # noqa: PLC0415

        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except StorageError as exc:
            _report(str(exc), EXIT_ENVIRONMENT)
        except OgiError as exc:
            _report(str(exc), EXIT_INPUT)
        except OSError as exc:  # disk full, output not writable, …
            where = f"{exc.filename}: " if exc.filename else ""
            _report(f"{where}{exc.strerror or exc}", EXIT_ENVIRONMENT)
        except Exception as exc:  # the contract: no traceback, an exit in 0–3
            _report(_environment_or_bug(exc), EXIT_ENVIRONMENT)

    return wrapper


def _environment_or_bug(exc: Exception) -> str:
    """A database driver's failure as the environment's, anything else as an internal error."""
    module = type(exc).__module__
    if module.startswith(("sqlalchemy", "sqlite3", "psycopg")):
        original = getattr(exc, "orig", None) or exc
        return f"database: {str(original).strip().splitlines()[0]}"
    return f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)"


def _report(message: str, code: int) -> NoReturn:
    from ogi_workflow._pii import mask_pii  # noqa: PLC0415

    if _settings["debug"]:
        traceback.print_exc()
    fail(mask_pii(message), code)  # stderr ends up in cron mail and logs


def parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-19")


def shanghai_today() -> date:
    from ogi_workflow.models import SHANGHAI  # noqa: PLC0415

    return datetime.now(SHANGHAI).date()


def emit_json(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def open_workflow(db: str, agency_code: str | None, *, read_only: bool, **options: Any) -> Workflow:
    """The database's workflow; read-only commands never create, alter or lock it."""
    from ogi_workflow.workflow import Workflow  # noqa: PLC0415 - SQLAlchemy, pydantic

    return Workflow.open(db, agency_code=agency_code, read_only=read_only, **options)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    args = argv if argv is not None else sys.argv[1:]
    _for_command(args[0] if args else None)(args=args, prog_name="ogi-workflow")


def _for_command(name: str | None) -> typer.Typer:
    """The app with only the command (or command group) ``name`` when it names one: Typer
    builds every command's parameters from its signature at start-up, a third of a light
    command's cold start. Anything else (an option first, --help, a typo) gets the whole app."""
    commands = [c for c in app.registered_commands if _name(c.name, c.callback) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    only = typer.Typer()
    only.__dict__.update(app.__dict__)  # the same settings and top-level callback
    only.registered_commands, only.registered_groups = commands, groups
    return only


def _name(given: str | None, callback: Callable[..., Any] | None) -> str | None:
    if given is not None:
        return given
    return None if callback is None else callback.__name__.lower().replace("_", "-")
