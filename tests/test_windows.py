"""Window arithmetic (docs/rules.md): elapsed offsets after the anchor, across DST nights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.errors import ValidationFailed
from planner.localtime import parse_instant, to_clinic
from planner.protocol import (
    DEFAULT_PROTOCOL,
    DEFAULT_WINDOWS,
    Protocol,
    Window,
    WindowSpec,
    validate_windows,
)

NY = ZoneInfo("America/New_York")
FORTY = timedelta(minutes=40)


def local_windows(
    start: str, zone_name: str, protocol: Protocol = DEFAULT_PROTOCOL, duration: timedelta = FORTY
) -> dict[str, tuple[str, str, str | None]]:
    """``{key: (start, end, target)}`` as the API would answer them, in the zone's offset."""
    zone = ZoneInfo(zone_name)
    windows = protocol.windows_for(parse_instant(start, zone), duration)
    return {
        w.key: (
            to_clinic(w.start, zone),
            to_clinic(w.end, zone),
            None if w.target is None else to_clinic(w.target, zone),
        )
        for w in windows
    }


def test_the_seed_table_on_an_ordinary_day() -> None:
    assert local_windows("2026-06-10T09:00", "America/New_York") == {
        "spinogenesis": ("2026-06-10T11:40:00-04:00", "2026-06-10T13:40:00-04:00", None),
        "peak": (
            "2026-06-10T12:40:00-04:00",
            "2026-06-10T14:40:00-04:00",
            "2026-06-10T13:40:00-04:00",
        ),
        "plasticity": ("2026-06-10T11:40:00-04:00", "2026-06-10T21:40:00-04:00", None),
        "long_term": ("2026-06-11T09:40:00-04:00", "2026-07-08T09:40:00-04:00", None),
    }


def test_the_seed_table_rows() -> None:
    rows = {w.key: (w.start_offset, w.end_offset, w.target_offset) for w in DEFAULT_WINDOWS}
    hours = timedelta(hours=1)
    assert rows == {
        "spinogenesis": (2 * hours, 4 * hours, None),
        "peak": (3 * hours, 5 * hours, 4 * hours),
        "plasticity": (2 * hours, 12 * hours, None),
        "long_term": (timedelta(days=1), timedelta(days=28), None),
    }
    assert DEFAULT_PROTOCOL.anchor == "end"
    assert validate_windows(DEFAULT_WINDOWS) == DEFAULT_WINDOWS


def test_spec_example_spring_forward_new_york() -> None:
    """docs/rules.md#time: 23:50 + 40 min ends 00:30 EST; 2 h later is 03:30 EDT, not 02:30."""
    windows = local_windows("2026-03-07T23:50", "America/New_York")
    assert windows["spinogenesis"] == (
        "2026-03-08T03:30:00-04:00",
        "2026-03-08T05:30:00-04:00",
        None,
    )
    assert windows["peak"][2] == "2026-03-08T05:30:00-04:00"
    assert windows["plasticity"][1] == "2026-03-08T13:30:00-04:00"
    # P1D is 24 elapsed hours: 01:30 on the next wall-clock day, not 00:30.
    assert windows["long_term"][0] == "2026-03-09T01:30:00-04:00"
    anchor = DEFAULT_PROTOCOL.anchor_time(parse_instant("2026-03-07T23:50", NY), FORTY)
    assert to_clinic(anchor, NY) == "2026-03-08T00:30:00-05:00"


