"""Infusion chairs (docs/rules.md, "Infusion chairs"), on both databases: an infusion holds a
chair from its start to the end of its recovery; recording or moving one takes a free chair
(or the one named) or is refused with ``chair_unavailable``; 32 recordings at once for one
chair: exactly one wins. A clinic without chairs records infusions as before."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Infusion
from tests.booking_helpers import DAY, local
from tests.live_server import all_at_once, client, created, serve
from tests.problems import assert_problem
from tests.support import ADMIN, Api
from tests.web_support import csrf_of, log_in

N = 32


def _record(api: Api, name: str, wall: str, **extra: Any) -> Any:
    patient = api.patient(name)["id"]
    return api.post("/api/infusions", {"patient_id": patient, "start": f"{DAY}T{wall}", **extra})


def test_without_chairs_an_infusion_holds_none(api: Api) -> None:
    api.room("Gym", "gym")
    first = _record(api, "Ann", "07:00").json()
    second = _record(api, "Ben", "07:00").json()
    assert first["chair_id"] is None and second["chair_id"] is None


def test_an_infusion_takes_the_first_free_chair_until_its_recovery_ends(api: Api) -> None:
    one = api.room("Chair 1", "infusion_chair")["id"]
    two = api.room("Chair 2", "infusion_chair")["id"]
    first = _record(api, "Ann", "07:00").json()  # 07:00–07:40, recovery to 08:40
    assert first["chair_id"] == one
    assert _record(api, "Ben", "08:00").json()["chair_id"] == two
    refused = assert_problem(_record(api, "Cy", "08:30"), 409, "chair_unavailable")
    assert {c["id"] for c in refused["conflicts"]} == {first["id"], first["id"] + 1}
    assert refused["conflicts"][0]["end"] == local("08:40")
    assert _record(api, "Cy", "08:40").json()["chair_id"] == one  # free again


def test_a_named_chair_must_be_a_free_chair(api: Api) -> None:
    one = api.room("Chair 1", "infusion_chair")["id"]
    two = api.room("Chair 2", "infusion_chair")["id"]
    gym = api.room("Gym", "gym")["id"]
    assert _record(api, "Ann", "07:00", chair_id=two).json()["chair_id"] == two
    taken = assert_problem(_record(api, "Ben", "07:30", chair_id=two), 409, "chair_unavailable")
    assert "Chair 2 is taken" in taken["detail"]
    assert_problem(_record(api, "Cy", "07:30", chair_id=gym), 422, "unknown_reference")
    assert _record(api, "Dee", "07:30").json()["chair_id"] == one


def test_cancelling_frees_the_chair(api: Api) -> None:
    api.room("Chair 1", "infusion_chair")
    first = _record(api, "Ann", "07:00").json()
    assert_problem(_record(api, "Ben", "07:00"), 409, "chair_unavailable")
    api.ok("POST", f"/api/infusions/{first['id']}/cancel", {"reason": "unwell"})
    assert _record(api, "Ben", "07:00").status_code == 201


def test_a_moved_infusion_keeps_its_chair_or_takes_another_or_is_refused(
    client: TestClient, api: Api
) -> None:
    one = api.room("Chair 1", "infusion_chair")["id"]
    two = api.room("Chair 2", "infusion_chair")["id"]
    first = _record(api, "Ann", "07:00").json()
    second = _record(api, "Ben", "09:30", chair_id=two).json()

    def move(infusion: dict[str, Any], **body: Any) -> Any:
        return client.patch(f"/api/infusions/{infusion['id']}", json=body, headers=ADMIN)

    kept = move(first, start=f"{DAY}T07:30")
    assert kept.status_code == 200, kept.text
    assert kept.json()["chair_id"] == one
    assert move(second, chair_id=one).json()["chair_id"] == one  # free from 09:10
    third = _record(api, "Cy", "09:00").json()
    assert third["chair_id"] == two
    refused = assert_problem(move(first, start=f"{DAY}T08:30"), 409, "chair_unavailable")
    assert refused["conflicts"]
    assert api.get(f"/api/infusions/{first['id']}").json()["start"] == local("07:30")


@pytest.fixture
def http(app: FastAPI) -> Iterator[httpx2.Client]:
    with serve(app) as base_url, client(base_url) as live:
        yield live


def test_32_recordings_at_once_for_one_chair_exactly_one_wins(
    http: httpx2.Client, app: FastAPI
) -> None:
    created(http, "/api/rooms", {"name": "Chair 1", "kind": "infusion_chair"})
    patients = [created(http, "/api/patients", {"name": f"P{i}"})["id"] for i in range(N)]
    bodies = [
        {"patient_id": p, "start": f"{DAY}T07:{5 * (i % 6):02d}"} for i, p in enumerate(patients)
    ]
    calls = [partial(http.post, "/api/infusions", json=body) for body in bodies]
    answers = all_at_once(calls)
    outcome = Counter(
        (a.status_code, "created" if a.status_code == 201 else a.json()["code"]) for a in answers
    )
    assert outcome == {(201, "created"): 1, (409, "chair_unavailable"): N - 1}, outcome
    with Session(app.state.engine) as session:
        held = session.scalars(select(Infusion).where(Infusion.chair_id.is_not(None))).all()
    assert len(held) == 1


def test_the_pages_show_the_chairs(client: TestClient, api: Api) -> None:
    api.therapist("Dana")
    api.room("Chair 1", "infusion_chair")
    api.room("Chair 2", "infusion_chair")
    held = _record(api, "Ann", "07:00").json()
    user = {"username": "sam", "role": "scheduler", "password": "sam-secret-1"}
    api.ok("POST", "/api/users", user, 201)
    assert log_in(client, "sam", "sam-secret-1").status_code == 303
    listing = client.get("/infusions", params={"date": DAY}).text
    assert '<select id="chair_id" name="chair_id"' in listing
    assert "taken 07:00–08:40" in listing and "free all day" in listing  # Chair 2
    board = client.get("/board", params={"date": DAY}).text
    assert board.count('class="board-col chair-col"') == 2
    assert 'class="chair-infusion"' in board and 'class="chair-recovery"' in board
    assert f'href="/infusions/{held["id"]}"' in board
    page = client.get(f"/infusions/{held['id']}").text
    assert "Chair 1" in page and "until 08:40" in page
    form = {
        "csrf_token": csrf_of(listing),
        "new_patient_name": "Ben",
        "start": f"{DAY}T07:30",
        "duration_minutes": "40",
        "chair_id": str(held["chair_id"]),
        "day": DAY,
    }
    refused = client.post("/infusions", data=form)
    assert refused.status_code == 409 and "Chair 1 is taken" in refused.text
