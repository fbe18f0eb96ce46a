"""POST /api/plan/day on the two DST nights, with the one slot that fits forced by the window.

Found by running tests/e2e under libfaketime at 01:22 EDT on 2026-11-01: the day plan left
out a rehabilitation that slot search and the joint plan both place. The optimizer answers
its starts as datetimes in the clinic's ZoneInfo; ``Board.check`` adds the duration to that,
which Python does on the wall clock, so a session in the repeated hour ends an hour late
(refused as outside its window, or booked that long), and one across the skipped hour is
answered at a wall time that does not exist (02:30-05:00 for 03:30-04:00). ``Board.check``
now works on UTC instants and the read models answer fixed offsets.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support import Api, FakeClock

ZONE = ZoneInfo("America/New_York")
REHAB = "physical_rehabilitation"  # 45 minutes in the spinogenesis window (PT2H–PT4H)


def _one_forced_rehab(api: Api, clock: FakeClock, now: datetime, infusion_start: datetime) -> int:
    """A therapist and a gym every minute of the day; an infusion whose spinogenesis window
    leaves exactly one 5-minute grid start after ``now``."""
    clock.now = now
    api.therapist("Rae", ("physical",), start="00:00", end="23:59")
    api.room("Gym", "gym")
    api.session_type(REHAB, "spinogenesis", "physical", 45, room_kind="gym")
    patient = api.patient("Pat")
    return int(api.infusion(patient["id"], infusion_start.isoformat(), care_plan=[REHAB])["id"])


def _checked(api: Api, infusion_id: int, day: str, expected: tuple[str, str]) -> None:
    slots = api.ok("GET", f"/api/infusions/{infusion_id}/slots?session_type={REHAB}")
    assert [(s["start"], s["end"]) for s in slots] == [expected]
    joint = api.ok("POST", f"/api/infusions/{infusion_id}/plan", {"commit": False})
    assert [(s["start"], s["end"]) for s in joint["sessions"]] == [expected]
    plan = api.ok("POST", "/api/plan/day", {"date": day, "time_limit_seconds": 1})
    assert plan["unplaced"] == []
    assert [(s["start"], s["end"]) for s in plan["sessions"]] == [expected]


def test_day_plan_in_the_repeated_hour(api: Api, clock: FakeClock) -> None:
    # 01:22:17 EDT, the first of the two 01:22s; the window closes at 01:10 EST (06:10Z).
    now = datetime(2026, 11, 1, 5, 22, 17, 250000, tzinfo=UTC)
    infusion = _one_forced_rehab(api, clock, now, datetime(2026, 11, 1, 1, 30, tzinfo=UTC))
    # Only 01:25 EDT fits: it ends 45 minutes later, at 01:10 EST.
    expected = ("2026-11-01T01:25:00-04:00", "2026-11-01T01:10:00-05:00")
    _checked(api, infusion, "2026-10-31", expected)


def test_day_plan_across_the_skipped_hour(api: Api, clock: FakeClock) -> None:
    # 01:40:17 EST on 2026-03-08; the window closes at 03:30 EDT (07:30Z).
    now = datetime(2026, 3, 8, 6, 40, 17, 250000, tzinfo=UTC)
    infusion = _one_forced_rehab(api, clock, now, datetime(2026, 3, 8, 2, 50, tzinfo=UTC))
    # Only 01:45 EST fits: 45 minutes later the clocks read 03:30 EDT.
    expected = ("2026-03-08T01:45:00-05:00", "2026-03-08T03:30:00-04:00")
    assert datetime.fromisoformat(expected[1]) - datetime.fromisoformat(expected[0]) == timedelta(
        minutes=45
    )
    _checked(api, infusion, "2026-03-07", expected)


def test_day_plan_books_sessions_of_their_length_in_the_repeated_hour(
    api: Api, clock: FakeClock
) -> None:
    """A long window whose target puts the best start at 01:25 EDT: the end an hour late
    still fits it, and the session is booked that long."""
    clock.now = datetime(2026, 11, 1, 5, 22, 17, 250000, tzinfo=UTC)  # 01:22:17 EDT
    wide = {
        "key": "wide",
        "label": "Wide",
        "start_offset": "PT2H",
        "end_offset": "PT12H",
        "target_offset": "PT4H",
    }
    api.ok("PUT", "/api/protocol", {"anchor": "end", "windows": [wide]})
    api.therapist("Rae", ("physical",), start="00:00", end="23:59")
    api.session_type("walk", "wide", "physical", 40)
    patient = api.patient("Pat")
    # Ends 01:45Z: the target is 05:45Z, so the best 40 minutes are 05:25Z–06:05Z.
    start = datetime(2026, 11, 1, 1, 5, tzinfo=UTC).isoformat()
    infusion = api.infusion(patient["id"], start, care_plan=["walk"])["id"]
    body = {"date": "2026-10-31", "commit": True, "time_limit_seconds": 1}
    plan = api.ok("POST", "/api/plan/day", body)
    assert [s["start"] for s in plan["sessions"]] == ["2026-11-01T01:25:00-04:00"]
    stored = api.ok("GET", f"/api/infusions/{infusion}")["sessions"]
    # It was booked from 01:25 EDT to 02:05 EST: 1 h 40 min.
    assert [s["end"] for s in stored] == ["2026-11-01T01:05:00-05:00"]
