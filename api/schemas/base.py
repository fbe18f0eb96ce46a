"""What every request and answer body shares: strict requests, typed aliases, times as text."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from planner.localtime import parse_datetime, parse_local_date
from services import limits

NUL = "\x00"


def _holds_nul(value: Any) -> bool:
    """A NUL character in a text value, or in the texts of a list or mapping of them.

    Nested request bodies check their own fields (they are ``RequestBody`` models too).
    """
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return False


class RequestBody(BaseModel):
    """A request body: unknown fields are refused and values are not coerced.

    No text may hold a NUL character: PostgreSQL cannot store one and SQLite would, so both
    refuse it here, as a validation error naming the field, before it reaches the database.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise PydanticCustomError("nul_character", "must not contain the NUL character")
        return value


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
