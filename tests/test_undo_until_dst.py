"""``undo_until`` on the night the clocks go back: ten minutes after the status change.

Found by running tests/e2e under libfaketime on 2026-11-01: a check-in at 01:20 EST was
answered ``undo_until`` 01:30 EDT, fifty minutes before the check-in itself, and one at
01:58 EDT 02:08 EST, an hour and ten minutes after it. ``SessionView.undo_until`` adds the
undo window to ``status_changed_at`` on the clinic's clock, which Python does on the wall
clock. (The undo itself is checked on UTC instants and is right.) ``undo_until`` is now
computed on the UTC instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support import Api, FakeClock


@pytest.mark.parametrize(
    ("now", "changed", "until"),
    [
        pytest.param(
            datetime(2026, 11, 1, 5, 58, 17, 250000, tzinfo=UTC),
            "2026-11-01T01:58:17.250000-04:00",
            "2026-11-01T01:08:17.250000-05:00",
            id="first-0158-EDT",
        ),
        pytest.param(
            datetime(2026, 11, 1, 6, 20, 17, 250000, tzinfo=UTC),
            "2026-11-01T01:20:17.250000-05:00",
            "2026-11-01T01:30:17.250000-05:00",
            id="second-0120-EST",
        ),
    ],
)
def test_undo_until_is_ten_minutes_after_the_change(
    api: Api, clock: FakeClock, now: datetime, changed: str, until: str
) -> None:
    clock.now = now
    api.therapist("Dee", ("psychotherapy",), start="00:00", end="23:59")
    api.session_type("therapy", "plasticity", "psychotherapy", 30)
    patient = api.patient("Pat")
    # Ended 03:40Z: the neuroadaptive window runs 05:40Z–15:40Z.
    infusion = api.infusion(patient["id"], "2026-11-01T03:00:00+00:00")
    start = (now.replace(second=0, microsecond=0) + timedelta(minutes=5)).isoformat()
    body = {"infusion_id": infusion["id"], "session_type": "therapy", "start": start}
    session = api.ok("POST", "/api/sessions", body, 201)
    checked = api.ok("POST", f"/api/sessions/{session['id']}/status", {"status": "checked_in"})
    assert checked["status_changed_at"] == changed
    assert checked["undo_until"] == until
