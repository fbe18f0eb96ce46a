"""What every request and answer body shares: strict requests, typed aliases, times as text."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from planner.localtime import parse_datetime, parse_local_date
from services import limits


class RequestBody(BaseModel):
    """A request body: unknown fields are refused and values are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Public(BaseModel):
    """An answer body."""


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=limits.NAME_MAX)
]
Key = Annotated[str, StringConstraints(pattern=limits.KEY_PATTERN)]
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=limits.LABEL_MAX)
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=limits.REASON_MAX)]
Minutes = Annotated[int, Field(ge=1, le=24 * 60)]


def when(text: str, field: str) -> datetime:
    """An RFC 3339 datetime (an instant) or a wall time without offset (the clinic's clock)."""
    return parse_datetime(text, field=field)


def maybe_when(text: str | None, field: str) -> datetime | None:
    return None if text is None else when(text, field)


def day(text: str, field: str = "date") -> date:
    return parse_local_date(text, field=field)


def rfc3339(moment: datetime) -> str:
    """An instant as the API answers it: RFC 3339 with the clinic's offset (the read models
    are already on the clinic's clock)."""
    return moment.isoformat()


def maybe_rfc3339(moment: datetime | None) -> str | None:
    return None if moment is None else rfc3339(moment)
