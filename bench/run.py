#!/usr/bin/env python3
"""Run the day optimizer on every benchmark instance and print a Markdown table.

    python bench/run.py [--solver auto|heuristic|cp-sat] [--time-limit SECONDS]

Each instance is solved by the real command (``python -m planner.optimize.command``, as a
subprocess, so the time is the command's wall time including start-up), then checked with the
benchmark's own ``check.py INSTANCE PLAN best_known.json``. The benchmark folder is
``../shared/bench`` beside the checkout, or ``$PLANNER_BENCH_DIR``. Exit status 1 when any
plan is invalid (or the command fails).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def bench_dir() -> Path:
    override = os.environ.get("PLANNER_BENCH_DIR")
    return Path(override) if override else REPO.parent / "shared" / "bench"


def run_one(instance: Path, bench: Path, solver: str, limit: float | None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "planner.optimize.command", str(instance), "--solver", solver]
    if limit is not None:
        cmd += ["--time-limit", str(limit)]
    began = time.monotonic()
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.monotonic() - began
    row: dict[str, Any] = {"instance": instance.stem, "seconds": wall, "valid": False}
    if done.returncode != 0:
        row["error"] = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return row
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(done.stdout)
        plan_path = f.name
    try:
        checked = subprocess.run(
            [
                sys.executable,
                str(bench / "check.py"),
                str(instance),
                plan_path,
                str(bench / "best_known.json"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        os.unlink(plan_path)
    result = json.loads(checked.stdout) if checked.stdout.strip() else {}
    row.update(result)
    row["valid"] = checked.returncode == 0
    row["solver"] = json.loads(done.stdout).get("solver")
    return row


def table(rows: list[dict[str, Any]], best: dict[str, Any]) -> str:
    lines = [
        "| instance | placed / requested | placed ratio to best known | deviation min "
        "(best known) | seconds | valid |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        known = best.get(row["instance"], {})
        if "placed" not in row:
            lines.append(
                f"| {row['instance']} | — | — | — | {row['seconds']:.2f} | "
                f"no: {' '.join(row.get('error', []))} |"
            )
            continue
        lines.append(
            f"| {row['instance']} | {row['placed']} / {row['requested']} | "
            f"{row.get('placed_ratio', 0):.4f} | {row['deviation_minutes']:.1f} "
            f"({known.get('deviation_minutes', '?')}) | {row['seconds']:.2f} | "
            f"{'yes' if row['valid'] else 'NO: ' + '; '.join(row.get('violations', [])[:3])} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solver", choices=["auto", "heuristic", "cp-sat"], default="auto")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="passed to the command (default: the command's own default)",
    )
    args = parser.parse_args(argv)
    bench = bench_dir()
    instances = sorted((bench / "instances").glob("*.json"))
    if not instances:
        print(f"no instances in {bench / 'instances'}", file=sys.stderr)
        return 2
    best = json.loads((bench / "best_known.json").read_text())
    rows = [run_one(path, bench, args.solver, args.time_limit) for path in instances]
    limit = "default" if args.time_limit is None else f"{args.time_limit:g} s"
    print(f"solver `{args.solver}`, time limit {limit}\n")
    print(table(rows, best))
    return 0 if all(row["valid"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
