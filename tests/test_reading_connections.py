"""The connections reads and writes use (models/db.py), on both databases.

On PostgreSQL a reading unit of work runs each statement on its own, in a pool of its own
whose connections are read only: a round trip fewer at each end of every read. So a write
slipped into a read must still be refused there, or it would be stored at once. Pooled
connections are no longer pinged at every checkout, only after they sat idle; a connection
the server closed meanwhile must still be replaced, not handed to a request.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from models import db as models_db
from models.db import make_engine, session_factory
from models.tables import Patient
from models.uow import UnitOfWork


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = make_engine(database_url)
    yield made
    made.dispose()


def _patients(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Patient)).scalar_one())


def test_a_write_inside_a_reading_unit_of_work_is_never_stored(engine: Engine) -> None:
    before = _patients(engine)
    uow = UnitOfWork(session_factory(engine))
    refused = False
    try:
        with uow.reading():
            uow.db.execute(insert(Patient).values(name="Slipped in", mrn=None))
    except DBAPIError:
        refused = True
    assert _patients(engine) == before
    if engine.dialect.name == "postgresql":
        assert refused  # each statement is its own transaction there: only read-only stops it


def _backend_pid(uow: UnitOfWork) -> int:
    return int(uow.db.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_pooled_connection_the_server_closed_is_replaced(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a SQLite connection is a file handle: no server closes it")
    factory = session_factory(engine)
    uow = UnitOfWork(factory)
    with uow.reading():
        reader = _backend_pid(uow)
    with uow:
        writer = _backend_pid(uow)
    server = create_engine(engine.url, poolclass=NullPool)  # the server's side, as a restart
    with server.begin() as other:
        for pid in (reader, writer):
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    server.dispose()
    monkeypatch.setattr(models_db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with uow.reading():
        assert _backend_pid(uow) != reader
        assert uow.db.execute(select(func.count()).select_from(Patient)).scalar_one() >= 0
    with uow:
        assert _backend_pid(uow) != writer
        uow.db.execute(insert(Patient).values(name="After the restart", mrn=None))
        uow.commit()
    names = select(Patient.name).where(Patient.name == "After the restart")
    with engine.connect() as connection:
        assert connection.execute(names).scalar_one() == "After the restart"
