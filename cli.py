"""The ``planner`` command: serve, demo, migrate, optimize."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="planner", description="Infusion-window planner")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply migrations, then serve the API and pages")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    commands.add_parser("migrate", help="apply the database migrations")
    commands.add_parser("demo", help="load an idempotent demo clinic for today")
    optimize = commands.add_parser("optimize", help="plan a benchmark day (prints JSON)")
    optimize.add_argument("instance")
    optimize.add_argument("--time-limit", type=float, default=None)
    optimize.add_argument("--solver", choices=["auto", "heuristic", "cp-sat"], default="auto")
    args = parser.parse_args(argv)

    if args.command == "optimize":
        from planner.optimize.command import main as optimize_main

        extra = ["--solver", args.solver]
        if args.time_limit is not None:
            extra += ["--time-limit", str(args.time_limit)]
        return optimize_main([args.instance, *extra])

    from pydantic import ValidationError

    from models.db import make_engine
    from models.migrate import upgrade
    from services.settings import Settings

    try:
        settings = Settings()
    except ValidationError as error:  # before anything is touched, one line per bad setting
        for problem in error.errors():
            name = "PLANNER_" + "_".join(str(part) for part in problem["loc"]).upper()
            message = problem["msg"].removeprefix("Value error, ").removeprefix(f"{name}: ")
            print(f"planner: refusing to start: {name}: {message}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    if args.command == "migrate":
        print("database is up to date")
        return 0
    if args.command == "demo":
        from services.demo import load_demo

        print(load_demo(settings))
        return 0

    import uvicorn

    from app import create_app
    from models.db import session_factory
    from models.uow import UnitOfWork
    from services.users import ensure_first_admin

    engine = make_engine(settings.database_url)
    password = ensure_first_admin(UnitOfWork(session_factory(engine)))
    engine.dispose()
    if password:
        print(f"First start: log in as  admin / {password}  (shown once; change it in Settings)")
    print(f"Infusion-window planner on http://{args.host}:{args.port}  (API docs: /docs)")
    uvicorn.run(create_app(settings), host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
