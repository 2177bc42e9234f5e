"""What the map page needs besides the grids: its base layer and GeoJSON overlays."""

from pathlib import Path
from typing import Any

import orjson

from gridhub.api import tiles
from gridhub.config.dashboard import DashboardConfig


class OverlayError(Exception):
    """An overlay file that cannot be drawn; the message names the file and why."""


def map_config(config: DashboardConfig) -> dict[str, Any]:
    """The tile layer (if any: the hub's own MBTiles first) and every overlay feature, in
    one FeatureCollection."""
    features: list[Any] = []
    for path in config.overlays:
        features.extend(_overlay_features(path))
    tile_url, attribution, max_zoom = config.tile_url or None, config.tile_attribution, 19
    if config.mbtiles is not None:
        try:
            meta = tiles.metadata(config.mbtiles)
        except tiles.TilesError as exc:
            raise OverlayError(str(exc)) from None
        tile_url = f"/tiles/{{z}}/{{x}}/{{y}}.{meta.get('format', 'png')}"
        attribution = attribution or meta.get("attribution", "")
        max_zoom = int(meta.get("maxzoom", max_zoom))
    return {
        "tile_url": tile_url,
        "tile_attribution": attribution,
        "tile_max_zoom": max_zoom,
        "overlays": {"type": "FeatureCollection", "features": features},
    }


def _overlay_features(path: Path) -> list[Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise OverlayError(f"overlay {path}: cannot be read: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise OverlayError(f"overlay {path}: not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise OverlayError(f"overlay {path}: not a GeoJSON FeatureCollection")
    return list(data.get("features") or [])
