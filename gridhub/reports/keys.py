"""Open311 API keys of trusted clients (a hotline's system, a town's app): made once, kept
only as hashes, revocable. A key raises the limits and skips the challenge."""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.reports.models import ReportApiKey

PREFIX = "o311_"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, name: str, now: datetime) -> tuple[ReportApiKey, str]:
    """A new key for ``name``; the key itself is shown once and never stored."""
    if not name.strip():
        raise ValueError("name the client the key is for")
    key = PREFIX + secrets.token_urlsafe(24)
    row = ReportApiKey(name=name.strip()[:100], key_hash=_digest(key), created_at=now)
    session.add(row)
    session.flush()
    return row, key


def key_of(session: Session, key: str) -> ReportApiKey | None:
    """The live key row for ``key``; None if unknown or revoked."""
    row = session.scalar(select(ReportApiKey).where(ReportApiKey.key_hash == _digest(key)))
    return None if row is None or row.revoked else row


def list_keys(session: Session) -> list[ReportApiKey]:
    return list(session.scalars(select(ReportApiKey).order_by(ReportApiKey.id)))


def revoke_key(session: Session, key_id: int) -> ReportApiKey:
    row = session.get(ReportApiKey, key_id)
    if row is None:
        raise LookupError(f"no Open311 key {key_id}")
    row.revoked = True
    return row
