"""Every HTML page carries the Content-Security-Policy; the API documentation does not.

The browser side (no violation on the board and infusion pages, inline script blocked) is
in tests/browser/test_content_security_policy.py.
"""

from __future__ import annotations

import httpx2
import pytest
from fastapi.testclient import TestClient

from tests.support import Api
from tests.test_web_pages import DAY, clinic
from tests.web_support import log_in
from web.pages import board as board_page

DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy_of(answer: httpx2.Response) -> dict[str, str]:
    header = answer.headers.get("content-security-policy")
    assert header, f"no Content-Security-Policy on {answer.request.url}"
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives


def assert_page_policy(answer: httpx2.Response) -> None:
    policy = policy_of(answer)
    for name, value in DIRECTIVES.items():
        assert policy.get(name) == value, (name, policy)
    # Inline script is never allowed, by no directive.
    assert not any("unsafe-inline" in policy.get(n, "") for n in ("script-src", "default-src"))
    assert "unsafe-eval" not in " ".join(policy.values())


def test_every_page_carries_the_policy(client: TestClient, api: Api) -> None:
    made = clinic(api)
    api.ok(
        "POST", "/api/users", {"username": "ada", "role": "admin", "password": "ada-secret-1"}, 201
    )
    client.cookies.clear()
    login = client.get("/login")
    assert login.status_code == 200
    assert_page_policy(login)

    log_in(client, "ada", "ada-secret-1")
    therapist = made["therapist"]["id"]
    pages = {
        "board": f"/board?date={DAY}",
        "infusions": "/infusions",
        "infusion": f"/infusions/{made['infusion']['id']}",
        "day": f"/therapists/{therapist}/day?date={DAY}",
        "day, printed": f"/therapists/{therapist}/day?date={DAY}&print=1",
        "settings": "/settings",
        "audit": "/audit",
        "a refusal page": "/infusions/9999",
    }
    for name, path in pages.items():
        answer = client.get(path)
        assert answer.status_code in (200, 404), (name, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html"), name
        assert_page_policy(answer)


def test_the_unexpected_error_page_carries_the_policy(
    client: TestClient, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic(api)
    log_in(client, "sam", "sam-secret-1")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(board_page, "build_board", broken)
    answer = client.get(f"/board?date={DAY}")
    assert answer.status_code == 500
    assert "Something went wrong" in answer.text
    assert_page_policy(answer)


def test_the_api_documentation_is_left_without_the_page_policy(client: TestClient) -> None:
    """Swagger UI loads its script and styles from a CDN and starts with an inline script:
    the pages' policy would blank it, so it is not applied there (it shows no patient data;
    the API answers are JSON, which no policy governs)."""
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "content-security-policy" not in docs.headers
    api_answer = client.get("/api/health")
    assert "content-security-policy" not in api_answer.headers
