"""The embedded MQTT broker, for a single-process hub without ``GRIDHUB_MQTT_URL``.

amqtt is the maintained pure-Python broker (asyncio, MIT): it installs with pip, needs no
system service, and speaks MQTT 3.1.1. It keeps sessions in memory only and has no shared
subscriptions, so the hub connects to it with 3.1.1 and without ``$share``. For a county or
a city, run Mosquitto or EMQX (deploy/mosquitto/gridhub.conf) and set ``GRIDHUB_MQTT_URL``.
"""

import asyncio
import logging
import threading
from typing import Any

from amqtt.broker import Broker

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0


class EmbeddedBroker:
    """An amqtt broker on its own event-loop thread; a hub ``Service``."""

    name = "mqtt-broker"

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: Broker | None = None
        self.error: str | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="mqtt-broker", daemon=True)
        self._thread.start()
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
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
        log.info("embedded MQTT broker listening on %s:%s", self.host, self.port)

    def stop(self) -> None:
        if self._broker is not None and self._loop is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(10)
            except Exception:
                log.exception("embedded broker did not shut down cleanly")
            self._broker = None
        self._stop_loop()

    def _stop_loop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(5)
            self._loop = None
            self._thread = None

    def health(self) -> dict[str, Any]:
        running = self._broker is not None and self._broker.transitions.state == "started"
        report: dict[str, Any] = {"ok": running, "listening": f"{self.host}:{self.port}"}
        if self.error:
            report["error"] = self.error
        return report
