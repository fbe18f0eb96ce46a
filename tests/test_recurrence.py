"""Recurrence rules: one whitelist, a date within a year, bounded expansion (planner.recurrence)."""

from __future__ import annotations

import re
import time as timer
from datetime import date, datetime, time, timedelta

import pytest
from dateutil import rrule
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import recurrence
from planner.errors import ValidationFailed
from planner.recurrence import MAX_COUNT, MAX_INTERVAL, checked_rule, occurrences, series
from planner.recurrence_rule import FREQS
from planner.working_hours import RULE_EPOCH, WorkingHours

START = datetime(2026, 3, 4, 10, 30)  # a Wednesday
WINDOW_END = datetime(2026, 3, 31, 23, 59)
REPORTED = [
    # (the filed issue's rules, what the refusal names)
    ("FREQ=YEARLY;BYEASTER=-100000", "BYEASTER is not allowed"),
    ("FREQ=DAILY;BYSETPOS=1;BYMONTH=2;BYMONTHDAY=31", "BYSETPOS is not allowed"),
    ("FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30;BYHOUR=1;COUNT=1", "BYHOUR is not allowed"),
    ("FREQ=DAILY;INTERVAL=-1;COUNT=3", "INTERVAL must be a whole number from 1 to 366"),
    ("FREQ=DAILY;INTERVAL=-5", "INTERVAL must be a whole number from 1 to 366"),
    ("FREQ=YEARLY;BYEASTER=-100000;COUNT=1", "BYEASTER is not allowed"),
    ("FREQ=SECONDLY;INTERVAL=7;COUNT=4", "FREQ must be DAILY, WEEKLY or MONTHLY"),
]


@pytest.mark.parametrize(("rule", "words"), REPORTED)
def test_reported_rules_are_refused_for_working_hours(rule: str, words: str) -> None:
    began = timer.perf_counter()
    with pytest.raises(ValidationFailed, match=words) as caught:
        WorkingHours(rule, time(8), time(17))
    assert timer.perf_counter() - began < 0.1
    assert caught.value.code == "validation_error"
    assert caught.value.detail.startswith(f"rrule {rule!r}")


