"""Domain errors: each carries the machine-readable ``code`` the API answers with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Conflict:
    """What stands in the way of a booking: a session, an infusion or a time off."""

    kind: str
    id: int
    start: datetime
    end: datetime


class PlannerError(Exception):
    """A refusal with a stable ``code`` (SPEC §3, §4, §5) and a human ``detail``."""

    def __init__(self, code: str, detail: str, conflicts: Sequence[Conflict] = ()) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.conflicts = tuple(conflicts)


class ValidationFailed(PlannerError):
    """A malformed value: answered as 422 ``validation_error`` unless a finer code is set."""

    def __init__(self, detail: str, code: str = "validation_error") -> None:
        super().__init__(code, detail)


class NotFound(PlannerError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__("not_found", f"{what} {ident} does not exist")


class UnknownReference(PlannerError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__("unknown_reference", f"{what} {ident!s} does not exist")
