"""A small clinic for booking tests: one infusion on 2026-03-10 (New York, EDT).

Infusion 07:00–07:40; the ``peak`` window is 10:40–12:40 with target 11:40, so a 60-minute
session's best start is 11:10. The clock stands at 2026-03-01 12:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.support import Api

DAY = "2026-03-10"


@dataclass
class Clinic:
    api: Api
    therapist: dict[str, Any]
    other: dict[str, Any]
    patient: dict[str, Any]
    infusion: dict[str, Any]

    def book(self, start: str, status: int = 201, **extra: Any) -> Any:
        body = {
            "infusion_id": self.infusion["id"],
            "session_type": "physical_rehabilitation",
            "start": start,
            **extra,
        }
        response = self.api.post("/api/sessions", body)
        assert response.status_code == status, response.text
        return response.json()


@pytest.fixture
def clinic(api: Api) -> Clinic:
    therapist = api.therapist("Dana", ("physio",))
    other = api.therapist("Eli", ("cognitive",))
    api.session_type("physical_rehabilitation", "peak", "physio", 60)
    patient = api.patient("Pat")
    infusion = api.infusion(patient["id"], f"{DAY}T07:00")
    return Clinic(api, therapist, other, patient, infusion)
