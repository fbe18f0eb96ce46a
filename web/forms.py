"""Reading posted form fields; a bad value is a PlannerError the page shows like any other."""

from __future__ import annotations

from starlette.datastructures import FormData

from planner.errors import ValidationFailed


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


def local_datetime(form: FormData, name: str, label: str) -> str:
    """A datetime-local value (``2026-03-10T09:00``): the clinic's wall time."""
    value = text(form, name, 40)
    if not value:
        raise ValidationFailed(f"{label}: enter a date and time")
    return value
