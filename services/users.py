"""Users: creating them, password login with throttling, bearer tokens, disabling.

Tokens are random, shown once and stored only as a SHA-256 hash; passwords are argon2id.
One hasher serves the whole module.

Login throttling. Failed logins are kept for the window (``login_window_minutes``) with the
user name and the client's address, and counted two ways:

- per user at one address: ``login_max_failures`` failures for a user name from an address
  refuse that user from that address (429, even the right password) for the window. Guesses
  from one address never lock the user out elsewhere: the right password from another
  address is let in. A success forgets only its own address's failures, so the real user
  logging in gives a guesser elsewhere no fresh attempts.
- per address, whoever it names: ``login_max_failures_per_address`` (higher) refuses every
  login from that address, so one address cannot try a few passwords on each of many users.

Clients behind one proxy share its address; naming the proxy in ``PLANNER_TRUSTED_PROXIES``
makes the address counted the client's own (``api/forwarded.py``). A guesser with many
addresses gets ``login_max_failures`` tries per address: the price of never locking a user
out from elsewhere. Each failure is answered after ``min(failures, 4)`` x
``login_slowdown_seconds`` (after the transaction, holding no lock).

Under a burst, counting, checking the password and recording the failure are one
transaction, serialised per client address: on PostgreSQL a transaction-level advisory
lock on the address, taken before counting (``models.db.hold_keyed_lock``); on SQLite
``BEGIN IMMEDIATE`` serialises every transaction already. One lock is enough: every count
the decision reads is of failures from this address, and every transaction that adds or
forgets one holds the same lock (a lock per user too would add waiting and a lock order,
not safety). So of N simultaneous wrong passwords from one address at most
``login_max_failures`` are checked and the rest answer 429, also across server processes
on one database; logins from different addresses never wait for each other, and refusals
are cheap (no password is checked).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from models.audit import Change
from models.ranges import Page
from models.repositories.users import hash_token
from models.tables import ApiToken, User
from models.uow import UnitOfWork
from planner.errors import Code, PlannerError
from planner.localtime import Clock
from planner.roles import Actor, Role
from services.commands import NewUser, UserChanges
from services.settings import Settings
from services.views import IssuedToken, NewUserView, UserView

_hasher = PasswordHasher()
# Verified when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5  # for one user name from one address
    max_failures_per_address: int = 20  # for any user names from one address
    window: timedelta = timedelta(minutes=15)
    slowdown_seconds: float = 0.25
    token_ttl: timedelta = timedelta(hours=12)


def login_policy(settings: Settings) -> LoginPolicy:
    return LoginPolicy(
        max_failures=settings.login_max_failures,
        max_failures_per_address=settings.login_max_failures_per_address,
        window=timedelta(minutes=settings.login_window_minutes),
        slowdown_seconds=settings.login_slowdown_seconds,
        token_ttl=timedelta(hours=settings.login_token_ttl_hours),
    )


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    user_id: int
    role: str


def password_hash(password: str) -> str:
    """An argon2id hash (argon2-cffi's defaults)."""
    return _hasher.hash(password)


def _password_matches(user: User | None, password: str) -> bool:
    digest = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        return _hasher.verify(digest, password) and user is not None and bool(user.password_hash)
    except (VerificationError, InvalidHashError):
        return False


def _view(user: User) -> UserView:
    return UserView(user.id, user.username, user.role, user.therapist_id, user.disabled)


def _issue_token(uow: UnitOfWork, user: User, now: datetime, ttl: timedelta | None) -> IssuedToken:
    """A new token for ``user``; the plain token is shown once, only its hash is stored."""
    token = secrets.token_urlsafe(32)
    expires_at = now + ttl if ttl else None
    uow.users.add_token(
        ApiToken(
            user_id=user.id, token_hash=hash_token(token), created_at=now, expires_at=expires_at
        )
    )
    return IssuedToken(token, expires_at)


def create_user(uow: UnitOfWork, new: NewUser, clock: Clock, ttl: timedelta) -> NewUserView:
    with uow:
        if new.role == Role.therapist.name and new.therapist_id is None:
            raise PlannerError(Code.validation_error, "a therapist user needs therapist_id")
        if new.therapist_id is not None:
            uow.therapists.reference(new.therapist_id)
        if uow.users.named(new.username) is not None:
            raise PlannerError(Code.already_exists, f"username {new.username!r} is taken")
        now = clock()
        user = uow.users.add(
            User(
                username=new.username,
                role=new.role,
                therapist_id=new.therapist_id,
                password_hash=password_hash(new.password) if new.password else None,
                disabled=False,
                created_at=now,
            )
        )
        token = _issue_token(uow, user, now, ttl)
        uow.commit()
        return NewUserView(_view(user), token)


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """Who an enabled user's token stands for, and until when (None: until revoked)."""

    actor: Actor
    expires_at: datetime | None

    def actor_at(self, now: datetime) -> Actor | None:
        if self.expires_at is not None and self.expires_at <= now:
            return None
        return self.actor


def token_fingerprint(token: str) -> str:
    """What a token is known by (its stored hash): kept answers use it, never the token."""
    return hash_token(token)


def token_grant(uow: UnitOfWork, token: str) -> TokenGrant | None:
    """What a known token of an enabled user grants (its expiry checked by the caller)."""
    with uow.reading():
        holder = uow.users.holder_of(token)
        if holder is None or holder.disabled:
            return None
        actor = Actor(holder.user_id, holder.username, Role.named(holder.role), holder.therapist_id)
        return TokenGrant(actor, holder.expires_at)


def actor_for_token(uow: UnitOfWork, token: str, now: datetime) -> Actor | None:
    """The user a token belongs to, if it is known, unexpired and the user is enabled."""
    grant = token_grant(uow, token)
    return None if grant is None else grant.actor_at(now)


def login(
    uow: UnitOfWork,
    username: str,
    password: str,
    address: str,
    clock: Clock,
    policy: LoginPolicy,
) -> LoginResult:
    """A token for a right password; failures are slowed, then refused with 429.

    Per user at one address and per address, serialised per address (module docstring).
    """
    now = clock().astimezone(UTC)
    since = now - policy.window
    with uow:
        uow.users.hold_failures_from(address)  # before counting: see the module docstring
        for_user = uow.users.failures_since(since, address, username)
        from_address = uow.users.failures_since(since, address)
        if for_user >= policy.max_failures or from_address >= policy.max_failures_per_address:
            minutes = int(policy.window.total_seconds() // 60)
            raise PlannerError(
                Code.too_many_requests, f"too many failed logins; try again in {minutes} minutes"
            )
        failures = max(for_user, from_address)
        user = uow.users.named(username)
        if not _password_matches(user, password) or user is None or user.disabled:
            uow.users.add_failure(username, address, now)
            uow.record(
                Change(
                    "user", user.id if user else None, "login", None, None, {"username": username}
                ),
                outcome="denied",
            )
            uow.commit()
            if failures and policy.slowdown_seconds:
                time.sleep(min(failures, 4) * policy.slowdown_seconds)
            raise PlannerError(Code.unauthorized, "unknown user or wrong password")
        uow.users.forget_failures(username, address, now)
        token = _issue_token(uow, user, now, policy.token_ttl)
        uow.record(
            Change("user", user.id, "login", None, None, {"username": username}),
            acting_user=(user.id, user.username, user.role),
        )
        uow.commit()
        assert token.expires_at is not None
        return LoginResult(token.token, token.expires_at, user.id, user.role)


def logout(uow: UnitOfWork, token: str, user_id: int) -> None:
    with uow:
        uow.users.delete_token(token)
        uow.record(Change("user", user_id, "logout", None, None, None))
        uow.commit()


def revoke_tokens(uow: UnitOfWork, user_id: int) -> int:
    """Every token of the user stops working at once."""
    with uow:
        uow.users.get(user_id)
        revoked = uow.users.delete_tokens_of(user_id)
        uow.record(Change("user", user_id, "revoke_tokens", None, None, {"revoked": revoked}))
        uow.commit()
        return revoked


def list_users(uow: UnitOfWork, page: Page) -> list[UserView]:
    with uow.reading():
        return [_view(row) for row in uow.users.page(page)]


def change_user(uow: UnitOfWork, user_id: int, changes: UserChanges, actor: Actor) -> UserView:
    """Disable or enable a user, or set a new password. Nobody disables their own login."""
    if changes.disabled and user_id == actor.user_id:
        raise PlannerError(Code.forbidden, "you cannot disable your own login")
    with uow:
        user = uow.users.get(user_id)
        if changes.disabled is not None:
            user.disabled = changes.disabled
            if changes.disabled:  # locked out at once; no old token comes back on re-enabling
                uow.users.delete_tokens_of(user_id)
        if changes.password is not None:
            user.password_hash = password_hash(changes.password)
        uow.commit()
        return _view(user)


def ensure_bootstrap_admin(uow: UnitOfWork, token: str) -> None:
    """Make sure an administrator holding ``token`` exists (the bootstrap token setting).

    Under the start-up lock: servers started together add the token once.
    """
    with uow:
        uow.hold_startup_lock()
        if uow.users.token_known(token):
            return
        user = uow.users.named("admin")
        now = datetime.now(UTC)
        if user is None:
            user = uow.users.add(
                User(username="admin", role="admin", disabled=False, created_at=now)
            )
        uow.users.add_token(
            ApiToken(user_id=user.id, token_hash=hash_token(token), created_at=now, expires_at=None)
        )
        uow.commit()


def ensure_first_admin(uow: UnitOfWork) -> str | None:
    """On a database with no users at all, an ``admin`` with a random password (returned once).

    So a new clinic can log in right after ``planner serve``; the password is printed on
    the console once and stored only as a hash. Under the start-up lock: of several servers
    started together on a new database exactly one creates the admin and prints a password.
    """
    with uow:
        uow.hold_startup_lock()
        if uow.users.any_exists():
            return None
        password = secrets.token_urlsafe(12)
        uow.users.add(
            User(
                username="admin",
                role="admin",
                password_hash=password_hash(password),
                disabled=False,
                created_at=datetime.now(UTC),
            )
        )
        uow.commit()
        return password
