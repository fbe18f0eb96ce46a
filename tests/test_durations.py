"""ISO 8601 durations as exact elapsed time (docs/rules.md#time)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.durations import format_duration, parse_duration
from planner.errors import ValidationFailed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT2H", timedelta(hours=2)),
        ("PT90M", timedelta(minutes=90)),
        ("PT45S", timedelta(seconds=45)),
        ("P1D", timedelta(days=1)),
        ("P28D", timedelta(days=28)),
        ("P2W", timedelta(days=14)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("PT0S", timedelta(0)),
        ("pt4h", timedelta(hours=4)),
    ],
)
def test_parses_fixed_length_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P",
        "PT",
        "P1DT",
        "2H",
        "P2H",  # hours need the T
        "PT1.5H",
        "-PT2H",
        "P1Y",  # years and months have no fixed length
        "P1M",
        "PT2H4H",
        "two hours",
        "P9999999999D",  # larger than any timedelta
    ],
)
def test_refuses_malformed_or_unfixed_durations(text: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_duration(text)
    assert caught.value.code == "validation_error"
    assert "duration" in caught.value.detail


def test_refuses_a_non_string() -> None:
    with pytest.raises(ValidationFailed):
        parse_duration(7200)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(hours=4), "PT4H"),
        (timedelta(minutes=90), "PT1H30M"),
        (timedelta(days=1, hours=2), "P1DT2H"),
        (timedelta(days=28), "P28D"),
        (timedelta(0), "PT0S"),
        (timedelta(seconds=61), "PT1M1S"),
    ],
)
def test_formats_the_shortest_form(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


def test_negative_durations_are_never_formatted() -> None:
    with pytest.raises(ValueError):
        format_duration(timedelta(minutes=-1))


@given(st.integers(min_value=0, max_value=400 * 86_400))
def test_format_then_parse_is_the_identity(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    assert parse_duration(format_duration(value)) == value
