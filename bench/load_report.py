"""The goals and the Markdown of bench/load.py: a table per configuration, then each goal's
ratio and whether it is met, all measured in the same run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from load_wrk import Measured

LABELS = {
    "ceiling": "wrk ceiling (a fixed answer from asyncio)",
    "bare": "bare FastAPI `GET /`",
    "health": "`GET /api/health`",
    "day": "day view (a therapist's day)",
    "slots": "slot search",
    "storm_day": "booking storm `POST /api/sessions` (beside day views)",
    "day_in_storm": "day view during the storm",
    "storm_slots": "booking storm `POST /api/sessions` (beside slot searches)",
    "slots_in_storm": "slot search during the storm",
}


@dataclass
class Outcome:
    """One configuration's run: its operations, the seeded day and the SQL check."""

    name: str
    database: str
    workers: int
    day: str = ""
    seeded_sessions: int = 0
    active_after: int = 0
    operations: dict[str, Measured] = field(default_factory=dict)
    overlaps: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def title(self) -> str:
        return f"{self.database}, {self.workers} worker{'s' if self.workers > 1 else ''}"

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "database": self.database,
            "workers": self.workers,
            "day": self.day,
            "seeded_sessions": self.seeded_sessions,
            "active_sessions_after": self.active_after,
            "overlapping_pairs": self.overlaps,
            "error": self.error,
            "operations": {key: m.as_json() for key, m in self.operations.items()},
        }


@dataclass(frozen=True)
class Goal:
    configuration: str
    text: str
    value: str
    met: bool
    hard: bool = False  # a broken hard goal (5xx, overlaps, errors) fails the run

    def line(self) -> str:
        verdict = "goal met" if self.met else "goal missed"
        return f"- {self.text}: {self.value} — **{verdict}**"


def ratio_goal(config: str, text: str, top: float, bottom: float, least: float) -> Goal:
    value = top / bottom if bottom else 0.0
    return Goal(config, f"{text} (goal ≥ {least:g})", f"{value:.2f}", value >= least)


def goals_of(outcome: Outcome, slot_p99_ms: float) -> list[Goal]:
    ops, name = outcome.operations, outcome.name
    goals = []
    if {"day", "health"} <= ops.keys():
        top, bottom = ops["day"].per_second, ops["health"].per_second
        goals.append(ratio_goal(name, "day view / health throughput", top, bottom, 0.5))
    if {"health", "bare"} <= ops.keys():
        top, bottom = ops["health"].per_second, ops["bare"].per_second
        goals.append(ratio_goal(name, "health / bare FastAPI throughput", top, bottom, 0.8))
    if "slots" in ops:
        p99 = ops["slots"].p99_ms
        text = f"slot search p99 at the run's connections (goal ≤ {slot_p99_ms:g} ms)"
        goals.append(Goal(name, text, f"{p99:.1f} ms", p99 <= slot_p99_ms))
    fives = sum(m.status_5xx for m in ops.values())
    broken = sum(m.socket_errors + m.timeouts for m in ops.values())
    goals.append(Goal(name, "5xx answers (goal 0)", str(fives), fives == 0, hard=True))
    goals.append(Goal(name, "socket errors and timeouts (goal 0)", str(broken), not broken, True))
    if outcome.error is None:
        pairs = sum(outcome.overlaps.values())
        detail = ", ".join(f"{k.removesuffix('_id')} {v}" for k, v in outcome.overlaps.items())
        text = "overlapping active sessions, SQL check (goal 0)"
        goals.append(Goal(name, text, f"{pairs} ({detail})", pairs == 0, hard=True))
    else:
        goals.append(Goal(name, "the run completed", outcome.error, False, hard=True))
    return goals


def scaling_goals(one: Outcome, two: Outcome) -> list[Goal]:
    """PostgreSQL: reads with 2 workers against 1 (goal ≥ 1.5 each)."""
    goals = []
    for key, label in (("day", "day view"), ("slots", "slot search")):
        if key in one.operations and key in two.operations:
            top, bottom = two.operations[key].per_second, one.operations[key].per_second
            text = f"PostgreSQL {label} throughput, 2 workers / 1"
            goals.append(ratio_goal("postgresql", text, top, bottom, 1.5))
    return goals


def table(operations: dict[str, Measured]) -> list[str]:
    lines = ["| operation | req/s | p50 ms | p99 ms | 5xx | non-2xx |", "|---|---|---|---|---|---|"]
    for key, m in operations.items():
        lines.append(
            f"| {LABELS.get(key, key)} | {m.per_second:,.0f} | {m.p50_ms:.1f} | {m.p99_ms:.1f} "
            f"| {m.status_5xx} | {m.non_2xx} |"
        )
    return lines


def merged(runs: list[Measured]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for run in runs:
        for status, n in run.statuses.items():
            counts[status] = counts.get(status, 0) + n
    return counts


def section(outcome: Outcome, goals: list[Goal]) -> str:
    lines = [f"### {outcome.title}", ""]
    if outcome.day:
        lines += [
            f"Day {outcome.day}: {outcome.seeded_sessions} sessions booked when seeded, "
            f"{outcome.active_after} active after the storms.",
            "",
        ]
    if outcome.operations:
        lines += [*table(outcome.operations), ""]
        storms = [m for key, m in outcome.operations.items() if key.startswith("storm")]
        if storms:
            answered = ", ".join(f"{s} × {n}" for s, n in sorted(merged(storms).items()))
            lines += [f"Storm answers (409 is a refused booking, expected): {answered}.", ""]
    lines += [goal.line() for goal in goals]
    return "\n".join(lines)


def ceiling_line(ceiling: Measured, outcomes: list[Outcome]) -> str:
    fastest = max(
        (m.per_second for o in outcomes for k, m in o.operations.items() if k != "ceiling"),
        default=0.0,
    )
    share = fastest / ceiling.per_second if ceiling.per_second else 1.0
    verdict = "not the bottleneck" if share < 0.7 else "possibly the bottleneck"
    return (
        f"Load generator: {ceiling.per_second:,.0f} req/s against a fixed answer "
        f"(p99 {ceiling.p99_ms:.1f} ms); the fastest operation measured here reached "
        f"{fastest:,.0f} req/s, {share:.0%} of that: wrk is {verdict}."
    )
