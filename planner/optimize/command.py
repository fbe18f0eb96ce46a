"""``planner optimize INSTANCE.json [--time-limit SECONDS] [--solver auto|heuristic|cp-sat]``.

Prints only the plan as one JSON document on stdout (exit 0); a file that cannot be read or
is not a valid instance gives a message on stderr and exit status 2. Without ``--time-limit``
the budget is 9 s for ``auto``/``cp-sat`` and 1.4 s for ``heuristic`` (seconds of the
optimizer's work, ``planner/optimize/work.py``; with start-up, the heuristic's whole command
stays within 2 s).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, cast

from planner.optimize import Solver, SolverUnavailable
from planner.optimize.instance import InstanceError, plan_instance

DEFAULT_LIMIT_S = {"auto": 9.0, "cp-sat": 9.0, "heuristic": 1.4}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    solver = cast(Solver, args.solver)
    limit = args.time_limit if args.time_limit is not None else DEFAULT_LIMIT_S[solver]
    try:
        if limit <= 0:
            raise _Refused("--time-limit must be positive")
        plan = _plan(args.instance, limit, solver)
    except _Refused as refusal:
        print(f"planner optimize: {refusal}", file=sys.stderr)
        return 2
    json.dump(plan, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


class _Refused(Exception):
    """What to say on stderr before exiting with status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planner optimize",
        description="Plan a benchmark day and print the plan as JSON (docs/rules.md).",
    )
    parser.add_argument("instance", help="instance file (../shared/bench/README.md format)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="time budget (default: 9 for auto and cp-sat, 1.4 for heuristic)",
    )
    parser.add_argument(
        "--solver",
        choices=["auto", "heuristic", "cp-sat"],
        default="auto",
        help="auto: CP-SAT when OR-Tools is installed, else the heuristic",
    )
    return parser


def _plan(path: str, limit: float, solver: Solver) -> dict[str, Any]:
    instance = _read(path)
    try:
        return plan_instance(instance, time_limit_s=limit, solver=solver)
    except InstanceError as exc:
        raise _Refused(f"{path}: {exc}") from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise _Refused(f"{path} is not a valid instance: {exc!r}") from None
    except SolverUnavailable as exc:
        raise _Refused(str(exc)) from None


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            instance = json.load(f)
    except OSError as exc:
        raise _Refused(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _Refused(f"{path} is not JSON: {exc}") from None
    if not isinstance(instance, dict):
        raise _Refused(f"{path}: expected a JSON object")
    return instance


if __name__ == "__main__":
    sys.exit(main())
