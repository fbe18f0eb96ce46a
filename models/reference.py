"""Reference data kept between reading transactions: therapists, their shifts and time off,
rooms, session types and protocol versions.

A slot search read all of them again every time (half of its queries), although they
change only when staff edit them, while bookings, the frequent writes, never touch them.
The database bumps ``clinic.reference_version`` in every transaction that changes them
(triggers, migration 0011). A reading unit of work reads the clinic row first (it needs
the zone anyway) and asks the engine's :class:`ReferenceCache` for the values kept under
that version; a different version empties it. So what a reader is served is never older
than the version it read: on PostgreSQL, where each statement of a READ COMMITTED
transaction may see a newer snapshot, a value read after the version is at least as new.
Writing units of work lock and read the rows themselves, as before.

The kept values are plain domain objects (never ORM rows, which belong to one session),
one cache per engine, shared by the threads of the process, each process its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

T = TypeVar("T")

# span-keyed values (time off around a window) are many: past this the cache starts afresh
MAX_ENTRIES = 2_000


class ReferenceCache:
    """Values read under one reference version (``kept``); another version empties it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = None
        self._values: dict[Hashable, Any] = {}

    def under(self, version: int) -> dict[Hashable, Any]:
        """The values kept under ``version`` (an empty dict when the version moved on)."""
        with self._lock:
            if version != self._version or len(self._values) > MAX_ENTRIES:
                self._version, self._values = version, {}
            return self._values


class Kept:
    """One transaction's view of the cache: the values of the version it read."""

    def __init__(self, values: dict[Hashable, Any]) -> None:
        self._values = values

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The value kept under ``key``, read (and kept) the first time."""
        try:
            found: T = self._values[key]
        except KeyError:
            found = self._values[key] = read()
        return found


_caches: WeakKeyDictionary[Engine, ReferenceCache] = WeakKeyDictionary()
_caches_lock = threading.Lock()


def reference_cache(engine: Engine) -> ReferenceCache:
    """The cache of ``engine``'s database (one per engine, made on first use)."""
    with _caches_lock:
        found = _caches.get(engine)
        if found is None:
            found = _caches[engine] = ReferenceCache()
        return found
