"""The hub's own broker credentials: configured, or generated once and kept in the data dir."""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from gridhub.config import Settings
from gridhub.mqtt.access import BrokerUser, Role, grants
from gridhub.mqtt.passwords import hash_password
from gridhub.mqtt.topics import Topics

HUB_USERNAME = "gridhub-hub"
BROKER_DIR = "mqtt"
"""The embedded broker's directory under the data dir: its config, users and persistence."""
PASSWORD_FILE = "hub-password"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def url(self, host: str, port: int) -> str:
        user, password = quote(self.username, safe=""), quote(self.password, safe="")
        return f"mqtt://{user}:{password}@{host}:{port}"

    def broker_user(self, topics: Topics) -> BrokerUser:
        return BrokerUser(
            self.username,
            Role.HUB,
            hash_password(self.password),
            grants(Role.HUB, self.username, topics),
        )


def broker_dir(settings: Settings) -> Path:
    """The embedded broker's directory (0700), made on first use."""
    path = settings.data_dir / BROKER_DIR
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def hub_username(settings: Settings) -> str:
    return settings.mqtt.username or HUB_USERNAME


def embedded_credentials(settings: Settings) -> Credentials:
    """For the embedded broker: ``mqtt.username``/``mqtt.password`` when set, else the hub's
    user with a password generated once and kept in ``DATA_DIR/mqtt/hub-password`` (0600)."""
    configured = settings.mqtt.password.get_secret_value()
    if configured:
        return Credentials(hub_username(settings), configured)
    path = broker_dir(settings) / PASSWORD_FILE
    if not path.exists():
        # Written aside, then linked into place: two hubs starting at once keep one password,
        # and nobody reads a half-written file.
        draft = path.with_name(f".{PASSWORD_FILE}.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return Credentials(hub_username(settings), path.read_text().strip())


def configured_credentials(settings: Settings) -> Credentials | None:
    """What the hub signs in to an external broker with (``mqtt_url`` or ``mqtt.username``
    and ``mqtt.password``), or None if either is missing."""
    from gridhub.mqtt.client import BrokerAddress  # paho: only for the command that needs it

    address = BrokerAddress.parse(settings.mqtt_url or "mqtt://localhost", settings.mqtt)
    if not address.username or not address.password:
        return None
    return Credentials(address.username, address.password)