@pytest.mark.parametrize(("rule", "words"), REPORTED)
def test_reported_rules_are_refused_for_follow_ups(rule: str, words: str) -> None:
    began = timer.perf_counter()
    with pytest.raises(ValidationFailed, match=words):
        series(rule, START, WINDOW_END, limit=MAX_COUNT)
    assert timer.perf_counter() - began < 0.1


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=YEARLY", "FREQ must be DAILY, WEEKLY or MONTHLY"),
        ("FREQ=HOURLY;INTERVAL=1", "FREQ must be DAILY, WEEKLY or MONTHLY"),
        ("FREQ=WEEKLY;BYMONTH=3", "BYMONTH is not allowed; a rule may use FREQ, INTERVAL"),
        ("FREQ=MONTHLY;BYYEARDAY=100", "BYYEARDAY is not allowed"),
        ("FREQ=WEEKLY;BYWEEKNO=20", "BYWEEKNO is not allowed"),
        ("FREQ=DAILY;X-COLOUR=RED", "X-COLOUR is not allowed"),
        ("FREQ=DAILY;BYMINUTE=5", "BYMINUTE is not allowed"),
        ("FREQ=DAILY;BYSECOND=7", "BYSECOND is not allowed"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ is given twice"),
        ("FREQ=DAILY;INTERVAL=2;INTERVAL=2", "INTERVAL is given twice"),
        ("FREQ=DAILY;", "empty part"),
        ("FREQ=DAILY;;BYDAY=MO", "empty part"),
        ("FREQ=DAILY; BYDAY=MO", "spaces"),
        ("FREQ", "'FREQ' is not a NAME=VALUE part"),
        ("FREQ=", "'FREQ=' is not a NAME=VALUE part"),
        ("RRULE:", "give one RRULE"),
        ("FREQ=DAILY\nFREQ=WEEKLY", "a second line is not allowed"),
        ("FREQ=WEEKLY;INTERVAL=53", "from 1 to 52 for FREQ=WEEKLY"),
        ("FREQ=MONTHLY;INTERVAL=13", "from 1 to 12 for FREQ=MONTHLY"),
        ("FREQ=DAILY;INTERVAL=367", "from 1 to 366 for FREQ=DAILY"),
        ("FREQ=DAILY;INTERVAL=1" + "0" * 5000, "INTERVAL must be a whole number"),
        ("FREQ=DAILY;INTERVAL=+2", "INTERVAL must be a whole number"),
        ("FREQ=DAILY;COUNT=0", "COUNT must be a whole number from 1 to 200"),
        ("FREQ=DAILY;COUNT=201", "COUNT must be a whole number from 1 to 200"),
        ("FREQ=DAILY;COUNT=-3", "not a valid RFC 5545 RRULE: COUNT"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20270101", "give COUNT or UNTIL, not both"),
        ("FREQ=DAILY;UNTIL=20270101T000000Z", "without Z"),
        ("FREQ=DAILY;UNTIL=20270230", "no such date"),
        ("FREQ=DAILY;UNTIL=2027-01-01", "UNTIL must be a date YYYYMMDD"),
        ("FREQ=DAILY;UNTIL=30270101", "UNTIL must fall in the years 1900 to 2999"),
        ("FREQ=WEEKLY;BYDAY=1MO", "an ordinal (1MO, -1FR) needs FREQ=MONTHLY"),
        ("FREQ=DAILY;BYDAY=-1FR", "an ordinal (1MO, -1FR) needs FREQ=MONTHLY"),
        ("FREQ=MONTHLY;BYDAY=6MO", "the ordinal must be 1 to 5 or -5 to -1"),
        ("FREQ=MONTHLY;BYDAY=0MO", "the ordinal must be 1 to 5 or -5 to -1"),
        ("FREQ=MONTHLY;BYDAY=100000MO", "the ordinal must be 1 to 5 or -5 to -1"),
        ("FREQ=MONTHLY;BYDAY=MO,1FR", "mixes plain weekdays and ordinals"),
        ("FREQ=WEEKLY;BYDAY=MO,XX", "BYDAY 'XX' is not a weekday"),
        ("FREQ=WEEKLY;BYDAY=", "is not a NAME=VALUE part"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY needs FREQ=DAILY or MONTHLY"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY values must be 1 to 31 or -31 to -1"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY values must be 1 to 31 or -31 to -1"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,x", "BYMONTHDAY values must be 1 to 31 or -31 to -1"),
        ("FREQ=WEEKLY;WKST=XX", "WKST must be one of MO"),
        ("EXRULE:FREQ=DAILY", "EXRULE:FREQ is not allowed"),
    ],
)
def test_everything_outside_the_whitelist_is_refused_in_plain_words(rule: str, words: str) -> None:
    with pytest.raises(ValidationFailed, match=re.escape(words)):
        recurrence.parse_rule(rule)


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY",
        "rrule:freq=weekly;byday=mo,we;wkst=su",
        "FREQ=WEEKLY;INTERVAL=52;BYDAY=MO,MO",
        "FREQ=MONTHLY;INTERVAL=12;BYDAY=-1FR,1MO",
        "FREQ=MONTHLY;BYMONTHDAY=1,15,-1",
        "FREQ=DAILY;BYDAY=MO;BYMONTHDAY=13;COUNT=200",
        "FREQ=DAILY;INTERVAL=366",
        "FREQ=WEEKLY;UNTIL=20270101T120000",
    ],
)
def test_the_parts_a_clinic_needs_are_accepted(rule: str) -> None:
    assert checked_rule(rule, datetime(2026, 1, 1)).freq in FREQS


