"""One infusion from recording to cancelling, on a served process and the real clock.

Tomorrow 07:00 in the clinic (a wall time that exists on every day, DST days included), so
nothing depends on the hour the test runs at: record it with a care plan, search slots,
book one, preview the joint plan and commit it, re-plan after a late start, book a weekly
follow-up series, cancel a session, cancel the infusion. Windows are checked against the
default protocol, computed here in elapsed time.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import httpx2

from tests.e2e.support import (
    CARE_PLAN,
    Clinic,
    Served,
    build_clinic,
    expect,
    instant,
    local,
    now,
    rfc3339,
    tomorrow,
    user,
    wall,
    whole_minute,
)
from tests.problems import assert_problem

H = timedelta(hours=1)
DEFAULT_WINDOWS = {  # the default protocol (SPEC §2): elapsed offsets from the infusion's end
    "spinogenesis": (2 * H, 4 * H, None),
    "peak": (3 * H, 5 * H, 4 * H),
    "plasticity": (2 * H, 12 * H, None),
    "long_term": (timedelta(days=1), timedelta(days=28), None),
}
REHAB, TRAINING, THERAPY = CARE_PLAN
FOLLOW_UP = "follow_up_rehabilitation"


def _expected_windows(anchor: datetime) -> dict[str, tuple[str, str, str | None]]:
    return {
        key: (
            rfc3339(anchor + start),
            rfc3339(anchor + end),
            None if target is None else rfc3339(anchor + target),
        )
        for key, (start, end, target) in DEFAULT_WINDOWS.items()
    }


def _windows(infusion: dict[str, Any]) -> dict[str, tuple[str, str, str | None]]:
    return {w["key"]: (w["start"], w["end"], w["target"]) for w in infusion["windows"]}


def _inside(session: dict[str, Any], infusion: dict[str, Any]) -> bool:
    start, end, _ = _windows(infusion)[session["window"]]
    return instant(start) <= instant(session["start"]) < instant(session["end"]) <= instant(end)


def _placement(session: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("session_type", "therapist_id", "room_id", "start", "end")
    return tuple(session[k] for k in keys)


def _fits_clinic(session: dict[str, Any], clinic: Clinic) -> None:
    kind = clinic.types[session["session_type"]]
    assert session["therapist_id"] in clinic.disciplines[kind["discipline"]], session
    if kind["room_kind"] is None:
        assert session["room_id"] is None, session
    else:
        assert session["room_id"] in clinic.rooms[kind["room_kind"]], session
    start, end = instant(session["start"]), instant(session["end"])
    assert start.second == 0 and start.microsecond == 0, session
    assert end - start == timedelta(minutes=kind["duration_minutes"]), session


def _sessions(api: httpx2.Client, infusion_id: int) -> dict[int, dict[str, Any]]:
    infusion = expect(api.get(f"/api/infusions/{infusion_id}"), 200)
    return {s["id"]: s for s in infusion["sessions"]}


def test_infusion_tomorrow_from_recording_to_cancelling(server: Served) -> None:
    admin = server.admin()
    clinic = build_clinic(admin)
    user(admin, "sam", "scheduler", "sam-secret-1")
    api = server.login("sam", "sam-secret-1")
    patient = expect(api.post("/api/patients", json={"name": "Robin Flow"}), 201)["id"]
    day = tomorrow()
    start = local(day, "07:00")

    # Recorded as the pages and the README send it: a wall time without an offset.
    body = {"patient_id": patient, "start": wall(day, "07:00"), "care_plan": CARE_PLAN}
    infusion = expect(api.post("/api/infusions", json=body), 201)
    infusion_id = infusion["id"]
    assert infusion["start"] == rfc3339(start)
    assert infusion["end"] == rfc3339(start + timedelta(minutes=40))
    assert infusion["status"] == "scheduled" and infusion["care_plan"] == CARE_PLAN
    assert infusion["duration_minutes"] == 40 and infusion["sessions"] == []
    assert _windows(infusion) == _expected_windows(start + timedelta(minutes=40))

    # Slots for the rehabilitation: whole minutes, in its window, after now, best first.
    slots = expect(
        api.get(
            f"/api/infusions/{infusion_id}/slots",
            params={"session_type": REHAB, "limit": 5},
        ),
        200,
    )
    assert len(slots) == 5, slots
    for slot in slots:
        _fits_clinic({**slot, "session_type": REHAB}, clinic)
        assert slot["window"] == "spinogenesis" and _inside(slot, infusion)
        assert instant(slot["start"]) >= whole_minute(now())
    assert [s["score"] for s in slots] == sorted(s["score"] for s in slots)
    first = slots[0]
    assert first["start"] == _windows(infusion)["spinogenesis"][0]  # no target: the earliest

    # The first slot, booked with no therapist named: the best free one is chosen.
    wanted = {"infusion_id": infusion_id, "session_type": REHAB, "start": first["start"]}
    rehab = expect(api.post("/api/sessions", json=wanted), 201)
    _fits_clinic(rehab, clinic)
    assert rehab["start"] == first["start"] and rehab["status"] == "booked"
    assert rehab["outside_window"] is False and rehab["patient_id"] == patient
    # The same patient at the same time with the other, free physiotherapist: refused.
    other = next(t for t in clinic.disciplines["physical"] if t != rehab["therapist_id"])
    clash = api.post("/api/sessions", json={**wanted, "therapist_id": other})
    refused = assert_problem(clash, 409, "patient_busy")
    assert rehab["id"] in {c["id"] for c in refused["conflicts"] if c["kind"] == "session"}

    # The joint plan of what is left of the care plan: previewed, then committed as shown.
    preview = expect(api.post(f"/api/infusions/{infusion_id}/plan", json={"commit": False}), 200)
    assert preview["committed"] is False and preview["unplaced"] == []
    assert sorted(s["session_type"] for s in preview["sessions"]) == sorted([TRAINING, THERAPY])
    for proposed in preview["sessions"]:
        assert proposed["id"] is None and proposed["status"] == "proposed"
        assert proposed["infusion_id"] == infusion_id and _inside(proposed, infusion)
        _fits_clinic(proposed, clinic)
    assert list(_sessions(api, infusion_id)) == [rehab["id"]], "a preview books nothing"
    committed = expect(api.post(f"/api/infusions/{infusion_id}/plan", json={"commit": True}), 200)
    assert committed["committed"] is True and committed["unplaced"] == []
    assert sorted(map(_placement, committed["sessions"])) == sorted(
        map(_placement, preview["sessions"])
    )
    assert all(s["id"] and s["status"] == "booked" for s in committed["sessions"])
    before = _sessions(api, infusion_id)
    assert set(before) == {rehab["id"], *(s["id"] for s in committed["sessions"])}
    patient_spans = sorted((instant(s["start"]), instant(s["end"])) for s in before.values())
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(patient_spans))
    again = expect(api.post(f"/api/infusions/{infusion_id}/plan", json={"commit": True}), 200)
    assert again["sessions"] == [] and again["unplaced"] == [], "nothing is booked twice"

    # It started 90 minutes late: windows move; sessions are kept, moved or listed.
    late = local(day, "08:30")
    replanned = expect(
        api.patch(f"/api/infusions/{infusion_id}", json={"start": wall(day, "08:30")}), 200
    )
    assert replanned["start"] == rfc3339(late)
    assert _windows(replanned) == _expected_windows(late + timedelta(minutes=40))
    outcome = replanned["replan"]
    kept, moved = set(outcome["kept"]), {m["session_id"]: m for m in outcome["moved"]}
    unplaced = {u["session_id"] for u in outcome["unplaced"]}
    assert len(kept) + len(moved) + len(unplaced) == len(before) == 3
    assert kept | set(moved) | unplaced == set(before)
    assert unplaced == set(), "every therapist works all day and the rooms are free"
    assert rehab["id"] in moved, "the rehabilitation sat at the old window's opening"
    after = {s["id"]: s for s in replanned["sessions"]}
    assert after == _sessions(api, infusion_id)
    for session_id, session in after.items():
        assert session["status"] == "booked" and session["outside_window"] is False
        assert _inside(session, replanned), session
        if session_id in kept:
            assert session["start"] == before[session_id]["start"]
        else:
            assert moved[session_id]["from"] == before[session_id]["start"]
            assert moved[session_id]["to"] == session["start"] != before[session_id]["start"]

    # A weekly follow-up series, 10:00 wall time, from the day after next (after the
    # long-term window opens, even if a DST change shifts its opening by an hour).
    series_day = day + timedelta(days=2)
    body = {
        "session_type": FOLLOW_UP,
        "rrule": "FREQ=WEEKLY;COUNT=3",
        "start": wall(series_day, "10:00"),
    }
    series = expect(api.post(f"/api/infusions/{infusion_id}/follow-ups", json=body), 200)
    assert series["unplaced"] == []
    expected = [rfc3339(local(series_day + timedelta(weeks=k), "10:00")) for k in range(3)]
    assert [s["start"] for s in series["sessions"]] == expected
    for session in series["sessions"]:
        _fits_clinic(session, clinic)
        assert session["window"] == "long_term" and session["status"] == "booked"
        assert session["outside_window"] is False
    occurrences = series["occurrences"]
    assert [o["start"] for o in occurrences] == expected
    assert all(
        o["session_id"] and o["shifted_minutes"] == 0 and o["code"] is None for o in occurrences
    )

    # Cancel one follow-up; cancelling it again is not a transition.
    dropped = series["sessions"][1]["id"]
    cancelled = expect(
        api.post(f"/api/sessions/{dropped}/cancel", json={"reason": "travelling"}), 200
    )
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "travelling"
    assert_problem(api.post(f"/api/sessions/{dropped}/cancel"), 409, "invalid_transition")

    # Cancel the infusion: its active sessions go with it, and it takes no more bookings.
    gone = expect(api.post(f"/api/infusions/{infusion_id}/cancel", json={"reason": "unwell"}), 200)
    assert gone["status"] == "cancelled" and gone["cancel_reason"] == "unwell"
    assert len(gone["sessions"]) == 6 and all(s["status"] == "cancelled" for s in gone["sessions"])
    assert {s["id"]: s["cancel_reason"] for s in gone["sessions"]}[dropped] == "travelling"
    assert_problem(api.post("/api/sessions", json=wanted), 409, "infusion_cancelled")
    assert_problem(
        api.patch(f"/api/infusions/{infusion_id}", json={"start": wall(day, "09:00")}),
        409,
        "infusion_cancelled",
    )
    assert_problem(api.post(f"/api/infusions/{infusion_id}/cancel"), 409, "invalid_transition")
    listed = expect(api.get("/api/sessions", params={"date": day.isoformat()}), 200)
    assert listed and all(s["status"] == "cancelled" for s in listed)
