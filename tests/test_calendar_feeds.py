"""Calendar feeds (iCalendar, RFC 5545), read back with the ``icalendar`` library, on both
databases: a therapist's feed holds exactly its sessions across a DST change, a move keeps
the UID and raises SEQUENCE, a cancellation stays as CANCELLED, an ended URL is 404 at once,
no feed names a patient, and every read is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from icalendar import Calendar

from tests.support import ADMIN, Api

PATIENT, MRN = "Pat Quincy Example", "MRN-445566"


def _booked(api: Api) -> tuple[Any, list[Any]]:
    """Dana with sessions on both sides of New York's spring change (2026-03-08)."""
    therapist = api.therapist("Dana", ("physio",), start="08:00", end="17:00")
    api.session_type("rehab", "peak", "physio", 60)
    room = api.room("Gym 1", "gym")
    patient = api.patient(PATIENT, mrn=MRN)["id"]
    sessions = []
    for day in ("2026-03-07", "2026-03-09", "2026-03-12"):
        infusion = api.infusion(patient, f"{day}T07:00")
        sessions.append(api.book(infusion["id"], "rehab", f"{day}T11:10", therapist["id"]))
    assert room["id"]
    return therapist, sessions


def _feed_path(client: TestClient, therapist_id: int, headers: dict[str, str] = ADMIN) -> str:
    answer = client.post(f"/api/therapists/{therapist_id}/feed", headers=headers)
    assert answer.status_code == 201, answer.text
    url = answer.json()["url"]
    assert url.endswith(".ics")
    return urlsplit(url).path


def _events(client: TestClient, path: str) -> dict[str, Any]:
    answer = client.get(path)  # no bearer header: a phone's calendar app has none
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(answer.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def _instant(value: Any) -> datetime:
    moment: datetime = value.dt
    assert moment.tzinfo is not None
    return moment


def test_a_feed_holds_the_therapists_sessions_across_a_dst_change(
    client: TestClient, api: Api
) -> None:
    therapist, sessions = _booked(api)
    path = _feed_path(client, therapist["id"])
    answer = client.get(path)
    calendar = Calendar.from_ical(answer.content)
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/New_York"
    assert "REFRESH-INTERVAL" in calendar and "X-PUBLISHED-TTL" in calendar
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == len(sessions)
    for session in sessions:
        event = events[f"session-{session['id']}@infusion-window-planner"]
        assert _instant(event["DTSTART"]) == datetime.fromisoformat(session["start"])
        assert _instant(event["DTEND"]) == datetime.fromisoformat(session["end"])
        assert event["DTSTART"].params["TZID"] == "America/New_York"
        assert str(event["STATUS"]) == "CONFIRMED"
    offsets = sorted({_instant(e["DTSTART"]).utcoffset() for e in events.values()})
    assert len(offsets) == 2  # EST before the change, EDT after it
    assert answer.headers["etag"]


def test_a_move_keeps_the_uid_and_raises_the_sequence(client: TestClient, api: Api) -> None:
    therapist, sessions = _booked(api)
    path = _feed_path(client, therapist["id"])
    first = client.get(path)
    uid = f"session-{sessions[0]['id']}@infusion-window-planner"
    before = _events(client, path)[uid]
    unchanged = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    api.ok("PATCH", f"/api/sessions/{sessions[0]['id']}", {"start": "2026-03-07T11:20"})
    after = _events(client, path)[uid]
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert _instant(after["DTSTART"]) == datetime.fromisoformat("2026-03-07T11:20:00-05:00")
    changed = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]


