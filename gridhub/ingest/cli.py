"""``gridhub sensors import|list``, ``gridhub deadletters list``."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from gridhub.cli_context import context, refuse
from gridhub.db import transaction
from gridhub.geo.locator import GridLocator
from gridhub.ingest.registry import SensorImportError, import_sensors
from gridhub.ingest.sensors import get_sensor, list_sensors
from gridhub.mqtt.access import Role
from gridhub.mqtt.cli import set_password_command
from gridhub.mqtt.deadletters import list_dead_letters

sensors_app = typer.Typer(
    help="Sensors: the registry of gauges and detectors.", no_args_is_help=True
)
deadletters_app = typer.Typer(
    help="Dead letters: MQTT messages that could not be used.", no_args_is_help=True
)


@sensors_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="A .csv (code,name,kind,lon,lat,unit,blue,yellow,orange,red) or .yaml."
        ),
    ],
) -> None:
    """Create or update sensors by code, each placed in its grid; any error changes nothing."""
    sessions = context(ctx).sessions
    try:
        with transaction(sessions) as session:
            report = import_sensors(session, file, GridLocator(sessions))
    except SensorImportError as exc:
        refuse(file, exc)
    typer.echo(f"{file}: {report}")


@sensors_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Print every sensor: code, kind, grid, unit, thresholds and current level."""
    with context(ctx).sessions() as session:
        sensors, total = list_sensors(session, limit=1_000_000)
        for sensor in sensors:
            thresholds = "/".join(
                "-" if value is None else f"{value:g}"
                for value in (sensor.blue, sensor.yellow, sensor.orange, sensor.red)
            )
            typer.echo(
                f"{sensor.code}\t{sensor.kind}\t{sensor.grid_code or '-'}\t{sensor.unit or '-'}"
                f"\t{thresholds}\t{sensor.level or '-'}\t{sensor.name}"
            )
    if not total:
        typer.echo("no sensors", err=True)


@sensors_app.command("mqtt-password")
def mqtt_password_command(
    ctx: typer.Context, code: Annotated[str, typer.Argument(help="A sensor's code.")]
) -> None:
    """Set the MQTT password sensor CODE signs in with (user name: its code), read from stdin;
    it may then publish only its own readings and warnings."""
    set_password_command(ctx, code, Role.SENSOR, lambda s: get_sensor(s, code) is not None)


@deadletters_app.command("list")
def list_dead_letters_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many of the newest.")] = 0,
    since: Annotated[
        datetime | None, typer.Option(help="Only those received at or after this time (UTC).")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="Only topics starting with this.")] = None,
) -> None:
    """Print dead letters, newest first: time, topic, reason and the start of the payload."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    with context(ctx).sessions() as session:
        rows, total = list_dead_letters(session, limit, offset, since, topic)
    for row in rows:
        excerpt = row.payload_excerpt.replace("\n", " ")[:80]
        typer.echo(f"{row.received_at.isoformat()}\t{row.topic}\t{row.reason}\t{excerpt}")
    typer.echo(f"{len(rows)} of {total} dead letter(s)", err=True)
