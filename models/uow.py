"""The unit of work: the one place a transaction begins, commits or rolls back.

Inside ``with uow:`` (a transaction that may write) or ``with uow.reading():`` (one that only
reads, takes no write lock and waits for no writer) the repositories (``uow.sessions``,
``uow.infusions``, …) and the calendar (``uow.calendar``) share one database session.
Leaving the block without a commit rolls back. Database failures leave as the domain's
refusals (``PlannerError``), so no edge needs to know the database library: an overlap the
exclusion constraints caught is the booking rule it breaks, a value the database cannot
store is a ``validation_error``, and a busy database is ``database_busy``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from models.audit import AuditContext, Change, ChangeRecorder
from models.calendar import Calendar
from models.db import hold_startup_lock, reading_engine
from models.reference import reference_cache
from models.repositories.audit import AuditRepository
from models.repositories.catalog import PatientRepository, RoomRepository, SessionTypeRepository
from models.repositories.clinic import ClinicRepository
from models.repositories.courses import CourseRepository
from models.repositories.feeds import FeedRepository
from models.repositories.idempotency import IdempotencyRepository
from models.repositories.infusions import InfusionRepository
from models.repositories.sessions import SessionRepository
from models.repositories.therapists import TherapistRepository
from models.repositories.users import UserRepository
from planner.errors import Code, PlannerError

log = logging.getLogger("planner.db")
ContextSource = Callable[[], AuditContext | None]

OVERLAP_CODES = {
    "ex_sessions_therapist": Code.therapist_busy,
    "ex_sessions_patient": Code.patient_busy,
    "ex_sessions_room": Code.room_unavailable,
    "ex_infusions_chair": Code.chair_unavailable,
}


def refusal_for(exc: BaseException) -> PlannerError | None:
    """The domain refusal a database failure stands for (None: not a database refusal)."""
    if isinstance(exc, IntegrityError):
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or ""
        log.info("integrity conflict on %s", constraint or exc.orig.__class__.__name__)
        for fragment, code in OVERLAP_CODES.items():
            if fragment in constraint:
                return PlannerError(code, "another booking took this time meanwhile; reload")
        return PlannerError(Code.conflict, "the change collides with data stored meanwhile; retry")
    if isinstance(exc, DataError | OverflowError):
        # an id beyond the column's range (PostgreSQL: DataError, SQLite: OverflowError);
        # only the class is logged: the values may be patients' data
        log.info("value refused by the database: %s", getattr(exc, "orig", exc).__class__.__name__)
        return PlannerError(Code.validation_error, "a value is out of range or cannot be stored")
    if isinstance(exc, OperationalError):
        log.warning("database busy: %s", exc.orig.__class__.__name__)
        return PlannerError(Code.database_busy, "the database is busy; retry shortly")
    return None


class UnitOfWork:
    """``with uow: ...; uow.commit()`` — leaving the block without a commit rolls back.

    With an audit context, what the transaction changed is written as one audit entry in
    the same transaction, at commit.
    """

    clinic: ClinicRepository
    therapists: TherapistRepository
    rooms: RoomRepository
    session_types: SessionTypeRepository
    patients: PatientRepository
    infusions: InfusionRepository
    sessions: SessionRepository
    users: UserRepository
    audit_log: AuditRepository
    idempotency: IdempotencyRepository
    feeds: FeedRepository
    courses: CourseRepository
    calendar: Calendar

    def __init__(self, factory: sessionmaker[Session], audit: ContextSource | None = None) -> None:
        self._factory = factory
        self._audit = audit
        self._db: Session | None = None
        self._recorder = ChangeRecorder()
        self._detach: Callable[[], None] | None = None
        self._reading = False

    def reading(self, read_only: bool = True) -> UnitOfWork:
        """``with uow.reading():`` — the transaction only reads (``read_only=False``: an
        ordinary one, for a use case that writes only sometimes, such as a preview).

        It takes no write lock (SQLite) and no row locks (PostgreSQL), so slot searches,
        day views and pages never wait for bookings; ``commit`` refuses.
        """
        self._reading = read_only
        return self

    @property
    def db(self) -> Session:
        """The database session (repositories use it; use cases should not need it)."""
        if self._db is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._db

    def __enter__(self) -> UnitOfWork:
        if self._reading:
            bind = self._factory.kw["bind"]
            db = self._db = self._factory(bind=reading_engine(bind))
        else:
            db = self._db = self._factory()
        self._recorder = ChangeRecorder()
        if self._audit is not None:
            self._detach = self._recorder.attach(db)
        # a reading transaction may use reference data kept between reads (models/reference)
        kept = reference_cache(self._factory.kw["bind"]) if self._reading else None
        self.clinic = ClinicRepository(db, kept)
        self.therapists = TherapistRepository(db)
        self.rooms = RoomRepository(db)
        self.session_types = SessionTypeRepository(db, self.clinic.kept)
        self.patients = PatientRepository(db)
        self.infusions = InfusionRepository(db)
        self.sessions = SessionRepository(db)
        self.users = UserRepository(db)
        self.audit_log = AuditRepository(db)
        self.idempotency = IdempotencyRepository(db)
        self.feeds = FeedRepository(db)
        self.courses = CourseRepository(db)
        self.calendar = Calendar(
            db,
            for_update=not self._reading,
            clinic=self.clinic,
            session_types=self.session_types,
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        db = self.db
        try:
            db.rollback()
        finally:
            if self._detach is not None:
                self._detach()
                self._detach = None
            db.close()
            self._db = None
            self._reading = False
        refusal = refusal_for(exc) if exc is not None else None
        if refusal is not None:
            raise refusal from exc

    def record(
        self,
        change: Change,
        outcome: str | None = None,
        acting_user: tuple[int, str, str] | None = None,
    ) -> None:
        """Note a change the ORM does not see (a bulk delete, a login) for the audit entry.

        ``acting_user`` names who acted when the request carries no token yet (a login).
        """
        self._recorder.add(change)
        if outcome is not None:
            self._recorder.outcome = outcome
        if acting_user is not None:
            self._recorder.acting_user = acting_user

    def flush(self) -> None:
        self.db.flush()

    @contextmanager
    def trial(self) -> Iterator[None]:
        """A change tried and always undone (a savepoint rolled back): what it read and
        refused is what the real change would meet, and nothing of it stays, not even in the
        audit entry. For choosing between candidates (a course's visit times)."""
        kept = len(self._recorder.changes)
        savepoint = self.db.begin_nested()
        try:
            yield
        finally:
            if savepoint.is_active:
                savepoint.rollback()
            del self._recorder.changes[kept:]

    def check_overlaps_at_commit(self) -> None:
        """Check this transaction's sessions for overlaps when it commits, not row by row.

        For a use case that moves several sessions at once, one into another's old time
        (PostgreSQL; SQLite has no such constraints). Other transactions are still refused.
        """
        db = self.db
        if db.get_bind().dialect.name == "postgresql":
            names = ", ".join(f"{name}_overlap" for name in OVERLAP_CODES)
            db.execute(text(f"SET CONSTRAINTS {names} DEFERRED"))

    def hold_startup_lock(self) -> None:
        """Until this transaction ends, no other process does start-up work (``models.db``)."""
        hold_startup_lock(self.db.connection())

    def commit(self) -> None:
        if self._reading:
            raise RuntimeError("a reading unit of work cannot commit; use `with uow:`")
        db = self.db
        context = self._audit() if self._audit is not None else None
        if context is not None:
            db.flush()
            entry = self._recorder.entry(context)
            if entry is not None:
                db.add(entry)
        db.commit()
        self._recorder = ChangeRecorder()
