"""``gridhub serve --api-workers N``: N API processes (uvicorn's own workers) serve HTTP on
the port, while this process keeps the hub's services (broker, alerts, ingest, cameras, CAP
feeds) and publishes their health for the workers' ``/healthz``.

Sign-in throttling and report rate limits are counted in the store, so they hold across
the workers; the grid index is rebuilt from the store's revision in each process.
"""

import json
import os
from typing import Any

from fastapi import FastAPI
from pydantic import SecretStr

from gridhub.api.app import create_app
from gridhub.config import Settings
from gridhub.hub import HEALTH_FILE, HealthPublisher, Hub, build_api_hub

SETTINGS_ENV = "_GRIDHUB_API_WORKER_SETTINGS"
"""The hub process's resolved settings, as JSON, for its API processes (spawned, so they
inherit its environment; without the GRIDHUB_ prefix, so Settings never reads it)."""
FACTORY = "gridhub.api.workers:worker_app"


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return str(value)


def worker_app() -> FastAPI:
    """uvicorn's app factory in each API process."""
    settings = Settings(**json.loads(os.environ[SETTINGS_ENV]))
    return create_app(build_api_hub(settings), manage_services=False)


def serve_with_workers(hub: Hub, options: dict[str, Any], workers: int) -> None:
    """Start ``hub``'s services here, serve the API from ``workers`` processes until
    SIGINT/SIGTERM (uvicorn stops and joins every worker), then stop the services."""
    import uvicorn

    settings = hub.settings
    os.environ[SETTINGS_ENV] = json.dumps(settings.model_dump(mode="python"), default=_plain)
    publisher = HealthPublisher(hub, settings.data_dir / HEALTH_FILE)
    hub.start()
    try:
        publisher.start()
        uvicorn.run(FACTORY, factory=True, workers=workers, log_level="info", **options)
    finally:
        publisher.stop()
        hub.stop()
