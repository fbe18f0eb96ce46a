"""``planner demo`` on a served database, then its logins through the API and the pages.

The demo runs as its own process against the database ``planner serve`` is serving, twice:
the second run changes nothing. The scheduler then logs in (API token, and the login form
with its CSRF token) and sees the demo day on the board and in the infusions list; the
therapist ``ana`` reads her own day and is refused every other therapist's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from models.db import make_engine
from models.tables import Infusion, Patient, Room, SessionType, Therapist, TherapySession, User
from tests.e2e.support import CLINIC_NAME, Served, expect, instant, page_ok, today
from tests.problems import assert_problem

TABLES = (Therapist, Room, SessionType, Patient, User, Infusion, TherapySession)
DEMO_THERAPISTS = {"Ana Rivera", "Ben Okafor", "Chloe Martin", "Dev Patel"}
DEMO_PATIENTS = ["Alex Demo", "Blair Demo", "Casey Demo", "Drew Demo"]  # one infusion each


def _counts(server: Served) -> dict[str, int]:
    engine = make_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return {
                t.__tablename__: int(conn.scalar(select(func.count()).select_from(t)) or 0)
                for t in TABLES
            }
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Demo:
    first: str  # what the first run printed
    again: str  # what a later run printed
    counts: dict[str, int]  # rows after the first run
    counts_again: dict[str, int]  # rows after the later run
    day: date  # the clinic's day the demo filled


def _run(server: Served) -> str:
    done = server.planner("demo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def demo(server: Served) -> Demo:
    """The demo run twice. "Today" is the demo's own: should the clinic's local midnight fall
    between the runs, the second filled a new day, so a third run is compared with it."""
    day = today()
    first = _run(server)
    counts = _counts(server)
    again = _run(server)
    if today() != day:  # crossed midnight: compare two runs on the new day
        day, first, counts = today(), again, _counts(server)
        again = _run(server)
    return Demo(first, again, counts, _counts(server), day)


def test_demo_twice_changes_nothing(server: Served, demo: Demo) -> None:
    assert demo.first.startswith("Demo clinic ready (")
    assert "scheduler / demo-scheduler" in demo.first
    assert "ana / demo-therapist" in demo.first
    # planner serve made the first admin (and printed its password once); the demo did not.
    assert server.first_admin_password()
    assert "admin / " not in demo.first
    assert demo.counts["therapists"] == 4 and demo.counts["rooms"] == 7  # 3 are chairs
    assert demo.counts["session_types"] == 4 and demo.counts["patients"] == 5
    assert demo.counts["users"] == 3  # admin, scheduler, ana
    assert demo.counts["infusions"] >= 4 and demo.counts["sessions"] >= 6, demo.counts
    assert demo.again.startswith("Demo clinic ready (0 sessions booked now"), demo.again
    assert demo.counts_again == demo.counts


def test_scheduler_sees_the_demo_day_through_the_api(server: Served, demo: Demo) -> None:
    api = server.login("scheduler", "demo-scheduler")
    infusions = expect(api.get("/api/infusions", params={"date": demo.day.isoformat()}), 200)
    assert len(infusions) == demo.counts["infusions"]
    assert {instant(i["start"]).date() for i in infusions} == {demo.day}
    assert all(i["status"] == "scheduled" and i["care_plan"] for i in infusions)
    assert all(i["chair_id"] is not None for i in infusions)
    booked = [s for i in infusions for s in i["sessions"]]
    assert len(booked) == demo.counts["sessions"]
    sessions = expect(api.get("/api/sessions", params={"date": demo.day.isoformat()}), 200)
    # The day's sessions: all but the follow-ups (the long-term window opens a day later).
    on_day = {s["id"] for s in booked if instant(s["start"]).date() == demo.day}
    assert {s["id"] for s in sessions} == on_day and on_day
    by_infusion = {i["id"]: i for i in infusions}
    for session in sessions:
        assert session["status"] == "booked" and session["outside_window"] is False
        infusion = by_infusion[session["infusion_id"]]
        assert session["session_type"] in infusion["care_plan"]
        window = next(w for w in infusion["windows"] if w["key"] == session["window"])
        assert instant(window["start"]) <= instant(session["start"])
        assert instant(session["end"]) <= instant(window["end"])


def test_scheduler_logs_in_through_the_pages_and_sees_the_day(server: Served, demo: Demo) -> None:
    browser, answer = server.browser("scheduler", "demo-scheduler")
    assert answer.status_code == 303 and answer.headers["location"] == "/board"
    assert browser.cookies.get("planner_session"), "the login cookie is set"
    assert browser.get("/").headers["location"] == "/board"

    day = demo.day.isoformat()
    board = page_ok(browser.get("/board", params={"date": day}))
    assert CLINIC_NAME in board
    for name in DEMO_THERAPISTS:
        assert name in board
    on_day = expect(server.admin().get("/api/sessions", params={"date": day}), 200)
    assert f"{len(on_day)} sessions" in board
    assert f"{demo.counts['infusions']} infusions" in board
    assert 'action="/board/plan"' in board  # the "Plan this day" form, with its CSRF token
    listed = page_ok(browser.get("/infusions", params={"date": day}))
    for patient in DEMO_PATIENTS:
        assert patient in listed
    # Today as the server's clock has it (no date): the same pages render.
    page_ok(browser.get("/board"))
    page_ok(browser.get("/infusions"))


def test_therapist_reads_only_its_own_day(server: Served, demo: Demo) -> None:
    staff = server.login("scheduler", "demo-scheduler")
    ana = server.login("ana", "demo-therapist")
    therapists = {t["name"]: t["id"] for t in expect(ana.get("/api/therapists"), 200)}
    assert set(therapists) == DEMO_THERAPISTS
    mine, day = therapists["Ana Rivera"], demo.day.isoformat()

    own = expect(ana.get(f"/api/therapists/{mine}/day", params={"date": day}), 200)
    assert own["therapist_id"] == mine and own["date"] == day
    assert own["timezone"] == "America/New_York"
    assert own["working"], "Ana works every day, 07:00–15:30"
    assert all(s["therapist_id"] == mine for s in own["sessions"])
    staff_view = expect(staff.get(f"/api/therapists/{mine}/day", params={"date": day}), 200)
    assert [s["id"] for s in own["sessions"]] == [s["id"] for s in staff_view["sessions"]]

    everyone = expect(staff.get("/api/sessions", params={"date": day}), 200)
    others = [s for s in everyone if s["therapist_id"] != mine]
    assert others, "the demo day has sessions of other therapists"
    listed = expect(ana.get("/api/sessions", params={"date": day}), 200)
    assert {s["id"] for s in listed} == {s["id"] for s in everyone if s["therapist_id"] == mine}
    for name, other in therapists.items():
        if other != mine:
            answer = ana.get(f"/api/therapists/{other}/day", params={"date": day})
            assert_problem(answer, 404, "not_found", name)
    assert_problem(ana.get(f"/api/sessions/{others[0]['id']}"), 404, "not_found")

    # The pages: a therapist lands on their own day, and another's day leads back to it.
    browser, answer = server.browser("ana", "demo-therapist")
    assert answer.status_code == 303 and answer.headers["location"] == "/my-day"
    assert browser.get("/my-day").headers["location"].startswith(f"/therapists/{mine}/day")
    assert "Ana Rivera" in page_ok(browser.get(f"/therapists/{mine}/day", params={"date": day}))
    other = therapists["Ben Okafor"]
    assert browser.get(f"/therapists/{other}/day").headers["location"] == "/my-day"
