from tests.booking_fixtures import DAY, Clinic, clinic  # noqa: F401


def test_book_and_slots(clinic: Clinic) -> None:
    slots = clinic.api.ok(
        "GET", f"/api/infusions/{clinic.infusion['id']}/slots?session_type=physical_rehabilitation"
    )
    assert slots[0]["start"] == f"{DAY}T11:10:00-04:00"
    booked = clinic.book(slots[0]["start"])
    assert booked["therapist_id"] == clinic.therapist["id"]
    again = clinic.book(slots[0]["start"], status=409)
    assert again["code"] == "therapist_busy" or again["code"] == "patient_busy"
