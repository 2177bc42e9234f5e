"""The embedded broker's fallback when no Mosquitto is installed: amqtt, in the hub's process.

amqtt is the maintained pure-Python broker (asyncio, MIT): it installs with pip and needs no
system package. It speaks MQTT 3.1.1 only, has no shared subscriptions, and keeps sessions in
memory only: what it acknowledged but had not yet handed to the hub is lost if the hub dies.
So it is a fallback for a demo or a test bench; the hub prefers Mosquitto (``mosquitto_broker``).
It enforces the same users and topics, through the plugins of ``amqtt_plugins``.
"""

import asyncio
import logging
import threading
from typing import Any

from amqtt.broker import Broker

from gridhub.mqtt.amqtt_plugins import AccessHolder
from gridhub.mqtt.credentials import Credentials
from gridhub.mqtt.refresh import REFRESH_S, AccessRefresher

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0
PLUGINS = "gridhub.mqtt.amqtt_plugins"


class AmqttBroker:
    """An amqtt broker on its own event-loop thread; a hub ``Service``."""

    name = "mqtt-broker"

    def __init__(
        self,
        host: str,
        port: int,
        credentials: Credentials,
        refresher: AccessRefresher,
        connect_host: str,
    ) -> None:
        self.host = host
        self.port = port
        self.credentials = credentials
        self.refresher = refresher
        self.connect_host = connect_host
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._refresh_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._broker: Broker | None = None
        self._access: AccessHolder | None = None
        self.error: str | None = None

    @property
    def url(self) -> str:
        """Where the hub's clients connect, signed in as the hub."""
        return self.credentials.url(self.connect_host, self.port)

    def start(self) -> None:
        self._stopping.clear()
        access = AccessHolder(self.refresher.load())
        self._access = access
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="mqtt-broker", daemon=True)
        self._thread.start()
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                f"{PLUGINS}.RosterAuthPlugin": {"access": access},
                f"{PLUGINS}.RosterTopicPlugin": {"access": access},
            },
        }

        async def _start() -> Broker:
            broker = Broker(config, loop=loop)
            await broker.start()
            return broker

        try:
            self._broker = asyncio.run_coroutine_threadsafe(_start(), loop).result(START_TIMEOUT_S)
        except Exception as exc:
            self.error = f"embedded broker could not start on {self.host}:{self.port}: {exc}"
            self._stop_loop()
            raise RuntimeError(self.error) from exc
        self._refresh_thread = threading.Thread(
            target=self._refresh, name="mqtt-broker-users", daemon=True
        )
        self._refresh_thread.start()
        log.warning(
            "no mosquitto installed: embedded amqtt broker on %s:%s keeps sessions in memory "
            "only (install mosquitto so that nothing acknowledged is lost)",
            self.host,
            self.port,
        )

    def stop(self) -> None:
        self._stopping.set()
        if self._refresh_thread is not None:
            self._refresh_thread.join(5)
            self._refresh_thread = None
        if self._broker is not None and self._loop is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(10)
            except Exception:
                log.exception("embedded broker did not shut down cleanly")
            self._broker = None
        self._stop_loop()

    def _refresh(self) -> None:
        while not self._stopping.wait(REFRESH_S):
            table = self.refresher.changed()
            if table is not None and self._access is not None:
                self._access.table = table
                log.info("broker users changed (revision %s): applied", table.revision)

    def _stop_loop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(5)
            self._loop = None
            self._thread = None

    def health(self) -> dict[str, Any]:
        running = self._broker is not None and self._broker.transitions.state == "started"
        report: dict[str, Any] = {
            "ok": running,
            "backend": "amqtt",
            "durable": False,
            "listening": f"{self.host}:{self.port}",
            "users_revision": self.refresher.revision,
        }
        if self.error:
            report["error"] = self.error
        if self.refresher.error:
            report["users_error"] = self.refresher.error
        return report
