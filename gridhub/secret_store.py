"""Where the store keeps sealed secrets, and re-sealing them all under a new key.

Columns say so themselves (``info=SEALED`` or ``SEALED_JSON``), so a new secret column is
rotated, and audited by the tests, without a list to keep up to date here.
"""

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, Table, func, select, update
from sqlalchemy.orm import Session

from gridhub.secrets import SecretBox

TOKEN = re.compile(r"^gAAAAA[A-Za-z0-9_\-]+=*$")
"""A Fernet token (version byte 0x80, then a timestamp whose high bytes are still zero)."""
BATCH = 500

Progress = Callable[[str, int, int], None]
"""Told ``(table.column, done, total)`` as a column's rows are re-sealed."""


@dataclass(frozen=True)
class SealedColumn:
    table: Table
    column: Column[Any]

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column.name}"

    @property
    def nested(self) -> bool:
        """Sealed strings inside a JSON value, rather than the whole value sealed."""
        return self.column.info.get("sealed") == "json"


def sealed_columns(metadata: MetaData) -> list[SealedColumn]:
    return [
        SealedColumn(table, column)
        for table in metadata.sorted_tables
        for column in table.columns
        if column.info.get("sealed")
    ]


def reseal(value: Any, change: Callable[[str], str | None]) -> Any:
    """``value`` with every sealed string inside replaced by ``change(token)``, where that
    gives a new token; the value itself when nothing changed."""
    if isinstance(value, str):
        new = change(value) if TOKEN.match(value) else None
        return value if new is None else new
    if isinstance(value, list):
        items = [reseal(item, change) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, dict):
        items_ = {key: reseal(item, change) for key, item in value.items()}
        return value if all(items_[k] is value[k] for k in value) else items_
    return value


def rotate_all(
    session: Session,
    metadata: MetaData,
    rotor: SecretBox,
    newest: SecretBox,
    progress: Progress | None = None,
) -> Counter[str]:
    """Re-seal, in ``session``'s transaction, every secret that ``newest`` (the new key
    alone) cannot open, with ``rotor`` (new key first, then the old ones). Returns how many
    secrets changed per ``table.column``; SecretError if one opens with no key."""
    counts: Counter[str] = Counter()

    def change(token: str) -> str | None:
        return None if newest.opens(token) else rotor.rotate(token)

    for sealed in sealed_columns(metadata):
        key = _key(sealed.table)
        column = sealed.column
        total = (
            session.scalar(
                select(func.count()).select_from(sealed.table).where(column.is_not(None))
            )
            or 0
        )
        done = 0
        for rows in _batches(session, sealed.table, key, column):
            for pk, value in rows:
                new = reseal(value, change) if sealed.nested else (change(value) or value)
                if new is not value:
                    counts[sealed.name] += len(_tokens(value)) if sealed.nested else 1
                    session.execute(
                        update(sealed.table).where(key == pk).values({column.name: new})
                    )
            done += len(rows)
            if progress is not None:
                progress(sealed.name, done, total)
    return counts


def audit(session: Session, metadata: MetaData, box: SecretBox) -> Counter[str]:
    """How many sealed secrets per ``table.column`` do not open with ``box`` (want 0)."""
    bad: Counter[str] = Counter()
    for sealed in sealed_columns(metadata):
        for rows in _batches(session, sealed.table, _key(sealed.table), sealed.column):
            for _, value in rows:
                tokens = _tokens(value) if sealed.nested else [value]
                bad[sealed.name] += sum(
                    1 for token in tokens if not isinstance(token, str) or not box.opens(token)
                )
    return +bad  # without the columns where all open


def _tokens(value: Any) -> list[str]:
    """The sealed strings inside a JSON value."""
    found: list[str] = []

    def collect(token: str) -> None:
        found.append(token)

    reseal(value, collect)
    return found


def _key(table: Table) -> Column[Any]:
    (key,) = table.primary_key.columns
    return key


def _batches(
    session: Session, table: Table, key: Column[Any], column: Column[Any]
) -> Iterator[list[tuple[Any, Any]]]:
    """Rows ``(key, value)`` by key, in batches: keyset paging, so updates do not shift it."""
    last = None
    while True:
        query = select(key, column).where(column.is_not(None)).order_by(key).limit(BATCH)
        if last is not None:
            query = query.where(key > last)
        rows = [tuple(row) for row in session.execute(query)]
        if not rows:
            return
        yield rows
        last = rows[-1][0]
