"""A base map from an MBTiles file (the MBTiles 1.3 spec: an SQLite file with ``metadata``
and ``tiles`` tables, rows counted from the south as in TMS), read straight with the
standard library's ``sqlite3``: an offline command centre needs no tile server."""

import sqlite3
from contextlib import closing
from pathlib import Path

FORMATS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


class TilesError(Exception):
    """An MBTiles file that cannot be served; the message names it and why."""


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise TilesError(f"mbtiles {path}: no such file")
    try:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise TilesError(f"mbtiles {path}: cannot be opened: {exc}") from None


def metadata(path: Path) -> dict[str, str]:
    """The file's metadata (name, format, minzoom, maxzoom, attribution…)."""
    try:
        with closing(_open(path)) as db:
            rows = db.execute("SELECT name, value FROM metadata").fetchall()
    except sqlite3.Error as exc:
        raise TilesError(f"mbtiles {path}: not an MBTiles file: {exc}") from None
    meta = {str(name): str(value) for name, value in rows}
    if meta.get("format", "png") not in FORMATS:
        raise TilesError(
            f"mbtiles {path}: format {meta.get('format')!r} is not a raster the map can draw "
            f"(use {', '.join(sorted(FORMATS))})"
        )
    return meta


def tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    """The tile at XYZ ``z/x/y`` (the file stores TMS rows: ``2**z - 1 - y``), or None."""
    with closing(_open(path)) as db:
        row = db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (1 << z) - 1 - y),
        ).fetchone()
    return None if row is None else bytes(row[0])
