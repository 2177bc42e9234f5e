"""The cameras service of the hub: periodic probe rounds, and the state live views share.

Rounds run in the service's own thread, probes in a pool of threads (``probe_pool``):
nothing here waits on the ingest loop or holds it up.
"""

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from gridhub.cameras.frigate_listener import FrigateListener
from gridhub.cameras.live import LiveViews
from gridhub.cameras.logins import Login
from gridhub.cameras.models import Camera
from gridhub.cameras.probe import ProbeResult, probe_pool, run_round
from gridhub.cameras.snapshots import SnapshotCache, Source
from gridhub.cameras.status import StatusChange, apply_results, camera_login, probe_targets
from gridhub.config import Settings
from gridhub.db import transaction, utcnow
from gridhub.events import EventSink
from gridhub.secrets import SecretBox

log = logging.getLogger(__name__)


def probe_all(
    sessions: sessionmaker[Session],
    settings: Settings,
    pool: Executor,
    box: SecretBox,
    now: datetime | None = None,
    sink: EventSink | None = None,
    on_result: Callable[[ProbeResult], None] | None = None,
) -> tuple[list[ProbeResult], list[StatusChange]]:
    """One round over every registered stream; results recorded, each change an event."""
    config = settings.cameras
    with sessions() as session:
        targets = probe_targets(session, box)
    results = run_round(targets, config, pool, on_result)
    with transaction(sessions) as session:
        changes = apply_results(session, results, config, now or utcnow(), sink)
    return results, changes


class CamerasService:
    """Runs a probe round every ``settings.cameras.probe_interval_s``; holds live-view state."""

    name = "cameras"

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        sink: EventSink | None = None,
        frigate: FrigateListener | None = None,
    ) -> None:
        """``sink`` takes the status changes (the alerts sink)."""
        self.settings = settings
        self.sessions = sessions
        self.box = SecretBox.for_settings(settings)
        self.snapshots = SnapshotCache(settings.cameras)
        self.live = LiveViews(settings.cameras)
        self.frigate = frigate
        self.sink = sink
        self._pool: Executor | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._last: dict[str, Any] = {}

    def start(self) -> None:
        if self.frigate is not None:
            self.frigate.start()
        self._stop.clear()
        pool = self._pool = probe_pool(self.settings.cameras)  # no cameras, no probe threads
        self._thread = threading.Thread(
            target=self._run, args=(pool,), name="camera-probes", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.settings.cameras.probe_deadline_s + 5)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self.frigate is not None:
            self.frigate.stop()

    def health(self) -> dict[str, Any]:
        running = self._thread is not None and self._thread.is_alive()
        report = {"ok": running, **self._last}
        if self.frigate is not None:
            report["frigate"] = {
                "connected": self.frigate.client.connected,
                "handled": self.frigate.handled,
                "rejected": self.frigate.rejected,
            }
        return report

    def login(self, camera: Camera) -> Login | None:
        """The camera's login, password opened: for the call that opens the camera only."""
        return camera_login(camera, self.box)

    def source(self, camera: Camera) -> Source:
        """Where the camera's picture comes from, with its URLs and login opened."""
        return Source(
            camera.code,
            self.box.open_optional(camera.snapshot_url),
            self.box.open_optional(camera.sub_stream_url or camera.stream_url),
            self.login(camera),
        )

    def _run(self, pool: Executor) -> None:
        interval = self.settings.cameras.probe_interval_s
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                results, changes = probe_all(
                    self.sessions, self.settings, pool, self.box, sink=self.sink
                )
                self._last = {
                    "last_round_at": utcnow().isoformat(),
                    "last_round_s": round(time.monotonic() - started, 2),
                    "probed": len(results),
                    "online": sum(r.status == "online" for r in results),
                    "changes": len(changes),
                }
            except Exception:  # a failed round (store down…) is logged; the next one retries
                log.exception("camera probe round failed")
            self._stop.wait(max(0.0, interval - (time.monotonic() - started)))
