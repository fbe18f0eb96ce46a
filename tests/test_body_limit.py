"""Request bodies: too large ones are refused before they are read, and a body full of
unknown fields is answered with a short list of errors.

Without a login anyone could send ``/api/login`` 13 MB of JSON with 700,000 unknown keys:
the server parsed and validated all of it (16.8 s with the event loop blocked, so
``/api/health`` waited too) and answered one error per key (93.6 MB).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.errors import MAX_ERRORS, MAX_UNKNOWN_NAMED
from app import create_app
from services.settings import Settings
from tests.live_server import serve
from tests.support import ADMIN, FakeClock

LIMIT = 1024 * 1024  # the default of PLANNER_MAX_BODY_BYTES
FAST = 5.0  # seconds; generous: the refusal itself takes milliseconds


@pytest.fixture
def live(app: FastAPI) -> Iterator[str]:
    with serve(app) as base_url:
        yield base_url


def _unknown_keys_body(count: int) -> bytes:
    return json.dumps({f"field{i:07d}": 0 for i in range(count)}).encode()  # 19 bytes a key


def _raw_answer(
    base_url: str, head: str, chunks: Iterable[bytes] = ()
) -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` (and ``chunks``) on a plain socket and read the answer, without ever
    finishing the request body: the answer can only come if the server did not wait for it."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=FAST) as sock:
        sock.sendall(head.encode("latin-1"))
        for chunk in chunks:
            sock.sendall(chunk)
        data = b""
        while b"\r\n\r\n" not in data:
            more = sock.recv(65536)
            assert more, "the connection closed before an answer came"
            data += more
        header_block, body = data.split(b"\r\n\r\n", 1)
        status_line, *header_lines = header_block.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, value in (line.split(":", 1) for line in header_lines)
        }
        while len(body) < int(headers.get("content-length", 0)):
            more = sock.recv(65536)
            assert more, "the connection closed before the whole answer came"
            body += more
    return int(status_line.split()[1]), headers, body


def _assert_payload_too_large(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status == 413, body[:500]
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["code"] == "payload_too_large"
    assert problem["status"] == 413
    assert str(LIMIT) in problem["detail"]


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(live: str) -> None:
    head = (
        "POST /api/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {13 * 1024 * 1024}\r\n\r\n"
    )
    started = time.monotonic()
    _assert_payload_too_large(*_raw_answer(live, head))  # not one byte of the body was sent
    assert time.monotonic() - started < FAST


def test_a_chunked_body_growing_past_the_limit_is_refused_while_it_streams(live: str) -> None:
    head = (
        "POST /api/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"x" * 65536
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    sent = [chunk] * (LIMIT // len(piece) + 2)  # past the limit, and the body never ends
    started = time.monotonic()
    _assert_payload_too_large(*_raw_answer(live, head, sent))
    assert time.monotonic() - started < FAST


def test_a_huge_body_of_unknown_keys_is_refused_quickly_and_health_answers_meanwhile(
    live: str,
) -> None:
    huge = _unknown_keys_body(700_000)
    assert len(huge) > 13_000_000
    answers: dict[str, Any] = {}

    def post_huge() -> None:
        started = time.monotonic()
        with httpx2.Client(base_url=live, timeout=60) as http:
            answers["login"] = http.post(
                "/api/login", content=huge, headers={"Content-Type": "application/json"}
            )
        answers["login_seconds"] = time.monotonic() - started

    poster = threading.Thread(target=post_huge)
    poster.start()
    health_seconds = []
    with httpx2.Client(base_url=live, timeout=60) as http:
        for _ in range(5):
            started = time.monotonic()
            assert http.get("/api/health").status_code == 200
            health_seconds.append(time.monotonic() - started)
            time.sleep(0.05)
    poster.join(timeout=120)

    login = answers["login"]
    assert login.status_code == 413, login.text[:500]
    assert login.json()["code"] == "payload_too_large"
    assert len(login.content) < 1000
    assert answers["login_seconds"] < FAST
    assert max(health_seconds) < 2.0, health_seconds


def test_the_limit_is_a_setting_and_applies_to_api_bodies_and_page_forms(
    settings: Settings, clock: FakeClock
) -> None:
    small = settings.model_copy(update={"max_body_bytes": 2048})
    with TestClient(create_app(small, clock=clock), raise_server_exceptions=False) as client:
        too_long = client.post("/api/patients", json={"name": "x" * 3000}, headers=ADMIN)
        assert too_long.status_code == 413, too_long.text
        assert too_long.json()["code"] == "payload_too_large"
        page_form = client.post("/login", data={"username": "u" * 3000, "password": "p"})
        assert page_form.status_code == 413, page_form.text
        assert page_form.json()["code"] == "payload_too_large"

        under = client.post("/api/patients", json={"name": "x" * 1500}, headers=ADMIN)
        assert under.status_code == 422, under.text  # read and validated: too long a name
        assert under.json()["code"] == "validation_error"
        fine = client.post("/api/patients", json={"name": "Pat Example"}, headers=ADMIN)
        assert fine.status_code == 201, fine.text


def test_a_body_of_unknown_keys_just_under_the_limit_answers_a_short_422(
    client: TestClient,
) -> None:
    count = 55_000
    body = _unknown_keys_body(count)
    assert LIMIT - 100_000 < len(body) <= LIMIT
    started = time.monotonic()
    answer = client.post("/api/login", content=body, headers={"Content-Type": "application/json"})
    assert time.monotonic() - started < FAST
    assert answer.status_code == 422, answer.text[:500]
    assert len(answer.content) < 4000
    problem = answer.json()
    assert problem["code"] == "validation_error"
    unknown = [e for e in problem["errors"] if e["message"].startswith("unknown field")]
    assert [e["field"] for e in unknown] == ["field0000000", "field0000001", "field0000002"]
    assert len(unknown) == MAX_UNKNOWN_NAMED
    missing = {e["field"] for e in problem["errors"]} - {e["field"] for e in unknown}
    assert missing == {"username", "password"}  # the real errors are still named
    assert problem["errors_omitted"] == count - MAX_UNKNOWN_NAMED
    assert f"and {count - MAX_UNKNOWN_NAMED} more unknown fields" in problem["detail"]


def test_many_errors_are_listed_up_to_a_bound_and_counted(client: TestClient) -> None:
    hours = [{"rrule": "", "start": 1} for _ in range(40)]  # three errors each
    answer = client.post(
        "/api/therapists",
        json={"name": "Dana", "disciplines": ["physio"], "working_hours": hours},
        headers=ADMIN,
    )
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert len(problem["errors"]) == MAX_ERRORS
    assert problem["errors_omitted"] == 120 - MAX_ERRORS
    assert problem["errors"][0]["field"].startswith("working_hours.0.")
    assert problem["detail"].endswith(f"; and {120 - MAX_ERRORS} more errors")


def test_a_long_unknown_key_is_not_echoed_back_whole(client: TestClient) -> None:
    answer = client.post(
        "/api/login",
        json={"username": "u", "password": "p", "k" * 100_000: 1},
    )
    assert answer.status_code == 422, answer.text[:500]
    assert len(answer.content) < 1000
    (error,) = answer.json()["errors"]
    assert error["field"].startswith("kkkk") and len(error["field"]) <= 100
