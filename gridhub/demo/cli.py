"""``gridhub demo``: migrate the store, load the demo town, (re)set the admin, serve."""

from typing import TYPE_CHECKING, Annotated

import typer

from gridhub.cli_context import context
from gridhub.db import transaction
from gridhub.demo.loader import (
    ADMIN,
    CAMERAS_FILE,
    PHONE_USER,
    RIVER_FILE,
    load_demo,
    reset_admin,
    reset_phone_user,
)
from gridhub.demo.reports import load_reports

if TYPE_CHECKING:
    from gridhub.demo.streams import DemoStreams


def demo_command(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the hub after loading.")
    ] = True,
    streams: Annotated[
        bool,
        typer.Option("--streams/--no-streams", help="Serve the cameras' RTSP test streams."),
    ] = True,
    simulate: Annotated[
        bool,
        typer.Option(
            "--simulate/--no-simulate",
            help="Publish patrols, sensor readings and drone flights over the broker.",
        ),
    ] = True,
) -> None:
    """Load the demo town (柳湾镇: 60 grids, ~150 members, cameras, sensors), print a new admin
    password and serve the hub."""
    # The hub loads every area (OpenCV, paho, apprise): only here, not for every command.
    from gridhub.cli import run_hub
    from gridhub.hub import build_hub

    settings = context(ctx).settings
    if not settings.dashboard.overlays:  # show the demo's river on the map
        dashboard = settings.dashboard.model_copy(update={"overlays": (RIVER_FILE,)})
        settings = settings.model_copy(update={"dashboard": dashboard})
    hub = build_hub(settings)
    loaded = load_demo(hub.sessions, hub.locator, hub.secret_box)
    filed = load_reports(hub)
    with transaction(hub.sessions) as session:
        password = reset_admin(session)
        phone_password = reset_phone_user(session)
    typer.echo(f"demo loaded: {loaded}, {filed} residents' reports filed")
    url = f"http://{host or settings.api.host}:{port or settings.api.port}/"
    typer.echo(
        f"the grid worker's phone: {url}m/ as {PHONE_USER[0]!r} ({PHONE_USER[1]}), "
        f"password {phone_password}"
    )
    typer.echo(f"sign in at {url} as {ADMIN!r} with the one-time password: {password}")
    if not serve:
        return
    rtsp = _start_streams() if streams else None
    town = None
    if simulate:
        from gridhub.demo.simulate import TownSimulator

        town = TownSimulator(settings, hub.mqtt_url, hub.topics)
        hub.services.append(town)  # started after the broker and ingest, stopped before them
        typer.echo("simulating the town: patrols, sensor readings, drones")
    try:
        run_hub(settings, host=host, port=port, hub=hub)
    finally:
        if rtsp is not None:
            rtsp.stop()


def _start_streams() -> "DemoStreams | None":
    """The cameras' RTSP streams, or None (and why) where GStreamer is missing."""
    from gridhub.demo import streams

    why = streams.unavailable()
    if why is None:
        port, paths = streams.mounts(CAMERAS_FILE)
        try:
            server = streams.DemoStreams(port, paths).start()
        except RuntimeError as exc:
            why = str(exc)
        else:
            typer.echo(f"camera streams: {len(paths)} at rtsp://127.0.0.1:{port}/demo/…")
            return server
    typer.echo(f"camera streams not served ({why}): the demo cameras will read offline")
    return None
