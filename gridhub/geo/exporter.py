"""Export of regions and grids in the import format (a GeoJSON FeatureCollection)."""

from typing import Any

from sqlalchemy.orm import Session

from gridhub.geo.repository import all_regions, feature_collection, subtree


def export_regions(session: Session, under: str | None = None) -> dict[str, Any]:
    """Every region and grid (or those under the region ``under``), parents before children.

    Importing the result into an empty store gives back the same codes, names, levels, parents,
    geometries and extra properties.
    """
    regions = all_regions(session) if under is None else subtree(session, under)
    return feature_collection(regions)
