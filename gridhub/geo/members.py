"""Members import: validate every row of a CSV/YAML file, then create or update by code.

The import is atomic: every problem in the file is collected (line, code, reason) and
raised together as MemberImportError before anything is written.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)
from pydantic_core import ErrorDetails
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gridhub.geo.duty import ALWAYS, DutySpecError, parse_duty
from gridhub.geo.members_file import (
    MEMBER_FIELDS,
    YAML_ONLY_FIELDS,
    MemberImportError,
    RawRow,
    RowError,
)
from gridhub.geo.models import Member, MemberArea, Region
from gridhub.geo.roles import ROLE_NAMES
from gridhub.i18n import LANGUAGES
from gridhub.reasons import reason
from gridhub.secrets import SecretBox

LIST_SEPARATOR = ";"
_URL = re.compile(r"^[a-z][a-z0-9+.\-]*://\S+$", re.IGNORECASE)


def _split(value: Any) -> Any:
    """``a;b`` (CSV) or a YAML list → a list of stripped, non-empty strings."""
    if isinstance(value, str):
        value = value.split(LIST_SEPARATOR)
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    return value


Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[^\s/+#]+$"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class MemberRow(BaseModel):
    """One member of an import file, validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    code: Code
    name: Text
    role: str
    grids: Annotated[tuple[Code, ...], BeforeValidator(_split), Field(min_length=1)]
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 \-]{4,30}$")] | None = None
    mqtt_client_id: (
        Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\s/+#]+$")]
        | None
    ) = None
    notify: Annotated[tuple[str, ...], BeforeValidator(_split)] = ()
    duty: str = ALWAYS
    language: str | None = None
    """What the member reads (zh-CN or en); empty: the hub's language."""
    properties: dict[str, Any] = Field(default_factory=dict)

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str) -> str:
        if value not in ROLE_NAMES:
            raise ValueError(f"unknown role {value!r} (expected one of {', '.join(ROLE_NAMES)})")
        return value

    @field_validator("notify")
    @classmethod
    def _urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if not _URL.match(url):
                raise ValueError(
                    f"bad notify URL {url!r}: expected scheme://… "
                    "(e.g. dingtalk://…, wecombot://…, mailto://…, json://…)"
                )
        return value

    @field_validator("duty")
    @classmethod
    def _duty(cls, value: str) -> str:
        value = value.strip() or ALWAYS
        try:
            parse_duty(value)
        except DutySpecError as exc:
            raise ValueError(f"bad duty spec: {exc}") from None
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if value not in LANGUAGES:
            raise ValueError(f"unknown language {value!r} (expected one of {', '.join(LANGUAGES)})")
        return value

    @property
    def region_codes(self) -> tuple[str, ...]:
        """The grids/regions, first occurrence kept, in file order."""
        return tuple(dict.fromkeys(self.grids))


@dataclass(frozen=True, slots=True)
class MemberImportReport:
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged"
        )


def validate_rows(rows: Sequence[RawRow]) -> tuple[list[tuple[int, MemberRow]], list[RowError]]:
    """Each readable row as a MemberRow with its line, and every problem found on its own."""
    valid: list[tuple[int, MemberRow]] = []
    errors: list[RowError] = []
    for row in rows:
        code = _raw_code(row)
        if row.error is not None:
            errors.append(RowError(row.line, code, row.error))
            continue
        try:
            valid.append((row.line, MemberRow.model_validate(row.data)))
        except ValidationError as exc:
            errors.extend(RowError(row.line, code, _reason(error)) for error in exc.errors())
    return valid, errors


def _reason(error: ErrorDetails) -> str:
    if error["type"] == "too_short" and error["loc"][:1] == ("grids",):
        return "grids: at least one grid or region code is required"
    return reason(error, MEMBER_FIELDS + YAML_ONLY_FIELDS)


def import_members(session: Session, rows: Sequence[RawRow], box: SecretBox) -> MemberImportReport:
    """Create or update (by code) every member in ``rows``, or change nothing and raise
    MemberImportError with every problem. The caller commits. Notification URLs (bot tokens)
    are stored sealed by ``box``."""
    valid, errors = validate_rows(rows)
    errors.extend(_duplicate_codes(rows))
    errors.extend(_unknown_regions(session, rows))
    errors.extend(_cross_check(session, valid))
    if errors:
        errors.sort(key=lambda e: (e.line or 0, e.reason))
        raise MemberImportError(errors)
    regions = _region_ids(session, {code for _, row in valid for code in row.region_codes})
    existing = _members_by_code(session, [row.code for _, row in valid])
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    for _, row in valid:
        member = existing.get(row.code)
        if member is None:
            session.add(_apply(Member(code=row.code, areas=[]), row, regions, box))
            created.append(row.code)
        elif _differs(member, row, box):
            _apply(member, row, regions, box)
            updated.append(row.code)
        else:
            unchanged.append(row.code)
    session.flush()
    return MemberImportReport(tuple(created), tuple(updated), tuple(unchanged))


