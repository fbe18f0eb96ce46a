"""The ``planner`` command: serve, demo, migrate, optimize."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planner", description="Infusion-window planner")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply migrations, then serve the API and pages")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="server processes (PostgreSQL only; SQLite is served by one process)",
    )
    serve.add_argument(
        "--access-log", action="store_true", help="log every request (the audit log keeps writes)"
    )
    commands.add_parser("migrate", help="apply the database migrations")
    commands.add_parser("demo", help="load an idempotent demo clinic for today")
    optimize = commands.add_parser("optimize", help="plan a benchmark day (prints JSON)")
    optimize.add_argument("instance")
    optimize.add_argument("--time-limit", type=float, default=None)
    optimize.add_argument("--solver", choices=["auto", "heuristic", "cp-sat"], default="auto")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("give a number from 1 to 64")
    return value


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "optimize":
        return _optimize(args)
    settings = _settings()
    if settings is None:
        return 2
    if args.command == "serve" and args.workers > 1 and settings.database_url.startswith("sqlite"):
        print(ONE_PROCESS_ON_SQLITE.format(workers=args.workers), file=sys.stderr)
        return 2
    _migrate(settings)
    if args.command == "migrate":
        print("database is up to date")
        return 0
    if args.command == "demo":
        from services.demo import load_demo

        print(load_demo(settings))
        return 0
    return _serve(settings, args)


def _optimize(args: argparse.Namespace) -> int:
    """``planner optimize``: the benchmark's day, with nothing of the database."""
    from planner.optimize.command import main as optimize_main

    extra = ["--solver", args.solver]
    if args.time_limit is not None:
        extra += ["--time-limit", str(args.time_limit)]
    return optimize_main([args.instance, *extra])


def _settings() -> Settings | None:
    """The settings, or None after one line per bad setting (before anything is touched)."""
    from pydantic import ValidationError

    from services.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            name = "PLANNER_" + "_".join(str(part) for part in problem["loc"]).upper()
            message = problem["msg"].removeprefix("Value error, ").removeprefix(f"{name}: ")
            print(f"planner: refusing to start: {name}: {message}", file=sys.stderr)
        return None


def _migrate(settings: Settings) -> None:
    from models.db import make_engine
    from models.migrate import upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()


ONE_PROCESS_ON_SQLITE = (
    "planner: refusing to start: --workers {workers} needs PostgreSQL. SQLite is the embedded "
    "database for one process: all its writers queue for one file lock, so more processes add "
    "no booking throughput, and one process already answers reads without waiting for writes. "
    "Set PLANNER_DATABASE_URL=postgresql+psycopg://... to serve with several processes."
)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    """Serve with uvicorn: one process, or ``--workers`` processes that each build the app
    from the same environment (``app.app_from_environment``).

    The first admin is created here, once, before any worker starts; everything else that
    must hold across processes lives in the database (docs/architecture.md, "Several
    processes"). uvicorn's own X-Forwarded-For handling is off: the app trusts only
    ``PLANNER_TRUSTED_PROXIES`` (api/forwarded.py).
    """
    import uvicorn

    from app import create_app
    from models.db import make_engine, session_factory
    from models.uow import UnitOfWork
    from services.users import ensure_first_admin

    engine = make_engine(settings.database_url)
    password = ensure_first_admin(UnitOfWork(session_factory(engine)))
    engine.dispose()
    if password:
        print(f"First start: log in as  admin / {password}  (shown once; change it in Settings)")
    host, port = args.host, args.port
    processes = f", {args.workers} processes" if args.workers > 1 else ""
    print(f"Infusion-window planner on http://{host}:{port}  (API docs: /docs{processes})")
    sys.stdout.flush()
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": args.access_log,
        "proxy_headers": False,
    }
    if args.workers > 1:
        uvicorn.run("app:app_from_environment", factory=True, workers=args.workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
