"""``GET /healthz``: the store's and every service's state, for probes and people."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gridhub.api.deps import HubDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(hub: HubDep) -> JSONResponse:
    report: dict[str, Any] = hub.health()
    return JSONResponse(report, status_code=200 if report["ok"] else 503)
