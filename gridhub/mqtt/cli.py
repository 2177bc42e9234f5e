"""``gridhub broker …``: integrations' broker users, and the files of an external Mosquitto.

Members, sensors and drones get their broker passwords from their own registries' commands
(``gridhub members mqtt-password CODE`` …), which call :func:`set_password_command`.
"""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from gridhub.cli_context import REFUSED_EXIT_CODE, context, fail
from gridhub.db import transaction
from gridhub.mqtt.access import INTEGRATION_ROLES, Role
from gridhub.mqtt.credentials import configured_credentials, hub_username
from gridhub.mqtt.mosquitto_files import MosquittoSetup, write_all
from gridhub.mqtt.refresh import REFRESH_S
from gridhub.mqtt.topics import Topics
from gridhub.mqtt.users import MqttUserError, access_table, list_users, remove_user, set_password

broker_app = typer.Typer(
    help="The MQTT broker: integrations' users, and the files of an external Mosquitto.",
    no_args_is_help=True,
)
user_app = typer.Typer(
    help="Broker users of integrations (Frigate, a DJI gateway, a warning feed); members, "
    "sensors and drones get theirs with `gridhub members|sensors|drones mqtt-password`.",
    no_args_is_help=True,
)
broker_app.add_typer(user_app, name="user")

APPLIED = (
    f"the embedded broker applies it within {REFRESH_S:g} s; for an external Mosquitto, run "
    "`gridhub broker mosquitto-config DIR` again and reload it (kill -HUP)"
)


def read_password() -> str:
    """From a terminal: prompted twice, hidden. Otherwise: the first line of stdin."""
    if sys.stdin.isatty():
        return str(typer.prompt("MQTT password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


def set_password_command(
    ctx: typer.Context, username: str, role: Role, exists: Callable[[Session], bool]
) -> None:
    """Set ``username``'s broker password from stdin, if ``exists`` finds it in its registry."""
    cli = context(ctx)
    with cli.sessions() as session:
        if not exists(session):
            fail(f"MQTT password not set: no {role.value} {username!r}", code=REFUSED_EXIT_CODE)
    password = read_password()
    try:
        with transaction(cli.sessions) as session:
            set_password(session, username, role, password, hub_username(cli.settings))
    except MqttUserError as exc:
        fail(f"MQTT password not set: {exc}", code=REFUSED_EXIT_CODE)
    typer.echo(f"MQTT password set for {role.value} {username} (only its hash is kept); {APPLIED}")


@user_app.command("add")
def add_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user name the integration signs in with.")],
    role: Annotated[
        str,
        typer.Option(
            help="frigate (its frigate/# topics), dji (thing/product/+/osd) or warnings "
            "(warnings/area under the prefix)."
        ),
    ],
) -> None:
    """Add an integration's broker user, or change its password; the password is read from
    stdin."""
    if role not in INTEGRATION_ROLES:
        choices = ", ".join(r.value for r in INTEGRATION_ROLES)
        fail(f"--role must be one of {choices}; members, sensors and drones: mqtt-password")
    set_password_command(ctx, name, Role(role), lambda _session: True)


@user_app.command("remove")
def remove_user_command(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="A broker user name.")]
) -> None:
    """Remove a broker user (member, sensor, drone or integration): it can no longer sign in
    or use its topics."""
    try:
        with transaction(context(ctx).sessions) as session:
            user = remove_user(session, name)
    except MqttUserError as exc:
        fail(str(exc), code=REFUSED_EXIT_CODE)
    typer.echo(f"MQTT user {name} ({user.role}) removed; {APPLIED}")


@user_app.command("list")
def list_users_command(ctx: typer.Context) -> None:
    """Print every broker user: name, role, when its password was last set."""
    with context(ctx).sessions() as session:
        users = list_users(session)
        for user in users:
            typer.echo(f"{user.username}\t{user.role}\t{user.updated_at.isoformat()}")
    if not users:
        typer.echo("no MQTT users", err=True)


@broker_app.command("mosquitto-config")
def mosquitto_config(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Where to write the files (made if needed).")],
    host: Annotated[str, typer.Option(help="Address Mosquitto listens on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port it listens on.")] = 1883,
    user: Annotated[
        str, typer.Option(help="System user Mosquitto switches to when started as root.")
    ] = "mosquitto",
) -> None:
    """Write mosquitto.conf, its password file and ACL for an external Mosquitto: the same
    users, topics, persistence and queue limits as the embedded broker."""
    cli = context(ctx)
    settings = cli.settings
    credentials = configured_credentials(settings)
    if credentials is None:
        fail(
            "the hub's broker user is not set: set GRIDHUB_MQTT__USERNAME and "
            "GRIDHUB_MQTT__PASSWORD (or GRIDHUB_MQTT_URL=mqtt://USER:PASSWORD@HOST:PORT) to what "
            "the hub will sign in with; it becomes the user allowed everything"
        )
        return
    topics = Topics.of(settings)
    with cli.sessions() as session:
        table = access_table(session, topics, credentials.broker_user(topics))
    setup = MosquittoSetup(
        directory=directory.resolve(),
        host=host,
        port=port,
        max_inflight=settings.mqtt.receive_maximum,
        session_expiry_s=settings.mqtt.session_expiry_s,
        run_as=user or None,
    )
    try:
        write_all(setup, table)
    except (OSError, ValueError) as exc:
        fail(f"{directory}: not written: {exc}", code=REFUSED_EXIT_CODE)
    typer.echo(
        f"wrote {setup.conf_path}, {setup.password_path} ({len(table.users)} users) and "
        f"{setup.acl_path}\nstart it with: mosquitto -c {setup.conf_path}\n"
        "after users change, run this again and reload Mosquitto (kill -HUP its pid)"
    )
