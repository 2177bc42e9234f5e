"""Area warnings (e.g. floods): the polygon is stored with the grids it covers."""

from geoalchemy2.shape import from_shape
from shapely.geometry import shape

from gridhub.events import AreaWarning
from gridhub.ingest.models import AreaWarningRecord
from gridhub.ingest.payloads import AreaWarningPayload
from gridhub.ingest.pipeline import BatchContext, Item, Locator


class AreaWarningStore:
    """The store handler for ``warnings/area``: affected grids come from the spatial index."""

    def __init__(self, locator: Locator) -> None:
        self.locator = locator

    def __call__(self, ctx: BatchContext, items: list[Item]) -> list[Item]:
        for item in items:
            warning: AreaWarningPayload = item.payload
            geometry = shape(warning.area)
            grids = sorted(self.locator.grids_intersecting(geometry))
            record = AreaWarningRecord(
                issuer=item.sender,
                msg_id=warning.id,
                ts=warning.ts,
                received_at=ctx.now,
                kind=warning.kind,
                level=warning.level,
                area=warning.area,
                geom=from_shape(geometry, srid=4326),
                grids=grids,
                valid_until=warning.valid_until,
                message=warning.message,
            )
            ctx.session.add(record)
            ctx.session.flush()
            ctx.events.append(
                AreaWarning(
                    record.id,
                    warning.kind,
                    warning.level,
                    warning.area,
                    tuple(grids),
                    warning.ts,
                    warning.valid_until,
                    warning.message,
                )
            )
        ctx.count("area_warnings", len(items))
        return items
