"""``gridhub members …``: import the roster from CSV/YAML and list it."""

from pathlib import Path
from typing import Annotated

import typer

from gridhub.cli_context import context, refuse
from gridhub.db import transaction
from gridhub.geo.members import get_member, import_members, list_members
from gridhub.geo.members_file import MemberImportError, read_member_file
from gridhub.mqtt.access import Role
from gridhub.mqtt.cli import set_password_command
from gridhub.secrets import SecretBox

members_app = typer.Typer(
    help="Members: the roster of people responsible for grids.", no_args_is_help=True
)


@members_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .csv, .yaml or .yml members file.")],
) -> None:
    """Create or update members by code; any error changes nothing."""
    sessions = context(ctx).sessions
    try:
        rows = read_member_file(file)
        with transaction(sessions) as session:
            report = import_members(session, rows, SecretBox.for_settings(context(ctx).settings))
    except MemberImportError as exc:
        refuse(file, exc)
    typer.echo(f"{file}: {report}")


@members_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Print every member: code, role, name, duty and the grids/regions assigned."""
    with context(ctx).sessions() as session:
        members = list_members(session)
        for member in members:
            areas = ";".join(area.region.code for area in member.areas)
            typer.echo(f"{member.code}\t{member.role}\t{member.name}\t{member.duty}\t{areas}")
    if not members:
        typer.echo("no members", err=True)


@members_app.command("mqtt-password")
def mqtt_password_command(
    ctx: typer.Context, code: Annotated[str, typer.Argument(help="A member's code.")]
) -> None:
    """Set the MQTT password member CODE signs in with (user name: its code), read from stdin;
    it may then publish only its own check-ins and acks and read only its own alerts."""
    set_password_command(ctx, code, Role.MEMBER, lambda s: get_member(s, code) is not None)
