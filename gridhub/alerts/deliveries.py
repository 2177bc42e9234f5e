"""Writing what an alert change causes: delivery rows, audit events and live events.

Everything here runs inside the caller's transaction; sending happens after the commit.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

from gridhub.alerts import receipts
from gridhub.alerts.context import AlertContext
from gridhub.alerts.live import live_row, notify_live, publish_live
from gridhub.alerts.messages import (
    alert_brief,
    envelope,
    member_message,
    snapshot,
    text_message,
)
from gridhub.alerts.models import Alert, AlertEvent, Delivery, LiveEvent, Receipt
from gridhub.alerts.routing import Recipient
from gridhub.db import Base
from gridhub.events import AlertChanged
from gridhub.secrets import redact_url
from gridhub.severity import severity_rank


class Writes:
    """Rows of several alerts' changes, collected and written by ``write``: one statement
    per table for a whole batch of new alerts (a storm of warnings) instead of several per
    alert, and no unit of work for rows that are never read back as objects.

    Functions here take ``writes``: None writes at once (audit events as session objects),
    else the rows wait in it.
    """

    def __init__(self) -> None:
        self._tables: dict[type[Base], list[dict[str, Any]]] = {}

    def add(self, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
        self._tables.setdefault(model, []).extend(rows)

    def write(self, session: Session) -> None:
        """Insert what was collected (each table's rows in the order they came)."""
        tables, self._tables = self._tables, {}
        for model, rows in tables.items():
            insert_rows(session, model, rows)


COPY_ABOVE = 50
"""Below this many rows a plain executemany is as quick as COPY."""
MQTT = "mqtt"
WEBHOOK = "webhook"
APPRISE = "apprise"


def record_event(
    session: Session,
    alert: Alert,
    kind: str,
    actor: str,
    now: datetime,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    channel: str | None = None,
    writes: Writes | None = None,
) -> None:
    row = {
        "alert_id": alert.id,
        "at": now,
        "kind": kind,
        "actor": actor,
        "from_status": from_status,
        "to_status": to_status,
        "note": note,
        "channel": channel,
    }
    if writes is None:
        session.add(AlertEvent(**row))
    else:
        writes.add(AlertEvent, [row])


def notify_members(
    session: Session,
    ctx: AlertContext,
    alert: Alert,
    recipients: Sequence[Recipient],
    now: datetime,
    *,
    level: int | None,
    reminder: int = 0,
    extra_urls: Sequence[str] = (),
    writes: Writes | None = None,
) -> int:
    """Queue the alert for each recipient (MQTT, plus their own notification URLs).

    Notification URLs (the members' and ``extra_urls``, a policy level's) come sealed; each
    row keeps the sealed URL to send to and a redacted one to show.
    """
    rows: list[dict[str, Any]] = []
    # Read from the alert once per language: a flood warning has thousands of recipients.
    briefs: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}

    def words(language: str) -> tuple[dict[str, Any], dict[str, str]]:
        if language not in briefs:
            briefs[language] = (
                alert_brief(alert, language),
                text_message(alert, language, ctx.timezone),
            )
        return briefs[language]

    def shown(sealed: str) -> str:
        return redact_url(ctx.secrets().open(sealed))

    alert_id = alert.id
    # An area warning's message carries the area, the headline and instruction, and each
    # member's own grids in it; every member told holds a receipt.
    warning = receipts.warning_fields(session, alert) if receipts.is_area_warning(alert) else None
    grids: dict[str, list[dict[str, str]]] = {}
    if warning is not None:
        grids = receipts.member_grids(session, alert, [p.member_code for p in recipients])
        insert_rows(
            session, Receipt, receipts.open_receipts(session, alert, recipients, grids, now)
        )
    for person in recipients:
        code, role = person.member_code, person.role
        brief, text = words(person.language or ctx.language)
        message = member_message(brief, ctx.ack_topic(code), role, level, reminder)
        if warning is not None:
            message |= warning | {"grids": grids.get(code, [])}
        rows.append(_row(alert_id, now, MQTT, ctx.member_topic(code), message, code, role, level))
        rows.extend(
            _row(alert_id, now, APPRISE, shown(sealed), text, code, role, level, sealed)
            for sealed in person.notify
        )
    text = words(ctx.language)[1]
    rows.extend(
        _row(alert_id, now, APPRISE, shown(sealed), text, level=level, secret=sealed)
        for sealed in extra_urls
    )
    if rows:
        _insert(session, Delivery, rows, writes)
        ctx.wake_after_commit(session)
    return len(rows)


