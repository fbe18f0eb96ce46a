"""What every request and answer body shares: strict requests, typed aliases, times as text."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from planner.localtime import DATE_PATTERN, DATETIME_PATTERN, parse_datetime, parse_local_date
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


# What str.strip() takes away (str.isspace), spelled out: a pattern's \s is another set.
_SPACES = "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x3001)) if c.isspace())
NO_NUL_PATTERN = "^[^\\u0000]*$"
"""Any text without a NUL character, as the OpenAPI document states for free text."""
NOT_BLANK_PATTERN = f"^[^\\u0000]*[^\\u0000{_SPACES}][^\\u0000]*$"
"""Text with something besides white space (it is stripped), and no NUL character."""


def _document_free_text(schema: dict[str, Any]) -> None:
    """Free text in a request body says in the document that it may hold no NUL character."""
    if schema.get("type") == "string" and "pattern" not in schema and "enum" not in schema:
        schema["pattern"] = NO_NUL_PATTERN
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, ()):
            _document_free_text(option)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _document_free_text(schema[key])


def _document_request_body(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        _document_free_text(prop)


@cache
def _integer_fields(model: type[BaseModel]) -> frozenset[str]:
    names = set()
    for name, field in model.model_fields.items():
        if field.annotation is int or field.annotation == int | None:
            names.add(field.alias or name)
    return frozenset(names)


class RequestBody(BaseModel):
    """A request body: unknown fields are refused and values are not coerced.

    No text may hold a NUL character: PostgreSQL cannot store one and SQLite would, so both
    refuse it here, as a validation error naming the field, before it reaches the database
    (and the document says so: free text carries ``NO_NUL_PATTERN``).

    JSON has one kind of number: 60.0 is the integer 60 for JSON Schema, and so for the
    document, so it is read as 60 (a fraction is still refused; text is not a number).
    """

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_document_request_body)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        integers = _integer_fields(cls)
        return {
            key: int(value)
            if key in integers and isinstance(value, float) and value.is_integer()
            else value
            for key, value in data.items()
        }

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise PydanticCustomError("nul_character", "must not contain the NUL character")
        return value


class Public(BaseModel):
    """An answer body."""


def _stripped(value: str) -> str:
    """The text without its surrounding white space; the limits apply to the text as sent
    (as the document states them), so stripping can only shorten it."""
    return value.strip()


def _not_blank(value: str) -> str:
    if not value:
        raise PydanticCustomError("blank", "must hold something besides white space")
    return value


NOT_BLANK = Field(json_schema_extra={"pattern": NOT_BLANK_PATTERN})
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=limits.NAME_MAX),
    AfterValidator(_stripped),
    AfterValidator(_not_blank),
    NOT_BLANK,
]
Key = Annotated[str, StringConstraints(pattern=limits.KEY_PATTERN)]
Label = Annotated[
    str,
    StringConstraints(min_length=1, max_length=limits.LABEL_MAX),
    AfterValidator(_stripped),
    AfterValidator(_not_blank),
    NOT_BLANK,
]
Reason = Annotated[str, StringConstraints(max_length=limits.REASON_MAX), AfterValidator(_stripped)]
Minutes = Annotated[int, Field(ge=1, le=24 * 60)]
# Dates and datetimes stay text and are read by the domain's parsers (``when``, ``day``);
# the document shows the parsers' own patterns, so what it allows is what they read.
WhenText = Annotated[
    str,
    Field(
        json_schema_extra={
            "pattern": DATETIME_PATTERN,
            "description": "RFC 3339 with an offset, or the clinic's wall time without one",
        }
    ),
]
DateText = Annotated[str, Field(json_schema_extra={"format": "date", "pattern": DATE_PATTERN})]


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