@pytest.mark.parametrize(
    ("start", "zone", "spinogenesis_start", "peak_target"),
    [
        # New York, fall back: 2 h after 00:30 EDT is the second 01:30 (EST).
        (
            "2026-10-31T23:50",
            "America/New_York",
            "2026-11-01T01:30:00-05:00",
            "2026-11-01T03:30:00-05:00",
        ),
        # Berlin, spring forward at 02:00 CET: 2 h after 01:00 is 04:00 CEST.
        (
            "2026-03-29T00:20",
            "Europe/Berlin",
            "2026-03-29T04:00:00+02:00",
            "2026-03-29T06:00:00+02:00",
        ),
        # Berlin, fall back at 03:00 CEST: 2 h after 01:00 CEST is the second 02:00 (CET).
        (
            "2026-10-25T00:20",
            "Europe/Berlin",
            "2026-10-25T02:00:00+01:00",
            "2026-10-25T04:00:00+01:00",
        ),
        # Sydney, DST ends at 03:00 AEDT: 2 h after 01:00 AEDT is the second 02:00 (AEST).
        (
            "2026-04-05T00:20",
            "Australia/Sydney",
            "2026-04-05T02:00:00+10:00",
            "2026-04-05T04:00:00+10:00",
        ),
        # Sydney, DST starts at 02:00 AEST: 2 h after 01:00 AEST is 04:00 AEDT.
        (
            "2026-10-04T00:20",
            "Australia/Sydney",
            "2026-10-04T04:00:00+11:00",
            "2026-10-04T06:00:00+11:00",
        ),
    ],
)
def test_offsets_are_elapsed_across_dst_nights(
    start: str, zone: str, spinogenesis_start: str, peak_target: str
) -> None:
    windows = local_windows(start, zone)
    assert windows["spinogenesis"][0] == spinogenesis_start
    assert windows["peak"][2] == peak_target
    for opened, closed, _ in windows.values():
        # Whatever the wall clock did, the windows keep their elapsed lengths.
        assert datetime.fromisoformat(closed) > datetime.fromisoformat(opened)
    spin_open, spin_close, _ = windows["spinogenesis"]
    elapsed = datetime.fromisoformat(spin_close) - datetime.fromisoformat(spin_open)
    assert elapsed == timedelta(hours=2)


def test_an_infusion_that_ends_just_before_midnight() -> None:
    windows = local_windows("2026-06-10T23:19", "America/New_York")
    assert windows["spinogenesis"][0] == "2026-06-11T01:59:00-04:00"
    assert windows["peak"] == (
        "2026-06-11T02:59:00-04:00",
        "2026-06-11T04:59:00-04:00",
        "2026-06-11T03:59:00-04:00",
    )
    assert windows["long_term"][0] == "2026-06-11T23:59:00-04:00"
    anchor = DEFAULT_PROTOCOL.anchor_time(parse_instant("2026-06-10T23:19", NY), FORTY)
    assert to_clinic(anchor, NY) == "2026-06-10T23:59:00-04:00"


def test_anchor_start_versus_end() -> None:
    start = parse_instant("2026-06-10T09:00", NY)
    by_start = Protocol(version=2, anchor="start", windows=DEFAULT_WINDOWS)
    assert by_start.anchor_time(start, FORTY) == start
    assert DEFAULT_PROTOCOL.anchor_time(start, FORTY) == start + FORTY
    from_start = by_start.windows_for(start, FORTY)
    from_end = DEFAULT_PROTOCOL.windows_for(start, FORTY)
    for a, b in zip(from_start, from_end, strict=True):
        assert b.start - a.start == FORTY
        assert b.end - a.end == FORTY
    assert local_windows("2026-06-10T09:00", "America/New_York", by_start)["spinogenesis"] == (
        "2026-06-10T11:00:00-04:00",
        "2026-06-10T13:00:00-04:00",
        None,
    )
    # With anchor "start" the duration does not move the windows.
    assert by_start.windows_for(start, timedelta(hours=3)) == from_start


def test_a_naive_start_is_a_bug() -> None:
    with pytest.raises(ValueError):
        DEFAULT_PROTOCOL.windows_for(datetime(2026, 6, 10, 9), FORTY)


def test_a_session_fits_when_wholly_inside() -> None:
    t0 = datetime(2026, 6, 10, 12, tzinfo=UTC)
    hour = timedelta(hours=1)
    window = Window("peak", "Peak", "", t0, t0 + 2 * hour, t0 + hour)
    assert window.fits(t0, t0 + hour)
    assert window.fits(t0 + hour, t0 + 2 * hour)
    assert window.fits(t0, t0 + 2 * hour)
    assert not window.fits(t0 - timedelta(minutes=1), t0 + hour)
    assert not window.fits(t0 + hour, t0 + 2 * hour + timedelta(minutes=1))
    # Midpoint on the target scores 0; otherwise the distance in minutes.
    assert window.score_minutes(t0 + hour / 2, t0 + 3 * hour / 2) == 0
    assert window.score_minutes(t0, t0 + hour) == 30
    untargeted = Window("spin", "Spin", "", t0, t0 + 2 * hour, None)
    assert untargeted.score_minutes(t0 + timedelta(minutes=25), t0 + 2 * hour) == 25


