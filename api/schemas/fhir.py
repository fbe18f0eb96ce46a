"""The FHIR ``Appointment`` a client posts to book: only what booking needs is read, and each
of it strictly (a reference must name its kind, a time its offset); the other elements R4
defines (``id``, ``meta``, ``text`` …) are accepted and ignored, and anything else refused."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from planner.errors import ValidationFailed
from services.fhir import INFUSION_EXTENSION, SESSION_TYPE_SYSTEM
from services.proposals import ProposedBooking

Text = Annotated[str, StringConstraints(max_length=300)]
REFERENCE = r"^(Patient|Practitioner|Location|HealthcareService)/[0-9]{1,12}$"
Ignored = JsonValue | None  # an element FHIR defines that booking does not read


class _Element(BaseModel):
    """FHIR's elements only: an unknown one is refused (FHIR servers reject what they do
    not know, so a misspelt ``participants`` cannot book without its participants), and so
    is any ``modifierExtension`` (it would change the meaning in a way this server does not
    understand)."""

    model_config = ConfigDict(extra="forbid")
    id: Ignored = None
    extension: list[Extension] = Field(default_factory=list, max_length=20)


class Extension(_Element):
    url: Text
    valueInteger: int | None = Field(default=None, ge=1, le=10**12)
    valueCode: Ignored = None
    valueBoolean: Ignored = None
    valueString: Ignored = None


class Coding(_Element):
    system: Text | None = None
    code: Text | None = None
    version: Ignored = None
    display: Ignored = None
    userSelected: Ignored = None


class CodeableConcept(_Element):
    coding: list[Coding] = Field(default_factory=list, max_length=20)
    text: Ignored = None


class Reference(_Element):
    reference: Annotated[str, StringConstraints(pattern=REFERENCE)] | None = None
    type: Ignored = None
    identifier: Ignored = None
    display: Ignored = None


class Participant(_Element):
    actor: Reference | None = None
    type: Ignored = None
    required: Ignored = None
    status: Ignored = None
    period: Ignored = None


class AppointmentCreate(_Element):
    """A proposed appointment (from ``$find``) or one written by hand: every element of R4's
    Appointment is accepted, and those booking does not need are ignored."""

    resourceType: Literal["Appointment"]
    status: Literal["proposed", "pending", "booked"] = "proposed"
    start: AwareDatetime
    end: AwareDatetime | None = None
    serviceType: list[CodeableConcept] = Field(min_length=1, max_length=20)
    participant: list[Participant] = Field(min_length=1, max_length=20)
    meta: Ignored = None
    implicitRules: Ignored = None
    language: Ignored = None
    text: Ignored = None
    contained: Ignored = None
    identifier: Ignored = None
    cancelationReason: Ignored = None
    serviceCategory: Ignored = None
    specialty: Ignored = None
    appointmentType: Ignored = None
    reasonCode: Ignored = None
    reasonReference: Ignored = None
    priority: Ignored = None
    description: Ignored = None
    supportingInformation: Ignored = None
    minutesDuration: Ignored = None
    slot: Ignored = None
    created: Ignored = None
    comment: Ignored = None
    patientInstruction: Ignored = None
    basedOn: Ignored = None
    requestedPeriod: Ignored = None

    def command(self) -> ProposedBooking:
        """The booking asked for (times checked by the booking rules, ``end`` against the
        session type's length by ``book_proposal``)."""
        patient = self._one("Patient")
        if patient is None:
            raise ValidationFailed("participant: name the patient (actor Patient/<id>)")
        return ProposedBooking(
            patient_id=patient,
            session_type=self._session_type(),
            start=self.start,
            therapist_id=self._one("Practitioner"),
            room_id=self._one("Location"),
            infusion_id=self._infusion(),
            end=self.end,
        )

    def _one(self, kind: str) -> int | None:
        found = [
            int(p.actor.reference.split("/")[1])
            for p in self.participant
            if p.actor and p.actor.reference and p.actor.reference.startswith(f"{kind}/")
        ]
        if len(found) > 1:
            raise ValidationFailed(f"participant: name at most one {kind}")
        return found[0] if found else None

    def _session_type(self) -> str:
        codes = {
            c.code
            for concept in self.serviceType
            for c in concept.coding
            if c.system == SESSION_TYPE_SYSTEM and c.code
        }
        if len(codes) != 1:
            raise ValidationFailed(
                f"serviceType: give exactly one coding of system {SESSION_TYPE_SYSTEM} "
                "(the session type's key, as HealthcareService lists it)"
            )
        return codes.pop()

    def _infusion(self) -> int | None:
        for extension in self.extension:
            if extension.url == INFUSION_EXTENSION:
                for part in extension.extension:
                    if part.url == "infusion" and part.valueInteger is not None:
                        return part.valueInteger
        return None
