"""Imports every area's tables so that the metadata (and Alembic) sees them all."""

from gridhub.alerts import models as alert_models
from gridhub.api import models as api_models
from gridhub.cameras import models as camera_models
from gridhub.geo import models as geo_models
from gridhub.ingest import models as ingest_models
from gridhub.mqtt import models as mqtt_models
from gridhub.reports import models as report_models

__all__ = [
    "alert_models",
    "api_models",
    "camera_models",
    "geo_models",
    "ingest_models",
    "mqtt_models",
    "report_models",
]
