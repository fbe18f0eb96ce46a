"""Planning one infusion jointly, auto_book, all-or-nothing commit (issue: planning)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api

DAY = "2026-03-10"  # EDT (-04:00); the clock stands at 2026-03-01


@pytest.fixture
def tight(api: Api) -> dict[str, Any]:
    """Infusion 07:00–07:40: spinogenesis 09:40–11:40, peak 10:40–12:40 (target 11:40).

    Rehab's only therapist works 10:40–11:40, so rehab must be 10:40; training's best slot
    alone is 11:10 (midpoint on the target), which would leave rehab nowhere.
    """
    api.therapist("Rhea", ("physio",), start="10:40", end="11:40")
    api.therapist("Cole", ("cognitive",), start="08:00", end="17:00")
    api.session_type("rehab", "spinogenesis", "physio", 60)
    api.session_type("training", "peak", "cognitive", 60)
    patient = api.patient("Pat")
    infusion = api.infusion(patient["id"], f"{DAY}T07:00", care_plan=["training", "rehab"])
    return infusion


def test_first_fit_would_fail(api: Api, tight: dict[str, Any]) -> None:
    best = api.ok("GET", f"/api/infusions/{tight['id']}/slots?session_type=training")[0]
    assert best["start"] == f"{DAY}T11:10:00-04:00"
    api.ok(
        "POST",
        "/api/sessions",
        {"infusion_id": tight["id"], "session_type": "training", "start": best["start"]},
        201,
    )
    assert api.ok("GET", f"/api/infusions/{tight['id']}/slots?session_type=rehab") == []


def test_joint_plan_places_both(api: Api, tight: dict[str, Any]) -> None:
    plan = api.ok("POST", f"/api/infusions/{tight['id']}/plan", {"commit": False})
    starts = {s["session_type"]: s["start"] for s in plan["sessions"]}
    assert starts == {"rehab": f"{DAY}T10:40:00-04:00", "training": f"{DAY}T11:40:00-04:00"}
    assert plan["unplaced"] == []
    assert all(s["id"] is None for s in plan["sessions"])
    assert api.ok("GET", f"/api/infusions/{tight['id']}")["sessions"] == []


def test_commit_books_the_plan(api: Api, tight: dict[str, Any]) -> None:
    plan = api.ok("POST", f"/api/infusions/{tight['id']}/plan", {"commit": True})
    stored = api.ok("GET", f"/api/infusions/{tight['id']}")["sessions"]
    assert sorted((s["id"], s["start"]) for s in stored) == sorted(
        (s["id"], s["start"]) for s in plan["sessions"]
    )
    again = api.ok("POST", f"/api/infusions/{tight['id']}/plan", {"commit": True})
    assert again["sessions"] == [] and again["unplaced"] == []


def test_auto_book_on_create(api: Api, tight: dict[str, Any]) -> None:
    patient = api.patient("Quinn")
    infusion = api.infusion(
        patient["id"], f"{DAY}T08:00", care_plan=["training", "rehab"], auto_book=True
    )
    booked = {s["session_type"] for s in infusion["sessions"]}
    # Rhea's only hour is free (the first infusion has nothing booked), so both are placed.
    assert booked == {"training", "rehab"}
    assert infusion["unplaced"] == []


def test_unplaced_reports_a_code(api: Api, tight: dict[str, Any]) -> None:
    api.session_type("massage", "peak", "massage", 30)
    plan = api.ok(
        "POST",
        f"/api/infusions/{tight['id']}/plan",
        {"session_types": ["massage", "training"], "commit": False},
    )
    assert [u["code"] for u in plan["unplaced"]] == ["discipline_mismatch"]
    assert [s["session_type"] for s in plan["sessions"]] == ["training"]