def test_monthly_ordinals_and_days_from_the_month_end() -> None:
    last_friday = checked_rule("FREQ=MONTHLY;BYDAY=-1FR", START)
    found = occurrences(last_friday, START, START, datetime(2026, 6, 30), limit=10)
    assert [d.date() for d in found] == [
        date(2026, 3, 27),
        date(2026, 4, 24),
        date(2026, 5, 29),
        date(2026, 6, 26),
    ]
    assert {d.time() for d in found} == {time(10, 30)}
    month_ends = checked_rule("FREQ=MONTHLY;BYMONTHDAY=-1", START)
    found = occurrences(month_ends, START, START, datetime(2026, 6, 30, 23), limit=10)
    assert [d.day for d in found] == [31, 30, 31, 30]
    second_tuesday_the_10th = checked_rule("FREQ=MONTHLY;BYDAY=2TU;BYMONTHDAY=8,9,10", START)
    found = occurrences(second_tuesday_the_10th, START, START, datetime(2026, 12, 31), limit=10)
    assert [d.date() for d in found] == [
        date(2026, 3, 10),
        date(2026, 6, 9),
        date(2026, 9, 8),
        date(2026, 11, 10),
        date(2026, 12, 8),
    ]


def test_a_rule_without_a_date_in_its_first_year_is_refused_quickly() -> None:
    never = [
        "FREQ=DAILY;INTERVAL=7;BYDAY=TU",  # from a Monday: always a Monday
        "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30",  # from 1 February: Februaries only
        "FREQ=DAILY;UNTIL=20251231",  # ends before it starts
    ]
    for rule in never:
        began = timer.perf_counter()
        with pytest.raises(ValidationFailed, match="no date matches it in the year from"):
            WorkingHours(rule, time(8), time(17), valid_from=date(2026, 2, 2))
        assert timer.perf_counter() - began < 0.1, rule
    # Later in the year is fine: a March the 30th exists.
    WorkingHours("FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30", time(8), time(17), date(2026, 3, 2))


def test_working_hours_count_from_the_epoch_are_counted_without_replaying_decades() -> None:
    hours = WorkingHours("FREQ=DAILY;BYMONTHDAY=13;BYDAY=FR;COUNT=200", time(8), time(17))
    began = timer.perf_counter()
    found = hours.dates_between(date(2038, 1, 1), date(2039, 2, 1))
    assert timer.perf_counter() - began < 0.2
    assert found == [date(2038, 8, 13)]
    assert all(d.weekday() == 4 and d.day == 13 for d in found)
    assert hours.dates_between(RULE_EPOCH, date(2000, 12, 31)) == [date(2000, 10, 13)]


def test_series_without_count_stops_at_the_window_end_and_at_the_limit() -> None:
    weekly = series("FREQ=WEEKLY", START, WINDOW_END, limit=MAX_COUNT)
    assert weekly == [START + timedelta(weeks=n) for n in range(4)]
    daily = series("FREQ=DAILY", START, START + timedelta(days=300), limit=MAX_COUNT)
    assert len(daily) == MAX_COUNT
    assert daily[-1] == START + timedelta(days=MAX_COUNT - 1)
    assert series("FREQ=DAILY", START, START - timedelta(days=1), limit=MAX_COUNT) == []


def test_series_with_count_or_until_runs_past_the_window() -> None:
    counted = series("FREQ=WEEKLY;COUNT=5", START, WINDOW_END, limit=MAX_COUNT)
    assert counted[-1] == datetime(2026, 4, 1, 10, 30)
    # A date-only UNTIL includes its own day, whatever the series' time of day.
    until = series("FREQ=WEEKLY;UNTIL=20260401", START, WINDOW_END, limit=MAX_COUNT)
    assert until == counted
    assert series("FREQ=WEEKLY;UNTIL=20260401T103000", START, WINDOW_END, limit=3) == counted[:3]
    assert series("FREQ=WEEKLY;UNTIL=20260401T102959", START, WINDOW_END, limit=9) == counted[:4]


