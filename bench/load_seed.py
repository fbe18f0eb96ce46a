"""A realistic clinic day for bench/load.py, seeded through the served API (real clock).

40 therapists working 07:00–21:00 every day, 8 gyms and 8 quiet rooms, three session types
(the demo clinic's), 40 patients with one infusion each between 07:00 and 10:54 of the day,
each care-plan item booked at its best slot (slot search, then ``POST /api/sessions``):
about a hundred sessions. Then the request files the wrk script sends in turn.
"""

from __future__ import annotations

import http.client
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

THERAPISTS, PATIENTS, GYMS, QUIET_ROOMS = 40, 40, 8, 8
DISCIPLINES = [["physical"], ["cognitive"], ["psychotherapy"], ["physical", "cognitive"]]
SESSION_TYPES = [  # key, name, minutes, discipline, window, room kind
    ("physical_rehabilitation", "Physical rehabilitation", 45, "physical", "spinogenesis", "gym"),
    ("cognitive_training", "Cognitive training", 60, "cognitive", "peak", "quiet_room"),
    ("cognitive_therapy", "Cognitive therapy", 50, "psychotherapy", "plasticity", None),
]
MINUTES = {key: minutes for key, _, minutes, *_ in SESSION_TYPES}


class Api:
    """A keep-alive JSON client with the admin token (stdlib only)."""

    def __init__(self, base_url: str, token: str) -> None:
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        payload = None if body is None else json.dumps(body)
        self.connection.request(method, path, payload, self.headers)
        response = self.connection.getresponse()
        answer = response.read()
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status} {answer[:500]!r}")
        return json.loads(answer)

    def close(self) -> None:
        self.connection.close()


@dataclass
class Clinic:
    day: date
    therapist_ids: list[int]
    infusions: list[dict[str, Any]]
    sessions: int
    files: dict[str, Path] = field(default_factory=dict)


def clinic_day(zone: ZoneInfo) -> date:
    """Tomorrow in the clinic's zone: every session of the day is still in the future."""
    return datetime.now(zone).date() + timedelta(days=1)


def seed(api: Api) -> Clinic:
    zone = ZoneInfo(api.call("GET", "/api/clinic")["timezone"])
    day = clinic_day(zone)
    therapist_ids = []
    for n in range(THERAPISTS):
        body = {
            "name": f"Therapist {n:02d}",
            "disciplines": DISCIPLINES[n % len(DISCIPLINES)],
            "working_hours": [{"rrule": "FREQ=DAILY", "start": "07:00", "end": "21:00"}],
            "buffer_minutes": 10,
            "max_sessions_per_day": 10,
        }
        therapist_ids.append(api.call("POST", "/api/therapists", body, 201)["id"])
    for n in range(GYMS + QUIET_ROOMS):
        kind = "gym" if n < GYMS else "quiet_room"
        api.call("POST", "/api/rooms", {"name": f"{kind} {n}", "kind": kind}, 201)
    for key, name, minutes, discipline, window, room_kind in SESSION_TYPES:
        body = {
            "key": key,
            "name": name,
            "duration_minutes": minutes,
            "discipline": discipline,
            "window": window,
            "room_kind": room_kind,
        }
        api.call("POST", "/api/session-types", body, 201)
    infusions = []
    first = datetime.combine(day, datetime.min.time()).replace(hour=7)
    for n in range(PATIENTS):
        patient = api.call("POST", "/api/patients", {"name": f"Patient {n:02d}"}, 201)
        body = {
            "patient_id": patient["id"],
            "start": (first + timedelta(minutes=6 * n)).isoformat(timespec="minutes"),
            "care_plan": [key for key, *_ in SESSION_TYPES],
        }
        infusions.append(api.call("POST", "/api/infusions", body, 201))
    for infusion in infusions:
        book_care_plan(api, infusion["id"])
    booked = api.call("GET", f"/api/sessions?date={day.isoformat()}&limit=500")
    return Clinic(day, therapist_ids, infusions, len(booked))


def book_care_plan(api: Api, infusion_id: int) -> None:
    """Each care-plan item at its best slot, as a scheduler clicks it (the infusion page).

    Not ``auto_book``: its joint planning took up to 30 s an infusion on this busy day."""
    for key in MINUTES:
        path = f"/api/infusions/{infusion_id}/slots?session_type={key}&limit=1"
        for slot in api.call("GET", path):
            body = {
                "infusion_id": infusion_id,
                "session_type": key,
                "start": slot["start"],
                "therapist_id": slot["therapist_id"],
                "room_id": slot["room_id"],
            }
            api.call("POST", "/api/sessions", body, 201)


def write_requests(clinic: Clinic, folder: Path, seed_value: int) -> dict[str, Path]:
    """The request files: bare and health, the therapists' days, every slot search of the
    day, and 20,000 bookings at random minutes inside their windows (shuffled)."""
    chosen = random.Random(seed_value)
    day = clinic.day.isoformat()
    lines = {
        "bare": ["GET\t/"],
        "health": ["GET\t/api/health"],
        "day": [f"GET\t/api/therapists/{t}/day?date={day}" for t in clinic.therapist_ids],
        "slots": [
            f"GET\t/api/infusions/{i['id']}/slots?session_type={key}"
            for i in clinic.infusions
            for key in MINUTES
        ],
        "storm": [],
    }
    windows = {key: window for key, _, _, _, window, _ in SESSION_TYPES}
    for _ in range(20_000):
        infusion = chosen.choice(clinic.infusions)
        key = chosen.choice(list(MINUTES))
        window = next(w for w in infusion["windows"] if w["key"] == windows[key])
        opens, closes = (datetime.fromisoformat(window[end]) for end in ("start", "end"))
        latest = int((closes - opens).total_seconds() // 60) - MINUTES[key]
        start = opens + timedelta(minutes=chosen.randint(0, latest))
        body = {"infusion_id": infusion["id"], "session_type": key, "start": start.isoformat()}
        lines["storm"].append(f"POST\t/api/sessions\t{json.dumps(body)}")
    files = {}
    for name, requests in lines.items():
        files[name] = folder / f"{name}.tsv"
        files[name].write_text("\n".join(requests) + "\n")
    return files
