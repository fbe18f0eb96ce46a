"""Shortcuts for the booking tests: book through the API, check problem answers."""

from __future__ import annotations

from typing import Any

from tests.support import ADMIN, Api

DAY = "2026-03-10"
"""The clinic fixture's day: New York is on EDT (-04:00) then."""


def local(hhmm: str, day: str = DAY) -> str:
    """``11:10`` → ``2026-03-10T11:10:00-04:00``, how the API answers an EDT instant."""
    return f"{day}T{hhmm}:00-04:00"


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The answer is RFC 9457 problem+json with ``status`` and ``code``; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"] and body["title"] and body["detail"]
    return body


def post_session(
    api: Api,
    infusion_id: int,
    start: str,
    session_type: str = "physical_rehabilitation",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Any:
    body = {"infusion_id": infusion_id, "session_type": session_type, "start": start, **extra}
    return api.post("/api/sessions", body, headers=headers or ADMIN)


def book(api: Api, infusion_id: int, start: str, **extra: Any) -> dict[str, Any]:
    response = post_session(api, infusion_id, start, **extra)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def new_infusion(api: Api, name: str, start: str = f"{DAY}T07:00", **extra: Any) -> Any:
    """A new patient with one infusion (07:00 → the peak window is 10:40–12:40 local)."""
    patient = api.patient(name)
    return api.infusion(patient["id"], start, **extra)


def sessions(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/api/sessions", limit=500, **params)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result