def test_series_stays_within_its_horizon() -> None:
    with pytest.raises(ValidationFailed, match="UNTIL is too late: a series ends within 2 years"):
        series("FREQ=MONTHLY;UNTIL=20280305", START, WINDOW_END, limit=MAX_COUNT)
    assert len(series("FREQ=MONTHLY;UNTIL=20280304", START, WINDOW_END, limit=MAX_COUNT)) == 25
    with pytest.raises(ValidationFailed, match=r"COUNT=26 dates .* within 2 years of its start"):
        series("FREQ=MONTHLY;COUNT=26", START, WINDOW_END, limit=MAX_COUNT)
    assert len(series("FREQ=MONTHLY;COUNT=25", START, WINDOW_END, limit=MAX_COUNT)) == 25


# --- properties -----------------------------------------------------------------------

WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def clinic_rules(draw: st.DrawFn) -> tuple[str, str]:
    """A rule inside the whitelist, and the same rule as dateutil should read it."""
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}"]
    interval = draw(st.one_of(st.none(), st.integers(1, 4), st.integers(1, MAX_INTERVAL[freq])))
    if interval is not None:
        parts.append(f"INTERVAL={interval}")
    days = draw(st.lists(st.sampled_from(WEEKDAY_CODES), max_size=3, unique=True))
    if freq == "MONTHLY" and days and draw(st.booleans()):
        ordinals = st.integers(-5, 5).filter(bool)
        days = [f"{draw(ordinals)}{day}" for day in days]
    if days:
        parts.append("BYDAY=" + ",".join(days))
    if freq != "WEEKLY" and draw(st.booleans()):
        monthdays = st.integers(-31, 31).filter(bool)
        parts.append(
            "BYMONTHDAY=" + ",".join(map(str, draw(st.lists(monthdays, min_size=1, max_size=3))))
        )
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(WEEKDAY_CODES))}")
    reference = list(parts)
    end = draw(st.sampled_from(["none", "count", "until"]))
    if end == "count":
        parts.append(f"COUNT={draw(st.integers(1, MAX_COUNT))}")
        reference.append(parts[-1])
    elif end == "until":
        until = draw(st.dates(date(2019, 1, 1), date(2029, 12, 31)))
        parts.append(f"UNTIL={until:%Y%m%d}")
        reference.append(f"UNTIL={until:%Y%m%d}T235959")  # a date-only UNTIL is inclusive
    return ";".join(parts), ";".join(reference)


@settings(max_examples=300, deadline=None)
@given(
    rules=clinic_rules(),
    origin=st.datetimes(datetime(2020, 1, 1), datetime(2027, 12, 31)).map(
        lambda moment: moment.replace(second=0, microsecond=0)
    ),
    offset=st.integers(-30, 3000),
    span=st.integers(0, 400),
)
def test_expansion_matches_dateutil_on_the_rules_it_accepts(
    rules: tuple[str, str], origin: datetime, offset: int, span: int
) -> None:
    """The plain loops give exactly dateutil's dates, also far from the rule's start."""
    text, reference_text = rules
    reference = rrule.rrulestr(reference_text, dtstart=origin)
    try:
        rule = checked_rule(text, origin)
    except ValidationFailed as refusal:
        assert "no date matches it in the year" in refusal.detail
        assert not reference.between(origin, origin + timedelta(days=365), inc=True)
        return
    first = origin + timedelta(days=offset, minutes=-17)
    last = first + timedelta(days=span)
    expected = reference.between(first, last, inc=True)
    assert occurrences(rule, origin, first, last, limit=10_000) == expected
    assert occurrences(rule, origin, first, last, limit=3) == expected[:3]


