"""Assertions on RFC 9457 problem answers (docs/rules.md#answers)."""

from __future__ import annotations

from typing import Any

import httpx2

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(
    response: httpx2.Response, status: int, code: str, case: object = None
) -> dict[str, Any]:
    """The answer is ``application/problem+json`` with ``status`` and ``code``; its body.

    ``case`` names what was sent, for the failure message of tests that loop over cases.
    """
    assert response.status_code == status, (case, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == code, (case, body)
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if status == 401:
        assert response.headers.get("www-authenticate") == "Bearer"
    return body
