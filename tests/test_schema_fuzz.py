"""Schema fuzzing: schemathesis sends what the OpenAPI document allows (and what it does not)
to a served app, as an administrator and as a therapist, with every check on.

Whatever it sends must be answered with a status and body the document gives: never a 5xx,
never an undocumented status, content type, header or shape; data the document allows is
not refused as malformed, and data it refuses is not accepted. The clinic is seeded first
(a therapist with a login, a room, session types, a patient, an infusion, a session), so ids
exist and the fuzzer reaches the use cases, not only "not found".
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis import Case, CheckContext, Response

from app import create_app
from models.db import sqlite_url_for
from services.settings import Settings
from tests.conftest import PG_URL, _empty_pg
from tests.live_server import client, created, serve
from tests.support import ADMIN, ADMIN_TOKEN, FakeClock

EXAMPLES = int(os.environ.get("PLANNER_FUZZ_EXAMPLES", "12"))  # per operation and phase
SEED = int(os.environ.get("PLANNER_FUZZ_SEED", "20260310"))  # a failure reproduces as is


SPARE_USER_ID = 3  # seeded third, after the bootstrap administrator and the therapist


@dataclass(frozen=True)
class Clinic:
    base_url: str
    therapist_token: str


def _seed(base_url: str) -> Clinic:
    """A small clinic, through the API: everything the fuzzer's ids can land on."""
    with client(base_url) as http:
        created(
            http,
            "/api/session-types",
            {
                "key": "physical_rehabilitation",
                "name": "Physical rehabilitation",
                "duration_minutes": 60,
                "discipline": "physio",
                "window": "peak",
                "room_kind": "gym",
            },
        )
        therapist = created(
            http,
            "/api/therapists",
            {
                "name": "Dana",
                "disciplines": ["physio"],
                "working_hours": [{"rrule": "FREQ=DAILY", "start": "08:00", "end": "17:00"}],
            },
        )
        created(http, "/api/rooms", {"name": "Gym", "kind": "gym"})
        patient = created(http, "/api/patients", {"name": "Pat Example", "mrn": "MRN-1"})
        infusion = created(
            http, "/api/infusions", {"patient_id": patient["id"], "start": "2026-03-10T07:00"}
        )
        created(
            http,
            "/api/sessions",
            {
                "infusion_id": infusion["id"],
                "session_type": "physical_rehabilitation",
                "start": "2026-03-10T11:00",
                "therapist_id": therapist["id"],
            },
        )
        login = {"username": "dana", "role": "therapist", "therapist_id": therapist["id"]}
        token = created(http, "/api/users", login)["token"]
        spare = created(http, "/api/users", {"username": "spare", "role": "scheduler"})
        assert spare["id"] == SPARE_USER_ID
    return Clinic(base_url, token)


def _served(database_url: str) -> Iterator[Clinic]:
    settings = Settings(
        database_url=database_url,
        bootstrap_admin_token=ADMIN_TOKEN,
        clinic_timezone="America/New_York",
        # By design POST /api/login refuses an address after 5 failures (429, documented) and
        # slows each failure down; the fuzzer fails logins by the hundred.
        login_max_failures=1_000_000,
        login_slowdown_seconds=0,
        _env_file=None,  # type: ignore[call-arg]
    )
    with serve(create_app(settings, clock=FakeClock())) as base_url:
        yield _seed(base_url)


