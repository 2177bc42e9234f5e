"""What every CLI command shares: the settings and the store, opened on first use."""

from dataclasses import dataclass, field
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gridhub.config import ConfigError, Settings, load_settings
from gridhub.hub import open_store


@dataclass
class CliContext:
    config_file: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _store: tuple[Engine, sessionmaker[Session]] | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_file)
            except ConfigError as exc:
                fail(f"configuration error: {exc}")
        return self._settings

    def store(self) -> tuple[Engine, sessionmaker[Session]]:
        """The engine and a session factory, with the schema brought up to date."""
        if self._store is None:
            self._store = open_store(self.settings)
        return self._store

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.store()[1]


def context(ctx: typer.Context) -> CliContext:
    return ctx.find_root().obj


def fail(message: str, code: int = 2) -> None:
    """Print an error on stderr and exit non-zero."""
    typer.secho(message, err=True, fg=typer.colors.RED)
    raise typer.Exit(code)
