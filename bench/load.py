"""Load on the served app (issue 14): throughput, p50, p99 and 5xx per operation.

For each configuration — SQLite, PostgreSQL with 1 worker, PostgreSQL with 2 workers — a
fresh database and a ``planner serve`` process of its own, a clinic day seeded through the
API (bench/load_seed.py), then wrk from loopback (one thread, 16 connections, bench/lua/
rotate.lua): the bare FastAPI app, ``/api/health``, the therapists' day views, slot
searches, and a booking storm with the day views and then the slot searches running beside
it. After each configuration an SQL check counts overlapping active sessions. The goals'
ratios are taken within the same run; wrk's own ceiling is measured first.

    python3 dev.py bench load [--duration 10] [--configurations sqlite,postgresql-1,...]

Exits 1 on any 5xx, socket error, overlap or failed configuration (a missed ratio is
reported, not failed). Raw numbers go to bench/load-results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from load_check import active_sessions, overlapping_pairs
from load_report import Goal, Outcome, ceiling_line, goals_of, scaling_goals, section
from load_seed import Api, seed, write_requests
from load_servers import bare_app, ceiling_server, planner_serve, postgres_database, served
from load_wrk import Load, Measured, measure, measure_alternating, measure_together, wrk_version

TOKEN = "bench-load-admin-token"
CONFIGURATIONS = {  # name: (database, workers)
    "sqlite": ("SQLite", 1),
    "postgresql-1": ("PostgreSQL", 1),
    "postgresql-2": ("PostgreSQL", 2),
}
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per operation")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=3, help="seconds before each read")
    parser.add_argument(
        "--configurations", default=",".join(CONFIGURATIONS), help="comma-separated, of these"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PLANNER_LOAD_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a database to connect to for creating and dropping planner_load_* databases",
    )
    parser.add_argument("--slot-p99-ms", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=14, help="the storm's random bookings")
    parser.add_argument(
        "--output", type=Path, default=Path(__file__).with_name("load-results.json")
    )
    args = parser.parse_args()
    unknown = set(args.configurations.split(",")) - CONFIGURATIONS.keys()
    if unknown:
        parser.error(f"unknown configurations {sorted(unknown)}; known: {list(CONFIGURATIONS)}")
    return args


def request_file(folder: Path, name: str, path: str) -> Path:
    file = folder / f"{name}.tsv"
    file.write_text(f"GET\t{path}\n")
    return file


@contextmanager
def database(name: str, args: argparse.Namespace, folder: Path) -> Iterator[str]:
    """A fresh database for one configuration: a SQLite file or a new PostgreSQL database."""
    if CONFIGURATIONS[name][0] == "SQLite":
        yield f"sqlite:///{folder / 'load.db'}"
        return
    unique = f"planner_load_{os.getpid()}_{name.replace('-', '_')}"
    with postgres_database(args.postgres_url, unique) as url:
        yield url


def measure_ceiling(load: Load, folder: Path) -> Measured:
    command, port = ceiling_server()
    with served(command, port, "/", folder / "ceiling.log") as base:
        return measure("ceiling", base, request_file(folder, "ceiling", "/"), load)


def measure_planner(
    outcome: Outcome, url: str, load: Load, args: argparse.Namespace, folder: Path
) -> None:
    """Seed the day on a new ``planner serve``, then every operation, the storms last. The
    bare app is served beside it: it, health and the reads are measured in turn
    (``measure_alternating``), since their ratios are goals."""
    command, port, env = planner_serve(url, TOKEN, outcome.workers)
    with served(command, port, "/api/health", folder / "planner.log", env) as base:
        bare_command, bare_port = bare_app(outcome.workers)  # a port other than the planner's
        with served(bare_command, bare_port, "/", folder / "bare.log") as bare_base:
            api = Api(base, TOKEN)
            try:
                clinic = seed(api)
            finally:
                api.close()
            outcome.day, outcome.seeded_sessions = clinic.day.isoformat(), clinic.sessions
            files = write_requests(clinic, folder, args.seed)
            compared = [
                ("bare", bare_base, request_file(folder, "bare", "/")),
                ("health", base, request_file(folder, "health", "/api/health")),
                ("day", base, files["day"]),
                ("slots", base, files["slots"]),
            ]
            for measured in measure_alternating(compared, load):
                outcome.operations[measured.operation] = measured
        for reads in ("day", "slots"):
            storm, during = measure_together(
                [
                    (f"storm_{reads}", base, files["storm"]),
                    (f"{reads}_in_storm", base, files[reads]),
                ],
                load,
            )
            outcome.operations[storm.operation], outcome.operations[during.operation] = (
                storm,
                during,
            )


def run_configuration(name: str, load: Load, args: argparse.Namespace) -> Outcome:
    database_name, workers = CONFIGURATIONS[name]
    outcome = Outcome(name, database_name, workers)
    print(f"… {outcome.title}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix=f"planner-load-{name}-") as tmp:
        folder = Path(tmp)
        try:
            with database(name, args, folder) as url:
                try:
                    measure_planner(outcome, url, load, args, folder)
                finally:
                    if outcome.day:  # seeded: the schema is there, sessions were booked
                        outcome.overlaps = overlapping_pairs(url)
                        outcome.active_after = active_sessions(url)
        except Exception as error:  # reported in the table; the other configurations still run
            traceback.print_exc()
            outcome.error = f"{type(error).__name__}: {error}"
            log = folder / "planner.log"
            if log.exists():
                print(log.read_text()[-3000:], file=sys.stderr)
    return outcome


def main() -> int:
    args = arguments()
    load = Load(args.connections, args.duration, TOKEN, args.warmup)
    version = wrk_version()
    before = os.getloadavg()
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="planner-load-") as tmp:
        ceiling = measure_ceiling(load, Path(tmp))
    outcomes = [run_configuration(name, load, args) for name in args.configurations.split(",")]
    after = os.getloadavg()
    goals: list[Goal] = []
    print(
        f"## Load ({started:%Y-%m-%d %H:%M} UTC): {os.cpu_count()} cores, {version}, "
        f"-t1 -c{load.connections}, {load.seconds} s per operation\n"
    )
    print(f"Load average before: {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}\n")
    print(ceiling_line(ceiling, outcomes) + "\n")
    for outcome in outcomes:
        mine = goals_of(outcome, args.slot_p99_ms)
        goals += mine
        print(section(outcome, mine) + "\n")
    by_name = {o.name: o for o in outcomes}
    if {"postgresql-1", "postgresql-2"} <= by_name.keys():
        scaling = scaling_goals(by_name["postgresql-1"], by_name["postgresql-2"])
        goals += scaling
        print("### PostgreSQL, 2 workers against 1\n")
        lines = [goal.line() for goal in scaling] or ["- not measured: a configuration failed"]
        print("\n".join(lines) + "\n")
    print(f"Load average after: {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}")
    failed = [goal for goal in goals if goal.hard and not goal.met]
    results: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "wrk": version},
        "load_average": {"before": before, "after": after},
        "connections": load.connections,
        "seconds_per_operation": load.seconds,
        "ceiling": ceiling.as_json(),
        "configurations": [outcome.as_json() for outcome in outcomes],
        "goals": [vars(goal) for goal in goals],
        "failed": bool(failed),
    }
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"Raw numbers: {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
