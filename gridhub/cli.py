"""The ``gridhub`` command: each area adds its own sub-commands."""

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gridhub.api.cli import tokens_app, users_app
from gridhub.cameras.cli import cameras_app
from gridhub.cli_context import REFUSED_EXIT_CODE, CliContext, context, fail
from gridhub.config import Settings
from gridhub.db import transaction
from gridhub.demo.cli import demo_command
from gridhub.geo.cli import grids_app
from gridhub.geo.members_cli import members_app
from gridhub.ingest.cli import deadletters_app, sensors_app
from gridhub.mqtt.access import Role
from gridhub.mqtt.cli import broker_app, set_password_command
from gridhub.reports.cli import reports_app
from gridhub.secrets import redact_url
from gridhub.secrets_cli import secrets_app

if TYPE_CHECKING:  # the hub loads every area (OpenCV, paho…): only ``serve`` needs it
    from gridhub.events import EventSink
    from gridhub.hub import Hub

CHATTY_LOGGERS = ("amqtt", "transitions", "alembic")
"""The embedded broker and its state machine log every connection and state change; Alembic
logs its context and every revision at each start (``db upgrade`` says the outcome)."""


# Plain help: the rich help of typer 0.29 prints "<bool>" after every flag (--help <bool>).
app = typer.Typer(
    help="gridhub: grid patrol and video monitoring hub.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="The store: migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(grids_app, name="grids")
app.add_typer(members_app, name="members")
app.add_typer(cameras_app, name="cameras")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(sensors_app, name="sensors")
app.add_typer(deadletters_app, name="deadletters")
app.add_typer(reports_app, name="reports")
app.add_typer(broker_app, name="broker")
app.add_typer(secrets_app, name="secrets")
drones_app = typer.Typer(
    help="Drones: link DJI serial numbers to registered drones, set their MQTT passwords.",
    no_args_is_help=True,
)
app.add_typer(drones_app, name="drones")
app.command("demo")(demo_command)
warnings_app = typer.Typer(
    help="Area warnings (flood, 三防): CAP 1.2 files from the weather and water authorities.",
    no_args_is_help=True,
)
app.add_typer(warnings_app, name="warnings")


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="GRIDHUB_CONFIG", help="A YAML or TOML settings file."),
    ] = None,
) -> None:
    ctx.obj = CliContext(config_file=config, sink_factory=alerts_sink)


def alerts_sink(settings: Settings) -> "EventSink":
    """What a command's events raise: alerts, found by the hub's dispatcher on its next poll."""
    from gridhub.alerts.context import AlertContext
    from gridhub.alerts.sink import AlertsSink
    from gridhub.mqtt.topics import Topics
    from gridhub.secrets import SecretBox

    topics = Topics.of(settings)
    context = AlertContext(
        settings.alerts,
        settings.timezone,
        settings.language,
        topics=topics,
        box=SecretBox.for_settings(settings),
    )
    return AlertsSink(context)


@app.command("validate-config")
def validate_config(ctx: typer.Context) -> None:
    """Load the settings, print them (secrets hidden) or each error with its setting."""
    settings = context(ctx).settings
    typer.echo(
        json.dumps(_redacted(settings.model_dump(mode="json")), indent=2, ensure_ascii=False)
    )


def _redacted(value: Any) -> Any:
    """Settings as shown: URLs (database, broker, webhooks, tiles) lose their secret parts."""
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return redact_url(value) if isinstance(value, str) and "://" in value else value


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the store to the newest schema."""
    engine, _ = context(ctx).store()
    typer.echo(f"store up to date ({engine.dialect.name})")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    api_workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="API processes on the port (default api.workers)."),
    ] = None,
) -> None:
    """Run the hub: migrate the store, start its services and serve the API."""
    run_hub(context(ctx).settings, host=host, port=port, workers=api_workers)


def run_hub(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    hub: "Hub | None" = None,
    workers: int | None = None,
) -> None:
    """Serve the API over ``hub`` (default: one built from ``settings``) until interrupted;
    with more than one worker, from that many API processes beside this one."""
    import uvicorn

    from gridhub.api.app import create_app
    from gridhub.api.workers import serve_with_workers
    from gridhub.hub import build_hub

    configure_logging()
    hub = hub or build_hub(settings)
    workers = workers or settings.api.workers
    options = server_options(settings, host, port)
    if workers > 1:
        serve_with_workers(hub, options, workers)
        return
    uvicorn.run(create_app(hub), **options, log_level="info")


def configure_logging() -> None:
    """What the hub logs while it serves: INFO, less the chatty libraries'."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def server_options(
    settings: Settings, host: str | None = None, port: int | None = None
) -> dict[str, Any]:
    """uvicorn's options from the settings: where to listen, and which proxies to believe
    about the client's address (what sign-in throttling counts by)."""
    proxies = settings.api.forwarded_allow_ips
    return {
        "host": host or settings.api.host,
        "port": port or settings.api.port,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": list(proxies),
    }


@drones_app.command("link")
def drones_link(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="A drone feed's code in the cameras registry.")],
    serial: Annotated[str, typer.Argument(help="The DJI device serial number (thing/product/SN).")],
) -> None:
    """Map DJI Cloud API telemetry of SERIAL onto the registered drone CODE."""
    # Here, not in an area's CLI: ingest keeps the link, the cameras registry knows the drone.
    from gridhub.cameras.registry import registered_drones
    from gridhub.ingest.drones import DroneLinkError, link_serial

    try:
        with transaction(context(ctx).sessions) as session:
            link_serial(session, code, serial, registered_drones)
    except DroneLinkError as exc:
        fail(str(exc), code=REFUSED_EXIT_CODE)
    typer.echo(f"DJI serial {serial} now reports as drone {code}")


@drones_app.command("mqtt-password")
def drones_mqtt_password(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="A drone feed's code in the cameras registry.")],
) -> None:
    """Set the MQTT password drone CODE signs in with (user name: its code), read from stdin;
    it may then publish only its own telemetry."""
    from gridhub.cameras.registry import registered_drones

    set_password_command(ctx, code, Role.DRONE, lambda s: code in registered_drones(s, [code]))


@warnings_app.command("import")
def warnings_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A CAP 1.2 XML file: Alert, Update or Cancel.")],
) -> None:
    """Take a CAP 1.2 message as if it had been posted to /api/v1/warnings/cap; one that
    fails validation is refused with every reason and changes nothing."""
    from gridhub.alerts.models import AreaAlertKey
    from gridhub.db import utcnow
    from gridhub.geo.locator import GridLocator
    from gridhub.ingest.cap import CapError, parse_cap
    from gridhub.ingest.warnings import take_cap

    cli = context(ctx)
    sink = cli.event_sink()
    try:
        warning = parse_cap(file.read_bytes())
        with transaction(cli.sessions) as session:
            events = take_cap(session, GridLocator(cli.sessions), warning, utcnow())
            if sink is not None:
                sink(session, events)
            known = session.get(AreaAlertKey, warning.key)
    except OSError as exc:
        fail(f"{file}: {exc.strerror or exc}")
    except CapError as exc:
        lines = [f"{file}: refused, store unchanged ({len(exc.reasons)} problem(s)):"]
        fail("\n".join(lines + [f"  {reason}" for reason in exc.reasons]), REFUSED_EXIT_CODE)
    if known is None:
        fail(f"{file}: no known warning is named by its references", REFUSED_EXIT_CODE)
    typer.echo(f"{file}: {warning.msg_type} {warning.key} → warning {known.alert_id}")


def main() -> None:
    app()
