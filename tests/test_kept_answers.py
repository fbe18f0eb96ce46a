"""Kept read answers (api/answers.py): a repeated read runs no SQL, and any commit, from this
app or from anywhere else, is seen by the very next read. On both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from models.db import make_engine
from models.stamp import DataStamp, SharedReads
from services import therapists
from tests.support import ADMIN, Api, FakeClock, counted

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a thread of its own: a browser test earlier in the session may
    have left an event loop running on this one."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def _clinic(api: Api) -> tuple[Any, Any]:
    therapist = api.therapist("Lee", ("physio",), start="08:00", end="17:00")
    api.session_type("rehab", "peak", "physio", 60)
    infusion = api.infusion(api.patient("Pat Example")["id"], "2026-03-10T07:00")
    return therapist, infusion


def _day(api: Api, therapist_id: int) -> Any:
    return api.ok("GET", f"/api/therapists/{therapist_id}/day?date=2026-03-10")


def test_the_stamp_changes_with_every_commit_and_only_then(database_url: str) -> None:
    _run(_stamp_changes_with_every_commit_and_only_then(database_url))


async def _stamp_changes_with_every_commit_and_only_then(database_url: str) -> None:
    engine = make_engine(database_url)
    stamp = DataStamp(engine)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE stamp_probe (n integer)"))
        before = await stamp.read()
        assert before is not None
        with engine.connect() as connection:  # reading changes nothing
            connection.execute(text("SELECT count(*) FROM stamp_probe")).scalar_one()
            connection.rollback()
        assert await stamp.read() == before
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO stamp_probe VALUES (1)"))
        after = await stamp.read()
        assert after is not None and after != before
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO stamp_probe VALUES (2)"))
        assert await stamp.read() not in {before, after}
    finally:
        await stamp.close()
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS stamp_probe"))
        engine.dispose()


def test_a_repeated_day_view_and_slot_search_run_no_sql(app: FastAPI, api: Api) -> None:
    therapist, infusion = _clinic(api)
    slots_path = f"/api/infusions/{infusion['id']}/slots?session_type=rehab"
    first_day, first_slots = _day(api, therapist["id"]), api.ok("GET", slots_path)
    with counted(app) as statements:
        assert _day(api, therapist["id"]) == first_day
        assert api.ok("GET", slots_path) == first_slots
    # only the stamp, read on a connection of its own, outside the app's engine
    assert statements == []


def test_a_booking_shows_in_the_next_read(api: Api) -> None:
    therapist, infusion = _clinic(api)
    assert _day(api, therapist["id"])["sessions"] == []
    slots_path = f"/api/infusions/{infusion['id']}/slots?session_type=rehab&limit=1"
    best = api.ok("GET", slots_path)[0]
    booked = api.ok(
        "POST",
        "/api/sessions",
        {"infusion_id": infusion["id"], "session_type": "rehab", "start": best["start"]},
        201,
    )
    assert [s["id"] for s in _day(api, therapist["id"])["sessions"]] == [booked["id"]]
    assert api.ok("GET", slots_path) != [best]  # the kept search is not answered again


def test_a_change_written_elsewhere_shows_in_the_next_day_view(api: Api, database_url: str) -> None:
    """The stamp sees commits of other connections: a second server, the CLI, a DBA."""
    therapist, _ = _clinic(api)
    assert _day(api, therapist["id"])["working"][0]["start"].startswith("2026-03-10T08:00")
    elsewhere = make_engine(database_url)
    try:
        with elsewhere.begin() as connection:
            hours = '[{"rrule": "FREQ=DAILY", "start": "10:00", "end": "17:00"}]'
            connection.execute(
                text("UPDATE therapists SET working_hours = :hours WHERE id = :id"),
                {"hours": hours, "id": therapist["id"]},
            )
    finally:
        elsewhere.dispose()
    assert _day(api, therapist["id"])["working"][0]["start"].startswith("2026-03-10T10:00")


def test_a_kept_token_is_refused_at_once_when_revoked_disabled_or_expired(
    client: TestClient, api: Api, clock: FakeClock
) -> None:
    therapist, _ = _clinic(api)
    path = f"/api/therapists/{therapist['id']}/day?date=2026-03-10"
    own = api.user("therapist", therapist["id"], name="lee")
    assert client.get(path, headers=own).status_code == 200
    assert client.get(path, headers=own).status_code == 200  # the grant is kept now
    assert client.post("/api/logout", headers=own).status_code == 200
    assert client.get(path, headers=own).status_code == 401

    other = api.user("scheduler", name="sam")
    assert client.get(path, headers=other).status_code == 200
    user_id = next(u["id"] for u in api.ok("GET", "/api/users") if u["username"] == "sam")
    api.ok("PATCH", f"/api/users/{user_id}", {"disabled": True})
    assert client.get(path, headers=other).status_code == 401

    short = api.user("scheduler", name="sue")
    assert client.get(path, headers=short).status_code == 200
    clock.now += timedelta(days=31)  # past the 30 days a token lasts
    assert client.get(path, headers=short).status_code == 401
    assert client.get(path, headers=ADMIN).status_code == 200  # the bootstrap token never ends


def test_another_therapists_day_stays_hidden_when_kept(client: TestClient, api: Api) -> None:
    therapist, _ = _clinic(api)
    other = api.therapist("Kim", ("physio",))
    path = f"/api/therapists/{therapist['id']}/day?date=2026-03-10"
    assert client.get(path, headers=ADMIN).status_code == 200  # kept for the admin
    kim = api.user("therapist", other["id"], name="kim")
    refused = client.get(path, headers=kim)
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"


def test_stamp_reads_asked_together_are_shared_and_never_begin_before_the_ask() -> None:
    async def scenario() -> tuple[list[int], list[int], list[int]]:
        started: list[int] = []

        async def query() -> int:
            started.append(len(started) + 1)
            number = len(started)
            await asyncio.sleep(0.01)
            return number

        shared = SharedReads(query)
        first = asyncio.ensure_future(shared.read())
        await asyncio.sleep(0)  # the first read is on its way
        burst = await asyncio.gather(*(shared.read() for _ in range(15)))
        alone = await shared.read()
        return [await first], list(burst), [alone, len(started)]

    first, burst, (alone, reads) = _run(scenario())
    assert first == [1]
    assert burst == [2] * 15  # the read that began after they asked, one for all of them
    assert alone == 3 and reads == 3


def test_a_callers_repeated_read_is_answered_before_routing(
    client: TestClient, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api/kept_responses.py: the same caller asking the same URL again is answered without
    the route (its permission check is not even asked); any commit ends that."""
    therapist, _ = _clinic(api)
    asked: list[int] = []
    check = therapists.require_may_see

    def counting(actor: Any, therapist_id: int) -> None:
        asked.append(therapist_id)
        check(actor, therapist_id)

    monkeypatch.setattr(therapists, "require_may_see", counting)
    path = f"/api/therapists/{therapist['id']}/day?date=2026-03-10"
    first = client.get(path, headers=ADMIN)
    routed = len(asked)
    assert routed > 0
    again = client.get(path, headers=ADMIN)
    assert len(asked) == routed
    assert (again.status_code, again.content) == (200, first.content)
    assert again.headers["content-type"] == first.headers["content-type"] == "application/json"
    assert again.headers["x-request-id"] != first.headers["x-request-id"]  # still its own
    api.patient("Someone Else")  # a commit
    assert client.get(path, headers=ADMIN).content == first.content
    assert len(asked) == 2 * routed
    with_other_query = client.get(path + "&x=1", headers=ADMIN)
    assert with_other_query.status_code == 422  # the URL is the key: checked as ever


def test_a_kept_slot_search_follows_the_minute_once_its_window_is_open(
    client: TestClient, api: Api, clock: FakeClock
) -> None:
    _, infusion = _clinic(api)
    path = f"/api/infusions/{infusion['id']}/slots?session_type=rehab&limit=100"
    before = api.ok("GET", path)  # asked before the window opens: kept until it does
    earliest = datetime.fromisoformat(before[0]["start"])
    clock.now = earliest + timedelta(minutes=1, seconds=17)
    inside = api.ok("GET", path)
    assert before[0]["start"] not in {s["start"] for s in inside}
    assert all(datetime.fromisoformat(s["start"]) >= clock.now for s in inside)
    assert api.ok("GET", path) == inside  # the same minute: kept
    clock.now += timedelta(minutes=10)
    later = api.ok("GET", path)
    assert later != inside
    assert all(datetime.fromisoformat(s["start"]) >= clock.now for s in later)
