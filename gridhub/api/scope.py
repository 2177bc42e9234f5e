"""Scopes: a user scoped to region R sees only R and what lies under it.

A region's ``path`` lists the codes from the root down (``/C1/T1/V3/G12/``) and codes
are unique, so "under R" is "R's code is one of the path's segments".
"""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import InstrumentedAttribute

from gridhub.api.models import User
from gridhub.geo.models import PATH_SEPARATOR


def _segment(code: str) -> str:
    return f"{PATH_SEPARATOR}{code}{PATH_SEPARATOR}"


def in_scope(user: User, region_path: str) -> bool:
    """Whether the region at ``region_path`` lies in ``user``'s scope (None: everything)."""
    return user.scope is None or _segment(user.scope) in region_path


def codes_in_scope(user: User, path_codes: Sequence[str]) -> bool:
    """``in_scope`` for a path given as its codes, root first."""
    return user.scope is None or user.scope in path_codes


def scope_filter(user: User, path_column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """A WHERE clause keeping rows whose region path lies in ``user``'s scope."""
    if user.scope is None:
        return true()
    return path_column.contains(_segment(user.scope), autoescape=True)
