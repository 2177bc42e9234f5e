"""The embedded broker as a real Mosquitto, run as a child of the hub; a hub ``Service``.

Mosquitto keeps what it acknowledged (persistence on, raised queue limits), lets in only the
users of the store (password file and ACL, rewritten and reloaded with SIGHUP when the users'
revision moves) and speaks MQTT 5 and 3.1.1.

When the hub dies, even by SIGKILL, the kernel sends its Mosquitto SIGTERM (Linux's parent
death signal), and Mosquitto writes its queues to disk as it exits; the next start waits for
an earlier Mosquitto that is still saving, so it loads them. What Mosquitto cannot survive is
its own sudden death (power cut, SIGKILL of the broker): then it keeps what it wrote at its
last autosave (``mosquitto_files.AUTOSAVE_INTERVAL_S``).
"""

import ctypes
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from gridhub.mqtt.credentials import Credentials
from gridhub.mqtt.mosquitto_files import MosquittoSetup, write_all, write_users
from gridhub.mqtt.refresh import REFRESH_S, AccessRefresher

log = logging.getLogger(__name__)
broker_log = logging.getLogger("gridhub.mqtt.mosquitto")

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 60.0
"""Mosquitto writes its whole queue at exit: give a large one time before giving up on it."""
LOG_TAIL_LINES = 20
PROBE_TIMEOUT_S = 1.0
PID_FILE = "mosquitto.pid"
PR_SET_PDEATHSIG = 1


def find_mosquitto() -> str | None:
    """The mosquitto binary on PATH, or Debian's /usr/sbin/mosquitto (not on a user's PATH)."""
    found = shutil.which("mosquitto")
    if found:
        return found
    return "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None


