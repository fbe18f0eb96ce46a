"""Architecture: imports point down only (planner ← models ← services ← api | web), migrations
that match the models, an app module that builds nothing when imported."""

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
LAYERS = ("planner", "models", "services", "api", "web")
FRAMEWORKS = ("fastapi", "starlette", "sqlalchemy", "alembic", "pydantic", "uvicorn", "jinja2")
# What each layer may not import (docs/architecture.md): imports point down only, and the
# two edges (api, web) never import each other nor reach past the services into the tables.
EDGE_FORBIDDEN = (
    "app",
    "cli",
    "sqlalchemy",
    "models.tables",
    "models.repositories",
    "models.calendar",
    "models.db",
)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "planner": ("models", "services", "api", "web", "app", "cli", *FRAMEWORKS),
    "models": ("services", "api", "web", "app", "cli", "fastapi", "starlette", "pydantic"),
    "services": ("api", "web", "app", "cli", "fastapi", "starlette"),
    "api": ("web", *EDGE_FORBIDDEN),
    "web": ("api", *EDGE_FORBIDDEN),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def breaks(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def offending_imports(layer: str) -> list[str]:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"the walk found {layer}/'s modules"
    return sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name in imported_modules(path)
        if breaks(name, FORBIDDEN[layer])
    )


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_point_down_only(layer: str) -> None:
    offending = offending_imports(layer)
    assert not offending, f"{layer}/ imports what it must not:\n" + "\n".join(offending)


def test_the_domain_imports_no_web_or_database_framework() -> None:
    assert len(list((ROOT / "planner").rglob("*.py"))) >= 7
    assert offending_imports("planner") == []


@pytest.mark.parametrize(
    ("layer", "source", "caught"),
    [
        ("planner", "def f():\n    from sqlalchemy.orm import Session\n", True),
        ("models", "import services.booking\n", True),
        ("services", "from api.schemas import sessions\n", True),
        ("services", "from fastapi import Request\n", True),
        ("api", "from web import render\n", True),
        ("web", "from api.deps import get_uow\n", True),
        ("web", "from models import tables\n", True),
        ("web", "from models.uow import UnitOfWork\n", False),
        ("api", "from services import booking\n", False),
    ],
)
def test_a_forbidden_import_added_back_is_caught(
    tmp_path: Path, layer: str, source: str, caught: bool
) -> None:
    """The guard itself: each forbidden direction, written into a module, is found."""
    sample = tmp_path / "sample.py"
    sample.write_text(source)
    found = [name for name in imported_modules(sample) if breaks(name, FORBIDDEN[layer])]
    assert bool(found) is caught, (layer, source, found)


def test_the_import_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from sqlalchemy.orm import Session\n    import fastapi\n")
    assert {"sqlalchemy.orm", "fastapi"} <= imported_modules(sample)


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
                connection.execute(
                    text(
                        "SELECT conname, condeferrable, condeferred FROM pg_constraint "
                        "WHERE contype = 'x' "
                        "AND conrelid IN ('sessions'::regclass, 'infusions'::regclass)"
                    )
                ).all()
            )
    finally:
        engine.dispose()
    # deferrable (a re-plan checks its moves at commit), checked at once unless asked
    assert {tuple(row) for row in names} == {
        ("ex_sessions_therapist_overlap", True, False),
        ("ex_sessions_patient_overlap", True, False),
        ("ex_sessions_room_overlap", True, False),
        ("ex_infusions_chair_overlap", True, False),
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
