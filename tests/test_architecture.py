"""Architecture: a pure domain, migrations that match the models, an app module that builds
nothing when imported."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models.db import make_engine
from models.tables import Base

ROOT = Path(__file__).resolve().parents[1]
# The four frameworks the issue names, and the outer layers that are built on them.
FORBIDDEN = {"fastapi", "starlette", "sqlalchemy", "alembic", "api", "models", "services"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_domain_imports_no_web_or_database_framework() -> None:
    files = sorted((ROOT / "planner").rglob("*.py"))
    assert len(files) >= 7, "the walk found the domain's modules"
    offending = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert not offending, "planner/ must stay pure:\n" + "\n".join(sorted(offending))


def test_the_import_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from sqlalchemy.orm import Session\n    import fastapi\n")
    assert imported_modules(sample) == {"sqlalchemy.orm", "fastapi"}


def test_migrations_and_models_agree(database_url: str) -> None:
    """Autogenerate finds nothing to do on a freshly migrated database (both backends).

    Nothing is filtered out: alembic does not reflect PostgreSQL's EXCLUDE constraints made
    by hand in 0002_sessions.py, so they never show up as differences and need no filter.
    """
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_postgresql_exclusion_constraints_exist(database_url: str) -> None:
    """The hand-made constraints the comparison above cannot see are checked here."""
    if not database_url.startswith("postgresql"):
        pytest.skip("exclusion constraints exist on PostgreSQL only")
    from sqlalchemy import text

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            names = set(
                connection.scalars(
                    text(
                        "SELECT conname FROM pg_constraint "
                        "WHERE contype = 'x' AND conrelid = 'sessions'::regclass"
                    )
                )
            )
    finally:
        engine.dispose()
    assert names == {
        "ex_sessions_therapist_overlap",
        "ex_sessions_patient_overlap",
        "ex_sessions_room_overlap",
    }


IMPORT_PROBE = """
import sys
import sqlalchemy
import sqlalchemy.engine

def refuse(*args, **kwargs):
    raise AssertionError("an engine was built at import time")

sqlalchemy.create_engine = refuse
sqlalchemy.engine.create_engine = refuse
import models.db
models.db.create_engine = refuse

import app
from fastapi import FastAPI

assert callable(app.create_app)
instances = [name for name, value in vars(app).items() if isinstance(value, FastAPI)]
assert not instances, f"module-level apps: {instances}"
print("ok")
"""


def test_importing_app_builds_no_engine(tmp_path: Path) -> None:
    database = tmp_path / "never" / "planner.db"
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        cwd=ROOT,
        env={"PLANNER_DATABASE_URL": f"sqlite:///{database}", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert not database.parent.exists()