def test_a_cancelled_session_stays_as_cancelled(client: TestClient, api: Api) -> None:
    therapist, sessions = _booked(api)
    path = _feed_path(client, therapist["id"])
    api.ok("POST", f"/api/sessions/{sessions[1]['id']}/cancel", {"reason": "unwell"})
    event = _events(client, path)[f"session-{sessions[1]['id']}@infusion-window-planner"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1


def test_an_ended_or_replaced_url_is_404_at_once(client: TestClient, api: Api) -> None:
    therapist, _ = _booked(api)
    old = _feed_path(client, therapist["id"])
    assert client.get(old).status_code == 200
    new = _feed_path(client, therapist["id"])
    gone = client.get(old)
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    assert client.get(new).status_code == 200
    ended = client.delete(f"/api/therapists/{therapist['id']}/feed", headers=ADMIN)
    assert ended.status_code == 204
    assert client.get(new).status_code == 404
    assert client.get("/feeds/" + "x" * 43 + ".ics").status_code == 404
    assert client.get("/feeds/bad%20token.ics").status_code == 422


def test_no_feed_names_a_patient(client: TestClient, api: Api) -> None:
    therapist, _ = _booked(api)
    body = client.get(_feed_path(client, therapist["id"])).content.decode()
    for secret in (PATIENT, "Example", "Quincy", MRN, "infusion", "ketamine"):
        assert secret.lower() not in body.lower().replace("infusion-window-planner", "")
    assert "P.Q.E." in body


def test_a_therapist_manages_its_own_feed_only(client: TestClient, api: Api) -> None:
    therapist, _ = _booked(api)
    other = api.therapist("Eli", ("physio",))
    dana = api.user("therapist", therapist["id"], name="dana")
    eli = api.user("therapist", other["id"], name="eli")
    scheduler = api.user("scheduler", name="sam")
    own = _feed_path(client, therapist["id"], headers=dana)
    assert client.get(own).status_code == 200
    refused = client.post(f"/api/therapists/{therapist['id']}/feed", headers=eli)
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    staff = client.post(f"/api/therapists/{therapist['id']}/feed", headers=scheduler)
    assert staff.status_code == 403 and staff.json()["code"] == "forbidden"
    assert client.get(own).status_code == 200  # the refused attempts ended nothing


def test_every_feed_read_is_audited(client: TestClient, api: Api) -> None:
    therapist, _ = _booked(api)
    path = _feed_path(client, therapist["id"])
    client.get(path)
    client.get(path)
    reads = [
        e for e in api.ok("GET", "/api/audit?limit=500") if e["action"] == "GET /feeds/{token}.ics"
    ]
    assert len(reads) == 2
    assert {(e["entity"], e["entity_id"]) for e in reads} == {("therapist", therapist["id"])}
    assert all(path.split("/")[-1].removesuffix(".ics") not in str(e) for e in reads)


def test_a_rooms_feed_shows_the_sessions_in_the_room(client: TestClient, api: Api) -> None:
    api.therapist("Dana", ("physio",), start="08:00", end="17:00")
    api.session_type("gym_rehab", "peak", "physio", 60, room_kind="gym")
    room = api.room("Gym 1", "gym")
    patient = api.patient(PATIENT)["id"]
    infusion = api.infusion(patient, "2026-03-10T07:00")
    booked = api.book(infusion["id"], "gym_rehab", "2026-03-10T11:10")
    url = api.ok("POST", f"/api/rooms/{room['id']}/feed", None, 201)["url"]
    events = _events(client, urlsplit(url).path)
    [event] = events.values()
    assert str(event["UID"]) == f"session-{booked['id']}@infusion-window-planner"
    assert str(event["LOCATION"]) == "Gym 1"


def test_a_patients_upcoming_sessions_download_as_one_file(client: TestClient, api: Api) -> None:
    _, sessions = _booked(api)
    api.ok("POST", f"/api/sessions/{sessions[2]['id']}/cancel", {"reason": "away"})
    patient_id = sessions[0]["patient_id"]
    answer = client.get(f"/api/patients/{patient_id}/sessions.ics", headers=ADMIN)
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith("attachment;")
    events = Calendar.from_ical(answer.content).walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == sorted(
        f"session-{s['id']}@infusion-window-planner" for s in sessions[:2]
    )
    assert all("Dana" in str(e["SUMMARY"]) for e in events)
