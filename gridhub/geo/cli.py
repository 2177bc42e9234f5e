"""``gridhub grids …``: import, export and locate."""

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from gridhub.cli_context import context, fail
from gridhub.db import transaction
from gridhub.geo.crs import CRS_NAMES, check_crs
from gridhub.geo.exporter import export_regions
from gridhub.geo.importer import (
    GridImportError,
    ImportReport,
    import_grids,
    load_feature_collection,
)
from gridhub.geo.locator import GridLocator
from gridhub.geo.repository import region_by_code

grids_app = typer.Typer(help="Regions and grids: import, export, locate.", no_args_is_help=True)


@grids_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A GeoJSON FeatureCollection of regions and grids.")],
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove stored regions and grids missing from FILE.")
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Refuse grids that overlap.")] = False,
) -> None:
    """Create or update regions and grids by code; all or nothing."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    started = time.monotonic()

    def stage(what: str) -> None:
        typer.echo(f"[{time.monotonic() - started:5.1f} s] {what}", err=True)

    try:
        stage(f"parsing {file.name} ({len(data) / 1e6:.1f} MB)")
        collection = load_feature_collection(data)
        with transaction(context(ctx).sessions) as session:
            report = import_grids(session, collection, prune=prune, strict=strict, on_stage=stage)
        stage("committed")
    except GridImportError as exc:
        for problem in exc.problems:
            typer.secho(f"{file}: {problem}", err=True, fg=typer.colors.RED)
        fail(f"{file}: nothing imported ({len(exc.problems)} problem(s))", code=1)
    typer.echo(_summary(report))


def _summary(report: ImportReport) -> str:
    lines = [
        f"created {len(report.created)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}, removed {len(report.removed)}"
    ]
    if report.overlaps:
        lines.append(f"{len(report.overlaps)} overlap(s) between grids:")
        lines.extend(f"  {overlap}" for overlap in report.overlaps)
    if report.revision is not None:
        lines.append(f"grid revision {report.revision}")
    return "\n".join(lines)


@grids_app.command("export")
def export_command(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    under: Annotated[
        str | None, typer.Option("--under", help="Only this region and what lies below it.")
    ] = None,
) -> None:
    """Write regions and grids as GeoJSON in the import format."""
    with context(ctx).sessions() as session:
        if under is not None and region_by_code(session, under) is None:
            fail(f"unknown region {under}")
        collection = export_regions(session, under)
    text = json.dumps(collection, ensure_ascii=False, indent=1)
    if output is None:
        typer.echo(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    typer.echo(f"{len(collection['features'])} features written to {output}", err=True)


@grids_app.command("locate")
def locate_command(
    ctx: typer.Context,
    lon: Annotated[float, typer.Argument(help="Longitude.")],
    lat: Annotated[float, typer.Argument(help="Latitude.")],
    crs: Annotated[
        str, typer.Option("--crs", help=f"Coordinate system of LON LAT: {', '.join(CRS_NAMES)}.")
    ] = "wgs84",
) -> None:
    """Print, as one JSON object, the grid of a point (and the nearest grid when outside).

    A point on a border shared by several grids belongs to the one whose code sorts first.
    """
    try:
        crs = check_crs(crs)
    except ValueError as exc:
        fail(str(exc))
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        fail(f"coordinates out of range: lon {lon}, lat {lat}")
    location = GridLocator(context(ctx).sessions).locate(lon, lat, crs)
    result: dict[str, object] = {
        "grid": location.grid,
        "path": list(location.path),
        "lon": location.lon,
        "lat": location.lat,
    }
    if location.grid is None:
        result["nearest"] = location.nearest
        result["distance_m"] = (
            None if location.distance_m is None else round(location.distance_m, 2)
        )
    typer.echo(json.dumps(result, ensure_ascii=False))
