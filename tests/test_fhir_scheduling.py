"""FHIR scheduling under /fhir, on both databases: free ``Slot``s, ``Appointment/$find`` and
``POST /fhir/Appointment``. Every answer validates with ``fhir.resources`` (R4B); ``$find``
proposes only times that booking then accepts, ranked as the slot search ranks them; a
refusal carries the same code as ``/api``; therapists neither find nor book."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from tests.support import ADMIN, Api

FHIR = {**ADMIN, "Content-Type": "application/fhir+json"}
TYPE_SYSTEM = "urn:infusion-window-planner:session-type"
INFUSION_EXTENSION = (
    "https://infusion-window-planner.example/fhir/StructureDefinition/infusion-window"
)


def _entries(client: TestClient, path: str, headers: dict[str, str] = ADMIN, **params: Any) -> Any:
    answer = client.get(path, params=params or None, headers=headers)
    assert answer.status_code == 200, answer.text
    Bundle.model_validate(answer.json())
    return [e["resource"] for e in answer.json().get("entry", [])]


def _find(client: TestClient, patient: int, day: str, **extra: Any) -> list[Any]:
    params = {"patient": f"Patient/{patient}", "service-type": "rehab", "start": day, "end": day}
    return _entries(client, "/fhir/Appointment/$find", **params, **extra)


def _code(answer: Any) -> str:
    OperationOutcome.model_validate(answer.json())
    return str(answer.json()["issue"][0]["details"]["coding"][0]["code"])


def _clinic(api: Api) -> dict[str, Any]:
    dana = api.therapist("Dana", ("physio",), start="08:00", end="17:00")["id"]
    eli = api.therapist("Eli", ("physio",), start="08:00", end="17:00")["id"]
    api.session_type("rehab", "peak", "physio", 60)
    pat = api.patient("Pat Example")["id"]
    infusion = api.infusion(pat, "2026-03-10T07:00")
    return {"dana": dana, "eli": eli, "pat": pat, "infusion": infusion}


def _appointment(
    patient: int, start: str, therapist: int | None = None, infusion: int | None = None
) -> dict[str, Any]:
    """An Appointment as a client writes it (the infusion in our extension when named)."""
    participants: list[dict[str, Any]] = [{"actor": {"reference": f"Patient/{patient}"}}]
    if therapist is not None:
        participants.append({"actor": {"reference": f"Practitioner/{therapist}"}})
    written = {
        "resourceType": "Appointment",
        "status": "proposed",
        "start": start,
        "serviceType": [{"coding": [{"system": TYPE_SYSTEM, "code": "rehab"}]}],
        "participant": participants,
    }
    if infusion is not None:
        part = {"url": "infusion", "valueInteger": infusion}
        written["extension"] = [{"url": INFUSION_EXTENSION, "extension": [part]}]
    return written


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_metadata_lists_slots_find_and_create(client: TestClient) -> None:
    body = client.get("/fhir/metadata").json()
    served = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert [i["code"] for i in served["Slot"]["interaction"]] == ["search-type"]
    assert {i["code"] for i in served["Appointment"]["interaction"]} >= {"create"}
    assert [o["name"] for o in served["Appointment"]["operation"]] == ["find"]


def test_slots_are_a_therapists_free_time_in_time_order(client: TestClient, api: Api) -> None:
    made = _clinic(api)
    busy = api.book(made["infusion"]["id"], "rehab", "2026-03-10T11:10", made["dana"])
    lo, hi = "ge2026-03-10T10:00:00-04:00", "lt2026-03-10T13:00:00-04:00"
    params = {"service-type": "rehab", "start": [lo, hi], "_count": 100}
    dana = _entries(client, "/fhir/Slot", schedule=f"Schedule/{made['dana']}", **params)
    assert dana and {s["schedule"]["reference"] for s in dana} == {f"Schedule/{made['dana']}"}
    starts = [_at(s["start"]) for s in dana]
    assert starts == sorted(starts)
    assert all(_at(lo[2:]) <= t < _at(hi[2:]) for t in starts)
    taken = (_at(busy["start"]), _at(busy["end"]))
    assert all(not (t < taken[1] and taken[0] < t + timedelta(hours=1)) for t in starts)
    assert all(_at(s["end"]) - _at(s["start"]) == timedelta(hours=1) for s in dana)
    both = _entries(client, "/fhir/Slot", **params)
    eli = [s for s in both if s["schedule"]["reference"] == f"Schedule/{made['eli']}"]
    assert len(eli) > len(dana)  # Eli is free at 11:10, Dana is not
    first = client.get("/fhir/Slot", params={**params, "_count": 2}, headers=ADMIN).json()
    [next_link] = [link["url"] for link in first["link"] if link["relation"] == "next"]
    rest = _entries(client, next_link.split("testserver", 1)[1])
    paged = [(s["start"], s["schedule"]) for s in [e["resource"] for e in first["entry"]] + rest]
    assert paged == [(s["start"], s["schedule"]) for s in both][: len(paged)]


def test_find_ranks_as_the_slot_search_and_booking_accepts_each(
    client: TestClient, api: Api
) -> None:
    made = _clinic(api)
    proposals = _find(client, made["pat"], "2026-03-10", _count=6)
    slots = api.get(
        f"/api/infusions/{made['infusion']['id']}/slots", session_type="rehab", limit=6
    ).json()
    assert len(proposals) == 6
    found = [(_at(p["start"]), p["participant"][1]["actor"]["reference"]) for p in proposals]
    ranked = [(_at(s["start"]), f"Practitioner/{s['therapist_id']}") for s in slots]
    assert found == ranked
    for proposal in proposals:
        Appointment.model_validate(proposal)
        assert proposal["status"] == "proposed" and "id" not in proposal
        booked = client.post("/fhir/Appointment", json=proposal, headers=FHIR)
        assert booked.status_code == 201, booked.text
        Appointment.model_validate(booked.json())
        assert booked.json()["status"] == "booked"
        assert _at(booked.json()["start"]) == _at(proposal["start"])
        assert booked.headers["location"].endswith(f"/fhir/Appointment/{booked.json()['id']}")
        api.ok("POST", f"/api/sessions/{booked.json()['id']}/cancel", {"reason": "next"})


def test_find_follows_the_infusion_whose_window_is_open(client: TestClient, api: Api) -> None:
    made = _clinic(api)
    later = api.infusion(made["pat"], "2026-03-12T07:00")
    proposals = _find(client, made["pat"], "2026-03-12", _count=3)
    infusions = {p["extension"][0]["extension"][0]["valueInteger"] for p in proposals}
    assert infusions == {later["id"]}
    start = proposals[0]["start"]
    booked = client.post("/fhir/Appointment", json=_appointment(made["pat"], start), headers=FHIR)
    assert booked.status_code == 201, booked.text
    session = api.get(f"/api/sessions/{booked.json()['id']}").json()
    assert session["infusion_id"] == later["id"]
    assert _find(client, made["pat"], "2026-03-20") == []  # no window open then


def test_refusals_carry_the_same_code_as_the_api(client: TestClient, api: Api) -> None:
    made = _clinic(api)
    infusion, pat, dana = made["infusion"]["id"], made["pat"], made["dana"]
    api.book(infusion, "rehab", "2026-03-10T11:10", dana)
    cases = [
        ("2026-03-10T11:40:00-04:00", dana, "therapist_busy"),
        ("2026-03-10T20:00:00-04:00", dana, "outside_window"),
        ("2026-02-20T11:00:00-05:00", dana, "in_the_past"),
    ]
    for start, therapist, code in cases:
        written = _appointment(pat, start, therapist, infusion)
        fhir = client.post("/fhir/Appointment", json=written, headers=FHIR)
        body = {"infusion_id": infusion, "session_type": "rehab", "start": start}
        ours = client.post("/api/sessions", json={**body, "therapist_id": therapist}, headers=ADMIN)
        assert (fhir.status_code, _code(fhir)) == (ours.status_code, ours.json()["code"])
        assert _code(fhir) == code
    # with no infusion named, the one begun before the start is followed; there is none
    before = client.post("/fhir/Appointment", json=_appointment(pat, cases[2][0]), headers=FHIR)
    assert before.status_code == 422 and "no infusion before" in before.text
    other = api.patient("Quinn Other")["id"]
    api.infusion(other, "2026-03-10T07:00")
    proposal = _find(client, other, "2026-03-10", _count=1)[0]
    assert client.post("/fhir/Appointment", json=proposal, headers=FHIR).status_code == 201
    again = client.post("/fhir/Appointment", json=proposal, headers=FHIR)
    assert again.status_code == 409 and _code(again) in {"therapist_busy", "patient_busy"}


def test_malformed_appointments_are_refused_and_nothing_is_booked(
    client: TestClient, api: Api
) -> None:
    made = _clinic(api)
    good = _find(client, made["pat"], "2026-03-10", _count=1)[0]
    other = api.patient("Quinn Other")["id"]
    wrong_system = {**good, "serviceType": [{"coding": [{"system": "x", "code": "rehab"}]}]}
    no_patient = {**good, "participant": good["participant"][1:]}
    bad_end = {**good, "end": "2026-03-10T23:00:00-04:00"}
    naive = {**good, "start": good["start"][:19]}
    foreign = {**good, "participant": [{"actor": {"reference": f"Patient/{other}"}}]}
    misspelt = {**good, "participants": good["participant"]}
    modifier = {**good, "modifierExtension": [{"url": "urn:x", "valueString": "not really"}]}
    for body in (
        wrong_system,
        no_patient,
        bad_end,
        naive,
        foreign,
        misspelt,
        modifier,
        {"resourceType": "Slot"},
    ):
        answer = client.post("/fhir/Appointment", json=body, headers=FHIR)
        assert answer.status_code == 422, answer.text
        assert _code(answer) == "validation_error"
    assert api.get("/api/sessions").json() == []


def test_therapists_neither_find_nor_book_and_see_only_their_own(
    client: TestClient, api: Api
) -> None:
    made = _clinic(api)
    dana = api.user("therapist", made["dana"], name="dana")
    proposal = _find(client, made["pat"], "2026-03-10", _count=1, practitioner=made["eli"])[0]
    params = {"patient": made["pat"], "service-type": "rehab", "start": "2026-03-10"}
    refused = client.get(
        "/fhir/Appointment/$find", params={**params, "end": "2026-03-10"}, headers=dana
    )
    assert refused.status_code == 403 and _code(refused) == "forbidden"
    slots = {"service-type": "rehab", "start": ["ge2026-03-10", "lt2026-03-11"]}
    assert client.get("/fhir/Slot", params=slots, headers=dana).status_code == 403
    as_dana = {**dana, "Content-Type": "application/fhir+json"}
    assert client.post("/fhir/Appointment", json=proposal, headers=as_dana).status_code == 403
    booked = client.post("/fhir/Appointment", json=proposal, headers=FHIR).json()
    assert booked["participant"][1]["actor"]["reference"] == f"Practitioner/{made['eli']}"
    own = _entries(client, "/fhir/Appointment", headers=dana)
    assert booked["id"] not in {a["id"] for a in own}


def test_search_parameters_are_checked(client: TestClient, api: Api) -> None:
    _clinic(api)
    day = ["ge2026-03-10", "lt2026-03-11"]
    for params in (
        {"service-type": "rehab", "start": day, "schedul": "1"},  # misspelt
        {"service-type": "rehab", "start": ["ge2026-03-10"]},  # no end
        {"service-type": "rehab", "start": ["ge2026-03-01", "lt2026-06-01"]},  # too long
        {"service-type": "other|rehab", "start": day},  # not our system
    ):
        answer = client.get("/fhir/Slot", params=params, headers=ADMIN)
        assert answer.status_code == 422, (params, answer.text)
        assert _code(answer) == "validation_error"
    unknown = client.get("/fhir/Slot", params={"service-type": "nope", "start": day}, headers=ADMIN)
    assert unknown.status_code == 422 and _code(unknown) == "unknown_reference"
