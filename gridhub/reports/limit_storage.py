"""A ``limits`` storage kept in the hub's store, so that every hub process counts the same
windows (limits ships Redis, Memcached and MongoDB storages, none of which the hub runs).

Each call is its own short transaction: one upsert (``INSERT … ON CONFLICT DO UPDATE …
RETURNING``, on SQLite and PostgreSQL alike) makes an increment atomic across processes.
"""

import time
from collections.abc import Callable

from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from gridhub.db import transaction
from gridhub.reports.models import RateWindow


class StoreStorage(Storage):
    """Fixed-window counters (``FixedWindowRateLimiter``) in the ``report_rate_windows`` table."""

    STORAGE_SCHEME = ["gridhub-store"]  # noqa: RUF012  (how limits registers storages)

    def __init__(
        self, sessions: sessionmaker[Session], clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__()
        self.sessions = sessions
        self.clock = clock

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self.clock()
        with transaction(self.sessions) as session:
            dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
            fresh = dialect.insert(RateWindow).values(
                key=key, count=amount, expires_at=now + expiry
            )
            live = RateWindow.expires_at > now
            statement = fresh.on_conflict_do_update(
                index_elements=[RateWindow.key],
                set_={
                    "count": case((live, RateWindow.count + amount), else_=amount),
                    "expires_at": case((live, RateWindow.expires_at), else_=now + expiry),
                },
            ).returning(RateWindow.count)
            return int(session.execute(statement).scalar_one())

    def get(self, key: str) -> int:
        with self.sessions() as session:
            row = session.get(RateWindow, key)
            return row.count if row is not None and row.expires_at > self.clock() else 0

    def get_expiry(self, key: str) -> float:
        with self.sessions() as session:
            row = session.get(RateWindow, key)
            return row.expires_at if row is not None else self.clock()

    def check(self) -> bool:
        try:
            with self.sessions() as session:
                session.execute(select(RateWindow.key).limit(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with transaction(self.sessions) as session:
            return session.execute(delete(RateWindow)).rowcount  # type: ignore[attr-defined]

    def clear(self, key: str) -> None:
        with transaction(self.sessions) as session:
            session.execute(delete(RateWindow).where(RateWindow.key == key))

    def prune(self) -> int:
        """Drop windows that have run out."""
        with transaction(self.sessions) as session:
            result = session.execute(
                delete(RateWindow).where(RateWindow.expires_at <= self.clock())
            )
            return result.rowcount or 0  # type: ignore[attr-defined]
