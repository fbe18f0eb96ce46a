"""Reading posted form fields; a bad value is a PlannerError the page shows like any other."""

from __future__ import annotations

from datetime import date, datetime

from starlette.datastructures import FormData

from planner.errors import ValidationFailed
from planner.localtime import parse_datetime, parse_local_date


def _without_nul(name: str, value: str) -> str:
    """A NUL character is refused as the API refuses it (PostgreSQL cannot store one)."""
    if "\x00" in value:
        raise ValidationFailed(f"{name.replace('_', ' ')}: must not contain the NUL character")
    return value


def text(form: FormData, name: str, limit: int = 500) -> str:
    value = form.get(name, "")
    return _without_nul(name, value.strip()[:limit]) if isinstance(value, str) else ""


def optional_text(form: FormData, name: str, limit: int = 500) -> str | None:
    return text(form, name, limit) or None


def integer(form: FormData, name: str, label: str | None = None) -> int:
    raw = text(form, name, 20)
    try:
        return int(raw)
    except ValueError:
        raise ValidationFailed(f"{label or name}: {raw!r} is not a whole number") from None


def optional_int(form: FormData, name: str, label: str | None = None) -> int | None:
    return integer(form, name, label) if text(form, name, 20) else None


def many(form: FormData, name: str) -> list[str]:
    return [
        _without_nul(name, v.strip())
        for v in form.getlist(name)
        if isinstance(v, str) and v.strip()
    ]


def checked(form: FormData, name: str) -> bool:
    return text(form, name, 10) in ("on", "true", "1", "yes")


def local_datetime(form: FormData, name: str, label: str) -> datetime:
    """A ``datetime-local`` value (``2026-03-10T09:00``): the clinic's wall time (naive).

    A hidden ``<name>_offset`` field (``-04:00``) set by the page's choice between the two
    occurrences of a repeated wall time makes it an instant.
    """
    value = text(form, name, 40)
    if not value:
        raise ValidationFailed(f"{label}: enter a date and time")
    offset = text(form, f"{name}_offset", 8)
    if offset:
        value = f"{value}{offset}"
    return parse_datetime(value, field=label)


def local_date(form: FormData, name: str, label: str = "Date") -> date:
    return parse_local_date(text(form, name, 20), field=label)


def values(form: FormData) -> dict[str, str | list[str]]:
    """What was typed, to fill the form again after a refusal (the CSRF token left out)."""
    kept: dict[str, str | list[str]] = {}
    for key in form:
        if key == "csrf_token":
            continue
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        kept[key] = items if len(items) > 1 else (items[0] if items else "")
    return kept
