"""``gridhub reports keys create|list|revoke``: Open311 API keys for trusted clients."""

from typing import Annotated

import typer

from gridhub.cli_context import REFUSED_EXIT_CODE, context, fail
from gridhub.db import transaction, utcnow
from gridhub.reports.keys import create_key, list_keys, revoke_key

reports_app = typer.Typer(help="Residents' reports (村民说事).", no_args_is_help=True)
keys_app = typer.Typer(help="Open311 API keys of trusted clients.", no_args_is_help=True)
reports_app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def create(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Who the key is for.")]
) -> None:
    """Make a key (printed once: keep it); it raises the limits and skips the challenge."""
    try:
        with transaction(context(ctx).sessions) as session:
            row, key = create_key(session, name, utcnow())
    except ValueError as exc:
        fail(str(exc), code=REFUSED_EXIT_CODE)
    typer.echo(f"key {row.id} for {row.name}: {key}")


@keys_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Every key: id, name, made, revoked."""
    with context(ctx).sessions() as session:
        for row in list_keys(session):
            state = "revoked" if row.revoked else "active"
            typer.echo(f"{row.id}\t{row.name}\t{row.created_at:%Y-%m-%d}\t{state}")


@keys_app.command("revoke")
def revoke(
    ctx: typer.Context, key_id: Annotated[int, typer.Argument(help="The key's id.")]
) -> None:
    """Stop a key working at once."""
    try:
        with transaction(context(ctx).sessions) as session:
            row = revoke_key(session, key_id)
    except LookupError as exc:
        fail(str(exc), code=REFUSED_EXIT_CODE)
    typer.echo(f"key {row.id} ({row.name}) revoked")
