"""``planner serve`` as a real process, with no clock injected, on a fresh database.

``server`` is module-scoped and parametrized by backend: each flow module gets its own
process on a new SQLite file and one on a new PostgreSQL database (``PLANNER_TEST_DATABASE_URL``;
without it that half is skipped with the reason), so flows never see each other's rows and
a migration runs only twice per module. The process is the venv's ``planner`` console script
(beside ``sys.executable``); the fixture waits for ``/api/health`` and stops it with SIGTERM
at the end.

No 5xx anywhere, seen from both sides: after every test, the answers its clients got, the
server's access log and its stderr (no "Traceback") since the test began are checked; after
the process stops, its whole stderr is. A failing test's report carries the server's stderr.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import BACKENDS
from tests.e2e.support import Served, served_process, watch_for_server_errors


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    with served_process(request.param, tmp_path_factory.mktemp(f"e2e-{request.param}")) as served:
        yield served


@pytest.fixture(autouse=True)
def _no_server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Nothing the test did made the server answer 5xx or log a traceback."""
    yield from watch_for_server_errors(request, "server")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """A failing test's report shows the served process's stderr (and its access log tail)."""
    outcome: Any = yield
    report = outcome.get_result()
    served = getattr(item, "funcargs", {}).get("server")
    if report.failed and isinstance(served, Served):
        report.sections.append(
            (f"planner serve stderr ({served.base_url})", served.stderr()[-20000:])
        )
        report.sections.append(
            (f"planner serve access log ({served.base_url})", served.stdout()[-5000:])
        )
