"""Check-in photos: one per check-in, stored in the store, re-encoded (``gridhub.photos``)."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.db import utcnow
from gridhub.ingest.models import Checkin, CheckinPhoto
from gridhub.photos import CleanPhoto


def attach_photo(session: Session, checkin: Checkin, photo: CleanPhoto) -> CheckinPhoto:
    """Attach (or replace: a phone sending it again) the photo of ``checkin``."""
    row = session.get(CheckinPhoto, checkin.id)
    if row is None:
        row = CheckinPhoto(checkin_id=checkin.id)
        session.add(row)
    row.content_type, row.width, row.height = photo.content_type, photo.width, photo.height
    row.data, row.exif, row.created_at = photo.data, photo.exif, utcnow()
    session.flush()
    return row


def photos_of(session: Session, checkin_ids: Iterable[int]) -> dict[int, CheckinPhoto]:
    """The photos of these check-ins (without their bytes), by check-in id."""
    ids = list(checkin_ids)
    if not ids:
        return {}
    rows = session.scalars(select(CheckinPhoto).where(CheckinPhoto.checkin_id.in_(ids)))
    return {row.checkin_id: row for row in rows}
