"""Reads never wait for writes, on ``planner serve`` with the real clock (issue 14).

The test process holds, on the served database, exactly the locks a booking holds while it
checks the calendar (SQLite's write lock; on PostgreSQL the patient's, every therapist's and
every room's row). Meanwhile the slot search, a therapist's day, the day's sessions, the
infusion, a plan preview and the board page all answer, and a booking sent meanwhile waits
until the locks are let go, then books. Also: the access log the harness reads for 5xx is
written (``planner serve --access-log``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial

import httpx2
import pytest

from tests.e2e.clinic import CARE_PLAN, Clinic, build_clinic, user
from tests.e2e.support import Served, expect, tomorrow, wall
from tests.test_reads_never_wait import BookingLocks

READ_DEADLINE_S = 10  # far below SQLite's 15 s busy timeout: a waiting read would miss it
REHAB = CARE_PLAN[0]


@pytest.fixture(scope="module")
def clinic(server: Served) -> Clinic:
    built = build_clinic(server.admin())
    user(server.admin(), "rita", "scheduler", "rita-secret-1")
    return built


def _in_thread(call: Callable[[], httpx2.Response]) -> tuple[threading.Thread, list[object]]:
    answer: list[object] = []
    thread = threading.Thread(target=lambda: answer.append(call()), daemon=True)
    thread.start()
    return thread, answer


def test_every_read_answers_while_a_booking_holds_its_locks(server: Served, clinic: Clinic) -> None:
    api = server.login("rita", "rita-secret-1")
    browser, _ = server.browser("rita", "rita-secret-1")
    day = tomorrow()
    patient = clinic.patient(api, "Lena Locke")
    body = {"patient_id": patient, "start": wall(day, "07:00"), "care_plan": CARE_PLAN}
    infusion = expect(api.post("/api/infusions", json=body), 201)
    therapist = next(iter(clinic.disciplines["physical"]))
    slot = expect(
        api.get(f"/api/infusions/{infusion['id']}/slots", params={"session_type": REHAB}), 200
    )[0]
    reads = [
        partial(api.get, f"/api/infusions/{infusion['id']}/slots", params={"session_type": REHAB}),
        partial(api.get, f"/api/therapists/{therapist}/day", params={"date": day.isoformat()}),
        partial(api.get, "/api/sessions", params={"date": day.isoformat()}),
        partial(api.get, f"/api/infusions/{infusion['id']}"),
        partial(api.post, f"/api/infusions/{infusion['id']}/plan", json={"commit": False}),
        partial(browser.get, "/board", params={"date": day.isoformat()}),
    ]
    booking = {"infusion_id": infusion["id"], "session_type": REHAB, "start": slot["start"]}
    with BookingLocks(server.database_url, infusion["id"]):
        waiting, booked = _in_thread(partial(api.post, "/api/sessions", json=booking))
        began = time.monotonic()
        started = [_in_thread(read) for read in reads]
        for thread, _ in started:
            thread.join(timeout=max(0.1, READ_DEADLINE_S - (time.monotonic() - began)))
        answers = [answer[0] if answer else None for _, answer in started]
        statuses = [getattr(a, "status_code", a) for a in answers]
        assert statuses == [200] * len(reads), statuses
        assert waiting.is_alive() and not booked  # the locks are real: the booking waits
    waiting.join(timeout=30)
    assert [getattr(a, "status_code", a) for a in booked] == [201]


def test_the_access_log_the_error_watch_reads_is_written(server: Served) -> None:
    expect(server.client().get("/api/health"), 200)
    deadline = time.monotonic() + 5
    while '"GET /api/health HTTP/1.1" 200' not in server.stdout():
        assert time.monotonic() < deadline, server.stdout()[-2000:]
        time.sleep(0.05)
