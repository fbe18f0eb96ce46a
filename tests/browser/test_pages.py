"""The staff and therapist journey in a real browser (Chromium through Playwright)."""

from __future__ import annotations

import os
import re
import shutil
from typing import Any

from tests.browser.conftest import ROOT, TODAY, Clinic, screenshot


def log_in(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/")
    assert page.url.endswith("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_staff_books_the_top_slot_and_the_therapist_completes_it(
    page: Any, live_clinic: Clinic
) -> None:
    base = live_clinic.base_url
    expect = __import__("playwright.sync_api", fromlist=["expect"]).expect

    # Staff log in and land on the day board.
    log_in(page, base, *live_clinic.staff)
    expect(page).to_have_url(re.compile(r"/board$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Day board")

    # Record an infusion for a new patient at 09:00 clinic time.
    page.get_by_role("link", name="Infusions", exact=True).click()
    page.get_by_label("New patient's name").fill("Robin Test")
    page.get_by_label("MRN").fill("MRN-7")
    page.get_by_label("Infusion start").fill(f"{TODAY}T09:00")
    page.get_by_label("Physical rehabilitation").check()
    page.get_by_role("button", name="Record infusion").click()
    expect(page).to_have_url(re.compile(r"/infusions/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Infusion recorded for 09:00")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Robin Test")

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
    infusion_url = page.url.split("#")[0]
    screenshot(page, "infusion.png")

    # A booking the rules refuse shows the reason, readably.
    page.locator("summary", has_text="Book at a chosen time").click()
    page.get_by_label("Session type").first.select_option("physical_rehabilitation")
    page.get_by_label("Start", exact=True).fill(f"{TODAY}T10:00")
    page.get_by_role("button", name="Book session").click()
    alert = page.locator("#book-start-error")
    expect(alert).to_contain_text("The session was not booked")
    expect(alert).to_contain_text("outside_window")
    expect(page.locator("body")).not_to_contain_text("Traceback")
    # the form is still open, with what was typed
    expect(page.get_by_label("Start", exact=True)).to_have_value(f"{TODAY}T10:00")
    assert page.url.split("#")[0] == infusion_url + "/book"
    page.goto(infusion_url)

    # The session is on the day board, in Dana's column, inside the windows drawn there.
    page.get_by_role("link", name="Day board", exact=True).first.click()
    block = page.locator("div.session", has_text="Robin Test")
    expect(block).to_contain_text("13:10–14:10")
    expect(page.locator(".lane-head", has_text="Robin Test")).to_contain_text("09:00")
    shot = screenshot(page, "board.png")
    if os.environ.get("PLANNER_UPDATE_README_SCREENSHOT"):  # the README's picture, on request
        shutil.copyfile(shot, ROOT / "docs" / "screenshot-board.png")

    # ... and in the therapist's day, as staff see it.
    page.get_by_role("link", name="Dana Lee").click()
    expect(page.locator(".agenda-session", has_text="Robin Test")).to_contain_text("13:10–14:10")

    # The therapist logs in, sees "my day", checks the patient in and completes the session
    # (at 13:15, once it has begun).
    live_clinic.clock.set_local(f"{TODAY}T13:15")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    log_in(page, base, *live_clinic.therapist)
    expect(page).to_have_url(re.compile(rf"/therapists/{live_clinic.therapist_id}/day$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("My day")
    item = page.locator(".agenda-session", has_text="Robin Test")
    expect(item).to_contain_text("Physical rehabilitation")
    expect(item).to_contain_text("Gym 1")
    expect(item).to_contain_text("Peak neuroplasticity")
    item.get_by_role("button", name=re.compile("^Check in")).click()
    expect(page.get_by_role("status")).to_contain_text("checked in")
    page.once("dialog", lambda dialog: dialog.accept())  # "Mark … completed?" asks first
    item.get_by_role("button", name=re.compile("^Mark completed")).click()
    expect(page.get_by_role("status")).to_contain_text("completed")
    expect(item.locator(".badge")).to_have_text("completed")
    expect(page.locator(".agenda-free").first).to_be_visible()
    screenshot(page, "my-day.png")

    # A therapist cannot open the board: it is sent back to its own day.
    page.goto(base + "/board")
    expect(page).to_have_url(re.compile(r"/day$"))

    # The print view lists the day as a table.
    page.goto(base + f"/therapists/{live_clinic.therapist_id}/day?print=1")
    expect(page.locator("table.print-table")).to_contain_text("Robin Test")


def test_the_pages_fit_a_phone(browser: Any, live_clinic: Clinic) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, live_clinic.base_url, *live_clinic.staff)
        page.wait_for_url(re.compile(r"/board$"))
        # the page itself does not scroll sideways; the board scrolls inside its own region
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, width
        scroller = page.locator(".board-scroll")
        assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")
        screenshot(page, "board-phone.png")
    finally:
        context.close()
