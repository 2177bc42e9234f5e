"""Settings of the web dashboard: an optional tile layer and GeoJSON overlays (rivers, roads)."""

from pathlib import Path

from pydantic import Field

from gridhub.config.sections import Section


class DashboardConfig(Section):
    """The map page at ``/``. Without a tile URL the grids are drawn on a plain background."""

    tile_url: str = Field(
        "",
        description="XYZ tile URL template, e.g. a local MBTiles server "
        "http://127.0.0.1:8080/{z}/{x}/{y}.png; empty: no base map (works offline).",
    )
    tile_attribution: str = Field("", description="Attribution shown under the tile layer.")
    mbtiles: Path | None = Field(
        None,
        description="An MBTiles file of raster tiles (PNG, JPEG or WebP) the hub serves itself "
        "at /tiles/{z}/{x}/{y}: a base map for an offline command centre; wins over tile_url.",
    )
    overlays: tuple[Path, ...] = Field(
        (),
        description="GeoJSON files drawn under the grids (rivers, roads); "
        "`gridhub demo` shows its river when none are set.",
    )
