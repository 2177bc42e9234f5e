"""Settings: environment variables ``GRIDHUB_*`` and an optional YAML/TOML file."""

from gridhub.config.settings import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "load_settings"]