def spec(key: str = "w", start: int = 2, end: int = 4, target: int | None = None) -> WindowSpec:
    hour = timedelta(hours=1)
    return WindowSpec(
        key, "Label", "", start * hour, end * hour, None if target is None else target * hour
    )


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        ([], "at least one window"),
        ([spec("a"), spec("a")], "appears twice"),
        ([spec("Bad-Key")], "lower-case"),
        ([WindowSpec("a", "  ", "", timedelta(0), timedelta(hours=1))], "label"),
        ([spec(start=-1)], "negative"),
        ([spec(start=4, end=2)], "after start_offset"),
        ([spec(start=3, end=3)], "after start_offset"),
        ([spec(start=2, end=4, target=5)], "target_offset must lie inside"),
        ([spec(start=2, end=4, target=1)], "target_offset must lie inside"),
        ([spec(start=0, end=367 * 24)], "at most"),
    ],
)
def test_validate_windows_refuses(windows: list[WindowSpec], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        validate_windows(windows)


def test_a_target_may_sit_on_either_edge() -> None:
    windows = [spec("a", 2, 4, 2), spec("b", 2, 4, 4), spec("c", 0, 1)]
    assert validate_windows(windows) == tuple(windows)


# --- properties -------------------------------------------------------------------------

ZONE_NAMES = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Chatham",
    "UTC",
]

offsets = st.integers(min_value=0, max_value=28 * 24 * 60).map(lambda m: timedelta(minutes=m))


@st.composite
def window_specs(draw: st.DrawFn) -> tuple[WindowSpec, ...]:
    count = draw(st.integers(min_value=1, max_value=5))
    specs = []
    for index in range(count):
        start, end = sorted(draw(st.lists(offsets, min_size=2, max_size=2, unique=True)))
        percent = draw(st.none() | st.integers(0, 100))
        target = None if percent is None else start + (end - start) * percent / 100
        specs.append(WindowSpec(f"w{index}", f"Window {index}", "", start, end, target))
    return validate_windows(specs)


@given(
    zone_name=st.sampled_from(ZONE_NAMES),
    wall=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31)),
    fold=st.sampled_from([0, 1]),
    minutes=st.integers(min_value=1, max_value=24 * 60),
    anchor=st.sampled_from(["end", "start"]),
    specs=st.one_of(st.just(DEFAULT_WINDOWS), window_specs()),
)
def test_windows_have_their_elapsed_lengths_and_are_ordered(
    zone_name: str,
    wall: datetime,
    fold: int,
    minutes: int,
    anchor: str,
    specs: tuple[WindowSpec, ...],
) -> None:
    # Any instant of that zone (in a gap or a fold too), expressed in local time.
    start = wall.replace(second=0, microsecond=0, tzinfo=ZoneInfo(zone_name), fold=fold)
    duration = timedelta(minutes=minutes)
    protocol = Protocol(version=1, anchor="end" if anchor == "end" else "start", windows=specs)
    anchor_time = protocol.anchor_time(start, duration)
    start_utc = start.astimezone(UTC)
    assert anchor_time.astimezone(UTC) - start_utc == (duration if anchor == "end" else timedelta())
    windows = protocol.windows_for(start, duration)
    assert [w.key for w in windows] == [s.key for s in specs]
    for window, row in zip(windows, specs, strict=True):
        opened, closed = window.start.astimezone(UTC), window.end.astimezone(UTC)
        assert opened - anchor_time.astimezone(UTC) == row.start_offset
        assert closed - opened == row.end_offset - row.start_offset
        assert opened < closed
        if row.target_offset is None:
            assert window.target is None
        else:
            assert window.target is not None
            target = window.target.astimezone(UTC)
            assert opened <= target <= closed
            assert target - anchor_time.astimezone(UTC) == row.target_offset
        # What the API answers parses back to the same instants.
        zone = ZoneInfo(zone_name)
        assert datetime.fromisoformat(to_clinic(window.start, zone)) == opened
        assert datetime.fromisoformat(to_clinic(window.end, zone)) == closed
