"""``gridhub cameras …``: import feeds, discover and add ONVIF devices, probe streams once."""

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from gridhub.cameras.discovery import MULTICAST, probe
from gridhub.cameras.registry import (
    CameraImportError,
    CameraRecord,
    GridOf,
    import_cameras,
    read_records,
)
from gridhub.cli_context import REFUSED_EXIT_CODE, context, fail, refuse
from gridhub.db import transaction
from gridhub.geo.locator import GridLocator
from gridhub.geo.repository import grid_point
from gridhub.reasons import describe
from gridhub.secrets import SecretBox, redact_url

cameras_app = typer.Typer(help="Cameras and drones: registry, ONVIF, health.", no_args_is_help=True)


def _grid_of(ctx: typer.Context) -> GridOf:
    locator = GridLocator(context(ctx).sessions)
    return lambda lon, lat: locator.locate(lon, lat).grid


@cameras_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .csv, .yaml or .yml cameras file.")],
) -> None:
    """Create or update cameras by code; any error changes nothing."""
    sessions = context(ctx).sessions
    try:
        records = read_records(file)
        with transaction(sessions) as session:
            report = import_cameras(
                session, records, _grid_of(ctx), SecretBox.for_settings(context(ctx).settings)
            )
    except CameraImportError as exc:
        refuse(file, exc)
    typer.echo(f"{file}: {len(report.created)} created, {len(report.updated)} updated")


@cameras_app.command("discover")
def discover_command(
    target: Annotated[
        str, typer.Option(help="Where to send the probe, HOST:PORT (default: multicast).")
    ] = f"{MULTICAST[0]}:{MULTICAST[1]}",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for answers.")] = 3.0,
) -> None:
    """Send a WS-Discovery probe and list the ONVIF devices that answer."""
    host, _, port = target.rpartition(":")
    found = probe((host, int(port)), timeout)
    for device in found:
        typer.echo(f"{device.address}\t{device.name or '-'}\t{' '.join(device.xaddrs)}")
    if not found:
        typer.echo("no ONVIF device answered", err=True)


@cameras_app.command("add")
def add_command(
    ctx: typer.Context,
    onvif: Annotated[str, typer.Option(help="The device, HOST[:PORT].")],
    user: Annotated[str, typer.Option(help="ONVIF user name; the password is read from stdin.")],
    code: Annotated[str, typer.Option(help="Code to register the camera under.")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the model).")] = None,
    kind: Annotated[
        str | None, typer.Option(help="fixed, ptz, dome or body (default: ptz if it has PTZ).")
    ] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude (WGS84).")] = None,
    lat: Annotated[float | None, typer.Option(help="Latitude (WGS84).")] = None,
    grid: Annotated[
        str | None,
        typer.Option(help="Grid code, overriding the location (without one: the grid's point)."),
    ] = None,
    maintainer: Annotated[str | None, typer.Option(help="Member code who maintains it.")] = None,
) -> None:
    """Read device information, profiles and stream/snapshot URIs into the registry."""
    # ONVIF (zeep, aiohttp) and OpenCV load only for the commands that use them.
    from gridhub.cameras.onvif_cameras import read_device, register_device
    from gridhub.cameras.onvif_client import DeviceError

    password = sys.stdin.readline().rstrip("\r\n")
    cli = context(ctx)
    if lon is None or lat is None:  # refused here, before the camera is asked anything
        if grid is None:
            fail(f"{code}: refused: give --lon and --lat, or --grid", code=REFUSED_EXIT_CODE)
        with cli.sessions() as session:
            point = grid_point(session, grid)
        if point is None:
            fail(f"{code}: refused: grid {grid!r} does not exist", code=REFUSED_EXIT_CODE)
        lon, lat = point
    try:
        planned = CameraRecord(
            code=code, name=name or code, kind=kind or "fixed", lon=lon, lat=lat, grid=grid,
            maintainer=maintainer,
        )  # fmt: skip
    except ValidationError as exc:
        fail(f"{code}: refused: {describe(exc)}", code=REFUSED_EXIT_CODE)
    try:
        report = asyncio.run(
            read_device(onvif, user, password, cli.settings.cameras.onvif_timeout_s)
        )
        record = planned.model_copy(
            update={
                "name": name or f"{report.info.manufacturer} {report.info.model}",
                "kind": kind or ("ptz" if report.ptz else "fixed"),
            }
        )
        box = SecretBox.for_settings(cli.settings)
        with transaction(cli.sessions) as session:
            camera = register_device(
                session, box, record, report, onvif, user, password, _grid_of(ctx)
            )
            where = camera.grid.code if camera.grid else "no grid"
    except DeviceError as exc:
        fail(f"{onvif}: {exc}", code=REFUSED_EXIT_CODE)
    except (CameraImportError, ValueError) as exc:
        fail(f"{code}: refused: {exc}", code=REFUSED_EXIT_CODE)
    typer.echo(
        f"{code}: {report.info.manufacturer} {report.info.model} ({where}), "
        f"{len(report.profiles)} profile(s), stream {redact_url(report.stream_url)}"
        + (", PTZ" if report.ptz else "")
    )


@cameras_app.command("probe")
def probe_command(ctx: typer.Context) -> None:
    """Probe every registered stream once, with progress; record states and alerts."""
    from gridhub.cameras.probe import ProbeResult, probe_pool
    from gridhub.cameras.service import probe_all

    cli = context(ctx)
    settings = cli.settings
    pool = probe_pool(settings.cameras)
    done = 0

    def progress(result: ProbeResult) -> None:
        nonlocal done
        done += 1
        detail = result.reason or f"{result.fps} fps {result.width}x{result.height}"
        typer.echo(f"[{done}] {result.code}\t{result.status}\t{detail}\t{result.elapsed_s:.1f} s")

    try:
        results, changes = probe_all(
            cli.sessions,
            settings,
            pool,
            SecretBox.for_settings(settings),
            sink=cli.event_sink(),
            on_result=progress,
        )
    finally:
        pool.shutdown(cancel_futures=True)
    online = sum(r.status == "online" for r in results)
    typer.echo(f"{len(results)} probed, {online} online, {len(changes)} status change(s)")
    for change in changes:
        typer.echo(f"  {change.code}: {change.before} → {change.after} ({change.reason or 'ok'})")
