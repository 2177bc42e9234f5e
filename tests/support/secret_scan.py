"""Audit the store as an attacker with a copy of it would: every value of every column of
every table, searched for secrets in clear text."""

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Engine, inspect, text


def clear_secrets(engine: Engine, secrets: Iterable[str]) -> Counter[str]:
    """How many values per ``table.column`` hold one of ``secrets`` in clear text."""
    wanted = [secret for secret in secrets if secret]
    found: Counter[str] = Counter()
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            result = connection.execute(text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for row in result:
                for column, value in zip(columns, row, strict=True):
                    shown = _text(value)
                    if any(secret in shown for secret in wanted):
                        found[f"{table}.{column}"] += 1
    return found


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return "" if value is None else str(value)
