"""FHIR R4 reads under /fhir, on both databases: every resource and Bundle validates with the
``fhir.resources`` package (R4B models), statuses map as documented, searches page with
``link`` ``next``, a therapist sees only its own appointments, and refusals are
OperationOutcomes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient

from tests.support import ADMIN, Api

FHIR_JSON = "application/fhir+json"


def _read(client: TestClient, path: str, headers: dict[str, str] = ADMIN, **params: Any) -> Any:
    answer = client.get(path, headers=headers, params=params or None)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(FHIR_JSON)
    return answer.json()


def _bundle(client: TestClient, path: str, headers: dict[str, str] = ADMIN, **params: Any) -> Any:
    body = _read(client, path, headers, **params)
    Bundle.model_validate(body)  # every entry's resource is validated with it
    assert body["type"] == "searchset"
    return body


def _resources(bundle: Any) -> list[Any]:
    return [e["resource"] for e in bundle.get("entry", [])]


def _clinic(api: Api) -> dict[str, Any]:
    dana = api.therapist("Dana", ("physio",), start="08:00", end="17:00")
    eli = api.therapist("Eli", ("physio",), start="08:00", end="17:00")
    api.session_type("rehab", "peak", "physio", 60)
    room = api.room("Gym 1", "gym")
    pat = api.patient("Pat Example", mrn="MRN-1")["id"]
    quinn = api.patient("Quinn Other")["id"]
    booked = []
    for patient, therapist, day in (
        (pat, dana, "2026-03-10"),
        (quinn, eli, "2026-03-10"),
        (pat, dana, "2026-03-11"),
    ):
        infusion = api.infusion(patient, f"{day}T07:00")
        booked.append(api.book(infusion["id"], "rehab", f"{day}T11:10", therapist["id"]))
    return {"dana": dana, "eli": eli, "room": room, "pat": pat, "quinn": quinn, "s": booked}


def test_metadata_lists_what_is_served(client: TestClient) -> None:
    body = _read(client, "/fhir/metadata", headers={})
    CapabilityStatement.model_validate(body)
    served = {r["type"] for r in body["rest"][0]["resource"]}
    assert served == {
        "Practitioner",
        "Location",
        "HealthcareService",
        "Schedule",
        "Patient",
        "Slot",
        "Appointment",
    }


def test_every_resource_validates(client: TestClient, api: Api) -> None:
    made = _clinic(api)
    for kind in ("Practitioner", "Location", "HealthcareService", "Schedule", "Appointment"):
        bundle = _bundle(client, f"/fhir/{kind}")
        found = _resources(bundle)
        assert found and all(r["resourceType"] == kind for r in found), kind
        one = _read(client, f"/fhir/{kind}/{found[0]['id']}")
        get_fhir_model_class(kind).model_validate(one)
        assert one == found[0]
    patient = _read(client, f"/fhir/Patient/{made['pat']}")
    Patient.model_validate(patient)
    assert patient["identifier"][0]["value"] == "MRN-1"
    schedules = _resources(
        _bundle(client, "/fhir/Schedule", actor=f"Practitioner/{made['eli']['id']}")
    )
    assert [s["actor"][0]["reference"] for s in schedules] == [f"Practitioner/{made['eli']['id']}"]


def test_statuses_and_the_infusion_are_carried(client: TestClient, api: Api) -> None:
    made = _clinic(api)
    first, _, last = made["s"]
    api.ok("POST", f"/api/sessions/{last['id']}/cancel", {"reason": "unwell"})
    found = {a["id"]: a for a in _resources(_bundle(client, "/fhir/Appointment"))}
    assert found[str(first["id"])]["status"] == "booked"
    assert found[str(last["id"])]["status"] == "cancelled"
    extension = found[str(first["id"])]["extension"][0]["extension"]
    assert {"url": "infusion", "valueInteger": first["infusion_id"]} in extension
    cancelled = _resources(_bundle(client, "/fhir/Appointment", status="cancelled"))
    assert [a["id"] for a in cancelled] == [str(last["id"])]


def test_searches_by_date_practitioner_and_patient_and_pages(client: TestClient, api: Api) -> None:
    made = _clinic(api)
    day = _resources(_bundle(client, "/fhir/Appointment", date="2026-03-10"))
    assert sorted(a["id"] for a in day) == sorted(str(s["id"]) for s in made["s"][:2])
    later = _resources(
        _bundle(client, "/fhir/Appointment", date=["ge2026-03-10T12:00:00-04:00", "lt2026-03-12"])
    )
    assert [a["id"] for a in later] == [str(made["s"][2]["id"])]
    mine = _resources(
        _bundle(client, "/fhir/Appointment", practitioner=f"Practitioner/{made['dana']['id']}")
    )
    assert [a["id"] for a in mine] == [str(made["s"][0]["id"]), str(made["s"][2]["id"])]
    theirs = _resources(_bundle(client, "/fhir/Appointment", patient=str(made["quinn"])))
    assert [a["id"] for a in theirs] == [str(made["s"][1]["id"])]
    page = _bundle(client, "/fhir/Appointment", _count=2)
    assert len(page["entry"]) == 2 and "total" not in page
    [next_link] = [link["url"] for link in page["link"] if link["relation"] == "next"]
    rest = _bundle(client, next_link.split("testserver", 1)[1])
    assert len(rest["entry"]) == 1 and rest["total"] == 3


def test_a_therapist_sees_only_its_own_appointments(client: TestClient, api: Api) -> None:
    made = _clinic(api)
    dana = api.user("therapist", made["dana"]["id"], name="dana")
    own = _resources(_bundle(client, "/fhir/Appointment", headers=dana))
    assert {a["id"] for a in own} == {str(made["s"][0]["id"]), str(made["s"][2]["id"])}
    other = client.get(f"/fhir/Appointment/{made['s'][1]['id']}", headers=dana)
    assert other.status_code == 404
    refused = client.get(
        "/fhir/Appointment", headers=dana, params={"practitioner": made["eli"]["id"]}
    )
    assert refused.status_code == 404
    assert client.get(f"/fhir/Patient/{made['quinn']}", headers=dana).status_code == 404


@pytest.mark.parametrize(
    ("path", "params", "headers", "status", "code"),
    [
        ("/fhir/Appointment", {}, {}, 401, "unauthorized"),
        ("/fhir/Practitioner/999", {}, ADMIN, 404, "not_found"),
        ("/fhir/Appointment", {"date": "ge2026-03-10T12:00"}, ADMIN, 422, "validation_error"),
        ("/fhir/Appointment", {"status": "pending"}, ADMIN, 422, "validation_error"),
        ("/fhir/Appointment", {"_count": "0"}, ADMIN, 422, "validation_error"),
        ("/fhir/Nothing", {}, ADMIN, 404, "not_found"),
    ],
)
def test_refusals_are_operation_outcomes(
    client: TestClient,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    answer = client.get(path, params=params, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(FHIR_JSON)
    outcome = answer.json()
    OperationOutcome.model_validate(outcome)
    [issue] = outcome["issue"]
    assert issue["severity"] == "error"
    assert issue["details"]["coding"][0]["code"] == code
    assert issue["diagnostics"]
