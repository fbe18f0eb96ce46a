"""An unexpected exception is answered as 500 problem+json ``internal_error`` and logged
without patient data; the client's keep-alive connection survives it (a real server)."""

from __future__ import annotations

import logging

import httpx2
import pytest
from fastapi import FastAPI

from services import clinic
from tests.live_server import client, serve
from tests.problems import assert_problem

PATIENT = "Jane Q. Patient"


def _local_port(response: httpx2.Response) -> int:
    """The client's port of the connection the answer came over (one port, one connection)."""
    stream = response.extensions["network_stream"]
    return int(stream.get_extra_info("client_addr")[1])


def test_a_500_keeps_the_connection_and_logs_no_patient_data(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"a bug that quotes {PATIENT}")

    with serve(app) as base_url, client(base_url) as http:
        before = http.get("/api/clinic")
        assert before.status_code == 200, before.text
        monkeypatch.setattr(clinic, "get_clinic", broken)
        with caplog.at_level(logging.ERROR, logger="planner"):
            failed = http.get("/api/clinic", headers={"X-Request-ID": "req-500"})
        body = assert_problem(failed, 500, "internal_error")
        assert PATIENT not in failed.text
        assert "logged" in body["detail"]
        monkeypatch.undo()
        after = http.get("/api/clinic")
        assert after.status_code == 200, after.text
        # the same keep-alive connection answered all three: the 500 did not close it
        assert _local_port(before) == _local_port(failed) == _local_port(after)

    logged = [r for r in caplog.records if r.name.startswith("planner")]
    assert logged, "the failure was logged"
    text = "\n".join(caplog.text.splitlines())
    assert "RuntimeError" in text and "GET /api/clinic" in text and "req-500" in text
    assert PATIENT not in text, "the log quotes the exception's message"
