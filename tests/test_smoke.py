from tests.support import Api


def test_windows_example(api: Api) -> None:
    body = api.ok("GET", "/api/windows?start=2026-03-07T23:50&duration_minutes=40")
    assert body["anchor_time"] == "2026-03-08T00:30:00-05:00"
    assert body["windows"][0]["start"] == "2026-03-08T03:30:00-04:00"
