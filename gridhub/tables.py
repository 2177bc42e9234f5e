"""Reading CSV and YAML table files into rows that remember their line numbers.

Members, sensors and cameras are imported from such files; each describes its columns, its
name in messages and its error class in a TableKind, and every problem becomes a RowError.
"""

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FORMATS = {".csv": "csv", ".yaml": "yaml", ".yml": "yaml"}


@dataclass(frozen=True, slots=True)
class RowError:
    """One reason a table file was refused; ``line`` None means the whole file."""

    line: int | None
    code: str | None
    reason: str

    def __str__(self) -> str:
        where = "file" if self.line is None else f"line {self.line}"
        who = f" ({self.code})" if self.code else ""
        return f"{where}{who}: {self.reason}"


class TableImportError(Exception):
    """A table file was refused; ``errors`` holds every reason, the store is unchanged.

    Problems found in the file are RowErrors; plain text names a problem found only
    against the store (a camera's unknown grid), which belongs to no line.
    """

    def __init__(self, errors: Sequence[RowError | str]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True, slots=True)
class RawRow:
    """One row as read from the file, before validation; ``error`` if it is unreadable."""

    line: int
    data: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class TableKind:
    """What one kind of table file holds, and how its refusals are named and raised."""

    noun: str
    """Plural, as in "the file holds no members"; a YAML file may wrap its list in it."""
    columns: tuple[str, ...]
    """Every column a CSV header may name."""
    required: tuple[str, ...]
    error: type[TableImportError]
    # The header wording differs per kind because the CLIs and their tests quote it:
    # ``{names}`` is the bare column names, ``{quoted}`` their reprs.
    missing: str = "missing column(s) {names}"
    unknown: str = "unknown column(s) {quoted}"


def read_table(path: Path, kind: TableKind) -> list[RawRow]:
    """The rows of a ``.csv``, ``.yaml`` or ``.yml`` file; ``kind.error`` if unreadable."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _file_error(kind, f"{path.name}: a {kind.noun} file must be .csv, .yaml or .yml")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _file_error(kind, f"{path}: cannot be read: {exc.strerror}") from None
    text = _decode(raw, kind)
    rows = _csv_rows(text, kind) if fmt == "csv" else _yaml_rows(text, kind)
    if not rows:
        raise _file_error(kind, f"the file holds no {kind.noun}")
    return rows


def _decode(raw: bytes, kind: TableKind) -> str:
    if b"\x00" in raw:
        raise _file_error(kind, "not a text file (it contains NUL bytes): expected CSV or YAML")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Chinese Windows saves CSV as GBK, of which GB18030 is a superset.
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise _file_error(kind, "not UTF-8 or GB18030 text: save the file as UTF-8") from None


def _csv_rows(text: str, kind: TableKind) -> list[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return []
        columns = [name.strip().lower() for name in header]
        _check_header(columns, kind)
        rows: list[RawRow] = []
        start = reader.line_num + 1
        for values in reader:
            # A quoted value may span lines: a row is numbered by the line it starts on.
            line, start = start, reader.line_num + 1
            if not any(value.strip() for value in values):
                continue
            if len(values) > len(columns):
                rows.append(RawRow(line, error="more fields than the header has columns"))
                continue
            cells = {name: value.strip() for name, value in zip(columns, values, strict=False)}
            # An empty cell means the field is not given.
            rows.append(RawRow(line, {k: v for k, v in cells.items() if v != ""}))
    except csv.Error as exc:
        raise _file_error(kind, f"line {reader.line_num}: not valid CSV: {exc}") from None
    return rows


def _check_header(columns: list[str], kind: TableKind) -> None:
    problems: list[str] = []
    missing = [name for name in kind.required if name not in columns]
    if missing:
        problems.append(_words(kind.missing, missing))
    unknown = [name for name in columns if name not in kind.columns]
    if unknown:
        problems.append(_words(kind.unknown, unknown))
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    if problems:
        expected = ",".join(kind.columns)
        reason = f"header: {'; '.join(problems)} (columns: {expected})"
        raise kind.error([RowError(1, None, reason)])


def _words(template: str, names: list[str]) -> str:
    return template.format(names=", ".join(names), quoted=", ".join(map(repr, names)))


def _yaml_rows(text: str, kind: TableKind) -> list[RawRow]:
    try:
        document = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _file_error(kind, f"{where}not valid YAML: {problem}") from None
    if document is None:
        return []
    wrapped = isinstance(document, dict) and set(document) == {kind.noun}
    if wrapped and isinstance(node, yaml.MappingNode):
        document = document[kind.noun]
        node = node.value[0][1]
    if not isinstance(document, list) or not isinstance(node, yaml.SequenceNode):
        found = type(document).__name__
        raise _file_error(
            kind, f"a YAML {kind.noun} file must be a list of mappings, not a {found}"
        )
    rows: list[RawRow] = []
    # The composed nodes carry the line each item starts on; the loaded items do not.
    for item, item_node in zip(document, node.value, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            rows.append(RawRow(line, error=f"expected a mapping, got {item!r}"))
            continue
        # An empty YAML value (``duty:``) means the field is not given, as an empty CSV cell.
        data = {str(key): value for key, value in item.items() if value is not None}
        rows.append(RawRow(line, data))
    return rows


def _file_error(kind: TableKind, reason: str) -> TableImportError:
    return kind.error([RowError(None, None, reason)])
