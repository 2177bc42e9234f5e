"""A real Mosquitto on a free port with a throwaway config and persistence dir; restartable.

Optionally with users from a password file (anonymous clients are then refused) and with TLS
on its listener (``url`` is then ``mqtts://``), or started on a config written elsewhere
(``config=``, e.g. by ``gridhub broker mosquitto-config``).
"""

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.support.services import free_port
from tests.support.tls import ServerPki

START_TIMEOUT_S = 10.0


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )


def mosquitto_passwd_binary() -> str | None:
    return shutil.which("mosquitto_passwd") or (
        "/usr/bin/mosquitto_passwd" if Path("/usr/bin/mosquitto_passwd").exists() else None
    )


class Mosquitto:
    """``start()``, ``stop()`` (clean, so persistence is saved) and ``restart()`` on one port."""

    def __init__(
        self,
        directory: Path,
        binary: str,
        port: int | None = None,
        users: dict[str, str] | None = None,
        tls: ServerPki | None = None,
        config: Path | None = None,
    ) -> None:
        self.directory = directory
        self.binary = binary
        self.port = port or free_port()
        self.tls = tls
        self.process: subprocess.Popen[bytes] | None = None
        (directory / "data").mkdir(parents=True, exist_ok=True)
        if config is not None:
            self.config = config
            return
        access = "allow_anonymous true\n"
        if users:
            access = f"allow_anonymous false\npassword_file {self._password_file(users)}\n"
        if tls:
            access += f"cafile {tls.ca_file}\ncertfile {tls.cert_file}\nkeyfile {tls.key_file}\n"
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n" + access + "persistence true\n"
            f"persistence_location {directory / 'data'}/\n"
            "max_queued_messages 0\n"
            "max_inflight_messages 2000\n"
            f"log_dest file {directory / 'mosquitto.log'}\n"
            # Run as root, mosquitto drops to user "mosquitto", who cannot write a private tmp dir.
             + (f"user {getpass.getuser()}\n" if os.geteuid() == 0 else "")
        )

    def _password_file(self, users: dict[str, str]) -> Path:
        """Written by ``mosquitto_passwd -b`` (hashed the way this Mosquitto expects)."""
        tool = mosquitto_passwd_binary()
        if tool is None:
            raise FileNotFoundError("mosquitto_passwd is not installed")
        path = self.directory / "passwd"
        for n, (user, password) in enumerate(users.items()):
            create = ["-c"] if n == 0 else []
            subprocess.run([tool, "-b", *create, str(path), user, password], check=True)
        return path

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        path = self.directory / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""
