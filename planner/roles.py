"""Who may do what (docs/rules.md#answers): roles nest, admin ⊃ scheduler ⊃ therapist."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Role(IntEnum):
    therapist = 1
    scheduler = 2
    admin = 3

    @classmethod
    def named(cls, name: str) -> Role:
        return cls[name]


@dataclass(frozen=True)
class Actor:
    """The authenticated caller."""

    user_id: int
    username: str
    role: Role
    therapist_id: int | None = None

    def at_least(self, role: Role) -> bool:
        return self.role >= role

    @property
    def is_therapist_only(self) -> bool:
        return self.role == Role.therapist

    def may_see_therapist(self, therapist_id: int) -> bool:
        """Staff see every therapist; a therapist sees only itself."""
        return self.role >= Role.scheduler or self.therapist_id == therapist_id
