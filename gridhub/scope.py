"""The caller's scope: one value, built from the signed-in user, that filters every read and
checks every write, on every surface (REST, the live stream, the pages).

A region's ``path`` lists the codes from the root down (``/C1/T1/V3/G12/``); a user scoped to
region V3 sees what lies under ``/C1/T1/V3/``. Out of scope reads answer 404 and writes 403,
and nothing changes.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import InstrumentedAttribute


class OutOfScope(PermissionError):
    """A write that reaches beyond the caller's scope; the message says what."""


@dataclass(frozen=True, slots=True)
class Scope:
    """Everything under region path ``root``; ``root=None`` is everything, ``empty`` nothing
    (a user whose scope region no longer exists)."""

    root: str | None = None
    empty: bool = False

    @classmethod
    def everything(cls) -> "Scope":
        return cls()

    @classmethod
    def nothing(cls) -> "Scope":
        return cls(empty=True)

    @classmethod
    def under(cls, path: str | None) -> "Scope":
        """The scope of a region at ``path``; None (an unknown region) is nothing."""
        return cls.nothing() if path is None else cls(root=path)

    @property
    def unrestricted(self) -> bool:
        return self.root is None and not self.empty

    def contains(self, path: str | None) -> bool:
        """Whether the region at ``path`` lies under the scope."""
        if self.empty:
            return False
        if self.root is None:
            return True
        return path is not None and path.startswith(self.root)

    def covers(self, paths: Iterable[str]) -> bool:
        """Whether every one of ``paths`` lies under the scope. Nothing placed at all (no
        paths) is covered only by an unrestricted scope."""
        paths = list(paths)
        if not paths:
            return self.unrestricted
        return all(self.contains(path) for path in paths)

    def touches(self, paths: Iterable[str]) -> bool:
        """Whether any of ``paths`` lies under the scope."""
        return any(self.contains(path) for path in paths)

    def sql(self, column: InstrumentedAttribute[str] | ColumnElement[str]) -> ColumnElement[bool]:
        """A WHERE clause keeping rows whose region path ``column`` lies under the scope."""
        if self.empty:
            return false()
        if self.root is None:
            return true()
        return column.startswith(self.root, autoescape=True)

    def check(self, paths: Iterable[str], what: str) -> None:
        """OutOfScope unless the scope covers every one of ``paths``."""
        if not self.covers(paths):
            raise OutOfScope(f"{what} lies outside your scope")


EVERYTHING = Scope.everything()
"""The scope of an unscoped admin, and of the hub's own work (ingest, timers)."""
