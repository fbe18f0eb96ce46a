#!/usr/bin/env python3
"""The README's two commands, for a fresh clone with nothing but Python 3.11+.

    python3 dev.py serve    # create .venv, install, migrate, serve on http://127.0.0.1:8000
    python3 dev.py test     # create .venv, install with the test tools, run the test suite

Extra arguments go to ``planner serve`` or ``pytest``. Other commands: ``python3 dev.py demo``,
``python3 dev.py check`` (ruff and mypy), ``python3 dev.py bench`` (the day-planning
benchmark), ``python3 dev.py bench load`` (the served app under load, bench/load.py).
The virtual environment is (re)installed only when pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PLANNER_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (dev.py may be run by an older python3)
        sys.exit("the planner needs Python 3.11 or newer")
    if not PYTHON.exists():
        print(f"creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / ".planner-installed"
    if stamp.exists() and digest in stamp.read_text().split():
        return
    print(f"installing the planner [{extras or 'runtime'}] into {VENV} ...", flush=True)
    target = f".[{extras}]" if extras else "."
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            target,
        ],
        cwd=ROOT,
        check=True,
    )
    known = stamp.read_text().split() if stamp.exists() else []
    stamp.write_text("\n".join([*known[-5:], digest]))


def run(*command: str) -> int:
    return subprocess.call(list(command), cwd=ROOT)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"serve", "test", "demo", "check", "bench"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command in {"serve", "demo"}:
        ensure_venv("")
        return run(str(BIN / "planner"), command, *rest)
    ensure_venv("dev")
    if command == "test":
        return run(str(PYTHON), "-m", "pytest", *rest)
    if command == "check":
        return run(str(PYTHON), "-m", "ruff", "check", ".") or run(str(PYTHON), "-m", "mypy")
    if rest[:1] == ["load"]:
        return run(str(PYTHON), "bench/load.py", *rest[1:])
    return run(str(PYTHON), "bench/run.py", *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
