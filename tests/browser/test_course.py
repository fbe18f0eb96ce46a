"""A course of infusions in a real browser, on ``planner serve`` and the real clock: staff
record a course from the Infusions page (preview first, then book), see its infusions in the
chairs' columns of the day board, and move one visit, which re-plans that visit only.

A server of its own (per backend): chairs change how every infusion is recorded, so the
shared clinic of the other browser tests stays without them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import log_in, screenshot
from tests.conftest import BACKENDS
from tests.e2e.clinic import created, session_type, user
from tests.e2e.support import ALL_DAY, Served, served_process, tomorrow, watch_for_server_errors
from tests.e2e.support import expect as answered

expect: Any = pytest.importorskip("playwright.sync_api", reason="pip install playwright").expect
PATIENT = "Mara Course"


@pytest.fixture(scope="module", params=BACKENDS)
def course_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, chromium_path: Path
) -> Iterator[Served]:
    with served_process(request.param, tmp_path_factory.mktemp(f"course-{request.param}")) as s:
        admin = s.admin()
        for name, kinds in (("Rae Okoye", ["physical"]), ("Sol Brandt", ["cognitive"])):
            body = {"name": name, "disciplines": kinds, "working_hours": [ALL_DAY]}
            created(admin, "/api/therapists", body)
        for name, kind in (("Chair A", "infusion_chair"), ("Chair B", "infusion_chair")):
            created(admin, "/api/rooms", {"name": name, "kind": kind})
        created(admin, "/api/rooms", {"name": "Gym 1", "kind": "gym"})
        session_type(admin, "rehab", "Rehab", 45, "physical", "spinogenesis", "gym")
        session_type(admin, "training", "Training", 60, "cognitive", "peak", None)
        user(admin, "cora", "scheduler", "cora-secret-1")
        created(admin, "/api/patients", {"name": PATIENT})
        yield s


@pytest.fixture(autouse=True)
def _no_course_server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    yield from watch_for_server_errors(request, "course_server")


def test_record_a_course_see_it_in_the_chairs_and_move_one_visit(
    page: Any, phone: Any, course_server: Served, request: pytest.FixtureRequest
) -> None:
    base, day = course_server.base_url, tomorrow()
    admin = course_server.admin()
    log_in(page, base, "cora", "cora-secret-1")
    page.goto(f"{base}/infusions?date={day.isoformat()}")
    page.get_by_role("link", name="Record a course…").click()
    expect(page).to_have_url(re.compile(r"/courses/new\?date="))

    course = page.locator("#course")
    course.get_by_label("Patient").select_option(label=PATIENT)
    course.get_by_label("First infusion").fill(f"{day.isoformat()}T09:00")
    course.get_by_label("Repeat").select_option("custom")
    course.get_by_label("Custom rule").fill("FREQ=DAILY;COUNT=3")
    course.get_by_label("Rehab").check()
    course.get_by_label("Training").check()
    course.get_by_role("button", name="Preview the course").click()
    expect(page.locator("h1")).to_contain_text("proposed course, not booked yet")
    expect(page.locator(".visit")).to_have_count(3)
    assert answered(admin.get("/api/infusions"), 200) == []  # a preview stores nothing

    page.get_by_role("button", name="Book this course").click()
    expect(page).to_have_url(re.compile(r"/courses/\d+$"))
    expect(page.locator(".alert")).to_contain_text("3 of 3 infusions placed")
    expect(page.locator(".strip-ok")).to_have_count(3)
    course_id = int(page.url.rsplit("/", 1)[1])
    before = answered(admin.get(f"/api/courses/{course_id}"), 200)["visits"]
    assert all(len(v["sessions"]) == 2 for v in before)
    screenshot(page, "course.png", request)

    page.goto(f"{base}/board?date={day.isoformat()}")
    chair = page.locator(".chair-col", has_text="Chair A")
    expect(chair.locator("a.chair-infusion", has_text=PATIENT)).to_have_count(1)
    expect(chair.locator("a.chair-recovery")).to_have_count(1)
    screenshot(page, "board-chairs.png", request)

    # Move the second visit an hour later: only its own sessions are planned again.
    page.goto(f"{base}/courses/{course_id}")
    page.locator("#visit-2").get_by_role("link", name="Move this visit").click()
    expect(page).to_have_url(re.compile(r"/infusions/\d+"))
    second = (day + timedelta(days=1)).isoformat()
    page.get_by_label("Actual start").fill(f"{second}T10:00")
    page.get_by_role("button", name="Re-plan").click()
    expect(page.locator(".alert").first).to_be_visible()
    after = answered(admin.get(f"/api/courses/{course_id}"), 200)["visits"]
    assert after[1]["shifted_minutes"] == 60
    assert [after[0]["sessions"], after[2]["sessions"]] == [
        before[0]["sessions"],
        before[2]["sessions"],
    ]
    log_in(phone, base, "cora", "cora-secret-1")
    phone.goto(f"{base}/courses/{course_id}")
    expect(phone.locator(".strip-moved")).to_have_count(1)
    screenshot(phone, "course-phone.png", request)
