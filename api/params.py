"""What the query, path and header parameters accept, stated in the OpenAPI document.

Dates and datetimes stay text here and are read by the domain's parsers (their messages say
what was wrong); the patterns the document shows are the parsers' own
(``planner.localtime``), so whatever matches the document is either read or refused with a
documented 422 (a 30 February, a wall time the clocks skip), never a 5xx.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import WithJsonSchema

from planner.localtime import DATE_PATTERN, DATETIME_PATTERN
from services.limits import ID_MAX, KEY_PATTERN

LocalDate = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": DATE_PATTERN,
            "description": "the clinic's local date, YYYY-MM-DD",
            "examples": ["2026-03-10"],
        }
    ),
]
When = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DATETIME_PATTERN,
            "description": "RFC 3339 with an offset, or the clinic's wall time without one",
            "examples": ["2026-03-07T23:50", "2026-03-08T04:50:00Z"],
        }
    ),
]
SessionTypeKey = Annotated[str, Query(pattern=KEY_PATTERN, description="a session type's key")]

PathId = Annotated[int, Path(ge=1, le=ID_MAX)]
"""An id in the path (ids are 32-bit in the database)."""
QueryId = Annotated[int | None, Query(ge=1, le=ID_MAX)]
"""An optional id to filter by."""
