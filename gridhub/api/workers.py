"""``gridhub serve --api-workers N``: N API processes (uvicorn's own workers) serve HTTP on
the port, while this process keeps the hub's services (broker, alerts, ingest, cameras, CAP
feeds) and publishes their health for the workers' ``/healthz``.

Sign-in throttling and report rate limits are counted in the store, so they hold across
the workers; the grid index is rebuilt from the store's revision in each process.
"""

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import SecretStr

from gridhub.api.app import create_app
from gridhub.config import Settings
from gridhub.hub import HEALTH_FILE, HealthPublisher, Hub, build_api_hub

SETTINGS_FILE_ENV = "_GRIDHUB_API_WORKER_SETTINGS_FILE"
"""Where the hub process wrote its resolved settings for its API processes (spawned, so they
inherit its environment; without the GRIDHUB_ prefix, so Settings never reads it). A file
readable by the hub's user only, not the environment itself: the settings hold the secret key
and the MQTT password, and any process of the same user may read another's environment."""
SETTINGS_FILE_PREFIX = "api-worker-settings-"
FACTORY = "gridhub.api.workers:worker_app"


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return str(value)


def worker_app() -> FastAPI:
    """uvicorn's app factory in each API process."""
    settings = Settings(**json.loads(Path(os.environ[SETTINGS_FILE_ENV]).read_bytes()))
    return create_app(build_api_hub(settings), manage_services=False)


def serve_with_workers(hub: Hub, options: dict[str, Any], workers: int) -> None:
    """Start ``hub``'s services here, serve the API from ``workers`` processes until
    SIGINT/SIGTERM (uvicorn stops and joins every worker), then stop the services."""
    import uvicorn

    settings = hub.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600; the settings, not merely where they came from, are
    # passed: a caller may have built them with overrides (demo, benches).
    fd, name = tempfile.mkstemp(prefix=SETTINGS_FILE_PREFIX, suffix=".json", dir=settings.data_dir)
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(settings.model_dump(mode="python"), file, default=_plain)
        os.environ[SETTINGS_FILE_ENV] = name
        publisher = HealthPublisher(hub, settings.data_dir / HEALTH_FILE)
        hub.start()
        try:
            publisher.start()
            uvicorn.run(FACTORY, factory=True, workers=workers, log_level="info", **options)
        finally:
            publisher.stop()
            hub.stop()
    finally:
        os.environ.pop(SETTINGS_FILE_ENV, None)
        Path(name).unlink(missing_ok=True)
