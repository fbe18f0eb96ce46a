"""The clinic as FHIR R4 resources (read): practitioners, rooms, session types, schedules,
patients and appointments, built from the same read models as ``/api``.

Each function answers a plain dict in FHIR's JSON shape; ``api/routes/fhir.py`` wraps
searches in a ``Bundle``. What a caller may see is decided by the same services as ``/api``
(a therapist sees its own appointments only, and patients it has a session with).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from planner.board import Placement
from planner.sessions import SessionStatus
from services.proposals import Proposal
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
    "Slot": ["schedule", "service-type", "start", "_count"],
    "Appointment": ["date", "practitioner", "patient", "status", "_count"],
}
FIND_OPERATION = "https://infusion-window-planner.example/fhir/OperationDefinition/appointment-find"


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
    resource = {
        "resourceType": "Appointment",
        "id": str(session.id),
        **_appointment(
            STATUSES[session.status],
            Party(session.patient_id, session.therapist_id, session.room_id, room_names),
            Timing(session.start, session.end, session.infusion_id, session.window),
            kinds.get(session.session_type),
            outside_window=session.outside_window,
        ),
    }
    if session.cancel_reason and session.status == SessionStatus.cancelled:
        resource["cancelationReason"] = {"text": session.cancel_reason}
    return resource


def proposed_appointment(
    proposal: Proposal, kind: SessionTypeView, room_names: dict[int, str]
) -> FhirResource:
    """A time booking would accept (``$find``): no id yet, ``proposed``; POST it to book."""
    slot = proposal.slot
    return {
        "resourceType": "Appointment",
        **_appointment(
            "proposed",
            Party(proposal.patient_id, slot.therapist_id, slot.room_id, room_names),
            Timing(slot.start, slot.end, proposal.infusion_id, slot.window),
            kind,
            outside_window=False,
        ),
    }


def slot(free: Placement, kind: SessionTypeView) -> FhirResource:
    """A therapist's free time for one session of ``kind`` (computed, not stored: no id)."""
    return {
        "resourceType": "Slot",
        "schedule": _reference("Schedule", free.therapist_id),
        "status": "free",
        "start": _instant(free.start),
        "end": _instant(free.end),
        "serviceType": [_service_type(kind)],
    }


@dataclass(frozen=True)
class Party:
    """Who an appointment brings together, and where."""

    patient_id: int
    therapist_id: int
    room_id: int | None
    room_names: dict[int, str]


@dataclass(frozen=True)
class Timing:
    """When an appointment is, and the infusion window it follows."""

    start: datetime
    end: datetime
    infusion_id: int
    window: str


def _appointment(
    status: str,
    party: Party,
    timing: Timing,
    kind: SessionTypeView | None,
    *,
    outside_window: bool,
) -> FhirResource:
    """What a booked and a proposed appointment share (all but the type and the id)."""
    answer = "accepted" if status != "proposed" else "needs-action"
    participants: list[dict[str, Any]] = [
        {"actor": _reference("Patient", party.patient_id), "status": answer},
        {"actor": _reference("Practitioner", party.therapist_id), "status": answer},
    ]
    if party.room_id is not None:
        room = _reference("Location", party.room_id, party.room_names.get(party.room_id))
        participants.append({"actor": room, "status": answer})
    start, end = timing.start, timing.end
    resource: FhirResource = {
        "status": status,
        "start": _instant(start),
        "end": _instant(end),
        "minutesDuration": int((end - start).total_seconds() // 60),
        "participant": participants,
        "extension": [
            {
                "url": INFUSION_EXTENSION,
                "extension": [
                    {"url": "infusion", "valueInteger": timing.infusion_id},
                    {"url": "window", "valueCode": timing.window},
                    {"url": "outsideWindow", "valueBoolean": outside_window},
                ],
            }
        ],
    }
    if kind is not None:
        resource["serviceType"] = [_service_type(kind)]
        resource["description"] = kind.name
    return resource


def capability_statement(published: str) -> FhirResource:
    """What ``/fhir`` serves, exactly (read and search of each listed resource)."""
    resources = [
        {
            "type": kind,
            "interaction": _interactions(kind),
            "searchParam": [{"name": name, "type": _param_type(name)} for name in SEARCHABLE[kind]],
        }
        for kind in SEARCHABLE
    ]
    appointments = next(r for r in resources if r["type"] == "Appointment")
    appointments["operation"] = [{"name": "find", "definition": FIND_OPERATION}]
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


def _interactions(kind: str) -> list[dict[str, str]]:
    codes = {
        "Patient": ["read"],
        "Slot": ["search-type"],
        "Appointment": ["read", "search-type", "create"],
    }
    return [{"code": code} for code in codes.get(kind, ["read", "search-type"])]


def _param_type(name: str) -> str:
    return {
        "date": "date",
        "start": "date",
        "practitioner": "reference",
        "patient": "reference",
        "actor": "reference",
        "schedule": "reference",
        "status": "token",
        "_count": "number",
    }.get(name, "token")
