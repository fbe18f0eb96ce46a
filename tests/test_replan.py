"""Re-planning when an infusion moves (PATCH /api/infusions/{id})."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from models.uow import UnitOfWork
from planner.errors import Code, PlannerError
from tests.support import ADMIN, Api

DAY = "2026-03-10"  # EDT (-04:00)


@pytest.fixture
def booked(api: Api) -> dict[str, Any]:
    """Infusion 07:00–07:40 with training at 11:10 (peak) and therapy at 14:00 (plasticity)."""
    cole = api.therapist("Cole", ("cognitive",), start="08:00", end="17:00")
    api.therapist("Mia", ("cognitive",), start="08:00", end="12:00")
    api.session_type("training", "peak", "cognitive", 60)
    api.session_type("therapy", "plasticity", "cognitive", 50)
    patient = api.patient("Pat")
    infusion = api.infusion(patient["id"], f"{DAY}T07:00")
    training = api.ok(
        "POST",
        "/api/sessions",
        {
            "infusion_id": infusion["id"],
            "session_type": "training",
            "start": f"{DAY}T11:10",
            "therapist_id": cole["id"],
        },
        201,
    )
    therapy = api.ok(
        "POST",
        "/api/sessions",
        {
            "infusion_id": infusion["id"],
            "session_type": "therapy",
            "start": f"{DAY}T14:00",
            "therapist_id": cole["id"],
        },
        201,
    )
    return {"infusion": infusion, "training": training, "therapy": therapy, "cole": cole}


def test_one_hour_late(api: Api, booked: dict[str, Any]) -> None:
    infusion = booked["infusion"]
    answer = api.ok("PATCH", f"/api/infusions/{infusion['id']}", {"start": f"{DAY}T08:00"})
    assert answer["start"] == f"{DAY}T08:00:00-04:00"
    peak = next(w for w in answer["windows"] if w["key"] == "peak")
    assert (peak["start"], peak["end"]) == (f"{DAY}T11:40:00-04:00", f"{DAY}T13:40:00-04:00")
    replan = answer["replan"]
    assert replan["kept"] == [booked["therapy"]["id"]]
    assert replan["moved"] == [
        {
            "session_id": booked["training"]["id"],
            "from": f"{DAY}T11:10:00-04:00",
            "to": f"{DAY}T12:10:00-04:00",  # midpoint 12:40, the new target
        }
    ]
    assert replan["unplaced"] == []
    moved = api.ok("GET", f"/api/sessions/{booked['training']['id']}")
    assert moved["therapist_id"] == booked["cole"]["id"]  # moves prefer the same therapist
    assert moved["outside_window"] is False


def test_six_hours_late(api: Api, booked: dict[str, Any]) -> None:
    infusion = booked["infusion"]
    answer = api.ok("PATCH", f"/api/infusions/{infusion['id']}", {"start": f"{DAY}T13:00"})
    replan = answer["replan"]
    # Peak is now 16:40–18:40: no therapist works a full hour of it; therapy (plasticity
    # 15:40–01:40) moves from 14:00 to the window's opening.
    assert [u["session_id"] for u in replan["unplaced"]] == [booked["training"]["id"]]
    assert replan["unplaced"][0]["code"] == "therapist_unavailable"
    assert [m["session_id"] for m in replan["moved"]] == [booked["therapy"]["id"]]
    assert replan["moved"][0]["to"] == f"{DAY}T15:40:00-04:00"
    left = api.ok("GET", f"/api/sessions/{booked['training']['id']}")
    assert left["status"] == "booked" and left["outside_window"] is True
    assert left["start"] == f"{DAY}T11:10:00-04:00"  # kept where it was, for staff to decide


def test_replan_refuses_overlapping_infusion_and_changes_nothing(
    api: Api, booked: dict[str, Any]
) -> None:
    infusion = booked["infusion"]
    other = api.infusion(infusion["patient_id"], f"{DAY}T20:00")
    refused = api.client.patch(
        f"/api/infusions/{infusion['id']}", json={"start": f"{DAY}T19:50"}, headers=ADMIN
    )
    assert refused.status_code == 409 and refused.json()["code"] == "patient_busy"
    assert refused.json()["conflicts"][0]["id"] == other["id"]
    unchanged = api.ok("GET", f"/api/infusions/{infusion['id']}")
    assert unchanged["start"] == f"{DAY}T07:00:00-04:00"


def test_replan_moves_one_session_to_make_room_for_another(api: Api) -> None:
    """Moved 09:00 → 10:00, training no longer fits its peak window around the therapy
    Cole gives at 14:10; re-planned together, both fit (the therapy moves, the training
    sits in the new peak) instead of training being left outside its window."""
    cole = api.therapist("Cole", ("cognitive",), start="08:00", end="17:00")
    api.session_type("training", "peak", "cognitive", 60)
    api.session_type("therapy", "plasticity", "cognitive", 50)
    patient = api.patient("Pat")
    infusion = api.infusion(patient["id"], f"{DAY}T09:00")  # peak 12:40–14:40
    booked = {}
    for key, start in (("training", "13:10"), ("therapy", "14:10")):
        body = {
            "infusion_id": infusion["id"],
            "session_type": key,
            "start": f"{DAY}T{start}",
            "therapist_id": cole["id"],
        }
        booked[key] = api.ok("POST", "/api/sessions", body, 201)
    answer = api.ok("PATCH", f"/api/infusions/{infusion['id']}", {"start": f"{DAY}T10:00"})
    replan = answer["replan"]
    assert replan["unplaced"] == [], replan
    assert {m["session_id"] for m in replan["moved"]} >= {booked["training"]["id"]}
    windows = {w["key"]: w for w in answer["windows"]}
    for key, session in booked.items():
        now = api.ok("GET", f"/api/sessions/{session['id']}")
        window = windows["peak" if key == "training" else "plasticity"]
        assert now["outside_window"] is False
        assert window["start"] <= now["start"] and now["end"] <= window["end"], (key, now)
        assert now["therapist_id"] == cole["id"]
    spans = sorted(
        (s["start"], s["end"])
        for s in api.ok("GET", f"/api/sessions?date={DAY}")
        if s["status"] == "booked"
    )
    assert spans[0][1] <= spans[1][0]  # Cole's two sessions do not overlap


def test_overlaps_checked_at_commit_are_still_refused(
    api: Api, app: FastAPI, database_url: str
) -> None:
    """A re-plan's transaction has its overlaps checked at commit (PostgreSQL), so one of
    its sessions may pass through another's old time; what it commits is still checked."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no exclusion constraints to defer")
    api.therapist("Cole", ("cognitive",), start="08:00", end="17:00")
    api.therapist("Mia", ("cognitive",), start="08:00", end="17:00")
    api.session_type("therapy", "plasticity", "cognitive", 50)
    patient = api.patient("Pat")
    infusion = api.infusion(patient["id"], f"{DAY}T07:00")
    ids = [
        api.ok(
            "POST",
            "/api/sessions",
            {"infusion_id": infusion["id"], "session_type": "therapy", "start": f"{DAY}T{at}"},
            201,
        )["id"]
        for at in ("11:00", "13:00")
    ]
    uow = UnitOfWork(app.state.sessions)
    flushed = False
    with pytest.raises(PlannerError) as refused, uow:
        uow.check_overlaps_at_commit()
        first, second = uow.sessions.get(ids[0]), uow.sessions.get(ids[1])
        second.start, second.end = first.start, first.end
        uow.flush()  # the same patient twice at 11:00: not refused yet
        flushed = True
        uow.commit()
    assert flushed and refused.value.code == Code.patient_busy
    assert api.ok("GET", f"/api/sessions/{ids[1]}")["start"] == f"{DAY}T13:00:00-04:00"
