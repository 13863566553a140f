"""The CLI contract: exit status 0–3 for every command, one line on stderr, no traceback,
read-only commands that never write, the database from the environment, backups."""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result
from conftest import AGENCY, application, details, fixed_clock, open_staffed, signed_reply
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ogi_workflow import Outcome, Workflow
from ogi_workflow.cli import app
from ogi_workflow.storage.migrate import HEAD

D = date
runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, list(args), env=env)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Three requests, one of them overdue on 2026-04-01."""
    path = tmp_path_factory.mktemp("cli") / "small.sqlite"
    with open_staffed(str(path), agency=AGENCY, clock=fixed_clock) as wf:
        for day in ("2026-03-02", "2026-03-16", "2026-03-20"):
            rid = wf.receive(application(f"{day}T09:00"), actor="窗口").id
            wf.register(rid, actor="登记员", on=D.fromisoformat(day))
        signed_reply(wf,
            3, actor="李明", outcome=Outcome.DISCLOSED, details=details(Outcome.DISCLOSED),
            on=D(2026, 3, 25),
        )  # fmt: skip
    return str(path)


def test_exit_status_contract(small_db: str, tmp_path: Path) -> None:
    assert run("overdue", "--db", small_db, "--as-of", "2026-03-05").exit_code == 0
    assert run("overdue", "--db", small_db, "--as-of", "2026-04-01").exit_code == 1
    bad = run("overdue", "--db", small_db, "--as-of", "2026-13-01")
    assert bad.exit_code == 2
    assert bad.stderr.count("\n") == 1
    missing = run("overdue", "--db", str(tmp_path / "nope.sqlite"))
    assert missing.exit_code == 3
    unreachable = run("overdue", "--db", "postgresql://nobody@127.0.0.1:9/none")
    assert unreachable.exit_code == 3
    assert "Traceback" not in unreachable.stderr
    assert unreachable.stderr.startswith("ogi-workflow: error: ")
    assert run("render", "--actor", "李明", "--db", small_db, "2026-9999",
               "-o", str(tmp_path / "x.docx"), "--format", "docx").exit_code == 2  # fmt: skip
    unwritable = run("render", "--actor", "李明", "--db", small_db, "2026-0003", "--format", "txt",
                     "-o", str(tmp_path / "no" / "such" / "dir" / "x.txt"))  # fmt: skip
    assert unwritable.exit_code == 3
    with Workflow.open(small_db, read_only=True) as wf:  # the failed letter used no number
        assert "issue_letter" not in [e.event.value for e in wf.events("2026-0003")]


def test_debug_shows_the_traceback_and_keeps_the_status(tmp_path: Path) -> None:
    plain = run("overdue", "--db", str(tmp_path / "nope.sqlite"))
    debug = run("--debug", "overdue", "--db", str(tmp_path / "nope.sqlite"))
    assert (plain.exit_code, debug.exit_code) == (3, 3)
    assert "Traceback" not in plain.stderr
    assert "Traceback" in debug.stderr


def test_version_and_database_from_the_environment(small_db: str) -> None:
    version = run("--version")
    assert version.exit_code == 0
    assert version.stdout.startswith("ogi-workflow ")
    from_env = run("overdue", "--as-of", "2026-04-01", "--format", "csv", env={"OGI_DB": small_db})
    assert from_env.exit_code == 1
    assert "2026-0001" in from_env.stdout


def test_log_lines_in_json(small_db: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite"
    assert run("db", "backup", "--db", small_db, str(copy)).exit_code == 0
    logged = run("--log-format", "json", "reflow", "--actor", "管理员", "--db", str(copy))
    assert logged.exit_code == 0
    assert '"logger": "ogi_workflow' in logged.stderr


def test_read_commands_never_write(small_db: str, tmp_path: Path) -> None:
    """overdue and report on another program's file: exit 3, file untouched; on ours: no
    -wal growth, no schema change, the agency not rewritten."""
    other = tmp_path / "other.sqlite"
    plain = sqlite3.connect(other)
    plain.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    plain.commit()
    plain.close()
    before = other.read_bytes()
    for args in (["overdue"], ["report", "annual", "--year", "2026"], ["agency", "list"]):
        result = run(*args, "--db", str(other))
        assert result.exit_code == 3, args
        assert "not an ogi-workflow database" in result.stderr
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite"]
    ours = Path(small_db)
    stamp = ours.stat().st_mtime_ns
    assert run("overdue", "--db", small_db, "--as-of", "2026-04-01").exit_code == 1
    assert run("report", "annual", "--db", small_db, "--year", "2026").exit_code == 0
    assert ours.stat().st_mtime_ns == stamp


def test_agency_is_chosen_by_code_and_set_explicitly(tmp_path: Path) -> None:
    db = str(tmp_path / "two.sqlite")
    Workflow.open(db, agency=AGENCY, clock=fixed_clock).close()
    profile = tmp_path / "second.toml"
    profile.write_text(
        'code = "second"\nname = "某区人民政府办公室"\nabbreviation = "某区府办信公开"\n'
        'review_body = "某区人民政府"\ncourt = "某区人民法院"\n',
        encoding="utf-8",
    )
    assert run("agency", "set", "--db", db, str(profile)).exit_code == 0
    assert run("agency", "list", "--db", db).stdout.split() == ["second", "test-city"]
    several = run("overdue", "--db", db)
    assert several.exit_code == 2
    assert "--agency-code" in several.stderr
    assert run("overdue", "--db", db, "--agency-code", "second").exit_code == 0
    assert run("overdue", "--db", db, "--agency-code", "nobody").exit_code == 2


def test_backup_of_a_live_database_restores_every_request(tmp_path: Path) -> None:
    """A copy taken while a worker writes holds every committed request and opens cleanly."""
    db = str(tmp_path / "live.sqlite")
    Workflow.open(db, agency=AGENCY, clock=fixed_clock).close()
    done = threading.Event()

    def writer() -> None:
        with open_staffed(db, clock=fixed_clock) as wf:
            for _ in range(20):
                with wf.batch():
                    for _ in range(15):
                        wf.receive(application("2026-03-02T09:00"), actor="窗口")
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    copies: list[tuple[Path, int]] = []
    while not done.is_set():
        target = tmp_path / f"copy-{len(copies)}.sqlite"
        result = run("db", "backup", "--db", db, str(target))
        assert result.exit_code == 0, result.stderr
        copies.append((target, int(result.stdout.split(": ")[1].split()[0])))
    thread.join()
    final = tmp_path / "final.sqlite"
    assert run("db", "backup", "--db", db, str(final)).exit_code == 0
    for target, count in [*copies, (final, 300)]:
        with Workflow.open(str(target), read_only=True) as restored:
            assert restored.count() == count
            assert count % 15 == 0  # whole batches only
    assert run("db", "backup", "--db", "postgresql://x@h/db", str(final)).exit_code == 2


def test_db_upgrade_command_upgrades_and_recomputes(tmp_path: Path) -> None:
    from test_migrations import make_v01  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    make_v01(url).dispose()
    refused = run("overdue", "--db", url)
    assert refused.exit_code == 3
    assert "ogi-workflow db upgrade" in refused.stderr
    upgraded = run("db", "upgrade", "--db", url)
    assert upgraded.exit_code == 0, upgraded.stderr
    assert f"0.1 (unversioned) -> {HEAD}" in upgraded.stdout
    assert run("overdue", "--db", url, "--as-of", "2026-06-01").exit_code == 1
    assert f"{HEAD} -> {HEAD}" in run("db", "upgrade", "--db", url).stdout  # again: no change


OPTIONS = {
    "deadline": ["--received", "--channel", "--corrected-on", "--pause", "--extend", "--as-of",
                 "--allow-estimated", "--explain", "--json", "--calendar"],
    "calendar": ["--allow-estimated", "--json", "--calendar"],
    "fee": ["--nth-request-this-month", "--pages", "--json"],
    "overdue": ["--db", "--as-of", "--within", "--format", "--agency-code"],
    "render": ["--db", "--format", "-o", "--out-dir", "--kind", "--templates", "--agency-code",
               "--actor"],
    "report annual": ["--db", "--year", "--format", "-o", "--agency-code"],
    "reflow": ["--db", "--calendar", "--json", "--actor", "--agency"],
    "notices": ["--db", "--json", "--agency-code"],
    "db backup": ["--db"],
    "agency list": ["--db"],
    "schema": ["--dialect"],
}  # fmt: skip
VALUES = st.sampled_from(
    ["2026-03-02", "2026-13-40", "0", "-5", "99999999999999999999", "x", "", "\x00", "json",
     "csv", "table", "xlsx", "pdf", "txt", "docx", "in_person", "fax", "2026-03-02:2026-03-09",
     "2026-03-09:2026-03-02:fee", "2026-0001", "#1", "#0", "reply_disclosed", "test-city",
     "sqlite", "postgresql", "1899", "2026", "%s", "../escape.bin", "中文", "李明", "管理员"]
)  # fmt: skip


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz_every_command_exits_0_to_3_without_a_traceback(
    data: st.DataObject, small_db: str, tmp_path: Path
) -> None:
    command = data.draw(st.sampled_from(sorted(OPTIONS)))
    args = command.split()
    for _ in range(data.draw(st.integers(0, 5))):
        option = data.draw(st.sampled_from(OPTIONS[command]))
        value = data.draw(
            st.one_of(
                VALUES,
                st.just(small_db) if option == "--db" else VALUES,
                st.just(str(tmp_path / "out.bin")),
            )
        )
        args += (
            [option]
            if option in ("--extend", "--allow-estimated", "--explain", "--json")
            else [option, value]
        )
    if command in ("calendar", "db backup", "render"):
        args.append(data.draw(st.one_of(VALUES, st.just(str(tmp_path / "positional")))))
    # Every relative path the fuzzer writes lands two levels inside tmp_path: it never
    # writes outside its sandbox (no value is absolute or climbs more than one level).
    sandbox = tmp_path / "a" / "b"
    sandbox.mkdir(parents=True, exist_ok=True)
    here = os.getcwd()
    os.chdir(sandbox)
    try:
        result = run(*args)
    finally:
        os.chdir(here)
    assert result.exit_code in (0, 1, 2, 3), (args, result.exit_code, result.output)
    assert result.exit_code != 1 or command == "overdue", (args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
    assert "Traceback" not in result.output, args


@pytest.mark.parametrize(
    "args",
    [
        ["fee", "--pages", "121", "--json"],
        ["deadline", "--received", "2026-03-02", "--json"],
        ["db", "--help"],
        ["report", "annual", "--help"],
        ["fe"],  # a typo: the whole app answers, with its suggestion
        ["--version"],
    ],
)
def test_the_console_script_builds_only_the_command_asked_for_and_answers_the_same(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """main() hands Typer only the named command (a faster start); what it prints and its
    exit status are the whole app's."""
    from ogi_workflow.cli import main  # noqa: PLC0415

    whole = runner.invoke(app, args, prog_name="ogi-workflow")
    with pytest.raises(SystemExit) as exited:
        main(args)
    out, err = capsys.readouterr()
    # The same page for --help (its short help lines are cut to the terminal's width).
    lines = 6 if "--help" in args else None
    shown = (exited.value.code or 0, out.splitlines()[:lines])
    assert shown == (whole.exit_code, whole.stdout.splitlines()[:lines])
    if whole.exit_code:
        assert err.strip().splitlines()[-1] == whole.stderr.strip().splitlines()[-1]