@pytest.fixture(scope="module")
def clinic(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    path = tmp_path_factory.mktemp("fuzz") / "planner.db"
    shutil.copyfile(sqlite_template, path)
    yield from _served(sqlite_url_for(path))


@pytest.fixture(scope="module")
def pg_clinic(request: pytest.FixtureRequest) -> Iterator[Clinic]:
    """The same clinic on this run's PostgreSQL database (emptied first, as for every test)."""
    if not PG_URL:
        pytest.skip("PLANNER_TEST_DATABASE_URL is not set (`.ci/run` sets it)")
    _empty_pg(request.getfixturevalue("pg_engine"))
    yield from _served(request.getfixturevalue("pg_url"))


def _document() -> dict[str, Any]:
    """The app's OpenAPI document (building it opens no database)."""
    settings = Settings(database_url="sqlite://", _env_file=None)  # type: ignore[call-arg]
    return create_app(settings).openapi()


CONFIG_DATA: dict[str, Any] = {
    "seed": SEED,
    # The served app shares two cores with the rest of the suite: slowness is no finding.
    "suppress-health-check": ["all"],
    "generation": {
        "mode": "all",  # data the document allows, and data it refuses
        "max-examples": EXAMPLES,
        "database": "none",
    },
    "phases": {"stateful": {"enabled": False}},
    # By design an administrator may revoke a user's tokens or disable a login: aimed at a
    # spare user, so each run keeps its own token.
    "parameters": {"path.user_id": SPARE_USER_ID},
    "checks": {
        "enabled": True,
        # 422 is also the answer to a rule no schema can state (a booking in the past or
        # outside its window, 30 February, a wall time the clocks skip);
        # `schema_valid_input_is_read` below still fails any 422 that says the request
        # itself was malformed.
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
        },
    },
}
CONFIG = schemathesis.Config.from_dict(CONFIG_DATA)
# PostgreSQL: the administrator's run again, without the coverage phase and with fewer
# examples, to keep the module within a few minutes; what differs there is the database
# (its types, ranges and constraints), not what the document lets through.
PG_CONFIG = schemathesis.Config.from_dict(
    {
        **CONFIG_DATA,
        "generation": {**CONFIG_DATA["generation"], "max-examples": max(EXAMPLES // 2, 1)},
        "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": False}},
    }
)
DOCUMENT = _document()
# By design POST /api/logout revokes the very token the run carries.
admin_schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG).exclude(
    method="POST", path="/api/logout"
)
# A therapist is refused every operation that checks a role (403) before its input is read
# (tests/test_access_matrix.py covers those refusals), so its run covers the operations a
# therapist may use, where what it is shown depends on who it is.
ROLE_CHECKED = [
    f"{method.upper()} {path}"
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if "403" in operation["responses"]
]
therapist_schema = admin_schema.exclude(name=ROLE_CHECKED)
pg_schema = schemathesis.openapi.from_dict(DOCUMENT, config=PG_CONFIG).exclude(
    method="POST", path="/api/logout"
)


@schemathesis.check
def schema_valid_input_is_read(ctx: CheckContext, response: Response, case: Case) -> None:
    """A request the document allows is never refused as malformed: a 422 that lists the
    request's refused parts (``errors``) means the document promised more than is read."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return
    body: Any = response.json()
    if isinstance(body, dict) and body.get("errors"):
        raise AssertionError(f"schema-valid input refused as malformed: {body['detail']}")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@therapist_schema.parametrize()
def test_the_api_keeps_its_document_for_a_therapist(case: Case, clinic: Clinic) -> None:
    case.call_and_validate(base_url=clinic.base_url, headers=bearer(clinic.therapist_token))


@admin_schema.parametrize()
def test_the_api_keeps_its_document_for_an_administrator(case: Case, clinic: Clinic) -> None:
    case.call_and_validate(base_url=clinic.base_url, headers=bearer(ADMIN_TOKEN))


@pg_schema.parametrize()
def test_the_api_keeps_its_document_on_postgresql(case: Case, pg_clinic: Clinic) -> None:
    case.call_and_validate(base_url=pg_clinic.base_url, headers=bearer(ADMIN_TOKEN))


def test_the_seeded_clinic_is_reachable(clinic: Clinic) -> None:
    with client(clinic.base_url) as http:
        assert http.get("/api/sessions", headers=ADMIN).json(), "the session was booked"
        mine = {"Authorization": f"Bearer {clinic.therapist_token}"}
        assert http.get("/api/sessions", headers=mine).status_code == 200
