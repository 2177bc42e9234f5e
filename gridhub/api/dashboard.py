"""What the map page needs besides the grids: its base layer and GeoJSON overlays."""

from pathlib import Path
from typing import Any

import orjson

from gridhub.config.dashboard import DashboardConfig


class OverlayError(Exception):
    """An overlay file that cannot be drawn; the message names the file and why."""


def map_config(config: DashboardConfig) -> dict[str, Any]:
    """The tile layer (if any) and every overlay feature, in one FeatureCollection."""
    features: list[Any] = []
    for path in config.overlays:
        features.extend(_overlay_features(path))
    return {
        "tile_url": config.tile_url or None,
        "tile_attribution": config.tile_attribution,
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
