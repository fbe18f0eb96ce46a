"""The unit of work: the one place a transaction begins, commits or rolls back."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from models.audit import AuditContext, Change, ChangeRecorder

ContextSource = Callable[[], AuditContext | None]


class UnitOfWork:
    """``with uow: ...; uow.commit()`` — leaving the block without a commit rolls back.

    With an audit context, what the transaction changed is written as one audit entry in
    the same transaction, at commit.
    """

    def __init__(self, factory: sessionmaker[Session], audit: ContextSource | None = None) -> None:
        self._factory = factory
        self._audit = audit
        self._session: Session | None = None
        self._recorder = ChangeRecorder()
        self._detach: Callable[[], None] | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._factory()
        self._recorder = ChangeRecorder()
        if self._audit is not None:
            self._detach = self._recorder.attach(self._session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()
        finally:
            if self._detach is not None:
                self._detach()
                self._detach = None
            session.close()
            self._session = None

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

    def commit(self) -> None:
        session = self.session
        context = self._audit() if self._audit is not None else None
        if context is not None:
            session.flush()
            entry = self._recorder.entry(context)
            if entry is not None:
                session.add(entry)
        session.commit()
        self._recorder = ChangeRecorder()