def _duplicate_codes(rows: Sequence[RawRow]) -> list[RowError]:
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for row in rows:
        code = _raw_code(row)
        if code is None:
            continue
        if code in first_line:
            errors.append(
                RowError(row.line, code, f"duplicate code (first on line {first_line[code]})")
            )
        first_line.setdefault(code, row.line)
    return errors


def _unknown_regions(session: Session, rows: Sequence[RawRow]) -> list[RowError]:
    """Grid/region codes not in the store, also of rows refused for other reasons."""
    wanted: list[tuple[RawRow, list[str]]] = []
    for row in rows:
        codes = _split(row.data.get("grids"))
        if isinstance(codes, list):
            wanted.append((row, list(dict.fromkeys(codes))))
    known = _region_ids(session, {code for _, codes in wanted for code in codes})
    return [
        RowError(row.line, _raw_code(row), f"unknown grid or region code {code!r}")
        for row, codes in wanted
        for code in codes
        if code not in known
    ]


def _raw_code(row: RawRow) -> str | None:
    return str(row.data.get("code", "")).strip() or None


def _cross_check(session: Session, valid: list[tuple[int, MemberRow]]) -> list[RowError]:
    """Problems that only the whole file, or the store, can show."""
    errors: list[RowError] = []
    in_file = {row.code for _, row in valid}
    client_lines: dict[str, tuple[int, str]] = {}
    for line, row in valid:
        if row.mqtt_client_id:
            seen = client_lines.setdefault(row.mqtt_client_id, (line, row.code))
            if seen[1] != row.code:
                errors.append(
                    RowError(
                        line,
                        row.code,
                        f"mqtt_client_id {row.mqtt_client_id!r} is also given to {seen[1]} "
                        f"on line {seen[0]}",
                    )
                )
    owners = _client_id_owners(session, set(client_lines))
    for client_id, (line, code) in client_lines.items():
        owner = owners.get(client_id)
        if owner is not None and owner != code and owner not in in_file:
            errors.append(
                RowError(
                    line, code, f"mqtt_client_id {client_id!r} already belongs to member {owner}"
                )
            )
    return errors


def _region_ids(session: Session, codes: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        query = select(Region.code, Region.id).where(Region.code.in_(chunk))
        for code, region_id in session.execute(query):
            found[code] = region_id
    return found


def _members_by_code(session: Session, codes: list[str]) -> dict[str, Member]:
    found: dict[str, Member] = {}
    for start in range(0, len(codes), 500):
        query = (
            select(Member)
            .where(Member.code.in_(codes[start : start + 500]))
            .options(selectinload(Member.areas).selectinload(MemberArea.region))
        )
        found.update((member.code, member) for member in session.scalars(query))
    return found


def _client_id_owners(session: Session, client_ids: set[str]) -> dict[str, str]:
    if not client_ids:
        return {}
    query = select(Member.mqtt_client_id, Member.code).where(
        Member.mqtt_client_id.in_(sorted(client_ids))
    )
    rows = session.execute(query)
    return {client_id: code for client_id, code in rows if client_id is not None}


def _differs(member: Member, row: MemberRow, box: SecretBox) -> bool:
    current = (
        member.name,
        member.role,
        member.phone,
        member.mqtt_client_id,
        [box.open(url) for url in member.notify or []],
        member.duty,
        member.language,
        dict(member.properties or {}),
        [area.region.code for area in member.areas],
    )
    wanted = (
        row.name,
        row.role,
        row.phone,
        row.mqtt_client_id,
        list(row.notify),
        row.duty,
        row.language,
        row.properties,
        list(row.region_codes),
    )
    return current != wanted


def _apply(member: Member, row: MemberRow, regions: dict[str, int], box: SecretBox) -> Member:
    member.name = row.name
    member.role = row.role
    member.phone = row.phone
    member.mqtt_client_id = row.mqtt_client_id
    member.notify = [box.seal(url) for url in row.notify]
    member.duty = row.duty
    member.language = row.language
    member.properties = dict(row.properties)
    wanted = {regions[code]: position for position, code in enumerate(row.region_codes)}
    # Keep rows for regions still assigned: deleting and re-inserting the same
    # (member, region) pair in one flush would trip the unique constraint.
    kept = [area for area in member.areas if area.region_id in wanted]
    for area in kept:
        area.position = wanted[area.region_id]
    have = {area.region_id for area in kept}
    added = [
        MemberArea(region_id=region_id, position=position)
        for region_id, position in wanted.items()
        if region_id not in have
    ]
    member.areas = sorted(kept + added, key=lambda area: area.position)
    return member


def list_members(session: Session) -> list[Member]:
    """Every member with its areas, by code."""
    query = (
        select(Member)
        .order_by(Member.code)
        .options(selectinload(Member.areas).selectinload(MemberArea.region))
    )
    return list(session.scalars(query))


def get_member(session: Session, code: str) -> Member | None:
    return session.scalar(select(Member).where(Member.code == code))
