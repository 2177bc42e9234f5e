"""Reading a members file (CSV or YAML) into raw rows that remember their line numbers."""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MEMBER_FIELDS = ("code", "name", "role", "grids", "phone", "mqtt_client_id", "notify", "duty")
REQUIRED_FIELDS = ("code", "name", "role", "grids")
YAML_ONLY_FIELDS = ("properties",)
FORMATS = {".csv": "csv", ".yaml": "yaml", ".yml": "yaml"}


@dataclass(frozen=True, slots=True)
class RowError:
    """One reason a members file was refused; ``line`` None means the whole file."""

    line: int | None
    code: str | None
    reason: str

    def __str__(self) -> str:
        where = "file" if self.line is None else f"line {self.line}"
        who = f" ({self.code})" if self.code else ""
        return f"{where}{who}: {self.reason}"


class MemberImportError(Exception):
    """A members file was refused; ``errors`` holds every reason, the store is unchanged."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True, slots=True)
class RawRow:
    """One member as read from the file, before validation; ``error`` if it is unreadable."""

    line: int
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def read_member_file(path: Path) -> list[RawRow]:
    """The rows of a ``.csv``, ``.yaml`` or ``.yml`` file; MemberImportError if unreadable."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _file_error(f"{path.name}: a members file must be .csv, .yaml or .yml")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _file_error(f"{path}: cannot be read: {exc.strerror}") from None
    return parse_member_text(_decode(raw), fmt)


def parse_member_text(text: str, fmt: str) -> list[RawRow]:
    """The rows of members text in ``fmt`` (``csv`` or ``yaml``)."""
    rows = _parse_csv(text) if fmt == "csv" else _parse_yaml(text)
    if not rows:
        raise _file_error("the file holds no members")
    return rows


def _decode(raw: bytes) -> str:
    if b"\x00" in raw:
        raise _file_error("not a text file (it contains NUL bytes): expected CSV or YAML")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Chinese Windows saves CSV as GBK, of which GB18030 is a superset.
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise _file_error("not UTF-8 or GB18030 text: save the file as UTF-8") from None


def _parse_csv(text: str) -> list[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return []
        columns = [name.strip().lower() for name in header]
        _check_header(columns)
        rows: list[RawRow] = []
        start = reader.line_num + 1
        for values in reader:
            line, start = start, reader.line_num + 1
            if not any(value.strip() for value in values):
                continue
            if len(values) > len(columns):
                rows.append(RawRow(line, error="more fields than the header has columns"))
                continue
            cells = {name: value.strip() for name, value in zip(columns, values, strict=False)}
            rows.append(RawRow(line, {k: v for k, v in cells.items() if v != ""}))
    except csv.Error as exc:
        raise _file_error(f"line {reader.line_num}: not valid CSV: {exc}") from None
    return rows


def _check_header(columns: list[str]) -> None:
    problems: list[str] = []
    missing = [name for name in REQUIRED_FIELDS if name not in columns]
    if missing:
        problems.append(f"missing required column(s) {', '.join(missing)}")
    unknown = [name for name in columns if name not in MEMBER_FIELDS]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    if problems:
        expected = ",".join(MEMBER_FIELDS)
        raise MemberImportError(
            [RowError(1, None, f"header: {'; '.join(problems)} (columns: {expected})")]
        )


def _parse_yaml(text: str) -> list[RawRow]:
    try:
        document = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _file_error(f"{where}not valid YAML: {problem}") from None
    if document is None:
        return []
    if not isinstance(document, list) or not isinstance(node, yaml.SequenceNode):
        kind = type(document).__name__
        raise _file_error(f"a YAML members file must be a list of mappings, not a {kind}")
    rows: list[RawRow] = []
    for item, item_node in zip(document, node.value, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            rows.append(RawRow(line, error=f"expected a mapping, got {item!r}"))
            continue
        # An empty YAML value (``duty:``) means the field is not given, as an empty CSV cell.
        data = {str(key): value for key, value in item.items() if value is not None}
        rows.append(RawRow(line, data))
    return rows


def _file_error(reason: str) -> MemberImportError:
    return MemberImportError([RowError(None, None, reason)])
