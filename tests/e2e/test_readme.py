"""The README's "API in three calls", against a served process on the real clock.

The calls and the answer they print are read from README.md itself, so the README cannot
drift from what the server answers: a token for the demo scheduler (a password login), the
windows of an infusion at 23:50 on the night the clocks go forward, then the best slots for a
demo infusion's follow-up rehabilitation and booking the first one with no therapist named.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.e2e.support import Served, expect, instant, now, whole_minute

README = Path(__file__).resolve().parents[2] / "README.md"


def _found(pattern: str, text: str) -> re.Match[str]:
    found = re.search(pattern, text, re.S)
    assert found, f"README.md no longer shows {pattern!r} under 'The API in three calls'"
    return found


def _readme_calls() -> tuple[dict[str, str], str, dict[str, Any], str, int]:
    """From the README: the login body, the windows path and the JSON it prints; the slots
    call's session type and the infusion id of the booking."""
    section = README.read_text().split("### The API in three calls", 1)[1].split("\n## ", 1)[0]
    login = json.loads(_found(r"/api/login .*?-d '(\{.*?\})'", section).group(1))
    windows_path = _found(r"'localhost:8000(/api/windows\?[^']+)'", section).group(1)
    printed = json.loads(_found(r"```json\n(.*?)\n```", section).group(1))
    slots = _found(r'"localhost:8000(/api/infusions/(\d+)/slots\?[^"]+)"', section)
    session_type = dict(parse_qsl(urlsplit(slots.group(1)).query))["session_type"]
    booking = _found(r"/api/sessions \\\n\s+-d '(\{.*?\})'", section).group(1)
    booked = json.loads(booking.replace("<start of the first slot>", ""))
    assert booked["session_type"] == session_type and "therapist_id" not in booked
    assert booked["infusion_id"] == int(slots.group(2))
    return login, windows_path, printed, session_type, int(slots.group(2))


LOGIN, WINDOWS_URL, PRINTED, FOLLOW_UP, INFUSION_ID = _readme_calls()


@pytest.fixture(scope="module")
def demo(server: Served) -> str:
    """``planner demo`` on the served database, as the README says to try it."""
    done = server.planner("demo")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_readme_prints_what_the_server_answers(server: Served, demo: str) -> None:
    assert "scheduler / demo-scheduler" in demo
    api = server.login(LOGIN["username"], LOGIN["password"])

    answer = expect(api.get(WINDOWS_URL), 200)
    assert answer["anchor_time"] == PRINTED["anchor_time"]
    assert answer["protocol_version"] == PRINTED["protocol_version"]
    assert [w["key"] for w in answer["windows"]] == [w["key"] for w in PRINTED["windows"]]
    for got, shown in zip(answer["windows"], PRINTED["windows"], strict=True):
        shown = {k: v for k, v in shown.items() if k != "..."}  # the README elides the rest
        assert {k: got[k] for k in shown} == shown
        assert set(got) == {"key", "label", "implication", "start", "end", "target"}
    # The README's prose: it ends at 00:30 EST; two elapsed hours later it is 03:30 EDT.
    assert answer["anchor_time"] == "2026-03-08T00:30:00-05:00"
    assert answer["windows"][0]["start"] == "2026-03-08T03:30:00-04:00"


def test_readme_slots_then_booking_the_first(server: Served, demo: str) -> None:
    api = server.login(LOGIN["username"], LOGIN["password"])
    infusion = expect(api.get(f"/api/infusions/{INFUSION_ID}"), 200)
    assert FOLLOW_UP in infusion["care_plan"], (
        "the README's infusion id is a demo infusion with a follow-up"
    )
    window = next(w for w in infusion["windows"] if w["key"] == "long_term")

    earliest = whole_minute(now())  # read before asking: the server's now is later
    slots = expect(
        api.get(
            f"/api/infusions/{INFUSION_ID}/slots", params={"session_type": FOLLOW_UP, "limit": 3}
        ),
        200,
    )
    assert 1 <= len(slots) <= 3, slots
    for slot in slots:
        start, end = instant(slot["start"]), instant(slot["end"])
        assert start.second == 0 and start.microsecond == 0
        assert start >= earliest
        assert instant(window["start"]) <= start < end <= instant(window["end"])
        assert slot["window"] == "long_term"
    assert [s["score"] for s in slots] == sorted(s["score"] for s in slots)  # best first

    first = slots[0]
    session = expect(
        api.post(
            "/api/sessions",
            json={"infusion_id": INFUSION_ID, "session_type": FOLLOW_UP, "start": first["start"]},
        ),
        201,
    )
    assert session["start"] == first["start"] and session["end"] == first["end"]
    assert session["status"] == "booked" and session["outside_window"] is False
    assert session["window"] == "long_term" and session["infusion_id"] == INFUSION_ID
    assert session["therapist_id"] is not None and session["room_id"] is not None
    stored = expect(api.get(f"/api/sessions/{session['id']}"), 200)
    assert stored == session
