"""A therapist subscribes its phone to its calendar, on ``planner serve`` with the real clock.

The therapist logs in through the login form, presses Subscribe on its day page and gets the
link once; a calendar app (a client with no token) reads the feed: tomorrow's session is in
it at its instant. The session is moved: the same UID comes back with a higher SEQUENCE, and
a poll with the old ETag gets the new calendar, one with the new ETag a 304. A new link ends
the old one.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import httpx2
from icalendar import Calendar

from tests.e2e.clinic import CARE_PLAN, build_clinic, user
from tests.e2e.support import Served, expect, instant, page_ok, tomorrow, wall
from tests.web_support import csrf_of

REHAB = CARE_PLAN[0]


def _events(calendar_app: httpx2.Client, path: str) -> dict[str, object]:
    answer = calendar_app.get(path)
    assert answer.status_code == 200, answer.text
    return {str(e["UID"]): e for e in Calendar.from_ical(answer.content).walk("VEVENT")}


def _subscribe(browser: httpx2.Client, therapist: int) -> str:
    day_page = page_ok(browser.get(f"/therapists/{therapist}/day"))
    assert f'action="/therapists/{therapist}/feed"' in day_page
    shown = page_ok(
        browser.post(f"/therapists/{therapist}/feed", data={"csrf_token": csrf_of(day_page)})
    )
    found = re.search(r'data-feed-url[^>]*value="([^"]+)"|value="([^"]+)"[^>]*data-feed-url', shown)
    assert found, shown
    url = unescape(found.group(1) or found.group(2))
    assert "webcal://" in shown
    return urlsplit(url).path


def test_a_therapist_subscribes_and_the_feed_follows_a_move(server: Served) -> None:
    admin = server.admin()
    clinic = build_clinic(admin)
    therapist = next(iter(clinic.disciplines["physical"]))
    user(admin, "rae", "therapist", "rae-secret-123", therapist_id=therapist)
    patient = clinic.patient(admin, "Nora Quill")
    day = tomorrow()
    body = {"patient_id": patient, "start": wall(day, "07:00")}
    infusion = expect(admin.post("/api/infusions", json=body), 201)
    slots = expect(
        admin.get(
            f"/api/infusions/{infusion['id']}/slots",
            params={"session_type": REHAB, "therapist_id": therapist, "limit": 5},
        ),
        200,
    )
    first, later = slots[0], slots[-1]
    booking = {
        "infusion_id": infusion["id"],
        "session_type": REHAB,
        "start": first["start"],
        "therapist_id": therapist,
    }
    session = expect(admin.post("/api/sessions", json=booking), 201)

    browser, _ = server.browser("rae", "rae-secret-123")
    path = _subscribe(browser, therapist)
    calendar_app = server.client()  # no token: the URL is the key
    uid = f"session-{session['id']}@infusion-window-planner"
    event = _events(calendar_app, path)[uid]
    assert event["DTSTART"].dt == instant(session["start"])  # type: ignore[index]
    assert "Nora" not in calendar_app.get(path).text
    old_etag = calendar_app.get(path).headers["etag"]

    expect(admin.patch(f"/api/sessions/{session['id']}", json={"start": later["start"]}), 200)
    moved = _events(calendar_app, path)[uid]
    assert moved["DTSTART"].dt == instant(later["start"])  # type: ignore[index]
    assert int(moved["SEQUENCE"]) == int(event["SEQUENCE"]) + 1  # type: ignore[index]
    fresh = calendar_app.get(path, headers={"If-None-Match": old_etag})
    assert fresh.status_code == 200
    still = calendar_app.get(path, headers={"If-None-Match": fresh.headers["etag"]})
    assert still.status_code == 304

    newer = _subscribe(browser, therapist)
    assert calendar_app.get(path).status_code == 404
    assert uid in _events(calendar_app, newer)
