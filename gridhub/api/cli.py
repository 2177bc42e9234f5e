"""``gridhub users …`` and ``gridhub tokens …``: who may sign in, and integrations' tokens."""

import sys
from typing import Annotated

import typer

from gridhub.api.models import USER_ROLES
from gridhub.api.users import (
    UserError,
    check_password,
    create_api_token,
    create_user,
    list_api_tokens,
    list_users,
    revoke_api_token,
    set_active,
    set_password,
    set_role,
)
from gridhub.cli_context import context, fail
from gridhub.db import transaction

users_app = typer.Typer(help="Users who sign in to the API and dashboard.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for integrations.", no_args_is_help=True)


def _read_password() -> str:
    """From a terminal: prompted twice, hidden. Otherwise: the first line of stdin."""
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@users_app.command("add")
def add_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The username.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(USER_ROLES)}.")],
    scope: Annotated[
        str | None, typer.Option(help="Region code: the user sees only what lies under it.")
    ] = None,
    member: Annotated[str | None, typer.Option(help="The member code this user is.")] = None,
) -> None:
    """Add a user; the password is read from stdin."""
    password = _read_password()
    try:
        check_password(password)
        with transaction(context(ctx).sessions) as session:
            user = create_user(session, name, password, role, scope=scope, member_code=member)
    except UserError as exc:
        fail(f"user not added: {exc}")
    typer.echo(f"user {user.username} added ({user.role}, scope {user.scope or 'everything'})")


@users_app.command("list")
def list_users_command(ctx: typer.Context) -> None:
    """Print every user: name, role, scope, and whether active."""
    with context(ctx).sessions() as session:
        for user in list_users(session):
            state = "active" if user.active else "disabled"
            typer.echo(f"{user.username}\t{user.role}\t{user.scope or '*'}\t{state}")


@users_app.command("disable")
def disable_user(ctx: typer.Context, name: str) -> None:
    """Stop a user from signing in; their sign-in and API tokens end at once."""
    _set_active(ctx, name, False)


@users_app.command("enable")
def enable_user(ctx: typer.Context, name: str) -> None:
    """Let a disabled user sign in again (no token from before comes back)."""
    _set_active(ctx, name, True)


@users_app.command("passwd")
def change_password(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The username.")]
) -> None:
    """Set a user's password, read from stdin; their sign-in tokens end."""
    password = _read_password()
    try:
        check_password(password)
        with transaction(context(ctx).sessions) as session:
            set_password(session, name, password)
    except UserError as exc:
        fail(f"password not changed: {exc}")
    typer.echo(f"password of {name} changed; their sign-ins before have ended")


@users_app.command("role")
def change_role(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The username.")],
    role: Annotated[str, typer.Argument(help=f"One of: {', '.join(USER_ROLES)}.")],
) -> None:
    """Give a user another role; their sign-in tokens end."""
    try:
        with transaction(context(ctx).sessions) as session:
            set_role(session, name, role)
    except UserError as exc:
        fail(f"role not changed: {exc}")
    typer.echo(f"role of {name} is now {role}")


def _set_active(ctx: typer.Context, name: str, active: bool) -> None:
    try:
        with transaction(context(ctx).sessions) as session:
            set_active(session, name, active)
    except UserError as exc:
        fail(str(exc))
    typer.echo(f"user {name} {'enabled' if active else 'disabled'}")


@tokens_app.command("create")
def create_token(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. 'frigate'.")],
    user: Annotated[str, typer.Option("--user", help="The user the token acts as.")],
) -> None:
    """Create an API token and print it: it is shown this once only."""
    try:
        with transaction(context(ctx).sessions) as session:
            token, secret = create_api_token(session, user, name)
    except UserError as exc:
        fail(f"token not created: {exc}")
    typer.echo(f"token {token.id} ({name}) for {user}, shown only this once:", err=True)
    typer.echo(secret)


@tokens_app.command("list")
def list_tokens(ctx: typer.Context) -> None:
    """Print every API token (never the token itself): id, name, user, state, last use."""
    with context(ctx).sessions() as session:
        for token in list_api_tokens(session):
            state = "revoked" if token.revoked else "active"
            used = token.last_used_at.isoformat() if token.last_used_at else "never used"
            typer.echo(f"{token.id}\t{token.name}\t{token.user.username}\t{state}\t{used}")


@tokens_app.command("revoke")
def revoke_token(ctx: typer.Context, token_id: int) -> None:
    """Revoke an API token by id: it stops working at once."""
    try:
        with transaction(context(ctx).sessions) as session:
            revoke_api_token(session, token_id)
    except UserError as exc:
        fail(str(exc))
    typer.echo(f"token {token_id} revoked")
