"""``planner optimize INSTANCE.json [--time-limit SECONDS] [--solver auto|heuristic|cp-sat]``.

Prints only the plan as one JSON document on stdout (exit 0); a file that cannot be read or
is not a valid instance gives a message on stderr and exit status 2. Without ``--time-limit``
the budget is 9 s for ``auto``/``cp-sat`` and 1.9 s for ``heuristic``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import cast

from planner.optimize import Solver, SolverUnavailable
from planner.optimize.instance import InstanceError, plan_instance

DEFAULT_LIMIT_S = {"auto": 9.0, "cp-sat": 9.0, "heuristic": 1.9}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="planner optimize",
        description="Plan a benchmark day (SPEC §6) and print the plan as JSON.",
    )
    parser.add_argument("instance", help="instance file (../shared/bench/README.md format)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="time budget (default: 9 for auto and cp-sat, 1.9 for heuristic)",
    )
    parser.add_argument(
        "--solver",
        choices=["auto", "heuristic", "cp-sat"],
        default="auto",
        help="auto: CP-SAT when OR-Tools is installed, else the heuristic",
    )
    args = parser.parse_args(argv)
    solver = cast(Solver, args.solver)
    limit = args.time_limit if args.time_limit is not None else DEFAULT_LIMIT_S[solver]
    if limit <= 0:
        print("planner optimize: --time-limit must be positive", file=sys.stderr)
        return 2
    try:
        with open(args.instance, encoding="utf-8") as f:
            instance = json.load(f)
    except OSError as exc:
        print(f"planner optimize: cannot read {args.instance}: {exc.strerror}", file=sys.stderr)
        return 2
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        print(f"planner optimize: {args.instance} is not JSON: {exc}", file=sys.stderr)
        return 2
    if not isinstance(instance, dict):
        print(f"planner optimize: {args.instance}: expected a JSON object", file=sys.stderr)
        return 2
    try:
        plan = plan_instance(instance, time_limit_s=limit, solver=solver)
    except InstanceError as exc:
        print(f"planner optimize: {args.instance}: {exc}", file=sys.stderr)
        return 2
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        print(
            f"planner optimize: {args.instance} is not a valid instance: {exc!r}", file=sys.stderr
        )
        return 2
    except SolverUnavailable as exc:
        print(f"planner optimize: {exc}", file=sys.stderr)
        return 2
    json.dump(plan, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
