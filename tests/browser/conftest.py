"""Browser tests: the app served by uvicorn, driven by Playwright with Debian's Chromium.

Playwright's own browser download does not work here, so the tests use /usr/bin/chromium
(installed with apt-get when missing) through ``executable_path``. The clock is fixed, so
the scenario is the same whatever today is. Screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest

from app import create_app
from models.db import make_engine, sqlite_url_for
from models.migrate import upgrade
from services.settings import Settings
from tests.live_server import serve
from tests.support import ADMIN, ADMIN_TOKEN, FakeClock

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = Path(os.environ.get("PLANNER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Tuesday 10 March 2026, 08:00 in New York (daylight time began on the 8th).
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TODAY = "2026-03-10"


@dataclass(frozen=True)
class Clinic:
    base_url: str
    therapist_id: int
    clock: FakeClock
    staff: tuple[str, str] = ("sam", "sam-secret-1")
    therapist: tuple[str, str] = ("dana", "dana-secret-1")


def _ensure_chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None:
        pytest.skip(f"{CHROMIUM} is missing and apt-get is not available to install it")
    try:
        subprocess.run(
            [apt, "install", "-y", "chromium"], check=True, capture_output=True, timeout=900
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        pytest.skip(f"installing chromium with apt-get failed: {exc} {detail[-300:]!r}")
    if not CHROMIUM.exists():
        pytest.skip(f"apt-get ran but {CHROMIUM} is still missing")
    return CHROMIUM


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    return _ensure_chromium()


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


def _created(http: httpx2.Client, path: str, body: dict[str, Any]) -> Any:
    answer = http.post(path, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture(scope="session")
def live_clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    """A served app on SQLite with a fixed clock, a therapist, a room, types and two users."""
    path = tmp_path_factory.mktemp("browser") / "planner.db"
    url = sqlite_url_for(path)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    settings = Settings(
        database_url=url,
        bootstrap_admin_token=ADMIN_TOKEN,
        clinic_name="Riverside Infusion Clinic",
        clinic_timezone="America/New_York",
        _env_file=None,  # type: ignore[call-arg]
    )
    clock = FakeClock(NOW)
    app = create_app(settings, clock=clock)
    with (
        serve(app) as base_url,
        httpx2.Client(base_url=base_url, headers=ADMIN, timeout=60) as http,
    ):
        week = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
        dana = _created(
            http,
            "/api/therapists",
            {
                "name": "Dana Lee",
                "disciplines": ["physical"],
                "working_hours": [{"rrule": week, "start": "08:00", "end": "17:00"}],
                "buffer_minutes": 10,
            },
        )
        _created(
            http,
            "/api/therapists",
            {
                "name": "Omar Haddad",
                "disciplines": ["cognitive"],
                "working_hours": [{"rrule": week, "start": "10:00", "end": "18:30"}],
            },
        )
        _created(http, "/api/rooms", {"name": "Gym 1", "kind": "gym"})
        _created(http, "/api/rooms", {"name": "Quiet room", "kind": "quiet_room"})
        for key, name, minutes, discipline, window, room in (
            ("physical_rehabilitation", "Physical rehabilitation", 60, "physical", "peak", "gym"),
            (
                "cognitive_training",
                "Cognitive training",
                45,
                "cognitive",
                "plasticity",
                "quiet_room",
            ),
        ):
            _created(
                http,
                "/api/session-types",
                {
                    "key": key,
                    "name": name,
                    "duration_minutes": minutes,
                    "discipline": discipline,
                    "window": window,
                    "room_kind": room,
                },
            )
        for body in (
            {"username": "sam", "role": "scheduler", "password": "sam-secret-1"},
            {
                "username": "dana",
                "role": "therapist",
                "therapist_id": dana["id"],
                "password": "dana-secret-1",
            },
        ):
            _created(http, "/api/users", body)
        # Two infusions already on the board, their care plans booked at the best times.
        for name, start, plan in (
            ("Alex Morgan", "07:00", ["physical_rehabilitation", "cognitive_training"]),
            ("Jordan Kim", "10:30", ["cognitive_training"]),
        ):
            patient = _created(http, "/api/patients", {"name": name})
            booked = _created(
                http,
                "/api/infusions",
                {
                    "patient_id": patient["id"],
                    "start": f"{TODAY}T{start}",
                    "care_plan": plan,
                    "auto_book": True,
                },
            )
            assert len(booked["sessions"]) == len(plan), booked
        yield Clinic(base_url=base_url, therapist_id=dana["id"], clock=clock)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    target = SHOTS / name
    page.screenshot(path=str(target), full_page=True)
    return target
