""" "Plan this day" in a real browser, on ``planner serve`` and the real clock: the proposal is
drawn on the board and nothing is booked until "Book these"; "Discard" leaves the day as it
was; while it plans, the board shows its progress. Each test plans a day of its own (after
the journeys' day), so no other test's bookings count."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from datetime import timedelta
from typing import Any

import pytest

from tests.browser.conftest import ROOT, Clinic, log_in, screenshot
from tests.e2e.clinic import created
from tests.e2e.support import expect as answered

expect: Any = pytest.importorskip("playwright.sync_api", reason="pip install playwright").expect
CARE_PLAN = ["physical_rehabilitation", "cognitive_training"]


def test_plan_this_day_proposes_then_books(
    page: Any, phone: Any, live_clinic: Clinic, request: pytest.FixtureRequest
) -> None:
    clinic, base = live_clinic, live_clinic.base_url
    day = (clinic.day + timedelta(days=1)).isoformat()
    admin = clinic.served.admin()
    for name, start in (("Casey Plan", "08:00"), ("Riley Plan", "09:30")):
        patient = created(admin, "/api/patients", {"name": name})
        body = {"patient_id": patient["id"], "start": f"{day}T{start}", "care_plan": CARE_PLAN}
        created(admin, "/api/infusions", body)

    def booked() -> list[Any]:
        return list(answered(admin.get("/api/sessions", params={"date": day}), 200))

    log_in(page, base, *clinic.staff)
    page.goto(f"{base}/board?date={day}")
    expect(page.locator("details.attention summary")).to_contain_text(
        "4 care-plan items without a session"
    )

    # The proposal: four dashed sessions on the board, nothing booked.
    page.get_by_role("button", name="Plan this day").click()
    preview = page.locator("#preview")
    expect(preview.get_by_role("heading")).to_contain_text("Proposed plan")
    expect(preview).to_contain_text("4 of 4 care-plan items placed")
    expect(page.locator(".session.proposed")).to_have_count(4)
    expect(page.locator(".session.proposed", has_text="Casey Plan")).to_have_count(2)
    # The board opens at the day's first infusion (08:00), not at the midnight Dee works from.
    assert page.locator(".board-scroll").evaluate("e => e.scrollTop") > 0
    expect(page.locator(".session.proposed").first).to_be_in_viewport()
    assert booked() == []
    shot = screenshot(page, "plan-preview.png", request)
    backend = request.node.callspec.params["server"]
    if os.environ.get("PLANNER_UPDATE_README_SCREENSHOT") and backend == "sqlite":
        shutil.copyfile(shot, ROOT / "docs" / "screenshot-plan-preview.png")

    # Discard: the board as it was.
    preview.get_by_role("link", name="Discard").click()
    expect(page.locator("#preview")).to_have_count(0)
    expect(page.locator(".session.proposed")).to_have_count(0)
    assert booked() == []

    # On a phone the proposal fits the width; the board scrolls inside its own region.
    log_in(phone, base, *clinic.staff)
    phone.goto(f"{base}/board?date={day}")
    phone.get_by_role("button", name="Plan this day").click()
    expect(phone.locator("#preview")).to_contain_text("4 of 4 care-plan items placed")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width
    screenshot(phone, "plan-preview-phone.png", request)

    # Plan again and book: the four are booked as proposed.
    page.get_by_role("button", name="Plan this day").click()
    page.get_by_role("button", name=re.compile("^Book these 4")).click()
    expect(page.get_by_role("status")).to_contain_text("Booked the plan: 4 sessions.")
    expect(page.locator(".session.proposed")).to_have_count(0)
    expect(page.locator("div.session", has_text="Riley Plan")).to_have_count(2)
    sessions = booked()
    assert len(sessions) == 4 and {s["status"] for s in sessions} == {"booked"}
    assert all(s["outside_window"] is False for s in sessions)

    # The phone's proposal is stale now: booking it books nothing twice.
    phone.get_by_role("button", name=re.compile("^Book these 4")).click()
    expect(phone.get_by_role("alert")).to_contain_text("The plan was not booked")
    assert len(booked()) == 4
    # Nothing is left to plan, and the board says so.
    page.get_by_role("button", name="Plan this day").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Every care-plan item of this day already has a session."
    )


def test_planning_shows_its_progress_and_is_sent_once(
    page: Any, live_clinic: Clinic, request: pytest.FixtureRequest
) -> None:
    """While the optimizer works the form says so: a progress bar over the chosen budget, the
    time left, the button disabled; a second submit sends nothing. The browser holds the
    request for a moment (the day is small, the real server quick) and the page records
    what it shows meanwhile; then the request goes on to the real server."""
    clinic, base = live_clinic, live_clinic.base_url
    day = (clinic.day + timedelta(days=2)).isoformat()
    admin = clinic.served.admin()
    patient = created(admin, "/api/patients", {"name": "Morgan Wait"})
    body = {"patient_id": patient["id"], "start": f"{day}T08:30", "care_plan": CARE_PLAN}
    created(admin, "/api/infusions", body)

    sent: list[str] = []

    def held_a_moment(route: Any) -> None:
        sent.append(route.request.method)
        time.sleep(1.5)  # the page's own timers run meanwhile (another process)
        route.continue_()

    page.route(re.compile(r"/board/plan$"), held_a_moment)
    log_in(page, base, *clinic.staff)
    page.goto(f"{base}/board?date={day}")
    budget = int(page.locator("select[name=budget]").input_value())
    # Click, then 0.6 s later note what the page shows and submit once more. The note is
    # kept in sessionStorage, which outlives the page the answer replaces.
    page.evaluate(
        """() => {
            const form = document.querySelector("form.plan-form");
            form.querySelector("button[type=submit]").click();
            setTimeout(() => {
                const bar = document.querySelector("progress.plan-progress");
                const note = form.querySelector(".working-note");
                sessionStorage.setItem("seen", JSON.stringify({
                    label: bar && bar.getAttribute("aria-label"),
                    max: bar && bar.max,
                    filling: bar !== null && bar.value > 0,
                    note: note && note.textContent,
                    role: note && note.getAttribute("role"),
                    busy: form.getAttribute("aria-busy"),
                    disabled: form.querySelector("button[type=submit]").disabled,
                }));
                form.requestSubmit();
            }, 600);
        }"""
    )
    expect(page.locator("#preview")).to_contain_text("2 of 2 care-plan items placed")
    seen = json.loads(page.evaluate("sessionStorage.getItem('seen')"))
    assert seen.pop("note").startswith("Planning the day… about ")
    assert seen == {
        "label": "Planning progress",
        "max": budget * 10,
        "filling": True,
        "role": "status",
        "busy": "true",
        "disabled": True,
    }
    assert sent == ["POST"]  # the second submit sent nothing
    expect(page.locator("progress.plan-progress")).to_have_count(0)
