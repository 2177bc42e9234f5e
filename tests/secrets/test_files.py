"""The data directory is the hub's alone: 0700, and the store and keys in it 0600."""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridhub.cli import app
from gridhub.config import load_settings
from gridhub.db import open_store, transaction
from gridhub.secrets import KEYS_FILE
from tests.support.factories import make_grid_tree

runner = CliRunner()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """What a login shell gives: files 0644 and directories 0755 unless the hub says else."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_hub_keeps_its_store_and_keys_private(tmp_path: Path):
    data = tmp_path / "data"
    settings = load_settings(data_dir=data)  # the embedded default: SpatiaLite in the data dir
    engine, sessions = open_store(settings)
    with transaction(sessions) as session:
        make_grid_tree(session)  # some writes: the WAL and shared-memory files exist now
    files = {path.name: mode(path) for path in data.iterdir()}
    assert mode(data) == 0o700
    assert files == {
        "gridhub.db": 0o600,
        "gridhub.db-wal": 0o600,
        "gridhub.db-shm": 0o600,
        "secret_key": 0o600,
    }
    engine.dispose()

    env = {"GRIDHUB_DATA_DIR": str(data)}
    result = runner.invoke(app, ["secrets", "rotate"], env=env)
    assert result.exit_code == 0, result.output
    assert mode(data / KEYS_FILE) == 0o600 and mode(data) == 0o700


def test_an_existing_open_data_dir_and_store_are_closed_on_start(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "gridhub.db").touch(mode=0o644)
    settings = load_settings(data_dir=data)
    engine, _ = open_store(settings)
    engine.dispose()
    assert mode(data) == 0o700
    assert mode(data / "gridhub.db") == 0o600
