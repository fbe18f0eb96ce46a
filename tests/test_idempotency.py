"""docs/rules.md#answers: POST /api/sessions honours ``Idempotency-Key``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests import booking_fixtures
from tests.booking_fixtures import Clinic
from tests.booking_helpers import DAY, book, new_infusion, post_session, problem, sessions
from tests.live_server import all_at_once, client, created, serve
from tests.support import ADMIN, FakeClock

clinic = booking_fixtures.clinic


def _keyed(key: str, headers: dict[str, str] = ADMIN) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def _post(
    clinic: Clinic, key: str, start: str, headers: dict[str, str] = ADMIN, **extra: Any
) -> Any:
    return post_session(
        clinic.api, clinic.infusion["id"], f"{DAY}T{start}", headers=_keyed(key, headers), **extra
    )


def test_a_replay_answers_the_same_and_books_nothing_more(clinic: Clinic) -> None:
    first = _post(clinic, "k-1", "11:10")
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    for _ in range(2):
        again = _post(clinic, "k-1", "11:10")
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
    assert [s["id"] for s in sessions(clinic.api)] == [first.json()["id"]]
    # without a key the same body is a new request (and is refused: Pat is busy)
    problem(post_session(clinic.api, clinic.infusion["id"], f"{DAY}T11:10"), 409, "patient_busy")


def test_the_same_key_with_another_body_is_refused(clinic: Clinic) -> None:
    assert _post(clinic, "k-2", "11:10").status_code == 201
    for other in (
        _post(clinic, "k-2", "10:40"),
        _post(clinic, "k-2", "11:10", therapist_id=clinic.therapist["id"]),
        _post(clinic, "k-2", "11:10", override_reason="why not"),
    ):
        problem(other, 422, "idempotency_key_reused")
    assert len(sessions(clinic.api)) == 1


def test_a_refusal_replays_as_the_same_refusal(clinic: Clinic) -> None:
    api = clinic.api
    blocker = book(api, clinic.infusion["id"], f"{DAY}T11:10")
    refused = _post(clinic, "k-3", "11:30")
    body = problem(refused, 409, "patient_busy")
    assert [c["id"] for c in body["conflicts"]] == [blocker["id"]]
    # even once the time is free, the key answers what it answered first
    api.ok("POST", f"/api/sessions/{blocker['id']}/cancel", {"reason": "moved"})
    replay = _post(clinic, "k-3", "11:30")
    assert replay.headers["idempotent-replayed"] == "true"
    assert problem(replay, 409, "patient_busy") == body
    # an unknown reference (422) is kept the same way
    missing = problem(_post(clinic, "k-4", "11:30", therapist_id=999), 422, "unknown_reference")
    assert (
        problem(_post(clinic, "k-4", "11:30", therapist_id=999), 422, "unknown_reference")
        == missing
    )
    assert [s["status"] for s in sessions(api)] == ["cancelled"]


def test_keys_belong_to_their_user(clinic: Clinic) -> None:
    scheduler = clinic.api.user("scheduler", name="sam")
    mine = _post(clinic, "shared", "10:40")
    quinn = new_infusion(clinic.api, "Quinn")
    theirs = post_session(
        clinic.api, quinn["id"], f"{DAY}T11:40", headers=_keyed("shared", scheduler)
    )
    assert mine.status_code == 201 and theirs.status_code == 201, theirs.text
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    replay = post_session(
        clinic.api, quinn["id"], f"{DAY}T11:40", headers=_keyed("shared", scheduler)
    )
    assert replay.json() == theirs.json() and replay.headers["idempotent-replayed"] == "true"
    assert len(sessions(clinic.api)) == 2


def test_keys_expire_after_24_hours(clinic: Clinic, clock: FakeClock) -> None:
    first = _post(clinic, "k-5", "10:40")
    assert first.status_code == 201
    clock.now += timedelta(hours=23)
    problem(_post(clinic, "k-5", "11:40"), 422, "idempotency_key_reused")
    assert _post(clinic, "k-5", "10:40").headers["idempotent-replayed"] == "true"
    clock.now += timedelta(hours=2)  # 25 h after the first use
    reused = _post(clinic, "k-5", "11:40")
    assert reused.status_code == 201, reused.text
    assert "idempotent-replayed" not in reused.headers
    assert reused.json()["id"] != first.json()["id"]
    assert len(sessions(clinic.api)) == 2


def test_a_refusal_the_database_gives_is_kept_too(clinic: Clinic) -> None:
    """An id beyond the column's range is refused by the database as the work leaves (not
    by a rule): that 422 is the key's answer as well, and the key is taken for this body."""
    huge = {"infusion_id": 2**63, "session_type": "physical_rehabilitation"}
    post = partial(clinic.api.post, "/api/sessions", headers=_keyed("k-range"))
    first = problem(post(huge | {"start": f"{DAY}T11:10"}), 422, "validation_error")
    replay = post(huge | {"start": f"{DAY}T11:10"})
    assert replay.headers["idempotent-replayed"] == "true"
    assert problem(replay, 422, "validation_error") == first
    problem(post(huge | {"start": f"{DAY}T11:40"}), 422, "idempotency_key_reused")
    assert sessions(clinic.api) == []


