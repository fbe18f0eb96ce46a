"""Reading, moving, cancelling sessions, their statuses, and a therapist's day (docs/rules.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from tests import booking_fixtures
from tests.booking_fixtures import Clinic
from tests.booking_helpers import DAY, book, local, new_infusion, post_session, problem, sessions
from tests.support import ADMIN, Api, FakeClock

clinic = booking_fixtures.clinic


def _status(api: Api, session_id: int, status: str, headers: dict[str, str] = ADMIN) -> Any:
    return api.client.post(
        f"/api/sessions/{session_id}/status", json={"status": status}, headers=headers
    )


def _patch(api: Api, session_id: int, body: dict[str, Any]) -> Any:
    return api.client.patch(f"/api/sessions/{session_id}", json=body, headers=ADMIN)


def test_get_one_and_404(clinic: Clinic) -> None:
    created = book(clinic.api, clinic.infusion["id"], f"{DAY}T11:10")
    got = clinic.api.ok("GET", f"/api/sessions/{created['id']}")
    # the booking's answer and the read agree (the read may add the patient's name)
    assert {k: v for k, v in got.items() if k != "patient_name"} == {
        k: v for k, v in created.items() if k != "patient_name"
    }
    assert got["patient_name"] == "Pat"
    assert got["patient_id"] == clinic.patient["id"] and got["infusion_id"] == clinic.infusion["id"]
    problem(clinic.api.get("/api/sessions/9999"), 404, "not_found")


def test_list_filters_and_paging(clinic: Clinic) -> None:
    api, dana = clinic.api, clinic.therapist
    fay = api.therapist("Fay", ("physio",))
    quinn = new_infusion(api, "Quinn")
    next_day = api.infusion(clinic.patient["id"], "2026-03-11T07:00")
    a = book(api, clinic.infusion["id"], f"{DAY}T10:40", therapist_id=dana["id"])
    b = book(api, quinn["id"], f"{DAY}T11:10", therapist_id=fay["id"])
    c = book(api, next_day["id"], "2026-03-11T11:10", therapist_id=dana["id"])

    def ids(**params: Any) -> list[int]:
        return [s["id"] for s in sessions(api, **params)]

    assert ids() == [a["id"], b["id"], c["id"]]  # by start
    assert ids(date=DAY) == [a["id"], b["id"]]
    assert ids(date="2026-03-11") == [c["id"]]
    assert ids(date="2026-03-12") == []
    assert ids(therapist_id=dana["id"]) == [a["id"], c["id"]]
    assert ids(patient_id=clinic.patient["id"]) == [a["id"], c["id"]]
    assert ids(patient_id=quinn["patient_id"], date=DAY) == [b["id"]]
    assert ids(therapist_id=fay["id"], date="2026-03-11") == []
    problem(api.get("/api/sessions", date="10/03/2026"), 422, "validation_error")

    first = api.get("/api/sessions", limit=2)
    assert [s["id"] for s in first.json()] == [a["id"], b["id"]]
    link = first.headers["link"]
    assert link.endswith('rel="next"')
    url = link[link.index("<") + 1 : link.index(">")]
    query = parse_qs(urlparse(url).query)
    assert query["offset"] == ["2"] and query["limit"] == ["2"]
    second = api.get("/api/sessions", limit=2, offset=2)
    assert [s["id"] for s in second.json()] == [c["id"]]
    assert "link" not in second.headers
    assert "link" not in api.get("/api/sessions", limit=3).headers


def test_move_keeps_the_id_and_applies_the_rules(clinic: Clinic) -> None:
    api, dana = clinic.api, clinic.therapist
    fay = api.therapist("Fay", ("physio",))
    session = book(api, clinic.infusion["id"], f"{DAY}T10:40", therapist_id=dana["id"])
    sid = session["id"]
    # overlapping its own old time is fine
    moved = _patch(api, sid, {"start": f"{DAY}T10:50"}).json()
    assert (
        moved["id"] == sid and moved["start"] == local("10:50") and moved["end"] == local("11:50")
    )
    assert moved["therapist_id"] == dana["id"]
    assert _patch(api, sid, {"start": f"{DAY}T10:40"}).json()["start"] == local("10:40")
    # onto another session of Dana's: busy, and nothing changes
    quinn = new_infusion(api, "Quinn")
    other = book(api, quinn["id"], f"{DAY}T11:40", therapist_id=dana["id"])
    body = problem(_patch(api, sid, {"start": f"{DAY}T11:00"}), 409, "therapist_busy")
    assert [c["id"] for c in body["conflicts"]] == [other["id"]]
    assert api.ok("GET", f"/api/sessions/{sid}")["start"] == local("10:40")
    # to another therapist, same time; then onto the time Dana could not take
    to_fay = _patch(api, sid, {"therapist_id": fay["id"]}).json()
    assert to_fay["therapist_id"] == fay["id"] and to_fay["start"] == local("10:40")
    assert _patch(api, sid, {"start": f"{DAY}T11:00"}).json()["start"] == local("11:00")
    # Quinn's session cannot move onto Pat's time with Fay: Fay is busy
    body = problem(
        _patch(api, other["id"], {"start": f"{DAY}T11:30", "therapist_id": fay["id"]}),
        409,
        "therapist_busy",
    )
    assert [c["id"] for c in body["conflicts"]] == [sid]
    # out of the window: refused, then allowed with an override, then back inside
    problem(_patch(api, sid, {"start": f"{DAY}T15:00"}), 422, "outside_window")
    outside = _patch(api, sid, {"start": f"{DAY}T15:00", "override_reason": "late"}).json()
    assert outside["outside_window"] is True and outside["start"] == local("15:00")
    back = _patch(api, sid, {"start": f"{DAY}T10:40"}).json()
    assert back["outside_window"] is False
    problem(_patch(api, sid, {"start": f"{DAY}T10:40:30"}), 422, "validation_error")
    problem(_patch(api, sid, {"start": "2026-03-08T02:30"}), 422, "nonexistent_local_time")
    problem(_patch(api, sid, {"therapist_id": 999}), 422, "unknown_reference")
    problem(_patch(api, sid, {"status": "completed"}), 422, "validation_error")
    problem(_patch(api, 9999, {"start": f"{DAY}T10:40"}), 404, "not_found")
    assert len(sessions(api)) == 2


def test_only_booked_sessions_move(clinic: Clinic, clock: FakeClock) -> None:
    api = clinic.api
    checked = book(api, clinic.infusion["id"], f"{DAY}T10:40")
    clock.set_local(f"{DAY}T10:35")  # check-in opens 30 minutes before the start
    assert _status(api, checked["id"], "checked_in").status_code == 200
    problem(_patch(api, checked["id"], {"start": f"{DAY}T11:00"}), 409, "invalid_transition")
    quinn = new_infusion(api, "Quinn")
    cancelled = book(api, quinn["id"], f"{DAY}T11:40")
    api.ok("POST", f"/api/sessions/{cancelled['id']}/cancel", {"reason": "ill"})
    problem(_patch(api, cancelled["id"], {"start": f"{DAY}T11:30"}), 409, "invalid_transition")


def test_cancel_frees_the_time(clinic: Clinic) -> None:
    api, dana = clinic.api, clinic.therapist
    first = book(api, clinic.infusion["id"], f"{DAY}T11:10", therapist_id=dana["id"])
    quinn = new_infusion(api, "Quinn")
    problem(
        post_session(api, quinn["id"], f"{DAY}T11:10", therapist_id=dana["id"]),
        409,
        "therapist_busy",
    )
    cancelled = api.ok("POST", f"/api/sessions/{first['id']}/cancel", {"reason": "patient ill"})
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "patient ill"
    assert cancelled["id"] == first["id"]
    again = book(api, quinn["id"], f"{DAY}T11:10", therapist_id=dana["id"])
    assert again["id"] != first["id"]
    # Pat is free again too
    fay = api.therapist("Fay", ("physio",))
    assert book(api, clinic.infusion["id"], f"{DAY}T11:10", therapist_id=fay["id"])
    # cancelling twice is not a transition; a cancel needs no body
    problem(api.post(f"/api/sessions/{first['id']}/cancel", {}), 409, "invalid_transition")
    bare = api.client.post(f"/api/sessions/{again['id']}/cancel", headers=ADMIN)
    assert bare.status_code == 200 and bare.json()["status"] == "cancelled"
    assert bare.json()["cancel_reason"] is None
    problem(api.post("/api/sessions/9999/cancel", {}), 404, "not_found")


def test_status_transitions(clinic: Clinic, clock: FakeClock) -> None:
    api = clinic.api
    names = iter(f"P{i}" for i in range(10))

    def fresh(start: str = "10:40") -> int:
        infusion = new_infusion(api, next(names))
        fay = api.therapist(next(names), ("physio",))
        return int(book(api, infusion["id"], f"{DAY}T{start}", therapist_id=fay["id"])["id"])

    def to(sid: int, status: str) -> Any:
        return _status(api, sid, status)

    done, missed, cancelled, checked, booked = (fresh() for _ in range(5))
    clock.set_local(f"{DAY}T10:41")  # every session (10:40) has begun
    assert to(done, "checked_in").json()["status"] == "checked_in"
    assert to(done, "completed").json()["status"] == "completed"
    assert api.ok("GET", f"/api/sessions/{done}")["status"] == "completed"
    assert to(missed, "no_show").json()["status"] == "no_show"
    api.ok("POST", f"/api/sessions/{cancelled}/cancel", {"reason": "x"})
    to(checked, "checked_in")
    for sid, status in [
        (done, "checked_in"),
        (done, "no_show"),
        (done, "completed"),
        (missed, "checked_in"),
        (missed, "completed"),
        (cancelled, "checked_in"),
        (cancelled, "no_show"),
        (checked, "no_show"),
        (checked, "checked_in"),
        (booked, "completed"),
    ]:
        before = api.ok("GET", f"/api/sessions/{sid}")["status"]
        problem(to(sid, status), 409, "invalid_transition")
        assert api.ok("GET", f"/api/sessions/{sid}")["status"] == before
    # checked_in → cancelled, completed → cancelled: the cancel action refuses them too
    for sid in (checked, done, missed):
        problem(api.post(f"/api/sessions/{sid}/cancel", {"reason": "x"}), 409, "invalid_transition")
    problem(to(booked, "finished"), 422, "validation_error")
    problem(to(9999, "checked_in"), 404, "not_found")


def test_a_therapist_sees_and_changes_only_its_own(clinic: Clinic, clock: FakeClock) -> None:
    api, dana = clinic.api, clinic.therapist
    fay = api.therapist("Fay", ("physio",))
    own = book(api, clinic.infusion["id"], f"{DAY}T10:40", therapist_id=dana["id"])
    quinn = new_infusion(api, "Quinn")
    theirs = book(api, quinn["id"], f"{DAY}T10:40", therapist_id=fay["id"])
    token = api.user("therapist", therapist_id=dana["id"], name="dana")

    listed = api.get("/api/sessions", headers=token)
    assert listed.status_code == 200 and [s["id"] for s in listed.json()] == [own["id"]]
    problem(api.get("/api/sessions", headers=token, therapist_id=fay["id"]), 404, "not_found")
    assert api.get(f"/api/sessions/{own['id']}", headers=token).status_code == 200
    problem(api.get(f"/api/sessions/{theirs['id']}", headers=token), 404, "not_found")

    clock.set_local(f"{DAY}T10:41")
    problem(_status(api, theirs["id"], "checked_in", token), 404, "not_found")
    assert api.ok("GET", f"/api/sessions/{theirs['id']}")["status"] == "booked"
    checked = _status(api, own["id"], "checked_in", token)
    assert checked.status_code == 200 and checked.json()["status"] == "checked_in"
    assert _status(api, own["id"], "completed", token).json()["status"] == "completed"

    # booking, moving and cancelling are for schedulers
    problem(post_session(api, quinn["id"], f"{DAY}T11:40", headers=token), 403, "forbidden")
    moved = api.client.patch(f"/api/sessions/{theirs['id']}", json={}, headers=token)
    problem(moved, 403, "forbidden")
    problem(api.post(f"/api/sessions/{theirs['id']}/cancel", {}, token), 403, "forbidden")


# -- the day view ----------------------------------------------------------------------------


def _spans(items: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(i["start"], i["end"]) for i in items]


def test_day_view(clinic: Clinic, clock: FakeClock) -> None:
    api, dana = clinic.api, clinic.therapist
    api.ok(
        "POST",
        f"/api/therapists/{dana['id']}/time-off",
        {"start": f"{DAY}T12:00", "end": f"{DAY}T13:00", "reason": "lunch"},
        201,
    )
    a = book(api, clinic.infusion["id"], f"{DAY}T10:40", therapist_id=dana["id"])
    q = book(api, new_infusion(api, "Q", f"{DAY}T09:00")["id"], f"{DAY}T13:10")
    api.ok("POST", f"/api/sessions/{q['id']}/cancel", {"reason": "ill"})
    r = book(api, new_infusion(api, "R", f"{DAY}T09:00")["id"], f"{DAY}T13:40")
    # another therapist's session and another day's do not show
    fay = api.therapist("Fay", ("physio",))
    book(api, new_infusion(api, "S")["id"], f"{DAY}T10:40", therapist_id=fay["id"])
    book(api, new_infusion(api, "T", "2026-03-11T07:00")["id"], "2026-03-11T10:40")
    clock.set_local(f"{DAY}T13:35")
    assert _status(api, r["id"], "checked_in").status_code == 200

    day = api.ok("GET", f"/api/therapists/{dana['id']}/day?date={DAY}")
    assert day["date"] == DAY and day["timezone"] == "America/New_York"
    assert _spans(day["working"]) == [
        (local("08:00"), local("12:00")),
        (local("13:00"), local("17:00")),
    ]
    assert [(s["id"], s["status"]) for s in day["sessions"]] == [
        (a["id"], "booked"),
        (q["id"], "cancelled"),
        (r["id"], "checked_in"),
    ]
    assert _spans(day["free"]) == [  # the cancelled session frees its time
        (local("08:00"), local("10:40")),
        (local("11:40"), local("12:00")),
        (local("13:00"), local("13:40")),
        (local("14:40"), local("17:00")),
    ]
    problem(api.get(f"/api/therapists/{dana['id']}/day", date="2026-3-1x"), 422, "validation_error")
    problem(api.get("/api/therapists/9999/day", date=DAY), 404, "not_found")


def test_day_view_across_dst(api: Api) -> None:
    dana = api.therapist("Dana", ("physio",))
    api.session_type("physical_rehabilitation", "peak", "physio", 60)
    patient = api.patient("Pat")
    infusion = api.infusion(patient["id"], "2026-03-08T05:00")  # peak 08:40–10:40 EDT
    session = book(api, infusion["id"], "2026-03-08T09:10")
    assert session["start"] == "2026-03-08T09:10:00-04:00"

    def day(date: str) -> Any:
        return api.ok("GET", f"/api/therapists/{dana['id']}/day?date={date}")

    spring = day("2026-03-08")
    assert _spans(spring["working"]) == [("2026-03-08T08:00:00-04:00", "2026-03-08T17:00:00-04:00")]
    assert [s["id"] for s in spring["sessions"]] == [session["id"]]
    assert _spans(spring["free"]) == [
        ("2026-03-08T08:00:00-04:00", "2026-03-08T09:10:00-04:00"),
        ("2026-03-08T10:10:00-04:00", "2026-03-08T17:00:00-04:00"),
    ]
    for date, offset in (
        ("2026-03-07", "-05:00"),
        ("2026-10-31", "-04:00"),
        ("2026-11-01", "-05:00"),
    ):
        seen = day(date)
        expected = [(f"{date}T08:00:00{offset}", f"{date}T17:00:00{offset}")]
        assert _spans(seen["working"]) == expected and _spans(seen["free"]) == expected
        assert seen["sessions"] == []


def test_a_therapist_reads_only_its_own_day(clinic: Clinic) -> None:
    api, dana, eli = clinic.api, clinic.therapist, clinic.other
    token = api.user("therapist", therapist_id=dana["id"], name="dana")
    own = api.get(f"/api/therapists/{dana['id']}/day", headers=token, date=DAY)
    assert own.status_code == 200 and own.json()["therapist_id"] == dana["id"]
    problem(api.get(f"/api/therapists/{eli['id']}/day", headers=token, date=DAY), 404, "not_found")


def test_writes_answer_with_the_patient_name(clinic: Clinic) -> None:
    booked = clinic.book(f"{DAY}T11:10")
    assert booked["patient_name"] == clinic.patient["name"]
    moved = clinic.api.ok("PATCH", f"/api/sessions/{booked['id']}", {"start": f"{DAY}T11:15"})
    assert moved["patient_name"] == clinic.patient["name"]


def test_status_endpoint_refuses_other_statuses_as_transitions(clinic: Clinic) -> None:
    booked = clinic.book(f"{DAY}T11:10")
    for wanted in ("booked", "cancelled"):
        response = clinic.api.post(f"/api/sessions/{booked['id']}/status", {"status": wanted})
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "invalid_transition"
    assert clinic.api.ok("GET", f"/api/sessions/{booked['id']}")["status"] == "booked"
