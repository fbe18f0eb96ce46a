"""Refusals under ``/fhir`` as FHIR ``OperationOutcome``s: the same status, the project's code
in ``issue.details`` (``therapist_busy``, ``not_found``, …) and the readable text."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

FHIR_JSON = "application/fhir+json"
CODE_SYSTEM = "urn:infusion-window-planner:code"
ISSUE_TYPES = {
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-long",
    422: "invalid",
    429: "throttled",
    503: "transient",
}
KEPT_HEADERS = {"www-authenticate", "retry-after", "allow", "x-request-id"}


def under_fhir(request: Request) -> bool:
    path = request.url.path
    return path == "/fhir" or path.startswith("/fhir/")


def operation_outcome(problem: JSONResponse) -> JSONResponse:
    """The problem+json answer ``problem`` as an OperationOutcome."""
    body: dict[str, Any] = json.loads(bytes(problem.body))
    status = problem.status_code
    diagnostics = str(body.get("detail", ""))  # it names each refused field already
    issue = {
        "severity": "error",
        "code": ISSUE_TYPES.get(status, "exception" if status >= 500 else "processing"),
        "details": {
            "coding": [{"system": CODE_SYSTEM, "code": str(body.get("code", "error"))}],
            "text": str(body.get("title", "Error")),
        },
        "diagnostics": diagnostics or "refused",
    }
    headers = {k: v for k, v in problem.headers.items() if k.lower() in KEPT_HEADERS}
    return JSONResponse(
        {"resourceType": "OperationOutcome", "issue": [issue]},
        status_code=status,
        headers=headers,
        media_type=FHIR_JSON,
    )
