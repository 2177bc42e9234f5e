"""The hub's settings: one validated object built once at start-up and passed in."""

import os
import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
    YamlConfigSettingsSource,
)

from gridhub.config.alerts import AlertsConfig
from gridhub.config.cameras import CamerasConfig
from gridhub.config.dashboard import DashboardConfig
from gridhub.config.mqtt import IngestConfig, MqttConfig
from gridhub.config.reports import ReportsConfig
from gridhub.config.sections import ApiConfig
from gridhub.config.warnings import WarningsConfig
from gridhub.i18n import DEFAULT_LANGUAGE, LANGUAGES
from gridhub.reasons import location, message

ENV_PREFIX = "GRIDHUB_"
CONFIG_FILE_ENV = "GRIDHUB_CONFIG"
DEFAULT_DATA_DIR = Path("data")
SECRET_KEY_FILE = "secret_key"


class ConfigError(Exception):
    """Settings could not be loaded; the message names each bad setting."""


class Settings(BaseSettings):
    """Everything the hub needs to start. Environment wins over the config file."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Field(DEFAULT_DATA_DIR, description="Where the embedded store and keys live.")
    database_url: str = Field(
        "",
        description="sqlite:///PATH (SpatiaLite) or postgresql+psycopg://… (PostGIS); "
        "empty means a SpatiaLite file in the data dir.",
    )
    mqtt_url: str = Field(
        "",
        description="mqtt://[user:pass@]host:port or mqtts://…; empty starts the embedded broker.",
    )
    secret_key: SecretStr = Field(
        SecretStr(""),
        description="Signs tokens, encrypts secrets at rest; empty: one kept in the data dir.",
    )
    timezone: str = Field(
        "Asia/Shanghai", description="IANA time zone in which members' duty hours are read."
    )
    language: str = Field(
        DEFAULT_LANGUAGE,
        description="What pages show first and members without a language of their own receive "
        "(zh-CN or en).",
    )
    api: ApiConfig = Field(default_factory=ApiConfig)
    cameras: CamerasConfig = Field(default_factory=CamerasConfig)
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    dashboard: DashboardConfig = Field(default_factory=DashboardConfig)
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    warnings: WarningsConfig = Field(default_factory=WarningsConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        if settings_cls.model_config.get("yaml_file"):
            return init_settings, env_settings, YamlConfigSettingsSource(settings_cls)
        if settings_cls.model_config.get("toml_file"):
            return init_settings, env_settings, TomlConfigSettingsSource(settings_cls)
        return init_settings, env_settings

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:///", "postgresql")):
            raise ValueError("must start with sqlite:/// (SpatiaLite) or postgresql+psycopg://")
        return value

    @field_validator("mqtt_url")
    @classmethod
    def _check_mqtt_url(cls, value: str) -> str:
        if value and not value.startswith(("mqtt://", "mqtts://", "tcp://", "ssl://")):
            raise ValueError("must look like mqtt://host:1883 or mqtts://host:8883")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Asia/Shanghai") from None
        return value

    @field_validator("language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("secret_key")
    @classmethod
    def _check_secret_key(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> "Settings":
        if not self.database_url:
            path = (self.data_dir / "gridhub.db").resolve()
            object.__setattr__(self, "database_url", f"sqlite:///{path}")
        return self

    @property
    def uses_embedded_broker(self) -> bool:
        return not self.mqtt_url

    def secret(self) -> str:
        """The secret key; when unset, one is created once and kept in the data dir."""
        configured = self.secret_key.get_secret_value()
        if configured:
            return configured
        path = self.data_dir / SECRET_KEY_FILE
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Created 0600 from the start: no moment in which another user could read it.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(32))
        return path.read_text().strip()


def _settings_class(config_file: Path) -> type[Settings]:
    """Settings that also read ``config_file`` (YAML or TOML), below the environment."""
    if not config_file.is_file():
        raise ConfigError(f"{CONFIG_FILE_ENV}: no such file: {config_file}")
    suffix = config_file.suffix.lower()
    config = Settings.model_config.copy()
    if suffix in {".yaml", ".yml"}:
        config["yaml_file"] = config_file
    elif suffix == ".toml":
        config["toml_file"] = config_file
    else:
        raise ConfigError(f"{CONFIG_FILE_ENV}: {config_file} must be a .yaml, .yml or .toml file")
    return type("FileSettings", (Settings,), {"model_config": config})


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings, or raise ConfigError with one line per bad setting."""
    if config_file is None and os.environ.get(CONFIG_FILE_ENV):
        config_file = Path(os.environ[CONFIG_FILE_ENV])
    settings_class = Settings if config_file is None else _settings_class(config_file)
    try:
        return settings_class(**overrides)
    except ValidationError as exc:
        raise ConfigError("\n".join(_describe(error) for error in exc.errors())) from None
    except (ValueError, yaml.YAMLError) as exc:  # a config file that does not parse
        raise ConfigError(f"{config_file}: cannot be read: {exc}".replace("\n", " ")) from None


def _describe(error: ErrorDetails) -> str:
    parts = [str(part) for part in error["loc"]]
    name = ENV_PREFIX + "__".join(parts).upper() if parts else "settings"
    return f"{name} [{location(error)}]: {message(error, show_input=True)}"
