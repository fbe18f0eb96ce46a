"""The bare endpoint bench/load.py compares ``/api/health`` with: a one-line FastAPI app,
served by uvicorn with the options ``planner serve`` uses (cli.py ``_serve``: host, port,
workers, no access log, no proxy headers; keep the two alike). The endpoint is ``async``,
like the health route, so the two differ only by what the planner's app adds around it.

    python bench/bare_app.py --port 8001 [--workers 2]
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def bare() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    parser = argparse.ArgumentParser(description="a one-line FastAPI app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "access_log": False,
        "proxy_headers": False,
    }
    if args.workers > 1:  # uvicorn's workers import the app by name
        uvicorn.run("bare_app:app", workers=args.workers, **options)
    else:
        uvicorn.run(app, **options)


if __name__ == "__main__":
    main()
