"""The limits every value a clinic enters must keep, in one place for the API and the pages.

Commands check their own fields with these (``services.commands``); the API's schemas use the
same numbers so the OpenAPI document states them. A value out of bounds is a 422
``validation_error`` that names the field.
"""

from __future__ import annotations

import re

from planner.errors import ValidationFailed

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
ID_MAX = 2**31 - 1  # ids are 32-bit integers in the database (PostgreSQL `integer`)
USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]{1,100}$"
NAME_MAX = 200
LABEL_MAX = 64
REASON_MAX = 500
MRN_MAX = 64
TIMEZONE_MAX = 64
PASSWORD_MIN, PASSWORD_MAX = 8, 200
RRULE_MAX = 500
FOLLOW_UP_RRULE_MAX = 300
INFUSION_MINUTES = (1, 24 * 60)
SESSION_TYPE_MINUTES = (5, 12 * 60)
BUFFER_MINUTES = (0, 240)
DAILY_LIMIT = (1, 100)
TOLERANCE_MINUTES = (0, 12 * 60)
CARE_PLAN_MAX = 20
DISCIPLINES_MAX = 20
WORKING_HOURS_MAX = 50
WINDOWS_MAX = 50
PLAN_SECONDS_MAX = 30.0
DAY_PLAN_MAX = 2000  # sessions in one day plan

_KEY = re.compile(KEY_PATTERN)
_USERNAME = re.compile(USERNAME_PATTERN)


def text(value: str, field: str, *, most: int, least: int = 0) -> str:
    """``value`` stripped; refused when empty (if ``least``), too long or holding a NUL."""
    if "\x00" in value:
        raise ValidationFailed(f"{field}: the text holds a NUL character")
    stripped = value.strip()
    if len(stripped) < least:
        raise ValidationFailed(f"{field}: enter at least {least} character{'s' * (least > 1)}")
    if len(stripped) > most:
        raise ValidationFailed(f"{field}: at most {most} characters")
    return stripped


def optional_text(value: str | None, field: str, *, most: int) -> str | None:
    return None if value is None else text(value, field, most=most) or None


def key(value: str, field: str) -> str:
    """A machine key such as ``cognitive_training``."""
    if not _KEY.match(value):
        raise ValidationFailed(
            f"{field}: {value!r} must be lower-case letters, digits and _ (starting with a "
            "letter, at most 40 characters)"
        )
    return value


def username(value: str) -> str:
    if not _USERNAME.match(value):
        raise ValidationFailed("username: 1 to 100 letters, digits and . _ @ - (no spaces)")
    return value


def number(value: int, field: str, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if isinstance(value, bool) or not low <= value <= high:
        raise ValidationFailed(f"{field}: a whole number from {low} to {high}")
    return value


def count(items: tuple[object, ...], field: str, most: int, least: int = 0) -> None:
    if not least <= len(items) <= most:
        raise ValidationFailed(f"{field}: from {least} to {most} entries")
