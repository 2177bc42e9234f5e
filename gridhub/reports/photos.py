"""Residents' photos: only JPEG or PNG, size-limited, scaled down, and re-encoded without
their metadata (EXIF holds the phone's GPS position, the camera, the time) before they are
stored; served only through links signed for a while."""

import hashlib
import hmac
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from gridhub.config.reports import ReportsConfig

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
MAX_PIXELS = 50_000_000
"""Larger images are refused before decoding (a small file can unpack to gigabytes)."""
JPEG_QUALITY = 85


class BadPhoto(ValueError):
    """A photo that is not accepted; the message says which and why."""


@dataclass(frozen=True, slots=True)
class CleanPhoto:
    content_type: str
    width: int
    height: int
    data: bytes


def clean_photo(data: bytes, number: int, config: ReportsConfig) -> CleanPhoto:
    """Photo ``number`` (1-based) checked, scaled to ``photo_max_side`` and re-encoded with
    no metadata; BadPhoto otherwise."""
    if len(data) > config.max_photo_bytes:
        raise BadPhoto(
            f"photo {number} is {len(data) / 1048576:.1f} MB; "
            f"at most {config.max_photo_bytes / 1048576:.1f} MB per photo"
        )
    try:
        image = Image.open(io.BytesIO(data))
        kind = image.format
        if kind not in FORMATS:
            raise BadPhoto(f"photo {number} is {kind or 'not an image'}; send JPEG or PNG")
        if image.width * image.height > MAX_PIXELS:
            raise BadPhoto(f"photo {number} has too many pixels ({image.width}×{image.height})")
        image.load()
        upright: Image.Image = ImageOps.exif_transpose(image)  # upright once EXIF is gone
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise BadPhoto(f"photo {number} is not a readable JPEG or PNG image") from None
    upright.thumbnail((config.photo_max_side, config.photo_max_side))
    out = io.BytesIO()
    if kind == "JPEG":
        # A fresh save writes no EXIF, ICC or comments unless asked to.
        upright.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        upright.save(out, "PNG", optimize=True)
    return CleanPhoto(FORMATS[kind], upright.width, upright.height, out.getvalue())


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
