"""The body of every refusal (RFC 9457 problem+json): what ``api.errors`` writes and what the
OpenAPI document says it writes (``api.openapi``), described once.

Typed dicts, not models: the optional members are left out of an answer that has none (they
are never ``null``), and ``api.errors`` builds the bodies with these types, so the checker
holds the writer to the document.
"""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from pydantic import Field, TypeAdapter
from typing_extensions import TypedDict

from planner.errors import Code


class ProblemConflict(TypedDict):
    """What stands in the way of a booking: a session, an infusion or a time off."""

    kind: str
    id: int
    start: Annotated[str, Field(json_schema_extra={"format": "date-time"})]
    end: Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class ProblemFieldError(TypedDict):
    """One refused part of a request, named by its place (``date``, ``care_plan.0``)."""

    field: str
    message: str


class Problem(TypedDict):
    """A refusal: ``code`` is the machine-readable reason, ``detail`` is written for people."""

    type: Annotated[str, Field(examples=["/problems/therapist_busy"])]
    title: str
    status: Annotated[int, Field(ge=400, le=599)]
    detail: str
    code: Code
    conflicts: NotRequired[
        Annotated[list[ProblemConflict], Field(description="what stands in the way")]
    ]
    errors: NotRequired[
        Annotated[list[ProblemFieldError], Field(description="the refused parts, at most 20")]
    ]
    errors_omitted: NotRequired[
        Annotated[int, Field(ge=1, description="refused parts beyond those listed")]
    ]


def problem_schemas(ref_prefix: str) -> dict[str, Any]:
    """``Problem`` and the schemas it refers to, by name, with references to ``ref_prefix``."""
    schema = TypeAdapter(Problem).json_schema(
        ref_template=ref_prefix + "{model}", mode="serialization"
    )
    definitions: dict[str, Any] = schema.pop("$defs", {})
    return {**definitions, "Problem": schema}
