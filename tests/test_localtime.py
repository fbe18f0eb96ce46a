"""The clinic's clock (docs/rules.md#time): offsets as sent, wall times, DST refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.errors import PlannerError, ValidationFailed
from planner.localtime import (
    day_bounds,
    local_date,
    local_instant,
    parse_instant,
    parse_local_date,
    parse_wall_time,
    require_whole_minutes,
    to_clinic,
    wall_to_instant,
    zone_named,
)

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")
ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "UTC"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_a_wall_time_is_the_clinics_local_time() -> None:
    assert parse_instant("2026-03-07T23:50", NY) == utc(2026, 3, 8, 4, 50)
    assert parse_instant("2026-07-01T09:00", NY) == utc(2026, 7, 1, 13, 0)
    assert parse_instant("2026-07-01T09:00", BERLIN) == utc(2026, 7, 1, 7, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-08T03:30:00-04:00", utc(2026, 3, 8, 7, 30)),
        ("2026-03-08T02:30:00-05:00", utc(2026, 3, 8, 7, 30)),  # a gap time, with an offset
        ("2026-11-01T01:30:00-04:00", utc(2026, 11, 1, 5, 30)),  # first 01:30
        ("2026-11-01T01:30:00-05:00", utc(2026, 11, 1, 6, 30)),  # second 01:30
        ("2026-03-08T09:30Z", utc(2026, 3, 8, 9, 30)),
        ("2026-03-08T09:30:00+09:00", utc(2026, 3, 8, 0, 30)),
    ],
)
def test_an_offset_is_taken_as_is(text: str, expected: datetime) -> None:
    parsed = parse_instant(text, NY)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("wall", "zone"),
    [
        ("2026-03-08T02:30", NY),
        ("2026-03-08T02:00", NY),
        ("2026-03-29T02:30", BERLIN),
        ("2026-10-04T02:30", SYDNEY),
    ],
)
def test_a_wall_time_the_clocks_skip_is_refused(wall: str, zone: ZoneInfo) -> None:
    with pytest.raises(PlannerError) as caught:
        parse_instant(wall, zone)
    assert caught.value.code == "nonexistent_local_time"
    assert "offset" in caught.value.detail


@pytest.mark.parametrize(
    ("wall", "zone"),
    [
        ("2026-11-01T01:30", NY),
        ("2026-11-01T01:00", NY),
        ("2026-10-25T02:30", BERLIN),
        ("2026-04-05T02:30", SYDNEY),
    ],
)
def test_a_wall_time_that_happens_twice_is_refused(wall: str, zone: ZoneInfo) -> None:
    with pytest.raises(PlannerError) as caught:
        parse_instant(wall, zone)
    assert caught.value.code == "ambiguous_local_time"


def test_the_edges_of_the_gap_and_the_fold_are_accepted() -> None:
    assert parse_instant("2026-03-08T01:59", NY) == utc(2026, 3, 8, 6, 59)
    assert parse_instant("2026-03-08T03:00", NY) == utc(2026, 3, 8, 7, 0)
    assert parse_instant("2026-11-01T00:59", NY) == utc(2026, 11, 1, 4, 59)
    assert parse_instant("2026-11-01T02:00", NY) == utc(2026, 11, 1, 7, 0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tomorrow",
        "2026-03-08",  # a date alone
        "2026-13-01T10:00",
        "2026-03-08T25:00",
        "2026-02-30T10:00",
        "9999-12-31T23:59",  # out of range: its windows would not be representable
        "0001-01-01T00:00Z",
    ],
)
def test_malformed_datetimes_are_validation_errors(text: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_instant(text, NY, field="start")
    assert caught.value.code == "validation_error"
    assert caught.value.detail.startswith("start:")


def test_whole_minutes() -> None:
    whole = utc(2026, 3, 8, 9, 30)
    assert require_whole_minutes(whole) is whole
    for bad in (whole.replace(second=1), whole.replace(microsecond=1)):
        with pytest.raises(ValidationFailed, match="whole minute"):
            require_whole_minutes(bad)


def test_local_dates_and_wall_times() -> None:
    assert parse_local_date("2026-03-08") == date(2026, 3, 8)
    assert parse_wall_time("08:00") == time(8, 0)
    assert parse_wall_time("17:45") == time(17, 45)
    for bad_date in ("2026-3-8x", "08.03.2026", "", "2026-02-30"):
        with pytest.raises(ValidationFailed):
            parse_local_date(bad_date)
    for bad_time in ("8am", "24:00", "08:00:30", "08:00+01:00", ""):
        with pytest.raises(ValidationFailed):
            parse_wall_time(bad_time)


def test_zone_names() -> None:
    assert zone_named("Europe/Berlin") == BERLIN
    for bad in ("Mars/Olympus", "", "../etc/passwd", "/etc/localtime"):
        with pytest.raises(ValidationFailed, match="IANA"):
            zone_named(bad)


def test_wall_to_instant_never_refuses() -> None:
    # In the gap: 02:30 on the spring-forward night is 03:30 summer time.
    assert wall_to_instant(date(2026, 3, 8), time(2, 30), NY) == utc(2026, 3, 8, 7, 30)
    # In the fold: the first 01:30, or the last one with ``latest``.
    assert wall_to_instant(date(2026, 11, 1), time(1, 30), NY) == utc(2026, 11, 1, 5, 30)
    assert wall_to_instant(date(2026, 11, 1), time(1, 30), NY, latest=True) == utc(
        2026, 11, 1, 6, 30
    )
    # An ordinary time does not depend on ``latest``.
    assert wall_to_instant(date(2026, 7, 1), time(9), NY, latest=True) == utc(2026, 7, 1, 13)


@pytest.mark.parametrize(
    ("day", "zone", "hours"),
    [
        (date(2026, 3, 8), NY, 23),
        (date(2026, 11, 1), NY, 25),
        (date(2026, 3, 9), NY, 24),
        (date(2026, 3, 29), BERLIN, 23),
        (date(2026, 10, 25), BERLIN, 25),
        (date(2026, 10, 4), SYDNEY, 23),
        (date(2026, 4, 5), SYDNEY, 25),
    ],
)
def test_a_day_is_the_clinics_calendar_day(day: date, zone: ZoneInfo, hours: int) -> None:
    start, end = day_bounds(day, zone)
    assert end - start == timedelta(hours=hours)
    assert start.astimezone(zone).replace(tzinfo=None) == datetime.combine(day, time(0))
    assert local_date(start, zone) == day
    assert local_date(end - timedelta(minutes=1), zone) == day
    assert local_date(end, zone) == day + timedelta(days=1)


def test_answers_carry_the_clinics_offset() -> None:
    assert to_clinic(utc(2026, 3, 8, 7, 30), NY) == "2026-03-08T03:30:00-04:00"
    assert to_clinic(utc(2026, 3, 8, 5, 30), NY) == "2026-03-08T00:30:00-05:00"
    assert to_clinic(utc(2026, 3, 8, 5, 30), SYDNEY) == "2026-03-08T16:30:00+11:00"
    with pytest.raises(ValueError):
        to_clinic(datetime(2026, 3, 8, 5, 30), NY)


instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))


@given(instants, st.sampled_from(ZONES))
def test_answered_times_parse_back_to_the_same_instant(instant: datetime, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    assert parse_instant(to_clinic(instant, zone), zone) == instant


@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31)),
    st.sampled_from(ZONES),
)
def test_a_wall_time_is_accepted_exactly_when_it_happens_once(
    wall: datetime, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    wall = wall.replace(second=0, microsecond=0)
    first = wall.replace(tzinfo=zone, fold=0)
    last = wall.replace(tzinfo=zone, fold=1)
    round_trips = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall
    unique = first.utcoffset() == last.utcoffset()
    try:
        instant = local_instant(wall, zone)
    except PlannerError as refused:
        expected = "nonexistent_local_time" if not round_trips else "ambiguous_local_time"
        assert refused.code == expected
        assert not (round_trips and unique)
    else:
        assert round_trips and unique
        assert instant.astimezone(zone).replace(tzinfo=None) == wall
