"""Member roles, and the order in which alerts escalate through them."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MemberRole:
    """A role on the roster. ``rank`` is its place in the escalation chain (0 is asked
    first); roles outside the chain (police, legal advisers) have no rank."""

    name: str
    rank: int | None
    title: str


ROLES: tuple[MemberRole, ...] = (
    MemberRole("grid_worker", 0, "网格员"),
    MemberRole("grid_leader", 1, "网格长"),
    MemberRole("village_cadre", 2, "村干部"),
    MemberRole("town_operator", 3, "镇指挥中心"),
    MemberRole("county_operator", 4, "县指挥中心"),
    MemberRole("police", None, "网格警员"),
    MemberRole("legal_adviser", None, "法律顾问"),
)

ROLE_NAMES: tuple[str, ...] = tuple(role.name for role in ROLES)
ROLES_BY_NAME: dict[str, MemberRole] = {role.name: role for role in ROLES}
ESCALATION: tuple[str, ...] = tuple(
    role.name for role in sorted(ROLES, key=lambda r: r.rank or 0) if role.rank is not None
)
UNRANKED = len(ESCALATION)
"""Sort key of roles outside the chain: after every escalation level."""


def role_rank(role: str) -> int:
    """The role's escalation rank; roles outside the chain sort after every level."""
    rank = ROLES_BY_NAME[role].rank
    return UNRANKED if rank is None else rank
