"""What a day plan leaves out says which resource was the bottleneck in its window, so staff
know whether another therapist, another room or a different care plan would help: one day
per kind of bottleneck, through POST /api/plan/day and the board's preview."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support import Api
from tests.web_support import csrf_of, log_in

DAY = "2026-03-10"
# "rehab" sits in the spinogenesis window: 2 to 4 h after an infusion ends (07:00-07:40),
# so 09:40-11:40, room for two 45-minute sessions one after the other and not three.


def _rehab(api: Api, *, room_kind: str | None = None, key: str = "rehab") -> None:
    api.session_type(key, "spinogenesis", "physio", 45, room_kind=room_kind)


def _infusions(api: Api, count: int, care_plan: list[str]) -> list[Any]:
    return [
        api.infusion(api.patient(f"Pat {n}")["id"], f"{DAY}T07:00", care_plan=care_plan)
        for n in range(count)
    ]


def _unplaced(api: Api) -> list[dict[str, Any]]:
    plan = api.ok("POST", "/api/plan/day", {"date": DAY, "time_limit_seconds": 1})
    return list(plan["unplaced"])


def test_nobody_with_the_discipline_works_in_the_window(api: Api) -> None:
    api.therapist("Late", ("physio",), start="13:00", end="20:00")
    _rehab(api)
    _infusions(api, 1, ["rehab"])
    [left] = _unplaced(api)
    assert left["code"] == "therapist_unavailable"
    assert "no therapist who practises physio works during the" in left["detail"]


def test_nobody_practises_the_discipline(api: Api) -> None:
    api.therapist("Mind", ("cognitive",))
    _rehab(api)
    _infusions(api, 1, ["rehab"])
    [left] = _unplaced(api)
    assert left["code"] == "discipline_mismatch"
    assert left["detail"] == "no therapist practises physio"


def test_every_therapist_with_the_discipline_is_busy(api: Api) -> None:
    api.therapist("Only", ("physio",), buffer_minutes=30)  # 45 + 30: two fit, not three
    _rehab(api)
    _infusions(api, 3, ["rehab"])
    [left] = _unplaced(api)
    assert left["code"] == "therapist_busy"
    assert "every therapist who practises physio is busy during the" in left["detail"]


def test_no_room_of_the_kind_is_free(api: Api) -> None:
    for name in ("A", "B", "C"):
        api.therapist(name, ("physio",))
    api.room("Gym", "gym")  # one gym: two sessions fit in the window, not three
    _rehab(api, room_kind="gym")
    _infusions(api, 3, ["rehab"])
    [left] = _unplaced(api)
    assert left["code"] == "room_unavailable"
    assert "no gym is free during the" in left["detail"]


def test_the_patients_own_other_items_fill_the_window(api: Api) -> None:
    for name in ("A", "B", "C"):
        api.therapist(name, ("physio",))
    for key in ("rehab", "rehab_b", "rehab_c"):
        _rehab(api, key=key)
    [infusion] = _infusions(api, 1, ["rehab", "rehab_b", "rehab_c"])
    [left] = _unplaced(api)
    assert left["code"] == "patient_busy"
    assert "Pat 0 is busy during the" in left["detail"]
    assert left["infusion_id"] == infusion["id"]


def test_the_therapists_reached_their_daily_limits(api: Api) -> None:
    api.therapist("Once", ("physio",), max_sessions_per_day=1)
    _rehab(api)
    _infusions(api, 2, ["rehab"])
    [left] = _unplaced(api)
    assert left["code"] == "daily_limit"
    assert "the therapists who practise physio have reached their daily limits" in left["detail"]


def test_the_boards_preview_says_the_bottleneck(client: TestClient, api: Api) -> None:
    for name in ("A", "B", "C"):
        api.therapist(name, ("physio",))
    api.room("Gym", "gym")
    _rehab(api, room_kind="gym")
    _infusions(api, 3, ["rehab"])
    user = {"username": "sam", "role": "scheduler", "password": "sam-secret-1"}
    api.ok("POST", "/api/users", user, 201)
    log_in(client, "sam", "sam-secret-1")
    board = client.get(f"/board?date={DAY}")
    preview = client.post(
        "/board/plan", data={"date": DAY, "budget": "3", "csrf_token": csrf_of(board.text)}
    )
    assert preview.status_code == 200 and "Could not be placed" in preview.text
    assert "no gym is free during the" in preview.text and "room_unavailable" in preview.text
