"""The broker's users in the store: set and remove passwords (only hashes are kept), list them,
and build the :class:`AccessTable` a broker enforces."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridhub.mqtt.access import AccessTable, BrokerUser, Role, grants, username_problem
from gridhub.mqtt.models import MqttUser, MqttUserRevision
from gridhub.mqtt.passwords import hash_password
from gridhub.mqtt.topics import Topics

MIN_PASSWORD_LENGTH = 8
REVISION_ROW_ID = 1


class MqttUserError(ValueError):
    """A broker user could not be set or removed; the message says why."""


def set_password(
    session: Session, username: str, role: Role, password: str, hub_username: str
) -> MqttUser:
    """Create the user or change its password. A name belongs to one role: a sensor cannot
    take a member's name, and nobody the hub's own."""
    problem = username_problem(username)
    if problem:
        raise MqttUserError(problem)
    if role is Role.HUB or username == hub_username:
        raise MqttUserError(f"{username!r} is the hub's own broker user")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise MqttUserError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise MqttUserError("password must not be blank")
    user = session.scalar(select(MqttUser).where(MqttUser.username == username))
    if user is None:
        user = MqttUser(username=username, role=role.value)
        session.add(user)
    elif user.role != role.value:
        raise MqttUserError(f"MQTT user {username!r} already exists as a {user.role}")
    user.password_hash = hash_password(password)
    _bump_revision(session)
    session.flush()
    return user


def remove_user(session: Session, username: str) -> MqttUser:
    user = session.scalar(select(MqttUser).where(MqttUser.username == username))
    if user is None:
        raise MqttUserError(f"no MQTT user {username!r}")
    session.delete(user)
    _bump_revision(session)
    session.flush()
    return user


def list_users(session: Session) -> list[MqttUser]:
    return list(session.scalars(select(MqttUser).order_by(MqttUser.role, MqttUser.username)))


def user_revision(session: Session) -> int:
    """The counter that goes up with every change of the broker's users: cheap to poll."""
    value = session.scalar(
        select(MqttUserRevision.revision).where(MqttUserRevision.id == REVISION_ROW_ID)
    )
    return value or 0


def access_table(session: Session, topics: Topics, hub: BrokerUser) -> AccessTable:
    """Every stored user with its grants, and the hub's own user (which is never stored).

    A stored user whose name the hub has since taken, whose name no longer builds a topic, or
    whose role this hub does not know, is left out rather than let in with other rights."""
    revision = user_revision(session)
    users = {hub.username: hub}
    roles = {role.value for role in Role} - {Role.HUB.value}
    for row in list_users(session):
        if row.username in users or username_problem(row.username) or row.role not in roles:
            continue
        role = Role(row.role)
        users[row.username] = BrokerUser(
            row.username, role, row.password_hash, grants(role, row.username, topics)
        )
    return AccessTable(users, revision)


def _bump_revision(session: Session) -> None:
    # One atomic UPDATE: concurrent writers each raise it; the row is made by the migration.
    session.execute(
        update(MqttUserRevision)
        .where(MqttUserRevision.id == REVISION_ROW_ID)
        .values(revision=MqttUserRevision.revision + 1)
    )
