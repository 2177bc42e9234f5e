"""The hub's one point → grid service: a GridIndex from the store, rebuilt when grids change."""

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from shapely import Geometry
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from gridhub.geo.crs import to_wgs84
from gridhub.geo.index import GridIndex
from gridhub.geo.repository import codes_of, grid_columns, grid_revision, path_of

log = logging.getLogger(__name__)

# How often a lookup may ask the store whether grids changed: one cheap query a second at most.
REVISION_CHECK_INTERVAL_S = 1.0


@dataclass(frozen=True)
class Location:
    """Where a point lies: its grid (None outside every grid) and the path root → grid.

    Outside every grid, ``nearest`` and ``distance_m`` (geodesic) name the closest grid.
    ``lon``/``lat`` are the point in WGS84.
    """

    grid: str | None
    path: tuple[str, ...]
    nearest: str | None
    distance_m: float | None
    lon: float
    lat: float

    @property
    def region_path(self) -> str | None:
        """The grid's region path (``/C/T/V/G/``), None outside every grid."""
        return path_of(self.path) if self.grid is not None else None


@dataclass(frozen=True)
class _State:
    revision: int
    index: GridIndex
    # Path strings, split into codes on demand: a tuple of codes per grid costs ~300 bytes
    # each (300 MB over a province's 1M grids) for answers only single lookups need.
    paths: dict[str, str]


class GridLocator:
    """Owns the current GridIndex; swaps in a new one when the store's grid revision moves."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        check_interval_s: float = REVISION_CHECK_INTERVAL_S,
    ) -> None:
        self._sessions = sessions
        self._check_interval_s = check_interval_s
        self._state: _State | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    @property
    def revision(self) -> int | None:
        """The grid revision the current index was built from (None before the first build)."""
        state = self._state
        return None if state is None else state.revision

    @property
    def index(self) -> GridIndex:
        return self._current().index

    def refresh(self) -> None:
        """Rebuild now if grids changed since the index was built."""
        self._reload(force_check=True)

    def locate(self, lon: float, lat: float, crs: str = "wgs84") -> Location:
        """The grid of one point given in ``crs`` (wgs84, gcj02 or bd09)."""
        lon, lat = to_wgs84(lon, lat, crs)
        state = self._current()
        code = state.index.locate(lon, lat)
        if code is not None:
            return Location(code, codes_of(state.paths[code]), None, None, lon, lat)
        nearest = state.index.nearest(lon, lat)
        if nearest is None:
            return Location(None, (), None, None, lon, lat)
        return Location(None, (), nearest.code, nearest.distance_m, lon, lat)

    def locate_many(self, lons: ArrayLike, lats: ArrayLike) -> list[str | None]:
        """The grid code of each WGS84 point (None outside every grid), vectorised."""
        return self._current().index.locate_many(np.asarray(lons), np.asarray(lats))

    def path(self, grid: str) -> tuple[str, ...]:
        """Codes root → grid for a grid of the current index (() if unknown)."""
        path = self._current().paths.get(grid)
        return () if path is None else codes_of(path)

    def grids_intersecting(self, geometry: Geometry) -> list[str]:
        """Codes of the grids that intersect a WGS84 geometry (e.g. a warning area)."""
        return self._current().index.intersecting(geometry)

    def _current(self) -> _State:
        state = self._state
        if state is not None and time.monotonic() - self._checked_at < self._check_interval_s:
            return state
        # While another thread checks or rebuilds, keep answering from the current index
        # rather than waiting (a rebuild over 100,000 grids takes seconds).
        if not self._lock.acquire(blocking=state is None):
            assert state is not None  # without a state the acquire blocks, so it cannot fail
            return state
        try:
            return self._check(force=False)
        finally:
            self._lock.release()

    def _reload(self, force_check: bool) -> _State:
        with self._lock:
            return self._check(force_check)

    def _check(self, force: bool) -> _State:
        state = self._state
        if (
            not force
            and state is not None
            and time.monotonic() - self._checked_at < self._check_interval_s
        ):
            return state  # another thread checked while this one waited
        try:
            state = self._load_if_changed(state)
        except DBAPIError:
            if state is None:
                raise
            # The store is away (restarting?): keep answering from the index we have.
            log.warning("grid revision check failed; keeping the current index", exc_info=True)
        self._checked_at = time.monotonic()
        return state

    def _load_if_changed(self, state: _State | None) -> _State:
        with self._sessions() as session:
            revision = grid_revision(session)
            if state is not None and revision == state.revision:
                return state
            grids = grid_columns(session)
        index = GridIndex(grids.codes, grids.geometries)
        state = _State(revision, index, dict(zip(grids.codes, grids.paths, strict=True)))
        self._state = state
        log.info("grid index built: %d grids, revision %d", len(grids.codes), revision)
        return state
