"""Keeps a running broker's users in step with the store, whichever process changed them.

``gridhub members mqtt-password`` may run while the hub does: the embedded broker polls the
users' revision (one row, one cheap query) and rebuilds its table only when it moved.
"""

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from gridhub.mqtt.access import AccessTable, BrokerUser
from gridhub.mqtt.topics import Topics
from gridhub.mqtt.users import access_table, user_revision

log = logging.getLogger(__name__)

REFRESH_S = 1.0
"""How often the embedded broker looks at the users' revision: a changed password takes
effect within about this long."""


class AccessRefresher:
    def __init__(self, sessions: sessionmaker[Session], topics: Topics, hub: BrokerUser) -> None:
        self.sessions = sessions
        self.topics = topics
        self.hub = hub
        self.revision: int | None = None
        self.error: str | None = None

    def load(self) -> AccessTable:
        """The users as stored now (raises if the store cannot be read)."""
        with self.sessions() as session:
            table = access_table(session, self.topics, self.hub)
        self.revision = table.revision
        self.error = None
        return table

    def changed(self) -> AccessTable | None:
        """A new table if the users changed since the last one, else None. A store that
        cannot be read keeps the broker on the users it has, and says so in ``error``."""
        try:
            with self.sessions() as session:
                revision = user_revision(session)
            if revision == self.revision:
                self.error = None
                return None
            return self.load()
        except SQLAlchemyError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if self.error is None:
                log.warning("cannot read the broker's users (%s); keeping the current ones", first)
            self.error = f"users not refreshed: {first}"
            return None
