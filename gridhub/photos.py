"""Photos people send (residents' reports, workers' check-ins): only JPEG or PNG,
size-limited, scaled down and re-encoded without their metadata (EXIF holds the phone's GPS
position, the camera, the time). What EXIF said of the place and time can be read first, as
data, for those who may see it."""

import contextlib
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

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
    exif: dict[str, Any] | None = None
    """What the original's EXIF said of where and when (lat, lon, taken); None: nothing."""


def clean_photo(data: bytes, name: str, max_bytes: int, max_side: int) -> CleanPhoto:
    """Photo ``name`` (as the sender knows it, e.g. "photo 2") checked, scaled to
    ``max_side`` and re-encoded with no metadata; BadPhoto otherwise."""
    if len(data) > max_bytes:
        raise BadPhoto(
            f"{name} is {len(data) / 1048576:.1f} MB; at most {max_bytes / 1048576:.1f} MB "
            "per photo"
        )
    try:
        image = Image.open(io.BytesIO(data))
        kind = image.format
        if kind not in FORMATS:
            raise BadPhoto(f"{name} is {kind or 'not an image'}; send JPEG or PNG")
        if image.width * image.height > MAX_PIXELS:
            raise BadPhoto(f"{name} has too many pixels ({image.width}×{image.height})")
        image.load()
        exif = exif_place(image.getexif())
        upright: Image.Image = ImageOps.exif_transpose(image)  # upright once EXIF is gone
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise BadPhoto(f"{name} is not a readable JPEG or PNG image") from None
    upright.thumbnail((max_side, max_side))
    out = io.BytesIO()
    if kind == "JPEG":
        # A fresh save writes no EXIF, ICC or comments unless asked to.
        upright.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        upright.save(out, "PNG", optimize=True)
    return CleanPhoto(FORMATS[kind], upright.width, upright.height, out.getvalue(), exif)


def exif_place(exif: Image.Exif) -> dict[str, Any] | None:
    """The GPS position (WGS84 degrees) and the time taken that EXIF gives, if any."""
    found: dict[str, Any] = {}
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    try:
        lat = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef, "N"))
        lon = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        pass
    else:
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            found["lat"], found["lon"] = lat, lon
    taken = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
    if isinstance(taken, str):
        with contextlib.suppress(ValueError):
            found["taken"] = datetime.strptime(taken.strip(), "%Y:%m:%d %H:%M:%S").isoformat()
    return found or None


def _degrees(value: Any, ref: str) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    sign = -1 if str(ref).upper() in ("S", "W") else 1
    return round(sign * (degrees + minutes / 60 + seconds / 3600), 7)
