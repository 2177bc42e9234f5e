"""Sign-in throttling: failed password sign-ins counted in the store, so every hub process
sees the same count.

Two limits apply to each try: failures of its user name from its address, and failures of
any names from its address. Guessing one account's password is stopped by the first; the
real user at another desk (another address) is not locked out by it. The second, higher
because a command centre's desks may share one address, stops trying many names.

Why no library: ``limits`` keeps its counters in memory, Redis, Memcached or MongoDB, and
``pyrate-limiter``'s SQL buckets open their own sqlite3 or psycopg-pool connections and
create a table per bucket at run time. Neither keeps its state in our SQLAlchemy store
under our migrations, so the counter is these few queries over one table.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from gridhub.api.models import SigninAttempt
from gridhub.config.sections import ApiConfig

KEY_LENGTH = 64
"""Longer user names and addresses are cut to this: no user's name is longer."""


@dataclass(frozen=True)
class SigninLimits:
    per_name: int
    """Failures of one user name from one address within the window."""
    per_address: int
    """Failures of any names from one address within the window."""
    window: timedelta

    @classmethod
    def of(cls, config: ApiConfig) -> "SigninLimits":
        return cls(
            per_name=config.signin_max_failures,
            per_address=config.signin_max_failures_per_address,
            window=timedelta(minutes=config.signin_window_minutes),
        )


class Throttled(Exception):
    """Too many failed sign-ins: try again in ``retry_after_s`` seconds."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed sign-ins: try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Attempt:
    """A try recorded by ``begin_attempt``."""

    id: int
    username: str
    address: str


def begin_attempt(
    session: Session, limits: SigninLimits, username: str, address: str, now: datetime
) -> Attempt:
    """Record a try before its password is checked, or raise Throttled and record nothing.

    The row stays as a failure unless ``succeeded`` deletes it. It is committed before the
    count is taken: then of tries racing in several processes, each sees the ones committed
    before it, and no more than the limit get through to the password check.
    """
    session.execute(delete(SigninAttempt).where(SigninAttempt.at <= now - limits.window))
    row = SigninAttempt(username=username[:KEY_LENGTH], address=address[:KEY_LENGTH], at=now)
    session.add(row)
    session.flush()
    # Kept apart from the row: a concurrent success may delete it once committed.
    attempt = Attempt(id=row.id, username=row.username, address=row.address)
    session.commit()
    earlier = select(SigninAttempt.at).where(
        SigninAttempt.address == attempt.address,
        SigninAttempt.at > now - limits.window,
        SigninAttempt.id != attempt.id,
    )
    same_name = earlier.where(SigninAttempt.username == attempt.username)
    wait = max(
        _wait(session, same_name, limits.per_name, limits.window, now),
        _wait(session, earlier, limits.per_address, limits.window, now),
    )
    if wait:
        # A refused try cost no hash: it does not count.
        session.execute(delete(SigninAttempt).where(SigninAttempt.id == attempt.id))
        session.commit()
        raise Throttled(wait)
    return attempt


def succeeded(session: Session, attempt: Attempt) -> None:
    """The password was right: forget this name's failures from this address."""
    session.execute(
        delete(SigninAttempt).where(
            SigninAttempt.username == attempt.username,
            SigninAttempt.address == attempt.address,
        )
    )


def _wait(
    session: Session,
    failures: Select[datetime],
    limit: int,
    window: timedelta,
    now: datetime,
) -> int:
    """Seconds until fewer than ``limit`` of ``failures`` lie in the window (0: now)."""
    # The limit-th newest failure: once it leaves the window, one try more is let through.
    nth = session.scalar(failures.order_by(SigninAttempt.at.desc()).offset(limit - 1).limit(1))
    if nth is None:
        return 0
    return max(1, math.ceil((nth + window - now).total_seconds()))
