"""``gridhub secrets …``: re-seal every secret in the store under a new key."""

import typer
from cryptography.fernet import Fernet

import gridhub.models  # noqa: F401  (registers every area's tables, whose columns say what is sealed)
from gridhub.cli_context import REFUSED_EXIT_CODE, context, fail
from gridhub.db import Base, transaction
from gridhub.secret_store import audit, rotate_all
from gridhub.secrets import KEYS_FILE, SecretBox, SecretError, write_keys

secrets_app = typer.Typer(
    help="Secrets at rest: the keys they are sealed with.", no_args_is_help=True
)

MAX_PASSES = 5
"""Passes over the store: a hub still sealing with the old key while the first pass runs
leaves a few rows for the next; its box takes up the new key within one stat."""


@secrets_app.command("rotate")
def rotate_command(ctx: typer.Context) -> None:
    """Seal every secret under a new key, in one transaction per pass; the old keys stay in
    the keys file until every secret opens with the new one, then are dropped."""
    cli = context(ctx)
    settings = cli.settings
    sessions = cli.sessions  # migrated first: every clear-text secret is sealed by now
    box = SecretBox.for_settings(settings)
    path = settings.data_dir / KEYS_FILE
    new = Fernet.generate_key()
    old = list(box.keys)
    write_keys(path, [new, *old])  # a crash from here on leaves both keys: all still opens
    rotor, newest = SecretBox([new, *old]), SecretBox([new])
    shown: set[str] = set()

    def progress(column: str, done: int, total: int) -> None:
        if total >= 1000 or column not in shown:
            typer.echo(f"  {column}: {done}/{total} rows", err=True)
        shown.add(column)

    typer.echo(f"re-sealing the store's secrets under a new key ({len(old)} old key(s))")
    total = 0
    try:
        for attempt in range(1, MAX_PASSES + 1):
            with transaction(sessions) as session:
                counts = rotate_all(session, Base.metadata, rotor, newest, progress)
            for column, count in sorted(counts.items()):
                typer.echo(f"  {column}: {count} secret(s) re-sealed")
            total += sum(counts.values())
            if attempt > 1 and not counts:
                break
            with sessions() as session:
                left = audit(session, Base.metadata, newest)
            if not left:
                break
        else:
            fail(f"secrets still sealed with an old key after {MAX_PASSES} passes; "
                 f"both keys kept in {path}", code=REFUSED_EXIT_CODE)  # fmt: skip
    except SecretError as exc:
        fail(f"nothing retired, every key kept in {path}: {exc}", code=REFUSED_EXIT_CODE)
    write_keys(path, [new])
    typer.echo(f"{total} secret(s) re-sealed; {len(old)} old key(s) retired from {path}")
