"""The write routes' audit cases for tests/test_audit.py: each performs one write through
the API and says which entry it must leave (entity, id, actor, before and after)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.access_fixtures import DAY, NEXT_DAY, PASSWORD, REHAB, Site, make_user
from tests.support import ADMIN

NEW_PASSWORD = "another long secret"


@dataclass
class Expect:
    entity: str
    entity_id: int | None
    actor: str | None  # username; None: not checked (a login has no caller yet)
    before: dict[str, Any] | None = None  # a subset the entry's ``before`` must hold
    after: dict[str, Any] | None = None
    patient_id: int | None = None
    at: str = "2026-03-01T07:00:17"  # the clock (clinic offset) when the case wrote


Call = Callable[[TestClient, Site, dict[str, Any]], Expect]


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def prepare(client: TestClient, site: Site) -> dict[str, Any]:
    """What the cases act on, made before anything is counted."""
    api = site.api
    made: dict[str, Any] = {}
    made["login"], _ = make_user(api, "auditlogin", "scheduler", password=PASSWORD)
    made["leaver"], made["leaver_token"] = make_user(api, "leaver", "scheduler")
    made["victim"], _ = make_user(api, "victim", "scheduler")
    p3 = api.patient("Pat Three")["id"]
    made["plan_inf"] = api.infusion(p3, f"{DAY}T08:00")["id"]
    made["follow_inf"] = api.infusion(p3, "2026-03-12T07:00")["id"]
    made["day_inf"] = api.infusion(p3, "2026-03-13T07:00", care_plan=[REHAB])["id"]
    made["p3"] = p3
    made["p4"] = api.patient("Pat Four")["id"]
    made["book_inf"] = api.infusion(made["p4"], "2026-03-14T07:00")["id"]
    made["preview_inf"] = api.infusion(made["p4"], "2026-03-15T07:00", care_plan=[REHAB])["id"]
    made["gym"] = api.room("Audit gym")["id"]
    return made


def _login(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    ok(c.post("/api/login", json={"username": "auditlogin", "password": PASSWORD}))
    return Expect("user", m["login"], None, after={"username": "auditlogin"})


def _logout(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    ok(c.post("/api/logout", headers=m["leaver_token"]))
    return Expect("user", m["leaver"], "leaver")


def _post_user(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    body = {"username": "created", "role": "scheduler", "password": NEW_PASSWORD}
    made = ok(c.post("/api/users", json=body, headers=ADMIN), 201)
    return Expect("user", made["id"], "admin", after={"username": "created", "role": "scheduler"})


def _patch_user(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    ok(c.patch(f"/api/users/{m['victim']}", json={"disabled": True}, headers=ADMIN))
    return Expect("user", m["victim"], "admin", {"disabled": False}, {"disabled": True})


def _revoke(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    assert ok(c.delete(f"/api/users/{s.users['eli']}/tokens", headers=ADMIN)) == {"revoked": 1}
    return Expect("user", s.users["eli"], "admin", after={"revoked": 1})


def _put_clinic(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    body = {"name": "Renamed Clinic", "timezone": "America/New_York"}
    ok(c.put("/api/clinic", json=body, headers=ADMIN))
    return Expect("clinic", 1, "admin", {"name": "Test Clinic"}, {"name": "Renamed Clinic"})


def _put_protocol(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    current = ok(c.get("/api/protocol", headers=ADMIN))
    body = {"anchor": "start", "windows": current["windows"]}
    made = ok(c.put("/api/protocol", json=body, headers=ADMIN))
    assert made["version"] == current["version"] + 1
    return Expect("protocol", made["version"], "admin", after={"anchor": "start"})


def _post_therapist(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    body = {"name": "Fay", "disciplines": ["physio"], "working_hours": []}
    made = ok(c.post("/api/therapists", json=body, headers=s.scheduler), 201)
    return Expect("therapist", made["id"], "sched", after={"name": "Fay"})


def _patch_therapist(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    ok(c.patch(f"/api/therapists/{s.t1}", json={"buffer_minutes": 10}, headers=s.scheduler))
    return Expect("therapist", s.t1, "sched", {"buffer_minutes": 0}, {"buffer_minutes": 10})


def _time_off(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    body = {"start": "2026-04-01T08:00", "end": "2026-04-01T09:00", "reason": "dentist"}
    made = ok(c.post(f"/api/therapists/{s.t2}/time-off", json=body, headers=s.scheduler), 201)
    return Expect("time_off", made["id"], "sched", after={"therapist_id": s.t2})


def _room(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    made = ok(c.post("/api/rooms", json={"name": "Gym", "kind": "gym"}, headers=s.scheduler), 201)
    return Expect("room", made["id"], "sched", after={"name": "Gym", "kind": "gym"})


def _session_type(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    body = {"key": "talk", "name": "Talk", "duration_minutes": 30, "discipline": "psy"}
    made = ok(c.post("/api/session-types", json={**body, "window": "peak"}, headers=ADMIN), 201)
    return Expect("session_type", made["id"], "admin", after={"key": "talk"})


def _patient(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    made = ok(c.post("/api/patients", json={"name": "Ruth"}, headers=s.scheduler), 201)
    return Expect("patient", made["id"], "sched", after={"name": "Ruth"}, patient_id=made["id"])


def _infusion(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    body = {"patient_id": s.p2, "start": "2026-03-20T07:00"}
    made = ok(c.post("/api/infusions", json=body, headers=s.scheduler), 201)
    return Expect("infusion", made["id"], "sched", after={"status": "scheduled"}, patient_id=s.p2)


def _course(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    body = {"rrule": "FREQ=DAILY;COUNT=2", "start": "2026-03-22T07:00", "commit": True}
    made = ok(c.post(f"/api/patients/{s.p2}/courses", json=body, headers=s.scheduler))
    after = {"rrule": "FREQ=DAILY;COUNT=2", "patient_id": s.p2}
    return Expect("course", made["id"], "sched", after=after, patient_id=s.p2)


def _patch_infusion(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    body = {"duration_minutes": 50}
    ok(c.patch(f"/api/infusions/{s.inf4}", json=body, headers=s.scheduler))
    return Expect(
        "infusion", s.inf4, "sched", {"duration_minutes": 40}, {"duration_minutes": 50}, s.p2
    )


def _cancel_infusion(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    path = f"/api/infusions/{s.inf4}/cancel"
    ok(c.post(path, json={"reason": "unwell"}, headers=s.scheduler))
    return Expect("infusion", s.inf4, "sched", {"status": "scheduled"}, {"status": "cancelled"})


def _plan(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    body = {"session_types": [REHAB], "commit": True}
    made = ok(c.post(f"/api/infusions/{m['plan_inf']}/plan", json=body, headers=s.scheduler))
    [planned] = made["sessions"]
    return Expect("session", planned["id"], "sched", after={"status": "booked"}, patient_id=m["p3"])


def _follow_ups(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    body = {"session_type": REHAB, "rrule": "FREQ=DAILY;COUNT=1", "start": "2026-03-12T11:10"}
    path = f"/api/infusions/{m['follow_inf']}/follow-ups"
    [made] = ok(c.post(path, json=body, headers=s.scheduler))["sessions"]
    return Expect("session", made["id"], "sched", after={"infusion_id": m["follow_inf"]})


def _plan_day(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    body = {"date": "2026-03-13", "commit": True, "time_limit_seconds": 2}
    [made] = ok(c.post("/api/plan/day", json=body, headers=s.scheduler))["sessions"]
    return Expect("session", made["id"], "sched", after={"infusion_id": m["day_inf"]})


def _book_preview(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    """Preview the day (writes nothing), then book exactly the previewed plan."""
    preview = {"date": "2026-03-15", "commit": False, "time_limit_seconds": 2}
    [proposed] = ok(c.post("/api/plan/day", json=preview, headers=s.scheduler))["sessions"]
    keys = ("infusion_id", "session_type", "therapist_id", "room_id", "start")
    body = {"date": "2026-03-15", "sessions": [{k: proposed[k] for k in keys}]}
    [made] = ok(c.post("/api/plan/day/book", json=body, headers=s.scheduler))["sessions"]
    return Expect("session", made["id"], "sched", after={"infusion_id": m["preview_inf"]})


def _book(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    body = {"infusion_id": m["book_inf"], "session_type": REHAB, "start": "2026-03-14T11:10"}
    made = ok(c.post("/api/sessions", json=body, headers=s.scheduler), 201)
    expect_after = {"status": "booked", "start": "2026-03-14T15:10:00+00:00"}
    return Expect("session", made["id"], "sched", after=expect_after, patient_id=m["p4"])


def _move(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    body = {"start": f"{NEXT_DAY}T11:20"}
    ok(c.patch(f"/api/sessions/{s.s3}", json=body, headers=s.scheduler))
    return Expect(
        "session",
        s.s3,
        "sched",
        {"start": "2026-03-11T15:10:00+00:00"},
        {"start": "2026-03-11T15:20:00+00:00"},
        s.p1,
    )


def _cancel_session(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    ok(c.post(f"/api/sessions/{s.s3}/cancel", json={"reason": "ill"}, headers=s.scheduler))
    return Expect("session", s.s3, "sched", {"status": "booked"}, {"status": "cancelled"}, s.p1)


def _at_the_session(m: dict[str, Any]) -> None:
    """Move the test's clock to 11:00:17 on the site's day: s1 (11:10) may be checked in."""
    m["clock"].now = datetime(2026, 3, 10, 15, 0, 17, tzinfo=UTC)


def _status(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    _at_the_session(m)
    body = {"status": "checked_in"}
    ok(c.post(f"/api/sessions/{s.s1}/status", json=body, headers=s.dana))
    return Expect(
        "session",
        s.s1,
        "dana",
        {"status": "booked"},
        {"status": "checked_in"},
        s.p1,
        at="2026-03-10T11:00:17",
    )


def _undo_status(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    """Runs after ``_status`` (the cases run in this table's order), within the undo window."""
    _at_the_session(m)
    ok(c.post(f"/api/sessions/{s.s1}/status/undo", headers=s.dana))
    return Expect(
        "session",
        s.s1,
        "dana",
        {"status": "checked_in"},
        {"status": "booked"},
        s.p1,
        at="2026-03-10T11:00:17",
    )


def _therapist_feed(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    ok(c.post(f"/api/therapists/{s.t1}/feed", headers=s.dana), 201)
    return Expect("therapist", s.t1, "dana")


def _end_therapist_feed(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    """Runs after ``_therapist_feed``: there is a feed to end."""
    assert c.delete(f"/api/therapists/{s.t1}/feed", headers=s.dana).status_code == 204
    return Expect("therapist", s.t1, "dana")


def _room_feed(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    ok(c.post(f"/api/rooms/{m['gym']}/feed", headers=ADMIN), 201)
    return Expect("room", m["gym"], "admin")


def _end_room_feed(c: TestClient, s: Site, m: dict[str, Any]) -> Expect:
    assert c.delete(f"/api/rooms/{m['gym']}/feed", headers=ADMIN).status_code == 204
    return Expect("room", m["gym"], "admin")


WRITE_CASES: dict[tuple[str, str], Call] = {
    ("POST", "/api/login"): _login,
    ("POST", "/api/logout"): _logout,
    ("POST", "/api/users"): _post_user,
    ("PATCH", "/api/users/{user_id}"): _patch_user,
    ("DELETE", "/api/users/{user_id}/tokens"): _revoke,
    ("PUT", "/api/clinic"): _put_clinic,
    ("PUT", "/api/protocol"): _put_protocol,
    ("POST", "/api/therapists"): _post_therapist,
    ("PATCH", "/api/therapists/{therapist_id}"): _patch_therapist,
    ("POST", "/api/therapists/{therapist_id}/time-off"): _time_off,
    ("POST", "/api/rooms"): _room,
    ("POST", "/api/therapists/{therapist_id}/feed"): _therapist_feed,
    ("DELETE", "/api/therapists/{therapist_id}/feed"): _end_therapist_feed,
    ("POST", "/api/rooms/{room_id}/feed"): _room_feed,
    ("DELETE", "/api/rooms/{room_id}/feed"): _end_room_feed,
    ("POST", "/api/session-types"): _session_type,
    ("POST", "/api/patients"): _patient,
    ("POST", "/api/infusions"): _infusion,
    ("POST", "/api/patients/{patient_id}/courses"): _course,
    ("PATCH", "/api/infusions/{infusion_id}"): _patch_infusion,
    ("POST", "/api/infusions/{infusion_id}/cancel"): _cancel_infusion,
    ("POST", "/api/infusions/{infusion_id}/plan"): _plan,
    ("POST", "/api/infusions/{infusion_id}/follow-ups"): _follow_ups,
    ("POST", "/api/plan/day"): _plan_day,
    ("POST", "/api/plan/day/book"): _book_preview,
    ("POST", "/api/sessions"): _book,
    ("PATCH", "/api/sessions/{session_id}"): _move,
    ("POST", "/api/sessions/{session_id}/cancel"): _cancel_session,
    ("POST", "/api/sessions/{session_id}/status"): _status,
    ("POST", "/api/sessions/{session_id}/status/undo"): _undo_status,
}
