"""The MQTT and ingest sections: broker connection, topic prefix, batching and validation limits."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from gridhub.config.sections import Section


class MqttConfig(Section):
    """How the hub talks to its broker (the URL itself is ``Settings.mqtt_url``)."""

    prefix: str = Field("gridhub/v1", description="Topic prefix of the gridhub contract.")
    client_id: str = Field(
        "gridhub-hub",
        min_length=1,
        max_length=64,
        description="Fixed client id, so the broker keeps the persistent session across restarts.",
    )
    shared_group: str = Field(
        "",
        description="Subscribe through $share/<group>/… so several hubs split the load "
        "(needs a broker with shared subscriptions; ignored for the embedded broker).",
    )
    protocol: Literal["auto", "5", "3.1.1"] = Field(
        "auto", description="MQTT version; auto tries 5 and falls back to 3.1.1."
    )
    session_expiry_s: int = Field(
        7 * 24 * 3600,
        ge=0,
        description="How long the broker keeps the session while the hub is away.",
    )
    keepalive_s: int = Field(30, ge=5, le=3600)
    receive_maximum: int = Field(
        2000,
        ge=10,
        le=65535,
        description="Unacknowledged QoS 1 messages the broker may have in flight to the hub; "
        "the hub stops reading while this many wait to be stored.",
    )
    reconnect_min_s: float = Field(0.5, gt=0)
    reconnect_max_s: float = Field(30.0, gt=0)
    embedded_host: str = Field("127.0.0.1", description="Bind address of the embedded broker.")
    embedded_port: int = Field(
        11883, ge=1, le=65535, description="Port of the embedded broker (when mqtt_url is empty)."
    )
    embedded_broker: Literal["auto", "mosquitto", "amqtt"] = Field(
        "auto",
        description="Which embedded broker to run: auto prefers Mosquitto (a child of the hub, "
        "keeps what it acknowledged) and falls back to amqtt (in memory) when none is installed.",
    )
    tls: bool = Field(False, description="Use TLS (also implied by an mqtts:// URL).")
    ca_file: Path | None = Field(
        None, description="CA bundle to verify the broker; system default if empty."
    )
    username: str = Field("", description="Broker user (a user in the URL wins).")
    password: SecretStr = Field(SecretStr(""), description="Broker password (one in the URL wins).")

    @field_validator("prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        value = value.strip("/")
        if not value or any(char in value for char in "+#$"):
            raise ValueError("must be a plain topic path like gridhub/v1 (no wildcards, no $)")
        return value


class IngestConfig(Section):
    """Batching and validation limits of the MQTT ingest pipeline."""

    batch_size: int = Field(
        500,
        ge=1,
        le=20000,
        description="Messages per batch at most (keep it below mqtt.receive_maximum).",
    )
    batch_wait_ms: float = Field(
        10, ge=0, le=5000, description="Longest wait to fill a batch; sets latency at low load."
    )
    max_payload_bytes: int = Field(16384, ge=256, description="Larger payloads are dead-lettered.")
    future_tolerance_s: float = Field(
        300, ge=0, description="A timestamp further ahead of the hub's clock is dead-lettered."
    )
    roster_ttl_s: float = Field(
        30, ge=0, description="How long a worker's assigned grids are cached."
    )
    sensor_hysteresis: float = Field(
        0.05,
        ge=0,
        lt=1,
        description="Default band below a threshold, as a fraction of it, before a level clears.",
    )
    db_retry_max_s: float = Field(10, gt=0, description="Longest pause between store retries.")
    dead_letter_retention_days: float = Field(
        30, gt=0, description="Dead letters last seen longer ago than this are deleted."
    )
    owntracks_users: dict[str, str] = Field(
        {},
        description="OwnTracks topic user → member code, for phones set up with another user "
        "name; unmapped users are member codes. With broker sign-in a phone publishes only "
        "under its own user, so there the user must be the member's code.",
    )
    max_photo_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="Largest photo a check-in may carry (HTTP)."
    )
    photo_max_side: int = Field(
        2048, ge=256, description="Check-in photos are scaled down to this many pixels."
    )
