"""Residents' photos: only JPEG or PNG, size-limited, scaled down, and re-encoded without
their metadata (EXIF holds the phone's GPS position, the camera, the time) before they are
stored; served only through links signed for a while."""

import hashlib
import hmac

from gridhub.config.reports import ReportsConfig
from gridhub.photos import BadPhoto, CleanPhoto
from gridhub.photos import clean_photo as clean_image

__all__ = ["BadPhoto", "CleanPhoto", "clean_photo", "link_valid", "photo_link"]


def clean_photo(data: bytes, number: int, config: ReportsConfig) -> CleanPhoto:
    """Photo ``number`` (1-based) checked, scaled to ``photo_max_side`` and re-encoded with
    no metadata (nor is its EXIF place kept: a resident's photo says no more than the report);
    BadPhoto otherwise."""
    photo = clean_image(data, f"photo {number}", config.max_photo_bytes, config.photo_max_side)
    return CleanPhoto(photo.content_type, photo.width, photo.height, photo.data)


def photo_signature(secret: str, photo_id: int, expires: int) -> str:
    message = f"report-photo:{photo_id}:{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def photo_link(secret: str, photo_id: int, expires: int) -> str:
    """The photo's URL, good until ``expires`` (epoch seconds)."""
    signature = photo_signature(secret, photo_id, expires)
    return f"/report/photos/{photo_id}?expires={expires}&signature={signature}"


def link_valid(secret: str, photo_id: int, expires: int, signature: str, now: float) -> bool:
    expected = photo_signature(secret, photo_id, expires)
    # As bytes: compare_digest refuses str with non-ASCII characters (any a client sends).
    return expires >= now and hmac.compare_digest(expected.encode(), signature.encode())
