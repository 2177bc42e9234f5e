"""Settings load from the environment and a file; a wrong value names the setting."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridhub.cli import app
from gridhub.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("GRIDHUB_CONFIG", "GRIDHUB_DATABASE_URL", "GRIDHUB_MQTT_URL", "GRIDHUB_API__PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRIDHUB_DATA_DIR", str(tmp_path / "data"))


def test_defaults_are_the_embedded_store_and_broker(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{(tmp_path / 'data' / 'gridhub.db').resolve()}"
    assert settings.uses_embedded_broker


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text("mqtt_url: mqtt://broker.local:1883\napi:\n  port: 9000\n")
    monkeypatch.setenv("GRIDHUB_API__PORT", "9100")
    settings = load_settings(config)
    assert settings.mqtt_url == "mqtt://broker.local:1883"
    assert settings.api.port == 9100


def test_toml_file_is_read(tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    config.write_text('database_url = "postgresql+psycopg://hub@db/hub"\n[api]\nport = 8080\n')
    settings = load_settings(config)
    assert settings.database_url == "postgresql+psycopg://hub@db/hub"
    assert settings.api.port == 8080


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("GRIDHUB_API__PORT", "eighty", "GRIDHUB_API__PORT [api.port]"),
        ("GRIDHUB_API__PORT", "70000", "less than or equal to 65535"),
        ("GRIDHUB_MQTT_URL", "broker:1883", "GRIDHUB_MQTT_URL [mqtt_url]"),
        ("GRIDHUB_DATABASE_URL", "mysql://db", "GRIDHUB_DATABASE_URL [database_url]"),
        ("GRIDHUB_SECRET_KEY", "short", "at least 16 characters"),
    ],
)
def test_a_wrong_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_settings()


def test_unknown_keys_in_the_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text("api:\n  prot: 9000\n")
    with pytest.raises(ConfigError, match=r"api\.prot.*unknown field"):
        load_settings(config)


def test_unreadable_or_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "hub.yaml"
    broken.write_text("api: [\n")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings(broken)
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match=r"must be a \.yaml, \.yml or \.toml"):
        load_settings(broken.rename(tmp_path / "hub.ini"))


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings().secret()
    assert len(first) >= 32
    assert load_settings().secret() == first
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_cli_stops_with_one_line_per_bad_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDHUB_MQTT_URL", "nonsense")
    result = CliRunner().invoke(app, ["validate-config"])
    assert result.exit_code == 2
    assert "GRIDHUB_MQTT_URL [mqtt_url]" in result.output
    assert "Traceback" not in result.output


def test_validate_config_shows_no_secret_of_any_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GRIDHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GRIDHUB_DATABASE_URL", "postgresql+psycopg://hub:Db-Pa55@db:5432/hub")
    monkeypatch.setenv("GRIDHUB_MQTT_URL", "mqtt://hub:Broker-Pa55@broker:1883")
    monkeypatch.setenv(
        "GRIDHUB_ALERTS__WEBHOOKS",
        '[{"url": "https://hooks.example/services/T0/Hook-Token", "secret": "Sign-Key"}]',
    )
    monkeypatch.setenv("GRIDHUB_DASHBOARD__TILE_URL", "https://t0.tianditu.gov.cn/x?tk=Tile-Key")
    result = CliRunner().invoke(app, ["validate-config"])
    assert result.exit_code == 0, result.output
    for secret in ("Db-Pa55", "Broker-Pa55", "Hook-Token", "Sign-Key", "Tile-Key"):
        assert secret not in result.output
    shown = json.loads(result.output)
    assert shown["mqtt_url"] == "mqtt://…"
    assert shown["alerts"]["webhooks"][0]["url"] == "https://hooks.example/…"
