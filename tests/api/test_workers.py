"""``gridhub serve --api-workers 2``: two API processes on one port beside the hub process."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
from sqlalchemy.orm import Session, sessionmaker

from gridhub.api.users import create_user
from gridhub.db import transaction
from tests.ingest.conftest import mosquitto, seed_town  # noqa: F401  (a fixture)
from tests.support.mosquitto import Mosquitto
from tests.support.services import free_port

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "right-password-1"


def test_two_api_workers_serve_share_throttling_report_health_and_exit_on_sigterm(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    mosquitto: Mosquitto,  # noqa: F811  (the fixture imported above)
) -> None:
    with sessions() as session:
        seed_town(session)
    with transaction(sessions) as session:
        create_user(session, "op", PASSWORD, "operator", scope="T")
    port = free_port()
    secret = "worker-secret-key-0123456789"
    config = tmp_path / "gridhub.toml"
    config.write_text(f'secret_key = "{secret}"\n')
    env = {
        **os.environ,
        "GRIDHUB_DATABASE_URL": database_url,
        "GRIDHUB_MQTT_URL": mosquitto.url,
        "GRIDHUB_DATA_DIR": str(tmp_path / "data"),
        "GRIDHUB_MQTT__CLIENT_ID": "hub-workers",
        "GRIDHUB_CONFIG": str(config),
        "PYTHONPATH": str(REPO),
    }
    command = [sys.executable, "-m", "gridhub", "serve", "--port", str(port), "--api-workers", "2"]
    hub = subprocess.Popen(command, env=env, cwd=REPO, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        health = _until_healthy(base, hub)
        assert health["alerts"]["ok"] and health["ingest"]["ok"] and health["store"]["ok"]
        workers = [p for p in psutil.Process(hub.pid).children() if "spawn_main" in p.cmdline()[-2]]
        assert len(workers) == 2
        # The settings (secret key, MQTT password) reach the workers in a file only the
        # hub's user reads, not in their environment.
        (settings_file,) = (tmp_path / "data").glob("api-worker-settings-*.json")
        assert settings_file.stat().st_mode & 0o777 == 0o600
        assert secret in settings_file.read_text()
        assert not any(secret in value for w in workers for value in w.environ().values())

        # Each try on a new connection: the kernel hands them to either worker.
        codes = []
        for n in range(11):
            form = {"username": "op", "password": f"wrong-{n}"}
            codes.append(httpx.post(f"{base}/api/v1/auth/token", data=form).status_code)
        assert codes == [401] * 10 + [429]

        with transaction(sessions) as session:
            create_user(session, "op2", PASSWORD, "operator", scope="T")
        form = {"username": "op2", "password": PASSWORD}
        token = httpx.post(f"{base}/api/v1/auth/token", data=form).json()["access_token"]
        listed = httpx.get(
            f"{base}/api/v1/alerts?status=open", headers={"Authorization": f"Bearer {token}"}
        )
        assert listed.status_code == 200 and listed.json()["total"] == 0

        hub.send_signal(signal.SIGTERM)
        assert hub.wait(20) == 0
        assert not any(worker.is_running() for worker in workers)
        assert not settings_file.exists()
    finally:
        if hub.poll() is None:
            hub.kill()
            hub.wait()


def _until_healthy(base: str, hub: subprocess.Popen[bytes]) -> dict:
    # Three interpreters import the hub (OpenCV, shapely, …): seconds each on a busy machine.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert hub.poll() is None, "gridhub serve exited"
        try:
            answer = httpx.get(f"{base}/healthz", timeout=1)
            if answer.status_code == 200:
                return answer.json()
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("no healthy /healthz within 60 s")
