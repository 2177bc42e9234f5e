"""cameras, geo, alerts: credential-bearing URLs sealed at rest; delivery rows keep a redacted
target beside the sealed one

Revision ID: 0010_secrets_at_rest
Revises: 0004_cameras, 0005_member_language, 0006_alert_title_key

Rows written before this revision hold the URLs in clear: they are sealed here with the
hub's secret box (``gridhub db upgrade`` passes it in).
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from gridhub.secrets import SecretBox, redact_url

revision: str = "0010_secrets_at_rest"
down_revision: str | Sequence[str] | None = (
    "0004_cameras",
    "0005_member_language",
    "0006_alert_title_key",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAMERA_URLS = ("stream_url", "sub_stream_url", "snapshot_url", "onvif_url")
SENT_TO_URLS = ("apprise", "webhook")

cameras = sa.table("cameras", sa.column("id"), *(sa.column(name) for name in CAMERA_URLS))
members = sa.table("members", sa.column("id"), sa.column("notify", sa.JSON))
alerts = sa.table("alerts", sa.column("id"), sa.column("policy", sa.JSON))
deliveries = sa.table(
    "alert_deliveries",
    sa.column("id"),
    sa.column("channel"),
    sa.column("target"),
    sa.column("secret_target"),
    sa.column("last_error"),
)
attempts = sa.table(
    "alert_delivery_attempts", sa.column("id"), sa.column("delivery_id"), sa.column("error")
)


def _in_clear(value: object) -> bool:
    """A URL in clear has a scheme; a Fernet token (URL-safe base64) never holds a colon."""
    return isinstance(value, str) and "://" in value


class _Clear(Exception):
    """A secret in clear text was found (while looking, before anything changed)."""


def _box() -> SecretBox | None:
    return context.config.attributes.get("secret_box")


def _refuse() -> str:
    raise _Clear


def _list(values: object, change: Callable[[str], str], wanted: Callable[[object], bool]) -> Any:
    if not isinstance(values, list):
        return values
    return [change(v) if wanted(v) else v for v in values]


def _policy(policy: object, change: Callable[[str], str], wanted: Callable[[object], bool]) -> Any:
    if not isinstance(policy, dict) or not isinstance(policy.get("levels"), list):
        return policy
    levels = [
        {**level, "notify": _list(level.get("notify"), change, wanted)}
        if isinstance(level, dict)
        else level
        for level in policy["levels"]
    ]
    return {**policy, "levels": levels}


def _convert(change: Callable[[str], str], sealing: bool) -> None:
    """Seal every clear secret (``sealing``), or open every sealed one, with ``change``."""
    connection = op.get_bind()

    def wanted(value: object) -> bool:
        return _in_clear(value) if sealing else isinstance(value, str) and not _in_clear(value)

    for row in connection.execute(sa.select(cameras)).mappings():
        values = {name: change(row[name]) for name in CAMERA_URLS if wanted(row[name])}
        if values:
            connection.execute(cameras.update().where(cameras.c.id == row["id"]).values(values))
    for row in connection.execute(sa.select(members)).mappings():
        notify = _list(row["notify"], change, wanted)
        if notify != row["notify"]:
            connection.execute(
                members.update().where(members.c.id == row["id"]).values(notify=notify)
            )
    for row in connection.execute(sa.select(alerts)).mappings():
        policy = _policy(row["policy"], change, wanted)
        if policy != row["policy"]:
            connection.execute(
                alerts.update().where(alerts.c.id == row["id"]).values(policy=policy)
            )


def _any_in_clear() -> bool:
    """Whether some row needs the hub's key (looked at before any change: SQLite commits
    each DDL statement at once, so a refusal after ``add_column`` would leave it half done)."""
    sent_to_urls = sa.select(deliveries.c.id).where(deliveries.c.channel.in_(SENT_TO_URLS))
    if op.get_bind().execute(sent_to_urls.limit(1)).first() is not None:
        return True
    try:
        _convert(lambda _: _refuse(), sealing=True)
    except _Clear:
        return True
    return False


def _seal_deliveries(box: SecretBox) -> None:
    connection = op.get_bind()
    query = sa.select(deliveries).where(
        deliveries.c.channel.in_(SENT_TO_URLS), deliveries.c.secret_target.is_(None)
    )
    for row in connection.execute(query).mappings():
        url, shown = row["target"], redact_url(row["target"])
        error = row["last_error"]
        connection.execute(
            deliveries.update()
            .where(deliveries.c.id == row["id"])
            .values(
                target=shown,
                secret_target=box.seal(url),
                last_error=error.replace(url, shown) if error else error,
            )
        )
        connection.execute(
            attempts.update()
            .where(attempts.c.delivery_id == row["id"], attempts.c.error.is_not(None))
            .values(error=sa.func.replace(attempts.c.error, url, shown))
        )


def upgrade() -> None:
    box = _box()
    if box is None and _any_in_clear():
        raise RuntimeError(
            "the store holds secrets in clear text, to be sealed with the hub's key: "
            "run `gridhub db upgrade` with the hub's settings"
        )
    if op.get_bind().dialect.name == "postgresql":  # SQLite does not bound VARCHAR lengths
        for name in CAMERA_URLS:  # a sealed 1,000-character URL is ~1,450 characters
            op.alter_column("cameras", name, type_=sa.Text(), existing_nullable=True)
    op.add_column("alert_deliveries", sa.Column("secret_target", sa.Text(), nullable=True))
    if box is not None:
        _convert(box.seal, sealing=True)
        _seal_deliveries(box)


def downgrade() -> None:
    box = _box()
    if box is None:
        raise RuntimeError("run `gridhub` with the hub's settings to open the sealed secrets")
    _convert(box.open, sealing=False)
    connection = op.get_bind()
    query = sa.select(deliveries.c.id, deliveries.c.secret_target).where(
        deliveries.c.secret_target.is_not(None)
    )
    for row in connection.execute(query).mappings():
        connection.execute(
            deliveries.update()
            .where(deliveries.c.id == row["id"])
            .values(target=box.open(row["secret_target"]))
        )
    with op.batch_alter_table("alert_deliveries") as batch:
        batch.drop_column("secret_target")
