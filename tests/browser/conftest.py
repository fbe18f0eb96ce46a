"""Browser tests: ``planner serve`` as a real process on the real clock, driven by Playwright
with Debian's Chromium, on SQLite and on PostgreSQL.

Playwright's own browser download does not work here, so the tests use /usr/bin/chromium
(installed with apt-get when missing) through ``executable_path``. Nothing injects a clock:
the clinic's day is tomorrow (or, for what happens now, today), computed from the same real
now the server reads, at whatever second the tests run. Screenshots, at desktop and phone
width, go to test-output/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.conftest import BACKENDS
from tests.e2e.clinic import created, session_type, user
from tests.e2e.support import (
    ALL_DAY,
    ZONE,
    Served,
    local,
    now,
    rfc3339,
    served_process,
    tomorrow,
    watch_for_server_errors,
    whole_minute,
)

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
DESKTOP = {"width": 1360, "height": 900}
PHONE = {"width": 390, "height": 844}
DAILY = "FREQ=DAILY"


@dataclass(frozen=True)
class Clinic:
    """The served clinic: its address, the day the journeys plan, and who works there."""

    served: Served
    day: date
    therapists: dict[str, int]
    soon: datetime  # the start of Dee's session with Quinn Soon, under a minute ahead
    staff: tuple[str, str] = ("sam", "sam-secret-1")
    therapist: tuple[str, str] = ("dana", "dana-secret-1")
    night_therapist: tuple[str, str] = ("dee", "dee-secret-1")

    @property
    def base_url(self) -> str:
        return self.served.base_url

    def at(self, hhmm: str) -> str:
        """A wall time on the clinic's day, as a datetime-local field holds it."""
        return f"{self.day.isoformat()}T{hhmm}"


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


@pytest.fixture(scope="package", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """One ``planner serve`` per backend for all the browser tests."""
    with served_process(request.param, tmp_path_factory.mktemp(f"browser-{request.param}")) as s:
        yield s


@pytest.fixture(autouse=True)
def _no_server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    yield from watch_for_server_errors(request, "server")


TYPES = [  # key, name, minutes, discipline, window, room kind
    ("physical_rehabilitation", "Physical rehabilitation", 60, "physical", "peak", "gym"),
    ("cognitive_training", "Cognitive training", 45, "cognitive", "plasticity", "quiet_room"),
    ("short_therapy", "Short therapy", 15, "psychotherapy", "plasticity", None),
]


def _book_soon(admin: httpx2.Client, therapist_id: int) -> datetime:
    """A 15-minute session at the next whole minute at least 10 seconds ahead, so that the
    test of completing it waits as little as it can (its infusion ended 2½ hours ago, so the
    neuroadaptive window spans now); at midnight instead when it would touch the one minute
    the therapist does not work (23:59–24:00). Its start, in UTC."""
    start = whole_minute(now() + timedelta(seconds=10))
    midnight = local(start.astimezone(ZONE).date() + timedelta(days=1), "00:00")
    if start + timedelta(minutes=15) > midnight - timedelta(minutes=1):
        start = midnight
    patient = created(admin, "/api/patients", {"name": "Quinn Soon"})
    began = whole_minute(now()) - timedelta(hours=3, minutes=10)
    body = {"patient_id": patient["id"], "start": rfc3339(began)}
    infusion = created(admin, "/api/infusions", body)
    body = {
        "infusion_id": infusion["id"],
        "session_type": "short_therapy",
        "start": rfc3339(start),
        "therapist_id": therapist_id,
    }
    created(admin, "/api/sessions", body)
    return start


@pytest.fixture(scope="package")
def live_clinic(server: Served) -> Clinic:
    """Therapists, rooms, types, three users; tomorrow, two infusions with their care plans
    booked at the best times."""
    admin = server.admin()
    clinic_body = {"name": "Riverside Infusion Clinic", "timezone": "America/New_York"}
    assert admin.put("/api/clinic", json=clinic_body).status_code == 200
    hours = {"rrule": DAILY, "start": "08:00", "end": "17:00"}
    evening = {"rrule": DAILY, "start": "10:00", "end": "18:30"}
    therapists = {
        name: created(admin, "/api/therapists", {"name": name, **body})["id"]
        for name, body in (
            (
                "Dana Lee",
                {"disciplines": ["physical"], "working_hours": [hours], "buffer_minutes": 10},
            ),
            ("Omar Haddad", {"disciplines": ["cognitive"], "working_hours": [evening]}),
            ("Dee Novak", {"disciplines": ["psychotherapy"], "working_hours": [ALL_DAY]}),
        )
    }
    created(admin, "/api/rooms", {"name": "Gym 1", "kind": "gym"})
    created(admin, "/api/rooms", {"name": "Quiet room", "kind": "quiet_room"})
    for row in TYPES:
        session_type(admin, *row)
    user(admin, "sam", "scheduler", "sam-secret-1")
    user(admin, "dana", "therapist", "dana-secret-1", therapist_id=therapists["Dana Lee"])
    user(admin, "dee", "therapist", "dee-secret-1", therapist_id=therapists["Dee Novak"])
    clinic = Clinic(server, tomorrow(), therapists, _book_soon(admin, therapists["Dee Novak"]))
    for name, start, plan in (
        ("Alex Morgan", "07:00", ["physical_rehabilitation", "cognitive_training"]),
        ("Jordan Kim", "10:30", ["cognitive_training"]),
    ):
        patient = created(admin, "/api/patients", {"name": name})
        body = {
            "patient_id": patient["id"],
            "start": clinic.at(start),
            "care_plan": plan,
            "auto_book": True,
        }
        booked = created(admin, "/api/infusions", body)
        assert len(booked["sessions"]) == len(plan), booked
    return clinic


def new_page(browser: Any, viewport: dict[str, int]) -> Any:
    context = browser.new_context(
        viewport=viewport, locale="en-US", is_mobile=viewport["width"] < 500
    )
    context.set_default_timeout(20_000)
    return context.new_page()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    opened = new_page(browser, DESKTOP)
    yield opened
    opened.context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    opened = new_page(browser, PHONE)
    yield opened
    opened.context.close()


def log_in(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/")
    assert page.url.endswith("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/(board|day)$"))


def screenshot(page: Any, name: str, request: pytest.FixtureRequest) -> Path:
    """A full-page screenshot named after the backend it ran on (``board-sqlite.png``)."""
    callspec = getattr(request.node, "callspec", None)
    backend = callspec.params.get("server", "") if callspec is not None else ""
    SHOTS.mkdir(parents=True, exist_ok=True)
    stem, _, suffix = name.rpartition(".")
    target = SHOTS / (f"{stem}-{backend}.{suffix}" if backend else name)
    page.screenshot(path=str(target), full_page=True)
    return target
