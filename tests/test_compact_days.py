"""Compact days (docs/rules.md, "Compact days"), on both databases: with the clinic's cap on
the longest wait between a patient's on-site items of a day, the care-plan planner (and so
auto-book, courses and re-plans) keeps each day within it, or says ``day_not_compact``; a
telehealth session on an infusion day counts as on-site.

The protocol here: ``early`` 2-3 h after the infusion's end (no target), ``late`` 2-8 h with
its target at 6 h. An infusion 07:00-07:40 is followed by recovery to 08:40; ``early`` (45
min) goes at 09:40, ``late`` (30 min) wants 13:25 (its midpoint on the 13:40 target).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from planner.compact import longest_wait
from planner.intervals import Interval
from tests.support import Api
from tests.web_support import csrf_of, log_in

DAY = "2026-03-10"
WINDOWS = [
    {"key": "early", "label": "Early", "start_offset": "PT2H", "end_offset": "PT3H"},
    {
        "key": "late",
        "label": "Late",
        "start_offset": "PT2H",
        "end_offset": "PT8H",
        "target_offset": "PT6H",
    },
]


@pytest.fixture
def clinic(api: Api) -> Api:
    api.ok("PUT", "/api/protocol", {"anchor": "end", "windows": WINDOWS})
    api.therapist("Rae", ("physio",), start="00:00", end="23:59")
    api.therapist("Sol", ("talk",), start="00:00", end="23:59")
    api.session_type("stretch", "early", "physio", 45)
    return api


def _cap(api: Api, minutes: int | None) -> None:
    body = {"name": "Test Clinic", "timezone": "America/New_York", "max_wait_minutes": minutes}
    api.ok("PUT", "/api/clinic", body)


def _record(api: Api, name: str, care_plan: list[str], day: str = DAY) -> Any:
    patient = api.patient(name)["id"]
    body = {"patient_id": patient, "start": f"{day}T07:00", "care_plan": care_plan}
    return api.ok("POST", "/api/infusions", {**body, "auto_book": True}, 201)


def _walls(infusion: Any) -> dict[str, str]:
    return {
        s["session_type"]: datetime.fromisoformat(s["start"]).strftime("%H:%M")
        for s in infusion["sessions"]
    }


@pytest.mark.parametrize("modality", ["on_site", "telehealth"])
def test_a_cap_keeps_the_day_compact(clinic: Api, modality: str) -> None:
    clinic.session_type("chat", "late", "talk", 30)
    body = {"key": "video", "name": "Video", "duration_minutes": 30, "discipline": "talk"}
    clinic.ok("POST", "/api/session-types", {**body, "window": "late", "modality": modality}, 201)
    spread = _record(clinic, "Ann", ["stretch", "chat"])
    assert _walls(spread) == {"stretch": "09:40", "chat": "13:25"}  # three hours' wait
    _cap(clinic, 60)
    compact = _record(clinic, "Ben", ["stretch", "video"], "2026-03-11")  # Rae free again
    # on the infusion day a telehealth session is taken at the clinic: it counts too
    assert _walls(compact) == {"stretch": "09:40", "video": "11:25"}
    spans = [
        Interval(
            datetime.fromisoformat(compact["start"]),
            datetime.fromisoformat(compact["recovery_end"]),
        )
    ]
    spans += [
        Interval(datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]))
        for s in compact["sessions"]
    ]
    assert longest_wait(spans) == timedelta(minutes=60)


def test_what_no_compact_day_can_hold_is_reported(clinic: Api) -> None:
    _cap(clinic, 30)  # early opens an hour after the recovery ends
    infusion = _record(clinic, "Cy", ["stretch"])
    assert infusion["sessions"] == []
    [unplaced] = infusion["unplaced"]
    assert unplaced["code"] == "day_not_compact"
    assert "longer than 30 minutes" in unplaced["detail"]
    _cap(clinic, None)
    assert _walls(_record(clinic, "Dee", ["stretch"])) == {"stretch": "09:40"}


def test_longest_wait() -> None:
    at = datetime(2026, 3, 10, 9, 0)
    pieces = [
        Interval(at, at + timedelta(minutes=30)),
        Interval(at + timedelta(minutes=20), at + timedelta(minutes=60)),  # overlaps: merged
        Interval(at + timedelta(minutes=150), at + timedelta(minutes=160)),
    ]
    assert longest_wait(pieces) == timedelta(minutes=90)
    assert longest_wait(pieces[:1]) == timedelta(0)


@pytest.mark.parametrize(("modality", "call_at"), [("telehealth", "15:25"), ("on_site", "09:10")])
def test_telehealth_counts_only_on_an_infusion_day(api: Api, modality: str, call_at: str) -> None:
    """The day after: a 30-minute walk from 07:40 (no target) and a 30-minute call aimed at
    15:40. By video from home the call keeps its target; at the clinic it follows the walk
    within the hour."""
    windows = [
        {"key": "next", "label": "Next day", "start_offset": "P1D", "end_offset": "P1DT1H"},
        {
            "key": "later",
            "label": "Later",
            "start_offset": "P1D",
            "end_offset": "P1DT10H",
            "target_offset": "P1DT8H",
        },
    ]
    api.ok("PUT", "/api/protocol", {"anchor": "end", "windows": windows})
    api.therapist("Rae", ("physio",), start="00:00", end="23:59")
    api.session_type("walk", "next", "physio", 30)
    body = {"key": "call", "name": "Call", "duration_minutes": 30, "discipline": "physio"}
    api.ok("POST", "/api/session-types", {**body, "window": "later", "modality": modality}, 201)
    _cap(api, 60)
    infusion = _record(api, "Eve", ["walk", "call"])
    assert _walls(infusion) == {"walk": "07:40", "call": call_at}


def test_the_settings_page_sets_the_cap_and_a_modality(client: TestClient, api: Api) -> None:
    api.ok(
        "POST", "/api/users", {"username": "ada", "role": "admin", "password": "ada-pw-123"}, 201
    )
    assert log_in(client, "ada", "ada-pw-123").status_code == 303
    page = client.get("/settings")
    assert 'name="max_wait_minutes"' in page.text and 'name="modality"' in page.text
    token = csrf_of(page.text)
    form = {"csrf_token": token, "name": "Test Clinic", "timezone": "America/New_York"}
    client.post("/settings/clinic", data={**form, "max_wait_minutes": "90"})
    assert api.get("/api/clinic").json()["max_wait_minutes"] == 90
    kind = {
        "csrf_token": token,
        "key": "video_chat",
        "name": "Video chat",
        "duration_minutes": "30",
        "discipline": "talk",
        "window": "plasticity",
        "modality": "telehealth",
    }
    client.post("/settings/session-types", data=kind)
    [made] = api.get("/api/session-types").json()
    assert made["modality"] == "telehealth"
