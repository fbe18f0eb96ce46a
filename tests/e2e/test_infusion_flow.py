"""An infusion's life, on a served process and the real clock: record it with a care plan,
search slots, book one, preview the joint plan and commit it, re-plan after a late start,
book a weekly follow-up series, cancel a session, cancel the infusion.

Infusions start at 07:00 from tomorrow on (a wall time that exists on every day, DST days
included), so nothing depends on the hour the test runs at; each test has a day and a
patient of its own, the clinic is shared. Windows are checked against the default
protocol, computed here in elapsed time.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

import httpx2
import pytest

from tests.e2e.clinic import CARE_PLAN, Clinic, build_clinic, user
from tests.e2e.support import (
    Served,
    expect,
    instant,
    local,
    now,
    rfc3339,
    tomorrow,
    wall,
    whole_minute,
)
from tests.problems import assert_problem

H = timedelta(hours=1)
DEFAULT_WINDOWS = {  # the default protocol (docs/rules.md): elapsed offsets from the infusion's end
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


@pytest.fixture(scope="module")
def clinic(server: Served) -> Clinic:
    admin = server.admin()
    built = build_clinic(admin)
    user(admin, "sam", "scheduler", "sam-secret-1")
    return built


@pytest.fixture
def api(server: Served, clinic: Clinic) -> httpx2.Client:
    return server.login("sam", "sam-secret-1")


def _record(
    api: httpx2.Client, name: str, day: date, care_plan: list[str] = CARE_PLAN
) -> dict[str, Any]:
    """An infusion at 07:00 on ``day``, sent as the pages and the README send it: a wall time
    without an offset."""
    patient = expect(api.post("/api/patients", json={"name": name}), 201)["id"]
    body = {"patient_id": patient, "start": wall(day, "07:00"), "care_plan": care_plan}
    infusion = dict(expect(api.post("/api/infusions", json=body), 201))
    start = local(day, "07:00")
    assert infusion["start"] == rfc3339(start) and infusion["patient_id"] == patient
    assert infusion["end"] == rfc3339(start + timedelta(minutes=40))
    assert infusion["status"] == "scheduled" and infusion["care_plan"] == care_plan
    assert infusion["duration_minutes"] == 40 and infusion["sessions"] == []
    assert _windows(infusion) == _expected_windows(start + timedelta(minutes=40))
    return infusion


def _book_first_slot(api: httpx2.Client, infusion: dict[str, Any]) -> dict[str, Any]:
    slots = expect(
        api.get(f"/api/infusions/{infusion['id']}/slots", params={"session_type": REHAB}), 200
    )
    wanted = {"infusion_id": infusion["id"], "session_type": REHAB, "start": slots[0]["start"]}
    return dict(expect(api.post("/api/sessions", json=wanted), 201))


def _late_start(api: httpx2.Client, infusion: dict[str, Any], day: date) -> dict[str, Any]:
    """Moved 90 minutes later; the answer, checked: every session kept, moved or listed, and
    the moved ones where the answer says, inside the new windows."""
    before = _sessions(api, infusion["id"])
    late = local(day, "08:30")
    replanned = expect(
        api.patch(f"/api/infusions/{infusion['id']}", json={"start": wall(day, "08:30")}), 200
    )
    assert replanned["start"] == rfc3339(late)
    assert _windows(replanned) == _expected_windows(late + timedelta(minutes=40))
    outcome = replanned["replan"]
    kept, moved = set(outcome["kept"]), {m["session_id"]: m for m in outcome["moved"]}
    unplaced = {u["session_id"] for u in outcome["unplaced"]}
    assert len(kept) + len(moved) + len(unplaced) == len(before)
    assert kept | set(moved) | unplaced == set(before)
    assert unplaced == set(), "every therapist works all day and the rooms are free"
    after = {s["id"]: s for s in replanned["sessions"]}
    assert after == _sessions(api, infusion["id"])
    for session_id, session in after.items():
        assert session["status"] == "booked" and session["outside_window"] is False
        assert _inside(session, replanned), session
        if session_id in kept:
            assert session["start"] == before[session_id]["start"]
        else:
            assert moved[session_id]["from"] == before[session_id]["start"]
            assert moved[session_id]["to"] == session["start"] != before[session_id]["start"]
    return dict(outcome)


def test_record_search_book_and_plan_jointly(
    server: Served, clinic: Clinic, api: httpx2.Client
) -> None:
    infusion = _record(api, "Robin Flow", tomorrow())
    infusion_id, patient = infusion["id"], infusion["patient_id"]

    # Slots for the rehabilitation: whole minutes, in its window, after now, best first.
    asked = whole_minute(now())
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
        assert instant(slot["start"]) >= asked
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

    # Move the rehabilitation: an hour after the infusion began is before its window opens
    # (refused, nothing changes); another of its free slots is taken, with that slot's
    # therapist.
    early = rfc3339(instant(infusion["start"]) + timedelta(hours=1))
    assert_problem(
        api.patch(f"/api/sessions/{rehab['id']}", json={"start": early}), 422, "outside_window"
    )
    assert _sessions(api, infusion_id) == {rehab["id"]: rehab}
    free = expect(
        api.get(f"/api/infusions/{infusion_id}/slots", params={"session_type": REHAB}), 200
    )
    target = next(slot for slot in free if slot["start"] != rehab["start"])
    body = {"start": target["start"], "therapist_id": target["therapist_id"]}
    moved = expect(api.patch(f"/api/sessions/{rehab['id']}", json=body), 200)
    assert (moved["start"], moved["end"]) == (target["start"], target["end"])
    assert moved["therapist_id"] == target["therapist_id"] and moved["outside_window"] is False
    assert _sessions(api, infusion_id) == {rehab["id"]: moved}
    rehab = moved

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
    booked = _sessions(api, infusion_id)
    assert set(booked) == {rehab["id"], *(s["id"] for s in committed["sessions"])}
    patient_spans = sorted((instant(s["start"]), instant(s["end"])) for s in booked.values())
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(patient_spans))
    again = expect(api.post(f"/api/infusions/{infusion_id}/plan", json={"commit": True}), 200)
    assert again["sessions"] == [] and again["unplaced"] == [], "nothing is booked twice"


def test_late_start_moves_a_lone_session(
    server: Served, clinic: Clinic, api: httpx2.Client
) -> None:
    day = tomorrow() + timedelta(days=1)
    infusion = _record(api, "Lee Late", day)
    rehab = _book_first_slot(api, infusion)  # at the old window's opening: it has to move
    outcome = _late_start(api, infusion, day)
    assert outcome["kept"] == [] and [m["session_id"] for m in outcome["moved"]] == [rehab["id"]]


def test_late_start_replans_back_to_back_sessions(
    server: Served, clinic: Clinic, api: httpx2.Client
) -> None:
    """The joint plan books the care plan back to back; 90 minutes later the rehabilitation
    has to move into the time the next session held. (On PostgreSQL this answered 409
    while the exclusion constraints were checked row by row.)"""
    day = tomorrow() + timedelta(days=2)
    infusion = _record(api, "Kim Later", day)
    planned = expect(api.post(f"/api/infusions/{infusion['id']}/plan", json={"commit": True}), 200)
    assert len(planned["sessions"]) == 3 and planned["unplaced"] == []
    rehab = next(s for s in planned["sessions"] if s["session_type"] == REHAB)
    others = [(instant(s["start"]), instant(s["end"])) for s in planned["sessions"] if s != rehab]
    outcome = _late_start(api, infusion, day)
    moves = {m["session_id"]: instant(m["to"]) for m in outcome["moved"]}
    # What this test is about: the rehabilitation's new time was another session's old one.
    new_end = moves[rehab["id"]] + timedelta(minutes=45)
    assert any(a < new_end and moves[rehab["id"]] < b for a, b in others)


def test_follow_ups_then_cancelling(server: Served, clinic: Clinic, api: httpx2.Client) -> None:
    day = tomorrow() + timedelta(days=3)
    infusion = _record(api, "Ash Series", day, [REHAB])
    infusion_id = infusion["id"]
    rehab = _book_first_slot(api, infusion)

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
        assert session["outside_window"] is False and session["infusion_id"] == infusion_id
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
    reasons = {s["id"]: s["cancel_reason"] for s in gone["sessions"]}
    assert set(reasons) == {rehab["id"], *(s["id"] for s in series["sessions"])}
    assert all(s["status"] == "cancelled" for s in gone["sessions"])
    assert reasons[dropped] == "travelling" and reasons[rehab["id"]] == "unwell"
    wanted = {"infusion_id": infusion_id, "session_type": REHAB, "start": rehab["start"]}
    assert_problem(api.post("/api/sessions", json=wanted), 409, "infusion_cancelled")
    assert_problem(
        api.patch(f"/api/infusions/{infusion_id}", json={"start": wall(day, "09:00")}),
        409,
        "infusion_cancelled",
    )
    assert_problem(api.post(f"/api/infusions/{infusion_id}/cancel"), 409, "invalid_transition")
    listed = expect(api.get("/api/sessions", params={"date": day.isoformat()}), 200)
    assert [(s["id"], s["status"]) for s in listed] == [(rehab["id"], "cancelled")]
