"""The staff journey in a real browser, on ``planner serve`` and the real clock: record an
infusion for tomorrow, book its top slot, have a refusal shown beside the field with what was
typed kept, move the session (once refused, then to a free time), and find it on the board
and in the therapist's day."""

from __future__ import annotations

import os
import re
import shutil
from typing import Any

import pytest

from tests.browser.conftest import ROOT, Clinic, log_in, screenshot

expect: Any = pytest.importorskip("playwright.sync_api", reason="pip install playwright").expect


def test_staff_record_book_and_move_a_session(
    page: Any, live_clinic: Clinic, request: pytest.FixtureRequest
) -> None:
    clinic, base = live_clinic, live_clinic.base_url

    # Staff log in and land on the day board.
    log_in(page, base, *clinic.staff)
    expect(page).to_have_url(re.compile(r"/board$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Day board")

    # Record an infusion for a new patient at 09:00 tomorrow, clinic time.
    page.get_by_role("link", name="Infusions", exact=True).click()
    page.get_by_label("New patient's name").fill("Robin Test")
    page.get_by_label("MRN").fill("MRN-7")
    page.get_by_label("Infusion start").fill(clinic.at("09:00"))
    page.get_by_label("Physical rehabilitation").check()
    page.get_by_role("button", name="Record infusion").click()
    expect(page).to_have_url(re.compile(r"/infusions/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Infusion recorded for 09:00")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Robin Test")
    infusion_url = page.url

    # Its timeline: the anchor at the infusion's end and the peak window's target.
    timeline = page.locator("svg.tl")
    expect(timeline).to_be_visible()
    expect(timeline).to_contain_text("anchor 09:40 (infusion end)")
    expect(timeline).to_contain_text("target 13:40")
    expect(timeline).to_contain_text("Long-term synaptic density")

    # Book the top slot for physical rehabilitation: 13:10–14:10 is centred on the target.
    group = page.locator(".slot-group", has_text="Physical rehabilitation")
    expect(group.locator(".slot-time").first).to_have_text("13:10–14:10")
    group.get_by_role("button", name=re.compile("^Book")).first.click()
    expect(page.get_by_role("status")).to_contain_text("Booked physical rehabilitation 13:10–14:10")
    booked = page.locator(".session-item", has_text="13:10–14:10")
    expect(booked).to_contain_text("Dana Lee")
    expect(booked).to_contain_text("Gym 1")
    expect(page.locator("svg.tl rect.tl-session")).to_have_count(1)
    screenshot(page, "infusion.png", request)

    # A booking the rules refuse says why beside the field, and keeps what was typed.
    page.locator("summary", has_text="Book at a chosen time").click()
    page.get_by_label("Session type").first.select_option("physical_rehabilitation")
    page.get_by_label("Start", exact=True).fill(clinic.at("10:00"))
    page.get_by_role("button", name="Book session").click()
    alert = page.locator("#book-start-error")
    expect(alert).to_contain_text("outside_window")
    expect(page.locator("body")).not_to_contain_text("Traceback")
    expect(page.get_by_label("Start", exact=True)).to_have_value(clinic.at("10:00"))
    assert page.url.split("#")[0] == infusion_url + "/book"
    page.goto(infusion_url)

    # Move it: a time outside its window is refused beside the field, the typed time kept;
    # then a free time in the window.
    page.locator(".session-item", has_text="13:10–14:10").get_by_role(
        "link", name=re.compile("^Move")
    ).click()
    expect(page).to_have_url(re.compile(r"/sessions/\d+/move"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Move")
    start = page.locator("#mv-start")
    start.fill(clinic.at("10:00"))
    page.get_by_role("button", name="Move session").click()
    expect(page.locator("#move-start-error")).to_contain_text("outside_window")
    expect(start).to_have_attribute("aria-invalid", "true")
    expect(start).to_have_value(clinic.at("10:00"))
    screenshot(page, "move-refused.png", request)
    start.fill(clinic.at("13:30"))
    page.get_by_role("button", name="Move session").click()
    expect(page.get_by_role("status")).to_contain_text("Moved to")
    expect(page.get_by_role("status")).to_contain_text("13:30–14:30")
    expect(page).to_have_url(re.compile(r"/infusions/\d+#session-\d+$"))
    expect(page.locator(".session-item", has_text="13:30–14:30")).to_contain_text("Dana Lee")
    expect(page.locator(".session-item", has_text="13:10–14:10")).to_have_count(0)

    # The session is on the day board, in Dana's column, inside the windows drawn there.
    page.goto(f"{base}/board?date={clinic.day.isoformat()}")
    block = page.locator("div.session", has_text="Robin Test")
    expect(block).to_contain_text("13:30–14:30")
    expect(page.locator(".lane-head", has_text="Robin Test")).to_contain_text("09:00")
    shot = screenshot(page, "board.png", request)
    backend = request.node.callspec.params["server"]
    if os.environ.get("PLANNER_UPDATE_README_SCREENSHOT") and backend == "sqlite":
        shutil.copyfile(shot, ROOT / "docs" / "screenshot-board.png")

    # ... and in the therapist's day, as staff see it, with its Move link.
    page.get_by_role("link", name="Dana Lee").click()
    item = page.locator(".agenda-session", has_text="Robin Test")
    expect(item).to_contain_text("13:30–14:30")
    expect(item.get_by_role("link", name=re.compile("^Move"))).to_be_visible()

    # Dana sees it in her own day; she cannot open the board.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    log_in(page, base, *clinic.therapist)
    expect(page).to_have_url(re.compile(rf"/therapists/{clinic.therapists['Dana Lee']}/day$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("My day")
    page.get_by_role("link", name=re.compile("Next day")).click()
    item = page.locator(".agenda-session", has_text="Robin Test")
    expect(item).to_contain_text("Physical rehabilitation")
    expect(item).to_contain_text("Gym 1")
    expect(item).to_contain_text("Peak neuroplasticity")
    page.goto(base + "/board")
    expect(page).to_have_url(re.compile(r"/day$"))

    # The print view lists the day as a table.
    day_url = f"{base}/therapists/{clinic.therapists['Dana Lee']}/day"
    page.goto(f"{day_url}?date={clinic.day.isoformat()}&print=1")
    expect(page.locator("table.print-table")).to_contain_text("Robin Test")


def test_the_pages_fit_a_phone(
    phone: Any, live_clinic: Clinic, request: pytest.FixtureRequest
) -> None:
    """At 390 px the page itself never scrolls sideways; the board scrolls in its region."""
    base = live_clinic.base_url
    log_in(phone, base, *live_clinic.staff)
    for path, name in (
        (f"/board?date={live_clinic.day.isoformat()}", "board-phone.png"),
        ("/infusions", "infusions-phone.png"),
        ("/settings", "settings-phone.png"),
    ):
        phone.goto(base + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, (path, width)
        screenshot(phone, name, request)
    phone.goto(f"{base}/board?date={live_clinic.day.isoformat()}")
    scroller = phone.locator(".board-scroll")
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")
    phone.locator("a", has_text="Alex Morgan").first.click()
    expect(phone).to_have_url(re.compile(r"/infusions/\d+$"))
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width
    screenshot(phone, "infusion-phone.png", request)