class MosquittoBroker:
    name = "mqtt-broker"

    def __init__(
        self,
        binary: str,
        setup: MosquittoSetup,
        credentials: Credentials,
        refresher: AccessRefresher,
        connect_host: str,
    ) -> None:
        self.binary = binary
        self.setup = setup
        self.credentials = credentials
        self.refresher = refresher
        self.connect_host = connect_host
        self.process: subprocess.Popen[bytes] | None = None
        self.error: str | None = None
        self.reloads = 0
        self.restarts = 0
        self._tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self._ready = threading.Event()
        self._serving = False
        """Whether the running child has let the hub sign in (not while it is started again)."""
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._die_with_parent = _parent_death_signal()

    @property
    def url(self) -> str:
        """Where the hub's clients connect, signed in as the hub."""
        return self.credentials.url(self.connect_host, self.setup.port)

    @property
    def pid_file(self) -> Path:
        return self.setup.directory / PID_FILE

    def start(self) -> None:
        self._stopping.clear()
        self._ready.clear()
        self.error = None
        self._wait_for_earlier()
        write_all(self.setup, self.refresher.load())
        # The child is started and watched from one thread that lives as long as the service:
        # the parent death signal fires when the thread that forked the child ends.
        self._thread = threading.Thread(target=self._supervise, name="mosquitto", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S + PROBE_TIMEOUT_S + STOP_TIMEOUT_S):
            self.error = "embedded Mosquitto did not start"
        if self.error or self.process is None:
            self.stop()
            raise RuntimeError(self.error or "embedded Mosquitto did not start")
        log.info(
            "embedded Mosquitto (pid %s) listening on %s:%s",
            self.process.pid,
            self.setup.host,
            self.setup.port,
        )

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S + 5)
            self._thread = None

    def health(self) -> dict[str, Any]:
        running = self.process is not None and self.process.poll() is None
        report: dict[str, Any] = {
            "ok": running and self._serving,
            "backend": "mosquitto",
            "durable": True,
            "listening": f"{self.setup.host}:{self.setup.port}",
            "users_revision": self.refresher.revision,
            "reloads": self.reloads,
            "restarts": self.restarts,
        }
        if self.error:
            report["error"] = self.error
        if self.refresher.error:
            report["users_error"] = self.refresher.error
        return report

    def _supervise(self) -> None:
        try:
            self._spawn()
        except RuntimeError as exc:
            self.error = str(exc)
            self._ready.set()
            return
        self._ready.set()
        while not self._stopping.wait(REFRESH_S):
            try:
                self._watch()
            except Exception:  # the broker keeps running; the next round tries again
                log.exception("watching the embedded Mosquitto failed")
        self._terminate()

    def _watch(self) -> None:
        """One round: start Mosquitto again if it died, reload it if the users changed."""
        if self.process is None or self.process.poll() is not None:
            self._restart()
            return
        table = self.refresher.changed()
        if table is None:
            return
        try:
            write_users(self.setup, table)
        except (OSError, ValueError) as exc:
            self.refresher.revision = None  # written on the next round instead
            self.error = f"cannot write the broker's users: {exc}"
            log.error(self.error)
            return
        self.error = None
        self.process.send_signal(signal.SIGHUP)
        self.reloads += 1
        log.info("broker users changed (revision %s): reloaded", table.revision)

    def _spawn(self) -> None:
        try:
            process = subprocess.Popen(
                [self.binary, "-c", str(self.setup.conf_path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                # One prctl() between fork and exec: nothing there takes a lock of this process.
                preexec_fn=self._die_with_parent,
            )
        except OSError as exc:
            raise RuntimeError(f"cannot run {self.binary}: {exc}") from exc
        self.process = process
        self.pid_file.write_text(f"{process.pid}\n")
        assert process.stderr is not None
        reader = threading.Thread(
            target=self._read_log, args=(process.stderr,), name="mosquitto-log", daemon=True
        )
        reader.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        # Serving means the hub can sign in: not merely that something holds the port.
        while not _signs_in(self.connect_host, self.setup.port, self.credentials):
            if process.poll() is not None or time.monotonic() > deadline:
                self._terminate()
                reader.join(1)  # its last words say why
                tail = " | ".join(self._tail) or "no output"
                raise RuntimeError(
                    f"embedded Mosquitto did not start on {self.setup.host}:{self.setup.port}: "
                    f"{tail}"
                )
        self._serving = True

    def _restart(self) -> None:
        self._serving = False
        code = None if self.process is None else self.process.returncode
        self.restarts += 1
        self.error = f"Mosquitto exited with status {code}: {' | '.join(self._tail)}"
        log.error("%s; starting it again", self.error)
        try:
            self._spawn()
        except RuntimeError as exc:
            self.error = str(exc)
            log.error("%s; trying again", exc)
            return
        self.error = None

    def _terminate(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # Mosquitto saves its queues as it exits
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log.error("Mosquitto did not stop in %s s; killed", STOP_TIMEOUT_S)
                process.kill()
                process.wait()
        self.pid_file.unlink(missing_ok=True)

    def _read_log(self, stream: IO[bytes]) -> None:
        for raw in stream:
            line = raw.decode("utf-8", errors="replace").rstrip()
            self._tail.append(line)
            broker_log.info("%s", line)

    def _wait_for_earlier(self) -> None:
        """An earlier hub's Mosquitto may still be saving its queues (the hub was killed), or
        be left running: ask it to stop, and wait until it has, so that ours loads them."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return
        if not _is_running(pid, self.setup.conf_path):
            self.pid_file.unlink(missing_ok=True)
            return
        log.warning("an earlier embedded Mosquitto (pid %s) runs; waiting for it to stop", pid)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while _is_running(pid, self.setup.conf_path):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"an earlier embedded Mosquitto (pid {pid}) did not stop within "
                    f"{STOP_TIMEOUT_S:.0f} s; stop it, then start the hub again"
                )
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)


def _signs_in(host: str, port: int, credentials: Credentials) -> bool:
    """Whether the broker on ``host:port`` accepts the hub's credentials (within a second)."""
    answer: list[bool] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.username_pw_set(credentials.username, credentials.password)
    client.on_connect = lambda _c, _u, _f, reason, _p: answer.append(not reason.is_failure)
    try:
        client.connect(host, port, keepalive=5)
        deadline = time.monotonic() + PROBE_TIMEOUT_S
        while not answer and time.monotonic() < deadline:
            client.loop(0.05)
        client.disconnect()
    except OSError:
        time.sleep(0.05)
        return False
    return answer == [True]


def _is_running(pid: int, conf_path: Path) -> bool:
    """Whether ``pid`` is a live (not zombie) Mosquitto started on ``conf_path``."""
    proc = Path(f"/proc/{pid}")
    try:
        arguments = (proc / "cmdline").read_bytes().split(b"\0")
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z" and os.fsencode(str(conf_path)) in arguments


def _parent_death_signal() -> Callable[[], None] | None:
    """For the child, before exec: receive SIGTERM when the hub dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def die_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return die_with_parent
