"""A therapist's day on a phone, on ``planner serve`` and the real clock: a session that was
under a minute ahead when the clinic was built is checked in, the check-in undone and done
again, and once the session has begun (the test waits for its start if the tests before it
have not taken that long) it is marked completed."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.browser.conftest import Clinic, log_in, screenshot
from tests.e2e.support import ZONE, now

expect: Any = pytest.importorskip("playwright.sync_api", reason="pip install playwright").expect


def test_a_therapist_checks_in_undoes_and_completes(
    phone: Any, live_clinic: Clinic, request: pytest.FixtureRequest
) -> None:
    start = live_clinic.soon
    day = start.astimezone(ZONE).date().isoformat()
    base = live_clinic.base_url
    log_in(phone, base, *live_clinic.night_therapist)
    expect(phone.get_by_role("heading", level=1)).to_contain_text("My day")
    phone.goto(f"{base}/therapists/{live_clinic.therapists['Dee Novak']}/day?date={day}")
    item = phone.locator(".agenda-session", has_text="Quinn Soon")
    expect(item).to_contain_text("Short therapy")
    expect(item).to_contain_text(f"{start.astimezone(ZONE):%H:%M}")

    item.get_by_role("button", name=re.compile("^Check in")).click()
    expect(phone.get_by_role("status")).to_contain_text("checked in")
    expect(item.locator(".badge")).to_have_text("checked in")
    item.get_by_role("button", name=re.compile("^Undo checked in")).click()
    expect(phone.get_by_role("status")).to_contain_text("is booked again")
    expect(item.locator(".badge")).to_have_text("booked")
    item.get_by_role("button", name=re.compile("^Check in")).click()
    expect(item.locator(".badge")).to_have_text("checked in")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width
    screenshot(phone, "my-day-phone.png", request)

    # Completed needs the session to have begun.
    time.sleep(max(0.0, (start - now()).total_seconds()) + 1)
    phone.reload()
    phone.once("dialog", lambda dialog: dialog.accept())  # "Mark … completed?" asks first
    item.get_by_role("button", name=re.compile("^Mark completed")).click()
    expect(phone.get_by_role("status")).to_contain_text("completed")
    expect(item.locator(".badge")).to_have_text("completed")