def publish_change(
    session: Session,
    ctx: AlertContext,
    alert: Alert,
    kind: str,
    before: dict[str, Any] | None,
    now: datetime,
    *,
    actor: str | None = None,
    note: str | None = None,
    writes: Writes | None = None,
) -> dict[str, Any]:
    """Queue the change for the integration topic and webhooks; append it to the live stream;
    hand it to the areas that follow alerts (``ctx.listeners``), with who acted and their note.

    Returns the alert's new snapshot (the ``before`` of its next change).
    """
    after = snapshot(alert)
    if ctx.listeners:
        change = AlertChanged(
            alert_id=alert.id,
            source_type=alert.source_type,
            source_id=alert.source_id,
            status=alert.status,
            before=before["status"] if before else None,
            ts=now,
            actor=actor,
            note=note,
        )
        for listener in ctx.listeners:
            listener(session, [change])
    message = envelope(kind, before, after)
    rows = [_row(alert.id, now, MQTT, ctx.integration_topic, message)]
    rank = severity_rank(alert.severity)
    rows.extend(
        _row(
            alert.id,
            now,
            WEBHOOK,
            redact_url(str(hook.url)),
            message,
            secret=ctx.seal(str(hook.url)),
        )
        for hook in ctx.config.webhooks
        if rank >= severity_rank(hook.min_severity)
    )
    _insert(session, Delivery, rows, writes)
    if writes is None:
        publish_live(session, f"alert.{kind}", alert.region_path, message, now)
    else:
        writes.add(LiveEvent, [live_row(f"alert.{kind}", alert.region_path, message, now)])
        notify_live(session)
    ctx.wake_after_commit(session)
    return after


def _insert(
    session: Session, model: type[Base], rows: list[dict[str, Any]], writes: Writes | None
) -> None:
    if writes is None:
        insert_rows(session, model, rows)
    else:
        writes.add(model, rows)


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows fast: COPY on PostgreSQL (a flood warning's 20,000 deliveries in one
    stream), executemany elsewhere (SQLite is in-process: no round trips to save)."""
    if not rows:
        return
    table = cast(Table, model.__table__)  # typed FromClause; a declared table is a Table
    if len(rows) < COPY_ABOVE or session.get_bind().dialect.name != "postgresql":
        # The table, not the class: these rows are never loaded back as objects, so the
        # ORM's bulk bookkeeping would only cost time on the alert path.
        session.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    as_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
    raw = session.connection().connection.driver_connection  # psycopg's, for its COPY
    if raw is None:
        raise RuntimeError("the session's database connection is closed")
    cursor = raw.cursor()
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [orjson.dumps(row[c]).decode() if c in as_json else row[c] for c in columns]
            )


def member_delivery(
    alert_id: int, now: datetime, topic: str, payload: dict[str, Any], member: str, role: str | None
) -> dict[str, Any]:
    """A row sending ``payload`` to one member over MQTT (an area warning's release or lift)."""
    return _row(alert_id, now, MQTT, topic, payload, member, role)


def _row(
    alert_id: int,
    now: datetime,
    channel: str,
    target: str,
    payload: dict[str, Any],
    member: str | None = None,
    role: str | None = None,
    level: int | None = None,
    secret: str | None = None,
) -> dict[str, Any]:
    """A delivery row; ``target`` is what is shown, ``secret`` the sealed URL sent to."""
    return {
        "alert_id": alert_id,
        "member_code": member,
        "role": role,
        "level": level,
        "channel": channel,
        "target": target,
        "secret_target": secret,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
