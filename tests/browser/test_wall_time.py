"""Wall times that happen twice or never, typed into a form in a real browser (the clinic is in
New York). The next autumn night the clocks go back: 01:30 is asked about, first or second;
the next spring night: 02:30 does not exist, and the form says so beside the field."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser.conftest import Clinic, log_in, screenshot
from tests.e2e.support import expect as answered
from tests.e2e.support import today

expect: Any = pytest.importorskip("playwright.sync_api", reason="pip install playwright").expect


def _next_sunday(month: int, nth: int) -> date:
    """The ``nth`` Sunday of ``month`` next to come (New York's DST rules since 2007)."""
    year = today().year
    while True:
        first = date(year, month, 1)
        sunday = first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))
        if sunday > today():
            return sunday
        year += 1


def _record(page: Any, name: str, start: str) -> None:
    page.get_by_label("New patient's name").fill(name)
    page.get_by_label("Infusion start").fill(start)
    page.get_by_role("button", name="Record infusion").click()


def test_a_repeated_wall_time_is_asked_about(
    page: Any, live_clinic: Clinic, request: pytest.FixtureRequest
) -> None:
    base = live_clinic.base_url
    night = _next_sunday(11, 1).isoformat()  # the first Sunday of November
    log_in(page, base, *live_clinic.staff)
    page.goto(f"{base}/infusions?date={night}")
    _record(page, "Avery Autumn", f"{night}T01:30")

    # Not recorded: the form asks which 01:30, with what was typed kept.
    choice = page.locator("fieldset.choice")
    expect(choice).to_contain_text("01:30 happens twice that night. Which one?")
    first = choice.get_by_label(re.compile(r"^first 01:30 \(EDT"))
    second = choice.get_by_label(re.compile(r"^second 01:30 \(EST"))
    expect(first).to_be_checked()
    expect(page.get_by_label("New patient's name")).to_have_value("Avery Autumn")
    expect(page.get_by_label("Infusion start")).to_have_value(f"{night}T01:30")
    screenshot(page, "ambiguous-time.png", request)

    second.check()
    page.get_by_role("button", name="Record infusion").click()
    expect(page).to_have_url(re.compile(r"/infusions/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Infusion recorded for 01:30")
    infusion_id = page.url.rsplit("/", 1)[1]
    admin = live_clinic.served.admin()
    stored = answered(admin.get(f"/api/infusions/{infusion_id}"), 200)
    assert stored["start"] == f"{night}T01:30:00-05:00"  # the second 01:30, standard time
    assert stored["end"] == f"{night}T02:10:00-05:00"


def test_a_skipped_wall_time_is_refused_beside_the_field(page: Any, live_clinic: Clinic) -> None:
    base = live_clinic.base_url
    night = _next_sunday(3, 2).isoformat()  # the second Sunday of March
    log_in(page, base, *live_clinic.staff)
    page.goto(f"{base}/infusions?date={night}")
    _record(page, "Sam Spring", f"{night}T02:30")
    error = page.locator("#record-start-error")
    expect(error).to_contain_text("02:30")
    expect(error).to_contain_text("nonexistent_local_time")
    expect(page.get_by_label("Infusion start")).to_have_value(f"{night}T02:30")
    expect(page.get_by_label("New patient's name")).to_have_value("Sam Spring")
    # 03:30 exists: recorded.
    page.get_by_label("Infusion start").fill(f"{night}T03:30")
    page.get_by_role("button", name="Record infusion").click()
    expect(page.get_by_role("status")).to_contain_text("Infusion recorded for 03:30")
