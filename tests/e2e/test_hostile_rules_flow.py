"""Hostile recurrence rules sent to ``planner serve`` on the real clock (docs/rules.md,
"Recurrence rules").

Hypothesis draws rules over the RRULE parts, hostile ones and ones a clinic would write (the
unit tests' strategies), and sends each as a therapist's working hours and as a follow-up
series; every one is answered at once, refused with 422 or accepted, and then expands within
its bounds. Meanwhile another thread asks for another therapist's slots without pause: those
answers stay quick, whatever the rules do.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import httpx2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import Code
from planner.recurrence import MAX_COUNT
from tests.e2e.clinic import build_clinic, created
from tests.e2e.support import ALL_DAY, Served, expect, tomorrow, wall
from tests.test_recurrence import clinic_rules, hostile_rules

ANSWER_WITHIN = 2.0  # seconds; the filed rules took 8.5-61 s
SLOT_SEARCH_WITHIN = 2.0  # seconds for the other therapist's search, under this load
EXAMPLES = 60
REHAB = "physical_rehabilitation"
FOLLOW_UP = "follow_up_rehabilitation"


class SlotWatcher(threading.Thread):
    """Asks for one therapist's slots in a loop; keeps every answer's status and duration."""

    def __init__(self, http: httpx2.Client, path: str, params: dict[str, Any]) -> None:
        super().__init__(name="slot-watcher", daemon=True)
        self.http, self.path, self.params = http, path, params
        self.stop = threading.Event()
        self.answers: list[tuple[int, float]] = []

    def run(self) -> None:
        while not self.stop.is_set():
            began = time.perf_counter()
            status = self.http.get(self.path, params=self.params).status_code
            self.answers.append((status, time.perf_counter() - began))


def _timed(call: Any, *args: Any, **kwargs: Any) -> httpx2.Response:
    began = time.perf_counter()
    answer: httpx2.Response = call(*args, **kwargs)
    assert time.perf_counter() - began < ANSWER_WITHIN, (args, kwargs)
    assert answer.status_code < 500, answer.text
    return answer


def test_hostile_rules_are_answered_at_once_and_other_searches_stay_quick(
    server: Served,
) -> None:
    admin = server.admin()
    clinic = build_clinic(admin)
    steady = min(clinic.disciplines["physical"])
    body = {"name": "Tess Target", "disciplines": ["physical"], "working_hours": [ALL_DAY]}
    target = created(admin, "/api/therapists", body)["id"]
    patient = clinic.patient(admin, "Hal Hostile")
    start = wall(tomorrow(), "08:00")
    infusion = expect(
        admin.post("/api/infusions", json={"patient_id": patient, "start": start}), 201
    )
    slots = f"/api/infusions/{infusion['id']}/slots"
    follow_ups = f"/api/infusions/{infusion['id']}/follow-ups"
    first_follow_up = wall(tomorrow() + timedelta(days=1), "10:30")
    refused = accepted = 0

    watcher = SlotWatcher(server.admin(), slots, {"session_type": REHAB, "therapist_id": steady})

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(rule=st.one_of(hostile_rules(), clinic_rules().map(lambda rules: rules[0])))
    def send(rule: str) -> None:
        nonlocal refused, accepted
        hours = [{"rrule": rule, "start": "08:00", "end": "17:00"}]
        patched = _timed(admin.patch, f"/api/therapists/{target}", json={"working_hours": hours})
        assert patched.status_code in (200, 422), patched.text
        if patched.status_code == 422:
            refused += 1
            assert patched.json()["code"] == "validation_error", patched.text
        else:
            accepted += 1
        searched = _timed(admin.get, slots, params={"session_type": REHAB, "therapist_id": target})
        assert searched.status_code == 200, searched.text
        body = {"session_type": FOLLOW_UP, "rrule": rule, "start": first_follow_up}
        series = _timed(admin.post, follow_ups, json=body)
        assert series.status_code in (200, 409, 422), series.text
        if series.status_code == 200:
            assert len(series.json()["occurrences"]) <= MAX_COUNT
        else:
            assert series.json()["code"] in set(Code), series.text

    watcher.start()
    try:
        send()
    finally:
        watcher.stop.set()
        watcher.join(timeout=30)

    assert refused and accepted, "the rules drawn were all refused or all accepted"
    assert watcher.answers, "the other therapist's slots were never asked for"
    assert {status for status, _ in watcher.answers} == {200}
    slowest = max(took for _, took in watcher.answers)
    assert slowest < SLOT_SEARCH_WITHIN, f"a slot search took {slowest:.2f} s"