def _waiting_on_a_lock(database_url: str) -> bool:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            query = (
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return bool(conn.scalar(text(query)))
    finally:
        engine.dispose()


def test_an_overlap_the_exclusion_constraint_catches_is_kept(
    clinic: Clinic, database_url: str
) -> None:
    """PostgreSQL: a writer outside the planner's locks books a session again (uncommitted,
    so the rules cannot see it); the booking's insert waits on the exclusion constraint and
    fails (409). A retry with the key replays that 409, even once the time is free again:
    the client was told "not booked", and a retry does not book behind its back."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no exclusion constraints: every transaction holds the lock")
    blocker = book(clinic.api, clinic.infusion["id"], f"{DAY}T11:10")
    clinic.api.ok("POST", f"/api/sessions/{blocker['id']}/cancel", {"reason": "moved"})
    engine = create_engine(database_url, poolclass=NullPool)
    answers: list[Any] = []
    booking = threading.Thread(target=lambda: answers.append(_post(clinic, "k-ex", "11:40")))
    try:
        with engine.connect() as outsider:
            outsider.execute(
                text("UPDATE sessions SET status = 'booked' WHERE id = :id"), {"id": blocker["id"]}
            )
            booking.start()
            deadline = time.monotonic() + 20
            while not _waiting_on_a_lock(database_url):
                assert booking.is_alive() and time.monotonic() < deadline, answers
                time.sleep(0.02)
            outsider.commit()
    finally:
        engine.dispose()
    booking.join(timeout=30)
    refused = answers[0].json()
    assert refused["code"] in ("therapist_busy", "patient_busy"), refused
    assert "conflicts" not in refused  # the database's refusal, not the rules'
    problem(answers[0], 409, refused["code"])
    # the time is free again: a retry still answers what the client was told, and books nothing
    clinic.api.ok("POST", f"/api/sessions/{blocker['id']}/cancel", {"reason": "freed"})
    for _ in range(2):
        again = _post(clinic, "k-ex", "11:40")
        assert again.headers.get("idempotent-replayed") == "true", again.text
        assert problem(again, 409, refused["code"]) == refused
    assert [s["status"] for s in sessions(clinic.api)] == ["cancelled"]


def test_requests_with_the_same_key_at_once_book_once_and_all_answer_201(
    clinic: Clinic,
) -> None:
    """The second waits for the first's commit (PostgreSQL: the unique index; SQLite: the
    write lock) and replays it: never ``idempotency_in_flight``."""
    post = partial(_post, clinic, "k-race", "11:10")
    answers = all_at_once([post] * 8)
    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    first = answers[0].json()
    assert all(a.json() == first for a in answers)
    replayed = [a.headers.get("idempotent-replayed") for a in answers]
    assert sorted(replayed, key=str) == [None] + ["true"] * 7
    assert [s["id"] for s in sessions(clinic.api)] == [first["id"]]


# -- concurrent replays, through a real server -----------------------------------------------


@pytest.fixture
def http(app: FastAPI) -> Iterator[httpx2.Client]:
    with serve(app) as base_url, client(base_url) as live:
        yield live


def test_concurrent_replays_book_once(http: httpx2.Client) -> None:
    created(
        http,
        "/api/session-types",
        {"key": "rehab", "name": "Rehab", "duration_minutes": 60, "discipline": "physio"}
        | {"window": "peak"},
    )
    for name in ("Dana", "Fay"):
        working_hours = [{"rrule": "FREQ=DAILY", "start": "08:00", "end": "17:00"}]
        therapist = {"name": name, "disciplines": ["physio"], "working_hours": working_hours}
        created(http, "/api/therapists", therapist)
    patient = created(http, "/api/patients", {"name": "Pat"})
    infusion = created(
        http, "/api/infusions", {"patient_id": patient["id"], "start": f"{DAY}T07:00"}
    )
    body = {"infusion_id": infusion["id"], "session_type": "rehab", "start": f"{DAY}T11:10"}
    post = partial(http.post, "/api/sessions", json=body, headers={"Idempotency-Key": "same"})
    answers = all_at_once([post] * 8)

    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    booked = [a.json() for a in answers]
    assert all(b == booked[0] for b in booked)
    replayed = [a.headers.get("idempotent-replayed") for a in answers]
    assert sorted(replayed, key=str) == [None] + ["true"] * 7
    listed = http.get("/api/sessions").json()
    assert [s["id"] for s in listed] == [booked[0]["id"]]
    # once the first has finished, every retry is a replay
    retry = post()
    assert retry.status_code == 201 and retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == booked[0]
