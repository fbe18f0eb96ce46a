"""A small clinic built through the API for the end-to-end and browser flows: therapists who
work every minute of the day, rooms, and the demo's session types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2

from tests.e2e.support import ALL_DAY, expect

SESSION_TYPES = [  # key, name, minutes, discipline, window, room kind
    ("physical_rehabilitation", "Physical rehabilitation", 45, "physical", "spinogenesis", "gym"),
    ("cognitive_training", "Cognitive training", 60, "cognitive", "peak", "quiet_room"),
    ("cognitive_therapy", "Cognitive therapy", 50, "psychotherapy", "plasticity", None),
    ("follow_up_rehabilitation", "Follow-up rehabilitation", 45, "physical", "long_term", "gym"),
]
THERAPISTS = [  # name, disciplines
    ("Rae Okoye", ["physical"]),
    ("Sol Brandt", ["physical"]),
    ("Cam Ito", ["cognitive"]),
    ("Dee Novak", ["psychotherapy"]),
]
ROOMS = [("Gym 1", "gym"), ("Gym 2", "gym"), ("Quiet room", "quiet_room")]
CARE_PLAN = ["physical_rehabilitation", "cognitive_training", "cognitive_therapy"]


def created(http: httpx2.Client, path: str, body: dict[str, Any]) -> Any:
    return expect(http.post(path, json=body), 201)


@dataclass
class Clinic:
    therapists: dict[str, int]  # name → id
    disciplines: dict[str, set[int]]  # discipline → therapist ids
    rooms: dict[str, set[int]]  # room kind → room ids
    types: dict[str, dict[str, Any]]  # key → the session type as answered

    def patient(self, admin: httpx2.Client, name: str) -> int:
        return int(created(admin, "/api/patients", {"name": name})["id"])


def build_clinic(admin: httpx2.Client) -> Clinic:
    """Therapists who work every day 00:00–23:59, rooms and the demo's session types."""
    therapists: dict[str, int] = {}
    disciplines: dict[str, set[int]] = {}
    for name, kinds in THERAPISTS:
        body = {"name": name, "disciplines": kinds, "working_hours": [ALL_DAY]}
        therapist = created(admin, "/api/therapists", body)
        assert therapist["working_hours"] == [ALL_DAY], therapist
        therapists[name] = therapist["id"]
        for kind in kinds:
            disciplines.setdefault(kind, set()).add(therapist["id"])
    rooms: dict[str, set[int]] = {}
    for name, kind in ROOMS:
        rooms.setdefault(kind, set()).add(
            created(admin, "/api/rooms", {"name": name, "kind": kind})["id"]
        )
    types = {row[0]: session_type(admin, *row) for row in SESSION_TYPES}
    return Clinic(therapists, disciplines, rooms, types)


def session_type(
    admin: httpx2.Client,
    key: str,
    name: str,
    minutes: int,
    discipline: str,
    window: str,
    room_kind: str | None,
) -> Any:
    """``POST /api/session-types``; the type as answered."""
    body = {
        "key": key,
        "name": name,
        "duration_minutes": minutes,
        "discipline": discipline,
        "window": window,
        "room_kind": room_kind,
    }
    return created(admin, "/api/session-types", body)


def user(admin: httpx2.Client, username: str, role: str, password: str, **extra: Any) -> Any:
    body = {"username": username, "role": role, "password": password, **extra}
    made = created(admin, "/api/users", body)
    assert made["username"] == username and made["role"] == role, made
    return made
