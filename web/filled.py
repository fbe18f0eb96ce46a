"""A refused form, shown again: what was typed, and the refusal beside the field it concerns.

A page that posts a form answers a refusal by rendering itself again (409 or 422) with a
``Filled``: the values as typed, the message next to the field it belongs to (or above the
form when it concerns the whole form), and, for a wall time that happens twice on the night
the clocks go back, the two instants to choose from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from starlette.datastructures import FormData

from planner.errors import Code, PlannerError
from planner.localtime import wall_choices
from web import forms
from web.render import message, templates

TIME_CODES = (
    Code.nonexistent_local_time,
    Code.ambiguous_local_time,
    Code.in_the_past,
    Code.outside_window,
    Code.patient_busy,
    Code.room_unavailable,
    Code.no_therapist_free,
    Code.too_early,
)
THERAPIST_CODES = (
    Code.therapist_busy,
    Code.therapist_unavailable,
    Code.discipline_mismatch,
    Code.daily_limit,
)


@dataclass(frozen=True)
class Fields:
    """Where a form's refusals belong: by code, and by the label a validation message names."""

    by_code: Mapping[Code, str] = field(default_factory=dict)
    by_label: Mapping[str, str] = field(default_factory=dict)

    def of(self, error: PlannerError) -> str | None:
        if error.code in self.by_code:
            return self.by_code[error.code]
        lead = error.detail.split(":", 1)[0].strip().lower()
        for label, name in self.by_label.items():
            if lead == label.lower():
                return name
        return None


def booking_fields(time: str = "start", therapist: str = "therapist_id", **labels: str) -> Fields:
    """A form with a time and a therapist: rule refusals go beside one or the other."""
    codes = {code: time for code in TIME_CODES} | {code: therapist for code in THERAPIST_CODES}
    return Fields(codes, labels)


@dataclass(frozen=True)
class Filled:
    form: str
    values: Mapping[str, str | list[str]]
    error: PlannerError
    field: str | None
    shown: Mapping[str, str]
    choices: tuple[datetime, ...] = ()  # the two instants of a repeated wall time

    def value(self, form: str, name: str, default: Any = "") -> Any:
        if form != self.form or name not in self.values:
            return default
        typed = self.values[name]
        return typed[0] if isinstance(typed, list) else typed

    def values_of(self, form: str, name: str) -> list[str] | None:
        if form != self.form:
            return None
        typed = self.values.get(name, [])
        return typed if isinstance(typed, list) else [typed]


def filled(
    form_id: str,
    form: FormData,
    error: PlannerError,
    fields: Fields,
    what: str,
    zone: ZoneInfo,
    time_field: str = "start",
) -> Filled:
    """The refused ``form`` as the page shows it again."""
    choices: tuple[datetime, ...] = ()
    if error.code == Code.ambiguous_local_time:
        choices = _choices(form, time_field, zone)
    return Filled(
        form=form_id,
        values=forms.values(form),
        error=error,
        field=fields.of(error),
        shown=message(error, what),
        choices=choices,
    )


def _choices(form: FormData, name: str, zone: ZoneInfo) -> tuple[datetime, ...]:
    """The two instants a repeated wall time names, to offer as "first" and "second"."""
    try:
        wall = datetime.fromisoformat(forms.text(form, name, 40))
    except ValueError:
        return ()
    return wall_choices(wall.replace(tzinfo=None), zone)


@pass_context
def typed(context: Any, form: str, name: str, default: Any = "") -> Any:
    """In a template: the value typed into ``form``'s field, or ``default``."""
    state: Filled | None = context.get("filled")
    return state.value(form, name, default) if state is not None else default


@pass_context
def refusal(context: Any, form: str, name: str | None = None) -> Mapping[str, str] | None:
    """In a template: the refusal that belongs beside ``name`` (None: above the form)."""
    state: Filled | None = context.get("filled")
    if state is None or state.form != form or state.field != name:
        return None
    return state.shown


templates.env.globals["typed"] = typed
templates.env.globals["refusal"] = refusal
