"""Settings of the cameras area: stream probing, health states, snapshots, live view, Frigate."""

from pydantic import Field, HttpUrl

from gridhub.config.sections import Section
from gridhub.severity import Severity


class FrigateConfig(Section):
    """Which Frigate detections open alerts."""

    enabled: bool = False
    topic_prefix: str = Field("frigate", description="Frigate's MQTT topic prefix.")
    labels: tuple[str, ...] = Field(("person",), description="Object labels that raise alerts.")
    zones: tuple[str, ...] = Field(
        (), description="Zones that raise alerts; empty means anywhere in the picture."
    )
    night_only: bool = Field(False, description="Only raise alerts between night_start and end.")
    night_start_hour: int = Field(19, ge=0, le=23, description="Local hour night begins.")
    night_end_hour: int = Field(6, ge=0, le=23, description="Local hour night ends.")
    utc_offset_hours: int = Field(8, ge=-12, le=14, description="Local time zone (China: +8).")
    severity: Severity = "orange"
    camera_map: dict[str, str] = Field(
        default_factory=dict,
        description="Frigate camera name → registered camera code; unmapped names are used as is.",
    )
    review_detections: bool = Field(
        False,
        description="Also alert on reviews of severity 'detection' (not only 'alert').",
    )
    auto_resolve_cameras: tuple[str, ...] = Field(
        (), description="Registered cameras whose alert is resolved when Frigate's event ends."
    )
    api_url: HttpUrl | None = Field(
        None,
        description="Frigate's HTTP API (http://host:5000, or a proxy before it: user:pass@ "
        "is sent as Basic auth), for alerts' snapshots and clips; unset: no links.",
    )
    api_timeout_s: float = Field(
        10.0, gt=0, description="Give up on Frigate's API when it is this long silent."
    )


class CamerasConfig(Section):
    """Camera health probing, state hysteresis, snapshots and live view."""

    probe_interval_s: float = Field(60.0, gt=0, description="Seconds between probe rounds.")
    probe_concurrency: int = Field(
        64, ge=1, le=1024, description="Streams probed at once, each in a thread of the hub."
    )
    open_timeout_ms: int = Field(5000, ge=100, description="Give up opening a stream after this.")
    read_timeout_ms: int = Field(
        2000, ge=100, description="Give up waiting for a frame after this."
    )
    probe_frames: int = Field(5, ge=2, le=100, description="Frames read per probe.")
    probe_deadline_s: float = Field(
        15.0, gt=0, description="A probe still running after this counts as offline."
    )
    min_fps: float = Field(2.0, ge=0, description="Below this the stream is degraded.")
    black_mean: float = Field(20.0, ge=0, description="Grey mean below which a frame is black…")
    black_std: float = Field(5.0, ge=0, description="…if its standard deviation is also below.")
    frozen_diff: float = Field(0.5, ge=0, description="Mean frame difference below which frozen.")
    hysteresis: int = Field(
        3, ge=1, le=100, description="Consecutive equal results needed to change state."
    )
    alert_on_degraded: bool = True
    snapshot_cache_s: float = Field(5.0, ge=0, description="Seconds a snapshot is reused.")
    live_max_viewers: int = Field(
        4,
        ge=1,
        description="Live MJPEG viewers per camera, counted per API process: with "
        "`api.workers` N, up to N times this many.",
    )
    live_fps: float = Field(5.0, gt=0, le=30, description="Frames per second sent to viewers.")
    onvif_timeout_s: float = Field(10.0, gt=0, description="ONVIF request timeout.")
    frigate: FrigateConfig = Field(default_factory=FrigateConfig)
    drone_low_battery_pct: float = Field(
        25, ge=0, le=100, description="A flying drone's battery below this alerts its maintainer."
    )
    drone_return_home_modes: tuple[int, ...] = Field(
        (9,), description="DJI mode_code values meaning the drone is returning home (9)."
    )
    drone_alarm_severity: Severity = "orange"
