"""Load the demo town (grids, members, cameras, sensors) into the store and (re)set its admin."""

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.api.models import User
from gridhub.api.security import hash_password
from gridhub.api.users import create_user
from gridhub.cameras.registry import import_cameras, read_records
from gridhub.db import transaction
from gridhub.geo.importer import import_grids, load_feature_collection
from gridhub.geo.locator import GridLocator
from gridhub.geo.members import import_members
from gridhub.geo.members_file import read_member_file
from gridhub.ingest.registry import import_sensors
from gridhub.secrets import SecretBox

DATA_DIR = Path(__file__).parent / "data"
GRIDS_FILE = DATA_DIR / "grids.geojson"
RIVER_FILE = DATA_DIR / "river.geojson"
MEMBERS_FILE = DATA_DIR / "members.csv"
CAMERAS_FILE = DATA_DIR / "cameras.csv"
SENSORS_FILE = DATA_DIR / "sensors.csv"
ADMIN = "admin"
PHONE_USER = ("gw0101a", "GW0101A")
"""The demo's grid worker on the phone page (/m/): a user name, and the member it is."""


@dataclass
class DemoLoad:
    """How many of each kind the demo holds, and what the load changed."""

    counts: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return ", ".join(
            f"{count} {kind} ({self.changed.get(kind, 0)} new or changed)"
            for kind, count in self.counts.items()
        )


def load_demo(sessions: sessionmaker[Session], locator: GridLocator, box: SecretBox) -> DemoLoad:
    """Create or update every demo record by code; loading twice changes nothing the second time.

    Places (regions, grids, members) load in one transaction, devices (cameras, sensors) in a
    second, so that ``locator`` (the hub's) already sees the grids when it places a device.
    """
    load = DemoLoad()
    with transaction(sessions) as session:
        grids = import_grids(session, load_feature_collection(GRIDS_FILE.read_bytes()))
        members = import_members(session, read_member_file(MEMBERS_FILE), box)
    load.counts["regions and grids"] = len(grids.created + grids.updated + grids.unchanged)
    load.changed["regions and grids"] = len(grids.created + grids.updated)
    load.counts["members"] = len(members.created + members.updated + members.unchanged)
    load.changed["members"] = len(members.created + members.updated)

    locator.refresh()
    with transaction(sessions) as session:
        cameras = import_cameras(
            session,
            read_records(CAMERAS_FILE),
            lambda lon, lat: locator.locate(lon, lat).grid,
            box,
        )
        sensors = import_sensors(session, SENSORS_FILE, locator)
    load.counts["cameras"] = len(cameras.created + cameras.updated)
    load.changed["cameras"] = len(cameras.created)
    load.counts["sensors"] = len(sensors.created + sensors.updated + sensors.unchanged)
    load.changed["sensors"] = len(sensors.created + sensors.updated)
    return load


def reset_admin(session: Session, username: str = ADMIN) -> str:
    """Create the admin user, or give the existing one a new password; return that password."""
    password = secrets.token_urlsafe(12)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        create_user(session, username, password, role="admin")
    else:
        user.password_hash = hash_password(password)
        user.role = "admin"
        user.scope = None
        user.active = True
    return password


def reset_phone_user(session: Session) -> str:
    """Create the demo grid worker's phone user, linked to their member, or give it a new
    password; return that password."""
    username, member = PHONE_USER
    password = secrets.token_urlsafe(12)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        create_user(session, username, password, role="grid_worker", member_code=member)
    else:
        user.password_hash = hash_password(password)
        user.active = True
    return password
