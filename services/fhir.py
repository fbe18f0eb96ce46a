"""The clinic as FHIR R4 resources (read): practitioners, rooms, session types, schedules,
patients and appointments, built from the same read models as ``/api``.

Each function answers a plain dict in FHIR's JSON shape; ``api/routes/fhir.py`` wraps
searches in a ``Bundle``. What a caller may see is decided by the same services as ``/api``
(a therapist sees its own appointments only, and patients it has a session with).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from planner.sessions import SessionStatus
from services.views import (
    PatientView,
    RoomView,
    SessionTypeView,
    SessionView,
    TherapistView,
)

FhirResource = dict[str, Any]
FHIR_VERSION = "4.0.1"
SYSTEM = "urn:infusion-window-planner"
SESSION_TYPE_SYSTEM = f"{SYSTEM}:session-type"
DISCIPLINE_SYSTEM = f"{SYSTEM}:discipline"
MRN_SYSTEM = f"{SYSTEM}:mrn"
# The infusion a session follows, and the window it was placed in (documented in the README).
INFUSION_EXTENSION = (
    "https://infusion-window-planner.example/fhir/StructureDefinition/infusion-window"
)
STATUSES = {
    SessionStatus.booked: "booked",
    SessionStatus.checked_in: "checked-in",
    SessionStatus.completed: "fulfilled",
    SessionStatus.cancelled: "cancelled",
    SessionStatus.no_show: "noshow",
}
STATUS_OF = {fhir: ours for ours, fhir in STATUSES.items()}
SEARCHABLE = {
    "Practitioner": ["_id"],
    "Location": ["_id"],
    "HealthcareService": ["_id"],
    "Schedule": ["_id", "actor"],
    "Patient": [],
    "Appointment": ["date", "practitioner", "patient", "status", "_count"],
}


def _reference(kind: str, ident: int, display: str | None = None) -> dict[str, str]:
    reference = {"reference": f"{kind}/{ident}"}
    if display:
        reference["display"] = display
    return reference


def _service_type(kind: SessionTypeView) -> dict[str, Any]:
    return {"coding": [{"system": SESSION_TYPE_SYSTEM, "code": kind.key, "display": kind.name}]}


def practitioner(therapist: TherapistView) -> FhirResource:
    return {
        "resourceType": "Practitioner",
        "id": str(therapist.id),
        "active": True,
        "name": [{"text": therapist.name}],
        "qualification": [
            {"code": {"coding": [{"system": DISCIPLINE_SYSTEM, "code": d}], "text": d}}
            for d in therapist.disciplines
        ],
    }


def location(room: RoomView) -> FhirResource:
    return {
        "resourceType": "Location",
        "id": str(room.id),
        "status": "active",
        "mode": "instance",
        "name": room.name,
        "type": [{"coding": [{"system": f"{SYSTEM}:room-kind", "code": room.kind}]}],
    }


def healthcare_service(kind: SessionTypeView) -> FhirResource:
    return {
        "resourceType": "HealthcareService",
        "id": str(kind.id),
        "active": True,
        "name": kind.name,
        "type": [_service_type(kind)],
        "specialty": [{"coding": [{"system": DISCIPLINE_SYSTEM, "code": kind.discipline}]}],
        "extraDetails": (
            f"{kind.duration_minutes} minutes, in the {kind.window.replace('_', ' ')} window"
        ),
    }


def schedule(therapist: TherapistView, kinds: list[SessionTypeView]) -> FhirResource:
    """One schedule per therapist: the session types its disciplines can give."""
    return {
        "resourceType": "Schedule",
        "id": str(therapist.id),
        "active": True,
        "actor": [_reference("Practitioner", therapist.id, therapist.name)],
        "serviceType": [_service_type(k) for k in kinds if k.discipline in therapist.disciplines],
    }


def patient(found: PatientView) -> FhirResource:
    """The minimum: a name, and the MRN as an identifier when the clinic records one."""
    resource: FhirResource = {
        "resourceType": "Patient",
        "id": str(found.id),
        "name": [{"text": found.name}],
    }
    if found.mrn:
        resource["identifier"] = [{"system": MRN_SYSTEM, "value": found.mrn}]
    return resource


def _instant(moment: datetime) -> str:
    return moment.isoformat()


def appointment(
    session: SessionView, kinds: dict[str, SessionTypeView], room_names: dict[int, str]
) -> FhirResource:
    kind = kinds.get(session.session_type)
    participants: list[dict[str, Any]] = [
        {"actor": _reference("Patient", session.patient_id), "status": "accepted"},
        {"actor": _reference("Practitioner", session.therapist_id), "status": "accepted"},
    ]
    if session.room_id is not None:
        room = _reference("Location", session.room_id, room_names.get(session.room_id))
        participants.append({"actor": room, "status": "accepted"})
    resource: FhirResource = {
        "resourceType": "Appointment",
        "id": str(session.id),
        "status": STATUSES[session.status],
        "start": _instant(session.start),
        "end": _instant(session.end),
        "minutesDuration": int((session.end - session.start).total_seconds() // 60),
        "participant": participants,
        "extension": [
            {
                "url": INFUSION_EXTENSION,
                "extension": [
                    {"url": "infusion", "valueInteger": session.infusion_id},
                    {"url": "window", "valueCode": session.window},
                    {"url": "outsideWindow", "valueBoolean": session.outside_window},
                ],
            }
        ],
    }
    if kind is not None:
        resource["serviceType"] = [_service_type(kind)]
        resource["description"] = kind.name
    if session.cancel_reason and session.status == SessionStatus.cancelled:
        resource["cancelationReason"] = {"text": session.cancel_reason}
    return resource


def capability_statement(published: str) -> FhirResource:
    """What ``/fhir`` serves, exactly (read and search of each listed resource)."""
    resources = [
        {
            "type": kind,
            "interaction": [{"code": "read"}, {"code": "search-type"}]
            if kind != "Patient"
            else [{"code": "read"}],
            "searchParam": [{"name": name, "type": _param_type(name)} for name in SEARCHABLE[kind]],
        }
        for kind in SEARCHABLE
    ]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "kind": "instance",
        "software": {"name": "Infusion-window planner"},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "Authorization: Bearer <token>, as for /api (roles alike)."
                },
                "resource": resources,
            }
        ],
    }


def _param_type(name: str) -> str:
    return {
        "date": "date",
        "practitioner": "reference",
        "patient": "reference",
        "actor": "reference",
        "status": "token",
        "_count": "number",
    }.get(name, "token")
