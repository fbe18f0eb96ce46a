"""How refusals read: people, session types and windows by name, times in the clinic's clock.

The API's problem ``detail`` and every page message use these words; the ``code`` and the
ids stay machine-readable beside them. Pure functions over names and instants.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def words(key: str) -> str:
    """``cognitive_training`` as ``cognitive training``."""
    return key.replace("_", " ")


def clock_time(instant: datetime, zone: ZoneInfo) -> str:
    """``13:10`` on the clinic's clock."""
    return instant.astimezone(zone).strftime("%H:%M")


def span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """``13:10–14:10``, or with dates (``Wed 11 Mar 09:40 – Tue 07 Apr 09:40``) across days."""
    first, last = start.astimezone(zone), end.astimezone(zone)
    if first.date() == last.date() or (last - first <= timedelta(hours=24) and last.hour == 0):
        return f"{first:%H:%M}–{last:%H:%M}"
    return f"{first:%a %d %b %H:%M} – {last:%a %d %b %H:%M}"


def span_on_day(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """``Tue 10 Mar 13:10–14:10``: a span with its local day, for messages about a day."""
    return f"{start.astimezone(zone):%a %d %b} {span(start, end, zone)}"


def minutes(amount: timedelta) -> str:
    count = int(amount.total_seconds() // 60)
    return f"{count} minute{'s' if count != 1 else ''}"


def in_sentence(name: str) -> str:
    """A title inside a sentence: ``Cognitive training`` → ``cognitive training``; ``EMDR``
    and other names that start with two capitals stay as they are."""
    if len(name) > 1 and name[0].isupper() and not name[1].isupper():
        return name[0].lower() + name[1:]
    return name


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def listing(items: list[str], limit: int = 4) -> str:
    """``a, b and c`` (at most ``limit`` items, then ``and 3 more``)."""
    shown = items[:limit]
    rest = len(items) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + f" and {shown[-1]}"
