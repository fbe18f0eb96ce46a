"""Domain errors: every refusal carries a ``Code``, and every code knows its HTTP status.

The codes are the clinic's closed set of reasons (docs/rules.md lists them with the rule
each one names). ``Code.status`` is the HTTP status the API answers with; a code without a
status cannot be written down, so no refusal ever falls back to a guessed status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Code(StrEnum):
    """A machine-readable reason; ``status`` is the HTTP status it is answered with."""

    status: int

    def __new__(cls, value: str, status: int) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        return member

    # malformed input (docs/rules.md, "Time" and "Answers")
    validation_error = ("validation_error", 422)
    nonexistent_local_time = ("nonexistent_local_time", 422)
    ambiguous_local_time = ("ambiguous_local_time", 422)
    unknown_reference = ("unknown_reference", 422)
    idempotency_key_reused = ("idempotency_key_reused", 422)
    # the booking rules, in the order they are checked (docs/rules.md, "Booking")
    infusion_cancelled = ("infusion_cancelled", 409)
    in_the_past = ("in_the_past", 422)
    outside_window = ("outside_window", 422)
    discipline_mismatch = ("discipline_mismatch", 422)
    therapist_unavailable = ("therapist_unavailable", 409)
    therapist_busy = ("therapist_busy", 409)
    patient_busy = ("patient_busy", 409)
    in_recovery = ("in_recovery", 409)
    room_unavailable = ("room_unavailable", 409)
    daily_limit = ("daily_limit", 409)
    no_therapist_free = ("no_therapist_free", 409)
    no_slot = ("no_slot", 409)
    day_not_compact = ("day_not_compact", 409)
    # infusions
    chair_unavailable = ("chair_unavailable", 409)
    # statuses and state
    invalid_transition = ("invalid_transition", 409)
    too_early = ("too_early", 409)
    already_exists = ("already_exists", 409)
    conflict = ("conflict", 409)
    idempotency_in_flight = ("idempotency_in_flight", 409)
    # who may
    unauthorized = ("unauthorized", 401)
    forbidden = ("forbidden", 403)
    not_found = ("not_found", 404)
    method_not_allowed = ("method_not_allowed", 405)
    payload_too_large = ("payload_too_large", 413)
    too_many_requests = ("too_many_requests", 429)
    # the machine
    internal_error = ("internal_error", 500)
    database_busy = ("database_busy", 503)


@dataclass(frozen=True)
class Conflict:
    """What stands in the way of a booking: a session, an infusion, an infusion's recovery
    (``recovery``, the infusion's id) or a time off."""

    kind: str
    id: int
    start: datetime
    end: datetime


class PlannerError(Exception):
    """A refusal with a stable ``code`` and a ``detail`` written for the clinic's staff."""

    def __init__(self, code: Code, detail: str, conflicts: Sequence[Conflict] = ()) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.conflicts = tuple(conflicts)


class ValidationFailed(PlannerError):
    """A malformed value: answered as 422 ``validation_error`` unless a finer code is set."""

    def __init__(self, detail: str, code: Code = Code.validation_error) -> None:
        super().__init__(code, detail)


class NotFound(PlannerError):
    """The thing the path names does not exist (or the caller may not know that it does)."""

    def __init__(self, what: str, ident: object) -> None:
        super().__init__(Code.not_found, f"{what} {ident} does not exist")


class UnknownReference(PlannerError):
    """An id inside a request names nothing."""

    def __init__(self, what: str, ident: object) -> None:
        super().__init__(Code.unknown_reference, f"{what} {ident!s} does not exist")
