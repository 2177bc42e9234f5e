"""The embedded broker, started by the hub when ``GRIDHUB_MQTT_URL`` is empty.

Mosquitto when it is installed (``setup.sh`` installs it), run as the hub's child; amqtt in the
hub's process otherwise. Both let in only the users of the store and the hub's own user, and
enforce the same topics; only Mosquitto keeps what it acknowledged across a crash.
"""

import getpass
import os
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from gridhub.config import Settings
from gridhub.mqtt.amqtt_broker import AmqttBroker
from gridhub.mqtt.credentials import broker_dir, embedded_credentials
from gridhub.mqtt.mosquitto_broker import MosquittoBroker, find_mosquitto
from gridhub.mqtt.mosquitto_files import MosquittoSetup
from gridhub.mqtt.refresh import AccessRefresher
from gridhub.mqtt.topics import Topics

ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}
"""Where the hub's own clients connect when the broker listens on every address."""


class EmbeddedBroker(Protocol):
    """A hub ``Service`` that is a broker: ``url`` signs the hub's clients in."""

    name: str

    @property
    def url(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> dict[str, Any]: ...


def embedded_broker(
    settings: Settings, sessions: sessionmaker[Session], topics: Topics
) -> EmbeddedBroker:
    """The broker ``mqtt.embedded_broker`` asks for (auto: Mosquitto if installed)."""
    config = settings.mqtt
    binary = None if config.embedded_broker == "amqtt" else find_mosquitto()
    if binary is None and config.embedded_broker == "mosquitto":
        raise RuntimeError(
            "mqtt.embedded_broker is mosquitto, but no mosquitto binary was found on PATH or "
            "in /usr/sbin (apt-get install mosquitto)"
        )
    credentials = embedded_credentials(settings)
    refresher = AccessRefresher(sessions, topics, credentials.broker_user(topics))
    host, port = config.embedded_host, config.embedded_port
    connect_host = ANY_ADDRESS.get(host, host)
    if binary is None:
        return AmqttBroker(host, port, credentials, refresher, connect_host)
    setup = MosquittoSetup(
        directory=broker_dir(settings).resolve(),
        host=host,
        port=port,
        max_inflight=config.receive_maximum,
        session_expiry_s=config.session_expiry_s,
        # Started by root, Mosquitto would switch to user "mosquitto": it could not write the
        # data dir, and the switch would clear its parent death signal. It stays the hub's user.
        run_as=getpass.getuser() if os.geteuid() == 0 else None,
        log_to_stderr=True,
    )
    return MosquittoBroker(binary, setup, credentials, refresher, connect_host)
