"""``gridhub demo``: migrate the store, load the demo town, (re)set the admin, serve."""

from typing import Annotated

import typer

from gridhub.cli_context import context
from gridhub.db import transaction
from gridhub.demo.loader import ADMIN, RIVER_FILE, load_demo, reset_admin
from gridhub.demo.reports import load_reports


def demo_command(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the hub after loading.")
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
    typer.echo(f"demo loaded: {loaded}, {filed} residents' reports filed")
    url = f"http://{host or settings.api.host}:{port or settings.api.port}/"
    typer.echo(f"sign in at {url} as {ADMIN!r} with the one-time password: {password}")
    if serve:
        run_hub(settings, host=host, port=port, hub=hub)
