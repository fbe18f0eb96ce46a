"""Forms on the pages: a refused form comes back with what was typed and the message beside
its field; a repeated wall time offers its two instants; moves and bookings from the board."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.support import EVERY_DAY, Api
from tests.test_web_pages import DAY, clinic
from tests.web_support import csrf_of, log_in


def staff(client: TestClient, api: Api) -> dict[str, Any]:
    made = clinic(api)
    log_in(client, "sam", "sam-secret-1")
    return made


def record(client: TestClient, page: str, **fields: Any) -> Any:
    return client.post("/infusions", data={"csrf_token": csrf_of(page), **fields})


def test_a_time_that_does_not_exist_keeps_everything_typed(client: TestClient, api: Api) -> None:
    staff(client, api)
    page = client.get("/infusions?date=2026-03-08").text
    answer = record(
        client,
        page,
        new_patient_name="Nova Gap",
        new_patient_mrn="MRN-GAP",
        start="2026-03-08T02:30",
        duration_minutes="55",
        care_plan=["physical_rehabilitation", "talk"],
        day="2026-03-08",
    )
    assert answer.status_code == 422
    text = answer.text
    error = re.search(r'id="record-start-error"[^>]*>([^<]+)', text)
    assert error and "does not exist" in error.group(1) and "clocks go forward" in error.group(1)
    assert 'value="Nova Gap"' in text and 'value="MRN-GAP"' in text
    assert 'value="2026-03-08T02:30"' in text and 'value="55"' in text
    assert text.count("checked>") >= 2  # both care-plan items still ticked
    assert "Nova Gap" not in str(api.ok("GET", "/api/infusions?date=2026-03-08"))


def test_a_missing_patient_is_said_beside_the_patient(client: TestClient, api: Api) -> None:
    staff(client, api)
    page = client.get(f"/infusions?date={DAY}").text
    answer = record(client, page, start=f"{DAY}T10:00", day=DAY)
    assert answer.status_code == 422
    assert 'id="record-patient_id-error"' in answer.text
    assert f'value="{DAY}T10:00"' in answer.text


def test_a_collision_is_said_in_peoples_words(client: TestClient, api: Api) -> None:
    made = staff(client, api)
    page = client.get(f"/infusions?date={DAY}").text
    answer = record(
        client, page, patient_id=str(made["patient"]["id"]), start=f"{DAY}T08:10", day=DAY
    )
    assert answer.status_code == 409
    error = re.search(r'id="record-start-error"[^>]*>([^<]+)', answer.text)
    assert error and "Robin Test already has an infusion" in error.group(1), answer.text[-3000:]
    assert "08:00–08:40" in error.group(1)


def test_a_repeated_wall_time_offers_its_two_instants(client: TestClient, api: Api) -> None:
    """01:30 on the first Sunday of November happens twice in New York: the form comes back
    with a choice, and the second 01:30 (EST) is recorded when chosen."""
    made = staff(client, api)
    page = client.get("/infusions?date=2026-11-01").text
    fields = {
        "patient_id": str(made["patient"]["id"]),
        "start": "2026-11-01T01:30",
        "day": "2026-11-01",
    }
    answer = record(client, page, **fields)
    assert answer.status_code == 422
    assert "happens twice" in answer.text
    assert "first 01:30 (EDT" in answer.text and "second 01:30 (EST" in answer.text
    assert 'name="start_offset" value="-04:00"' in answer.text
    assert 'name="start_offset" value="-05:00"' in answer.text
    chosen = record(client, answer.text, **fields, start_offset="-05:00")
    assert chosen.status_code == 200 and "Infusion recorded for 01:30" in chosen.text
    [infusion] = [
        i
        for i in api.ok("GET", "/api/infusions?date=2026-11-01")
        if i["patient_id"] == made["patient"]["id"]
    ]
    assert infusion["start"] == "2026-11-01T01:30:00-05:00"


def test_record_an_infusion_starts_on_the_day_shown(client: TestClient, api: Api) -> None:
    staff(client, api)
    page = client.get("/infusions?date=2026-03-12").text
    assert 'id="start" name="start" type="datetime-local"' in page
    assert 'value="2026-03-12T08:00"' in page


def test_a_refused_booking_at_a_chosen_time_stays_open(client: TestClient, api: Api) -> None:
    made = staff(client, api)
    path = f"/infusions/{made['infusion']['id']}"
    page = client.get(path).text
    answer = client.post(
        f"{path}/book",
        data={
            "session_type": "physical_rehabilitation",
            "start": f"{DAY}T09:00",
            "override_reason": "",
            "csrf_token": csrf_of(page),
        },
    )
    assert answer.status_code == 422
    assert '<details class="more" id="book-at" open' in answer.text
    error = re.search(r'id="book-start-error"[^>]*>([^<]+)', answer.text)
    assert error and "Peak neuroplasticity window" in error.group(1)
    assert 'value="physical_rehabilitation" selected' in answer.text


def test_follow_ups_list_every_occurrence_and_what_moved(client: TestClient, api: Api) -> None:
    made = staff(client, api)
    api.session_type("later", "long_term", "physio", 60)
    infusion = made["infusion"]
    # the second Thursday's 10:00 is taken by another patient's session with the only therapist
    other = api.patient("Taken Slot")
    other_infusion = api.infusion(other["id"], "2026-03-12T07:00")
    api.ok(
        "POST",
        "/api/sessions",
        {"infusion_id": other_infusion["id"], "session_type": "later", "start": "2026-03-19T10:00"},
        201,
    )
    page = client.get(f"/infusions/{infusion['id']}").text
    answer = client.post(
        f"/infusions/{infusion['id']}/follow-ups",
        data={
            "session_type": "later",
            "rrule": "FREQ=WEEKLY;COUNT=2",
            "start": "2026-03-12T10:00",
            "tolerance_minutes": "60",
            "csrf_token": csrf_of(page),
        },
    )
    assert answer.status_code == 200, answer.text
    assert "Follow-ups: 2 of 2 booked." in answer.text
    assert "Thu 12 Mar 10:00: booked</li>" in answer.text
    # the nearest free time within the tolerance, earlier on a tie: 09:00–10:00
    assert "Thu 19 Mar 10:00: booked at 09:00 (60 min earlier: 10:00 was taken)" in answer.text


def test_a_session_moves_to_a_better_time_from_its_move_page(client: TestClient, api: Api) -> None:
    made = staff(client, api)
    infusion = made["infusion"]  # 08:00 EST → peak 11:40–13:40
    session = api.ok(
        "POST",
        "/api/sessions",
        {
            "infusion_id": infusion["id"],
            "session_type": "physical_rehabilitation",
            "start": f"{DAY}T11:40",
        },
        201,
    )
    page = client.get(f"/sessions/{session['id']}/move")
    assert page.status_code == 200 and "Best free times in its window" in page.text
    # the best option is centred on the target (12:40): 12:10–13:10
    assert "12:10–13:10" in page.text
    moved = client.post(
        f"/sessions/{session['id']}/move",
        data={"start": f"{DAY}T12:10", "csrf_token": csrf_of(page.text)},
    )
    assert moved.status_code == 200 and "Moved to Mon 02 Mar 12:10–13:10." in moved.text
    assert api.ok("GET", f"/api/sessions/{session['id']}")["start"] == f"{DAY}T12:10:00-05:00"
    refused = client.post(
        f"/sessions/{session['id']}/move",
        data={"start": f"{DAY}T14:30", "csrf_token": csrf_of(moved.text)},
    )
    assert refused.status_code == 422
    assert 'id="move-start-error"' in refused.text and f'value="{DAY}T14:30"' in refused.text


def test_free_time_on_the_board_books_there(client: TestClient, api: Api) -> None:
    made = staff(client, api)
    board = client.get(f"/board?date={DAY}").text
    link = re.search(r'<a class="free" href="([^"]+)"', board)
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert f"therapist_id={made['therapist']['id']}" in href
    page = client.get(href.replace("start=" + href.split("start=")[1], f"start={DAY}T12:10"))
    assert page.status_code == 200 and "Book at 12:10" in page.text
    assert "Robin Test" in page.text
    booked = client.post(
        "/board/book",
        data={
            "infusion_id": str(made["infusion"]["id"]),
            "session_type": "physical_rehabilitation",
            "start": f"{DAY}T12:10",
            "therapist_id": str(made["therapist"]["id"]),
            "csrf_token": csrf_of(page.text),
        },
    )
    assert booked.status_code == 200 and "Booked physical rehabilitation 12:10–13:10" in booked.text
    assert [s["start"] for s in api.ok("GET", f"/api/sessions?date={DAY}")] == [
        f"{DAY}T12:10:00-05:00"
    ]


def test_an_every_day_therapist_is_free_all_day(client: TestClient, api: Api) -> None:
    """The clinic of these tests: the therapist works every day, all day."""
    made = staff(client, api)
    assert made["therapist"]["working_hours"][0]["rrule"] == EVERY_DAY


def test_a_refused_settings_form_keeps_what_was_typed(client: TestClient, api: Api) -> None:
    api.ok(
        "POST", "/api/users", {"username": "ada", "role": "admin", "password": "ada-secret-1"}, 201
    )
    log_in(client, "ada", "ada-secret-1")
    page = client.get("/settings").text
    answer = client.post(
        "/settings/therapists",
        data={
            "name": "Mira Stone",
            "disciplines": "speech, cognitive",
            "days": ["MO", "WE"],
            "start": "09:00",
            "end": "15:00",
            "buffer_minutes": "15",
            "rrule": "FREQ=MINUTELY",
            "csrf_token": csrf_of(page),
        },
    )
    assert answer.status_code == 422
    text = answer.text
    assert 'id="therapist-new-working_hours-error"' in text and "FREQ must be" in text
    assert 'value="Mira Stone"' in text and 'value="speech, cognitive"' in text
    assert 'value="FREQ=MINUTELY"' in text and 'value="15"' in text
    assert 'id="new-dMO" name="days" value="MO" checked' in text
    assert 'id="new-dTU" name="days" value="TU" >' in text  # not ticked: it was not typed
    assert api.ok("GET", "/api/therapists") == []
    # disabling one's own login is refused beside that user, by the same rule as the API
    me = next(u for u in api.ok("GET", "/api/users") if u["username"] == "ada")
    refused = client.post(
        f"/settings/users/{me['id']}", data={"action": "disable", "csrf_token": csrf_of(text)}
    )
    assert refused.status_code == 403 and "cannot disable your own login" in refused.text
