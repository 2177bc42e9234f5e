"""Reading a members file (CSV or YAML) into raw rows that remember their line numbers."""

from pathlib import Path

from gridhub.tables import RawRow, RowError, TableImportError, TableKind, read_table

__all__ = [
    "MEMBER_FIELDS",
    "YAML_ONLY_FIELDS",
    "MemberImportError",
    "RawRow",
    "RowError",
    "read_member_file",
]

MEMBER_FIELDS = (
    "code", "name", "role", "grids", "phone", "mqtt_client_id", "notify", "duty", "language",
)  # fmt: skip
REQUIRED_FIELDS = ("code", "name", "role", "grids")
YAML_ONLY_FIELDS = ("properties",)


class MemberImportError(TableImportError):
    """A members file was refused; ``errors`` holds every reason, the store is unchanged."""


MEMBERS = TableKind(
    "members",
    MEMBER_FIELDS,
    REQUIRED_FIELDS,
    MemberImportError,
    missing="missing required column(s) {names}",
)


def read_member_file(path: Path) -> list[RawRow]:
    """The rows of a ``.csv``, ``.yaml`` or ``.yml`` file; MemberImportError if unreadable."""
    return read_table(path, MEMBERS)
