"""Working hours: RRULE dates, wall-clock shifts on DST days, inclusive validity (docs/rules.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import ValidationFailed
from planner.intervals import Interval
from planner.working_hours import RULE_EPOCH, WorkingHours, shifts_between

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")
WEEKDAYS = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_weekdays() -> None:
    hours = WorkingHours(WEEKDAYS, time(8), time(17))
    found = hours.dates_between(date(2026, 3, 1), date(2026, 3, 14))  # Sun 1st .. Sat 14th
    assert found == [d for d in days(date(2026, 3, 2), date(2026, 3, 13)) if d.weekday() < 5]


def test_an_rrule_prefix_and_lower_case_are_accepted() -> None:
    hours = WorkingHours("RRULE:freq=weekly;byday=mo", time(8), time(12))
    assert hours.dates_between(date(2026, 3, 1), date(2026, 3, 8)) == [date(2026, 3, 2)]


def test_a_shift_keeps_its_wall_clock_times_on_dst_days() -> None:
    hours = WorkingHours("FREQ=DAILY", time(8), time(17))
    shifts = hours.shifts_between(date(2026, 3, 7), date(2026, 3, 8), NY)
    assert shifts == [
        Interval(utc(2026, 3, 7, 13), utc(2026, 3, 7, 22)),  # EST
        Interval(utc(2026, 3, 8, 12), utc(2026, 3, 8, 21)),  # EDT: same wall times
    ]
    for shift in shifts:
        assert shift.start.astimezone(NY).time() == time(8)
        assert shift.end.astimezone(NY).time() == time(17)
    autumn = hours.shifts_between(date(2026, 11, 1), date(2026, 11, 1), NY)
    assert autumn == [Interval(utc(2026, 11, 1, 13), utc(2026, 11, 1, 22))]
    berlin = hours.shifts_between(date(2026, 3, 29), date(2026, 3, 29), BERLIN)
    assert berlin == [Interval(utc(2026, 3, 29, 6), utc(2026, 3, 29, 15))]
    sydney = hours.shifts_between(date(2026, 10, 4), date(2026, 10, 4), SYDNEY)
    assert sydney == [Interval(utc(2026, 10, 3, 21), utc(2026, 10, 4, 6))]


@pytest.mark.parametrize(
    ("day", "elapsed"),
    [(date(2026, 3, 7), 6), (date(2026, 3, 8), 5), (date(2026, 11, 1), 7)],
)
def test_a_night_shift_across_the_change_has_its_wall_clock_span(day: date, elapsed: int) -> None:
    hours = WorkingHours("FREQ=DAILY", time(0), time(6))
    [shift] = hours.shifts_between(day, day, NY)
    assert shift.length == timedelta(hours=elapsed)
    assert shift.start.astimezone(NY).replace(tzinfo=None) == datetime.combine(day, time(0))
    assert shift.end.astimezone(NY).replace(tzinfo=None) == datetime.combine(day, time(6))


def test_shift_edges_inside_the_gap_and_the_fold() -> None:
    # 02:30 does not exist on 2026-03-08 in New York: the shift starts at 03:30 EDT.
    [spring] = WorkingHours("FREQ=DAILY", time(2, 30), time(6)).shifts_between(
        date(2026, 3, 8), date(2026, 3, 8), NY
    )
    assert spring == Interval(utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 10))
    # 01:00–01:45 on the fall-back day: from the first 01:00 to the last 01:45.
    [autumn] = WorkingHours("FREQ=DAILY", time(1), time(1, 45)).shifts_between(
        date(2026, 11, 1), date(2026, 11, 1), NY
    )
    assert autumn == Interval(utc(2026, 11, 1, 5), utc(2026, 11, 1, 6, 45))


def test_valid_from_and_valid_until_are_inclusive() -> None:
    hours = WorkingHours(
        "FREQ=DAILY", time(8), time(17), valid_from=date(2026, 3, 2), valid_until=date(2026, 3, 6)
    )
    assert hours.dates_between(date(2026, 2, 20), date(2026, 3, 20)) == days(
        date(2026, 3, 2), date(2026, 3, 6)
    )
    assert hours.dates_between(date(2026, 3, 6), date(2026, 3, 6)) == [date(2026, 3, 6)]
    assert hours.dates_between(date(2026, 3, 7), date(2026, 3, 9)) == []
    assert hours.dates_between(date(2026, 3, 1), date(2026, 3, 1)) == []
    one_day = WorkingHours(
        "FREQ=DAILY", time(8), time(9), valid_from=date(2026, 3, 2), valid_until=date(2026, 3, 2)
    )
    assert one_day.dates_between(date(2026, 1, 1), date(2026, 12, 31)) == [date(2026, 3, 2)]


def test_a_rule_without_valid_from_holds_in_the_past_and_the_future() -> None:
    hours = WorkingHours("FREQ=WEEKLY;BYDAY=WE", time(8), time(17))
    assert hours.dates_between(date(2001, 5, 1), date(2001, 5, 7)) == [date(2001, 5, 2)]
    assert hours.dates_between(date(2038, 3, 1), date(2038, 3, 7)) == [date(2038, 3, 3)]


def test_count_is_counted_from_the_fixed_epoch_never_from_now() -> None:
    hours = WorkingHours("FREQ=DAILY;COUNT=3", time(8), time(17))
    assert hours.dates_between(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert hours.dates_between(RULE_EPOCH, RULE_EPOCH + timedelta(days=10)) == days(
        RULE_EPOCH, RULE_EPOCH + timedelta(days=2)
    )


def test_interval_two_keeps_its_phase_whatever_the_range_asked() -> None:
    hours = WorkingHours("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", time(8), time(17))
    mondays = [d for d in days(date(2026, 3, 1), date(2026, 4, 30)) if d.weekday() == 0]
    expected = [d for d in mondays if (d - RULE_EPOCH).days // 7 % 2 == 0]
    assert hours.dates_between(date(2026, 3, 1), date(2026, 4, 30)) == expected
    assert len(expected) == 4
    for first in days(date(2026, 3, 1), date(2026, 3, 20)):
        asked = hours.dates_between(first, date(2026, 4, 30))
        assert asked == [d for d in expected if d >= first]


def test_interval_two_counts_from_valid_from() -> None:
    # Valid from a Wednesday: its week (Monday 2 March) has no Monday on or after the origin,
    # so the fortnightly Mondays are 16 and 30 March.
    hours = WorkingHours(
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", time(8), time(17), valid_from=date(2026, 3, 4)
    )
    assert hours.dates_between(date(2026, 3, 1), date(2026, 4, 5)) == [
        date(2026, 3, 16),
        date(2026, 3, 30),
    ]
    assert hours.dates_between(date(2026, 3, 20), date(2026, 4, 5)) == [date(2026, 3, 30)]


def test_shifts_of_several_entries_are_sorted() -> None:
    entries = [
        WorkingHours("FREQ=DAILY", time(13), time(17)),
        WorkingHours("FREQ=DAILY", time(8), time(12)),
    ]
    shifts = shifts_between(entries, date(2026, 7, 1), date(2026, 7, 2), NY)
    assert [s.start.astimezone(NY).strftime("%d %H") for s in shifts] == [
        "01 08",
        "01 13",
        "02 08",
        "02 13",
    ]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("NOTARULE", "not a valid RFC 5545 RRULE"),
        ("FREQ=WEEKLY;BYDAY=XX", "not a valid RFC 5545 RRULE"),
        ("FREQ=WEEKLY;COUNT=abc", "not a valid RFC 5545 RRULE"),
        ("FREQ=HOURLY", "FREQ must be DAILY, WEEKLY or MONTHLY"),
        ("FREQ=MINUTELY;INTERVAL=30", "FREQ must be"),
        ("BYDAY=MO", "not a valid RFC 5545 RRULE"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL"),
        ("FREQ=DAILY;INTERVAL=-1", "INTERVAL"),
        ("FREQ=DAILY;BYHOUR=8", "no DTSTART, TZID or BYHOUR"),
        ("DTSTART:20260101T000000\nRRULE:FREQ=DAILY", "no DTSTART"),
        ("FREQ=DAILY;TZID=Europe/Berlin", "no DTSTART"),
        ("", "give one RRULE"),
    ],
)
def test_malformed_rules_are_refused_clearly(rule: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message) as caught:
        WorkingHours(rule, time(8), time(17))
    assert caught.value.code == "validation_error"


@pytest.mark.parametrize(("start", "end"), [(time(17), time(8)), (time(8), time(8))])
def test_a_shift_ends_after_it_starts(start: time, end: time) -> None:
    with pytest.raises(ValidationFailed, match="must be after they start"):
        WorkingHours("FREQ=DAILY", start, end)


def test_valid_until_before_valid_from_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="valid_until"):
        WorkingHours(
            "FREQ=DAILY",
            time(8),
            time(17),
            valid_from=date(2026, 3, 2),
            valid_until=date(2026, 3, 1),
        )


RULES = [
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
    "FREQ=WEEKLY;INTERVAL=3",
    WEEKDAYS,
    "FREQ=MONTHLY;BYMONTHDAY=1,15",
    "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270101",
]


@settings(max_examples=60, deadline=None)
@given(
    rule=st.sampled_from(RULES),
    valid_from=st.none() | st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31)),
    first=st.dates(min_value=date(2019, 1, 1), max_value=date(2027, 12, 31)),
    span=st.integers(min_value=0, max_value=60),
)
def test_dates_match_a_plain_expansion_from_the_origin(
    rule: str, valid_from: date | None, first: date, span: int
) -> None:
    """The shortcut that skips decades of occurrences never changes which dates are worked."""
    last = first + timedelta(days=span)
    origin = datetime.combine(valid_from or RULE_EPOCH, time(0))
    reference = rrule.rrulestr(rule, dtstart=origin)
    try:
        hours = WorkingHours(rule, time(8), time(17), valid_from=valid_from)
    except ValidationFailed:
        # Refused only when no date is worked in the year from valid_from (e.g. a rule whose
        # UNTIL falls before its first Tuesday).
        assert not reference.between(origin, origin + timedelta(days=365), inc=True)
        return
    lo = max(first, valid_from) if valid_from else first
    expected = [
        moment.date()
        for moment in reference.between(
            datetime.combine(lo, time(0)), datetime.combine(last, time(0)), inc=True
        )
    ]
    assert hours.dates_between(first, last) == expected
