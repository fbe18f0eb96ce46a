"""``PLANNER_OPENTELEMETRY``: FastAPI's native OpenTelemetry, off unless asked for.

A deployment that installs an OpenTelemetry SDK registers a global tracer provider; a
counting provider stands in for it here (registered for this test only, restored after).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import create_app
from services.settings import Settings
from tests.support import FakeClock

# FastAPI brings OpenTelemetry's API with its native telemetry; an older FastAPI has neither
trace = pytest.importorskip("opentelemetry.trace", reason="this FastAPI has no native telemetry")


class CountingTracerProvider(trace.TracerProvider):
    """A configured provider (not one of OpenTelemetry's deferred defaults) that counts the
    tracers asked of it."""

    def __init__(self) -> None:
        self.asked = 0

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        self.asked += 1
        return trace.NoOpTracer()


@pytest.mark.parametrize("enabled", [False, True])
def test_requests_reach_the_providers_only_when_the_setting_is_on(
    enabled: bool, settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = CountingTracerProvider()
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", provider)
    configured = settings.model_copy(update={"opentelemetry": enabled})
    with TestClient(create_app(configured, clock=clock)) as client:
        for _ in range(3):
            assert client.get("/api/health").json() == {"status": "ok"}
    assert (provider.asked > 0) is enabled


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLANNER_OPENTELEMETRY", raising=False)
    assert Settings(_env_file=None).opentelemetry is False  # type: ignore[call-arg]
    monkeypatch.setenv("PLANNER_OPENTELEMETRY", "true")
    assert Settings(_env_file=None).opentelemetry is True  # type: ignore[call-arg]
