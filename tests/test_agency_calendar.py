"""Each agency's own calendar notices in a database several agencies share: local rest days
and working days on top of the national schedule, for that agency's deadlines alone; loaded
through the library, the command line and HTTP (docs/deadlines.md, docs/service.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest
from conftest import (
    AGENCY,
    NOTICE_2027,
    details,
    fixed_clock,
    handling,
    open_staffed,
    registered,
    signed_reply,
)
from test_service import _Server, tokens_for
from typer.testing import CliRunner

from ogi_workflow import Outcome, Workflow
from ogi_workflow.calendar import DayKind
from ogi_workflow.cli import app
from ogi_workflow.errors import PermissionDenied, ValidationError
from ogi_workflow.service.app import create_app

D = date
OTHER = AGENCY | {"code": "other-county", "name": "某县人民政府办公室", "abbreviation": "某县府办"}
TITLE = "某自治州人民政府关于2026年自治州成立纪念日放假的通知（测试）"
# A 民族自治地方's own holiday: Thursday 2026-03-05 and Friday 03-06 off (测试 data).
LOCAL_2026 = f"""
year = 2026
[[notices]]
title = "{TITLE}"
date = 2026-02-10
[[rest]]
name = "自治州成立纪念日"
from = 2026-03-05
to = 2026-03-06
"""
# The same agency's 2027 notice: Tuesday 2027-01-05 off.
LOCAL_2027 = """
year = 2027
[[notices]]
title = "某自治州人民政府关于2027年地方节日放假的通知（测试）"
date = 2026-11-01
[[rest]]
name = "地方节日"
dates = [2027-01-05]
"""


def _file(tmp_path: Path, text: str, name: str = "local.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_article_33_local_holiday_extends_deadline(db_url: str, tmp_path: Path) -> None:
    """条例第三十三条第二款: the reply is due 20 working days after receipt. Received Monday
    2026-03-02, that is 2026-03-30 nationally. test-city's own notice makes 03-05 and 03-06
    local rest days, so its request is due two working days later, 2026-04-01; other-county,
    in the same database, still answers by 2026-03-30, in a worker opened before the load
    and in one opened after."""
    ours = open_staffed(db_url, agency=AGENCY, clock=fixed_clock)
    stale = Workflow.open(db_url, agency_code=AGENCY["code"], clock=fixed_clock)
    theirs = open_staffed(db_url, agency=OTHER, clock=fixed_clock)
    with ours, stale, theirs:
        a, b = registered(ours), registered(theirs)
        assert ours.get(a).due_date == theirs.get(b).due_date == D(2026, 3, 30)
        moves = ours.load_calendar_notice(_file(tmp_path, LOCAL_2026), actor="管理员", own=True)
        assert [(m.agency, m.request_id, m.before, m.after) for m in moves] == [
            ("test-city", a, D(2026, 3, 30), D(2026, 4, 1))
        ]
        assert ours.get(a).due_date == D(2026, 4, 1)
        assert theirs.get(b).due_date == D(2026, 3, 30)
        assert "recompute_deadline" not in [e.event.value for e in theirs.events(b)]
        # Workers opened before the load: each agency's next receipt counts by its calendar.
        assert stale.get(registered(stale)).due_date == D(2026, 4, 1)
        assert theirs.get(registered(theirs)).due_date == D(2026, 3, 30)
        local = ours.calendar.day_info(D(2026, 3, 5))
        assert (local.kind, local.is_workday, local.name, local.source) == (
            DayKind.LOCAL_REST,
            False,
            "自治州成立纪念日",
            TITLE,
        )
        assert theirs.calendar.day_info(D(2026, 3, 5)).kind is DayKind.WORKDAY
        assert [(n.year, n.agency, n.title) for n in ours.calendar_notices()] == [
            (2026, "test-city", TITLE)
        ]
        assert theirs.calendar_notices() == []  # another agency's notice is not listed
    with Workflow.open(db_url, agency_code=OTHER["code"], clock=fixed_clock) as fresh:
        assert fresh.get(registered(fresh)).due_date == D(2026, 3, 30)


def test_article_33_an_amendment_adds_a_local_day_and_a_deployment_wide_notice_moves_everyone(
    db_url: str, tmp_path: Path
) -> None:
    """An agency's own notice settles its days before the State Council's 2027 notice is out;
    that notice, loaded deployment-wide, then moves every agency's due dates, each on its own
    calendar. Received Thursday 2026-12-10: due 2027-01-08 by the estimate for 2027 (the
    holidays package's 元旦 of one day); test-city's own 2027-01-05 off moves its date to
    01-11 (still an estimate). The 2027 notice works Sunday 2026-12-27 and rests 01-01..01-03:
    other-county is due 2027-01-07, test-city, with its 01-05 off, 2027-01-08."""
    with (
        open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as ours,
        open_staffed(db_url, agency=OTHER, clock=fixed_clock) as theirs,
    ):
        a, b = registered(ours, "2026-12-10"), registered(theirs, "2026-12-10")
        assert ours.get(a).due_date == theirs.get(b).due_date == D(2027, 1, 8)
        own = ours.load_calendar_notice(_file(tmp_path, LOCAL_2027), actor="管理员", own=True)
        assert [(m.agency, m.after, m.estimated_after) for m in own] == [
            ("test-city", D(2027, 1, 11), True)
        ]
        national = ours.load_calendar_notice(NOTICE_2027, actor="管理员")
        assert sorted((m.agency, m.before, m.after, m.estimated_after) for m in national) == [
            ("other-county", D(2027, 1, 8), D(2027, 1, 7), False),
            ("test-city", D(2027, 1, 11), D(2027, 1, 8), False),
        ]
        moved = theirs.events(b)[-1]
        assert (moved.event.value, moved.actor, moved.reason) == (
            "recompute_deadline",
            "管理员",
            "calendar notice loaded: 2027",
        )
        assert [n.agency for n in theirs.calendar_notices()] == [None]
        assert [n.agency for n in ours.calendar_notices()] == ["test-city", None]
        # An amendment to the agency's own 2026 notice: Monday 2026-03-09 off as well.
        ours.load_calendar_notice(_file(tmp_path, LOCAL_2026), actor="管理员", own=True)
        amendment = LOCAL_2026.replace("year = 2026", "year = 2026\namends = true").replace(
            "from = 2026-03-05\nto = 2026-03-06", "dates = [2026-03-09]"
        )
        ours.load_calendar_notice(_file(tmp_path, amendment, "a.toml"), actor="管理员", own=True)
        assert ours.get(registered(ours)).due_date == D(2026, 4, 2)
        assert theirs.get(registered(theirs)).due_date == D(2026, 3, 30)


def test_rollup_counts_each_members_working_days_by_its_own_calendar(
    db_url: str, tmp_path: Path
) -> None:
    """The 年报's average working days from clock start to reply of a member agency with its
    own local holiday: received 2026-03-02, replied 03-09, that is 5 working days nationally
    and 3 where 03-05 and 03-06 are local rest days, in its own report and in the 本级
    roll-up of an agency that has no such holiday alike."""
    with open_staffed(db_url, agency=OTHER, clock=fixed_clock) as member:
        member.load_calendar_notice(_file(tmp_path, LOCAL_2026), actor="管理员", own=True)
        rid = handling(member)
        signed_reply(
            member, rid, actor="李明", outcome=Outcome.DISCLOSED,
            details=details(Outcome.DISCLOSED), on=D(2026, 3, 9),
        )  # fmt: skip
        own = member.annual_report(2026)
    city = AGENCY | {"members": [OTHER["code"]]}
    with open_staffed(db_url, agency=city, clock=fixed_clock) as wf:
        rid = handling(wf)
        signed_reply(
            wf, rid, actor="李明", outcome=Outcome.DISCLOSED,
            details=details(Outcome.DISCLOSED), on=D(2026, 3, 9),
        )  # fmt: skip
        parts = wf.rollup_report(2026).parts
    assert own.average_workdays_to_reply == 3.0
    assert [p.average_workdays_to_reply for p in parts] == [5.0, 3.0]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (  # a notice that contradicts itself
            LOCAL_2026 + '[[work]]\nname = "调休"\ndates = [2026-03-05]\n',
            r"2026-03-05 is listed twice: in \[\[rest\]\] '自治州成立纪念日' and in \[\[work\]\]",
        ),
        (  # a day of another year
            LOCAL_2026.replace("from = 2026-03-05\nto = 2026-03-06", "dates = [2027-03-05]"),
            r"2027-03-05 in \[\[rest\]\] '自治州成立纪念日' is outside what a 2026 notice can "
            r"set \(2025-12-25 to 2026-12-31\)",
        ),
        (  # a second notice for a year that does not say it amends the first
            LOCAL_2026.replace("2026-03-05", "2026-03-04"),
            r"the agency's own 2026 notice is already loaded \('某自治州.*'\); a file that "
            "changes it must say amends = true",
        ),
        (  # an amendment with nothing to amend
            LOCAL_2027.replace("year = 2027", "year = 2027\namends = true"),
            r"the amendment for 2027 .* needs the agency's own 2027 notice loaded first",
        ),
        ("year = 2026\n[[rest]]\n", r"needs at least one \[\[notices\]\] entry"),
    ],
    ids=[
        "contradicts-itself",
        "wrong-year",
        "second-without-amends",
        "amends-nothing",
        "no-notice",
    ],
)
def test_a_bad_agency_notice_is_refused_and_changes_nothing(
    db_url: str, tmp_path: Path, text: str, error: str
) -> None:
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        rid = registered(wf)
        wf.load_calendar_notice(_file(tmp_path, LOCAL_2026, "first.toml"), actor="管理员", own=True)
        before = (wf.calendar_notices(), wf.events(rid), wf.get(rid).due_date)
        with pytest.raises(ValidationError, match=error):
            wf.load_calendar_notice(_file(tmp_path, text), actor="管理员", own=True)
        assert (wf.calendar_notices(), wf.events(rid), wf.get(rid).due_date) == before
        assert before[2] == D(2026, 4, 1)


def test_only_an_administrator_loads_an_agency_notice_and_own_is_a_yes_or_no(
    db_url: str, tmp_path: Path
) -> None:
    path = _file(tmp_path, LOCAL_2026)
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        with pytest.raises(PermissionDenied, match="load_calendar_notice"):
            wf.load_calendar_notice(path, actor="李明", own=True)
        with pytest.raises(ValidationError, match="own must be true or false, got 'yes'"):
            wf.load_calendar_notice(path, actor="管理员", own="yes")  # type: ignore[arg-type]
        assert wf.calendar_notices() == []


def test_reflow_command_loads_an_agencys_own_notice(tmp_path: Path) -> None:
    """``reflow --calendar FILE --agency CODE``: that agency's own notice, its dates alone;
    an unknown agency, or two names for it, are refused and store nothing."""
    db = str(tmp_path / "two.sqlite")
    for profile in (AGENCY, OTHER):
        with open_staffed(db, agency=profile, clock=fixed_clock) as wf:
            registered(wf)
    runner = CliRunner()
    path = str(_file(tmp_path, LOCAL_2026))
    base = ["reflow", "--db", db, "--actor", "管理员", "--calendar", path]
    unknown = runner.invoke(app, [*base, "--agency", "nowhere"])
    assert unknown.exit_code == 2
    assert "agency code 'nowhere' is not in the database" in unknown.stderr
    both = runner.invoke(app, [*base, "--agency", "test-city", "--agency-code", "other-county"])
    assert both.exit_code == 2
    assert "--agency test-city and --agency-code other-county name different agencies" in (
        both.stderr
    )
    for code in ("test-city", "other-county"):
        listed = runner.invoke(app, ["notices", "--db", db, "--agency-code", code, "--json"])
        assert json.loads(listed.stdout)["notices"] == []
    loaded = runner.invoke(app, [*base, "--agency", "test-city", "--json"])
    assert loaded.exit_code == 0, loaded.stderr
    assert json.loads(loaded.stdout)["requests"] == [
        {
            "agency": "test-city",
            "reg_no": "2026-0001",
            "before": "2026-03-30",
            "after": "2026-04-01",
            "estimated": False,
        }
    ]
    ours = runner.invoke(app, ["notices", "--db", db, "--agency-code", "test-city", "--json"])
    assert [(n["year"], n["agency"], n["title"]) for n in json.loads(ours.stdout)["notices"]] == [
        (2026, "test-city", TITLE)
    ]
    text = runner.invoke(app, ["notices", "--db", db, "--agency-code", "test-city"]).stdout
    assert f"2026  test-city  {TITLE}" in text
    theirs = runner.invoke(app, ["notices", "--db", db, "--agency-code", "other-county"])
    assert theirs.stdout == ""


def test_over_http_a_token_loads_and_sees_only_its_agencys_notices(
    db_url: str, tmp_path: Path
) -> None:
    """A token's upload is its agency's own notice; another agency's token neither sees it
    nor counts by it, and may not load a deployment-wide notice while the database serves
    others. A deployment-wide notice moves /readyz's calendar coverage, an agency's does not."""
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        ours = tokens_for(wf, ("管理员", "李明"))
        registered(wf)
    with _Server(create_app(db_url, clock=fixed_clock)) as url, httpx.Client(base_url=url) as c:
        admin = {"Authorization": f"Bearer {ours['管理员']}"}
        left = c.get("/readyz", headers=admin).json()["calendar_days_left"]
        # The database serves test-city alone: its administrator may load the national notice.
        content = NOTICE_2027.read_text(encoding="utf-8")
        national = c.post(
            "/v1/calendar/notices", json={"content": content, "scope": "deployment"}, headers=admin
        )
        assert national.status_code == 200, national.text
        assert c.get("/readyz", headers=admin).json()["calendar_days_left"] == left + 365
        with open_staffed(db_url, agency=OTHER, clock=fixed_clock) as wf:
            theirs = {"Authorization": f"Bearer {tokens_for(wf, ('管理员',))['管理员']}"}
        again = c.post(
            "/v1/calendar/notices",
            json={"content": content.replace("2027", "2028"), "scope": "deployment"},
            headers=theirs,
        )
        assert again.status_code == 403
        assert "other agencies of this database" in again.json()["detail"]
        handler = {"Authorization": f"Bearer {ours['李明']}"}
        body = {"content": LOCAL_2026}
        assert c.post("/v1/calendar/notices", json=body, headers=handler).status_code == 403
        loaded = c.post("/v1/calendar/notices", json=body, headers=admin)
        assert loaded.status_code == 200, loaded.text
        assert [(m["agency"], m["before"], m["after"]) for m in loaded.json()] == [
            ("test-city", "2026-03-30", "2026-04-01")
        ]
        bad = c.post("/v1/calendar/notices", json={"content": "year = 2026\n"}, headers=admin)
        assert bad.status_code == 422
        # The upload is named as such, never by a file of the server's (it once was).
        assert bad.json()["detail"].startswith("calendar file (uploaded over HTTP): ")
        seen = c.get("/v1/calendar/notices", headers=admin).json()
        assert [(n["year"], n["agency"]) for n in seen] == [(2027, None), (2026, "test-city")]
        assert [
            (n["year"], n["agency"]) for n in c.get("/v1/calendar/notices", headers=theirs).json()
        ] == [(2027, None)]
        days = {"start": "2026-03-05", "end": "2026-03-05"}
        mine = c.get("/v1/calendar/days", params=days, headers=admin).json()
        other = c.get("/v1/calendar/days", params=days, headers=theirs).json()
        assert [(d["kind"], d["source"]) for d in mine] == [("local_rest", TITLE)]
        assert [d["kind"] for d in other] == ["workday"]
        assert c.get("/readyz", headers=theirs).json()["calendar_days_left"] == left + 365