def _either(
    usual: st.SearchStrategy[str], hostile: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """Usual values three times as often as hostile ones."""
    return st.one_of(usual, usual, usual, hostile)


_BYDAY_ITEM = st.tuples(
    st.sampled_from(["", "", "", "1", "-1", "2", "5", "-5", "6", "0", "+2", "99999", "-100000"]),
    st.sampled_from([*WEEKDAY_CODES, "XX", "mo"]),
).map("".join)
ALLOWED_VALUES = {
    "FREQ": _either(
        st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]),
        st.sampled_from(["YEARLY", "HOURLY", "MINUTELY", "SECONDLY", "SOMETIMES", ""]),
    ),
    "INTERVAL": _either(
        st.integers(1, 12).map(str),
        st.one_of(
            st.integers(-(10**9), 10**9).map(str), st.sampled_from(["0", "52", "366", "x", "+1"])
        ),
    ),
    "COUNT": _either(
        st.integers(1, 200).map(str),
        st.one_of(st.integers(-10, 10**7).map(str), st.sampled_from(["0", "201", "abc"])),
    ),
    "UNTIL": _either(
        st.dates(date(1999, 1, 1), date(2042, 12, 31)).map(lambda d: f"{d:%Y%m%d}"),
        st.sampled_from(
            ["20270101T000000", "20260101T000000Z", "99991231", "00010101", "2026", "20260230"]
        ),
    ),
    "BYDAY": st.lists(_BYDAY_ITEM, min_size=1, max_size=4).map(",".join),
    "BYMONTHDAY": st.lists(st.integers(-40, 40).map(str), min_size=1, max_size=3).map(",".join),
    "WKST": st.sampled_from([*WEEKDAY_CODES, "XX"]),
}
FORBIDDEN_VALUES = {
    "BYMONTH": st.lists(st.integers(0, 13).map(str), min_size=1, max_size=2).map(",".join),
    "BYSETPOS": st.integers(-400, 400).map(str),
    "BYEASTER": st.integers(-(10**6), 10**6).map(str),
    "BYYEARDAY": st.integers(-400, 400).map(str),
    "BYWEEKNO": st.integers(-60, 60).map(str),
    "BYHOUR": st.integers(0, 30).map(str),
    "BYMINUTE": st.integers(0, 70).map(str),
    "BYSECOND": st.integers(0, 70).map(str),
    "TZID": st.just("Europe/Berlin"),
    "DTSTART": st.just("20260101T000000"),
    "X-JUNK": st.just("1"),
}


@st.composite
def hostile_rules(draw: st.DrawFn) -> str:
    """Mostly the allowed parts with good or hostile values; now and then a forbidden part,
    a repeated part, a missing FREQ, a prefix or lower case."""
    names = draw(st.lists(st.sampled_from(sorted(ALLOWED_VALUES)), max_size=5, unique=True))
    if "FREQ" not in names and draw(st.integers(0, 9)):
        names.insert(0, "FREQ")
    if not draw(st.integers(0, 3)):
        names.append(draw(st.sampled_from(sorted(FORBIDDEN_VALUES))))
    if names and not draw(st.integers(0, 9)):
        names.append(draw(st.sampled_from(names)))
    values = {**ALLOWED_VALUES, **FORBIDDEN_VALUES}
    text = ";".join(f"{name}={draw(values[name])}" for name in names)
    if draw(st.booleans()):
        text = "RRULE:" + text
    return text.lower() if not draw(st.integers(0, 4)) else text


@settings(max_examples=500, deadline=None)
@given(
    text=hostile_rules(),
    valid_from=st.none() | st.dates(date(2020, 1, 1), date(2027, 12, 31)),
    first=st.dates(date(2000, 1, 1), date(2040, 12, 31)),
)
def test_any_rule_is_refused_or_expands_within_bounds(
    text: str, valid_from: date | None, first: date
) -> None:
    """Either a ValidationFailed or a bounded expansion; no other error, no long search."""
    last = first + timedelta(days=400)
    began = timer.perf_counter()
    try:
        hours = WorkingHours(text, time(8), time(17), valid_from=valid_from)
        worked = hours.dates_between(first, last)
    except ValidationFailed:
        worked = None
    assert timer.perf_counter() - began < 0.2, text
    if worked is not None:
        assert worked == sorted(set(worked))
        assert all(first <= day <= last for day in worked)

    start = datetime.combine(first, time(10, 30))
    began = timer.perf_counter()
    try:
        found = series(text, start, start + timedelta(days=400), limit=MAX_COUNT)
    except ValidationFailed:
        found = []
    assert timer.perf_counter() - began < 0.2, text
    assert len(found) <= MAX_COUNT
    assert found == sorted(set(found))
    assert all(moment.time() == time(10, 30) and moment >= start for moment in found)
