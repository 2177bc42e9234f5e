"""What every CLI command shares: the settings and the store, opened on first use."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gridhub.config import ConfigError, Settings, load_settings
from gridhub.db import StoreSetupError, open_store
from gridhub.events import EventSink
from gridhub.tables import TableImportError

REFUSED_EXIT_CODE = 1
"""Input was refused (a bad file, a device that said no); 2 is for usage and configuration."""


@dataclass
class CliContext:
    config_file: Path | None = None
    sink_factory: Callable[[Settings], EventSink] | None = None
    """Builds the sink for events a command causes (the root command passes the alerts'
    sink in, so that no area's command imports another area)."""
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
            try:
                self._store = open_store(self.settings)
            except StoreSetupError as exc:
                fail(f"store error: {exc}")
        return self._store

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.store()[1]

    def event_sink(self) -> EventSink | None:
        return None if self.sink_factory is None else self.sink_factory(self.settings)


def context(ctx: typer.Context) -> CliContext:
    return ctx.find_root().obj


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error on stderr and exit non-zero."""
    typer.secho(message, err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def refuse(file: Path, exc: TableImportError) -> NoReturn:
    """Name every problem of a refused import file on stderr and exit with REFUSED_EXIT_CODE."""
    lines = [f"{file}: refused, store unchanged ({len(exc.errors)} problem(s)):"]
    lines += [f"  {error}" for error in exc.errors]
    fail("\n".join(lines), code=REFUSED_EXIT_CODE)
