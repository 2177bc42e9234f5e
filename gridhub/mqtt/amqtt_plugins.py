"""amqtt plugins that enforce the hub's :class:`AccessTable`: who may connect, and which topics
each user may publish to, subscribe to and receive."""

import asyncio
from dataclasses import dataclass
from typing import Any

from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.plugins.topic_checking import TopicAccessControlListPlugin
from amqtt.session import Session

from gridhub.mqtt.access import AccessTable


class AccessHolder:
    """The table a running broker enforces, replaced whole when the users change."""

    def __init__(self, table: AccessTable) -> None:
        self.table = table


class RosterAuthPlugin(BaseAuthPlugin):
    """Lets in only a user of the table with its password; anonymous clients are refused."""

    @dataclass
    class Config:
        access: Any = None
        """The broker's AccessHolder."""

    async def authenticate(self, *, session: Session) -> bool:
        if not session.username:
            return False
        table: AccessTable = self.config.access.table
        # PBKDF2 takes milliseconds: off the broker's event loop.
        return await asyncio.to_thread(table.authenticate, session.username, session.password)


class RosterTopicPlugin(BaseTopicPlugin):
    """Publish needs a write grant; subscribe and each delivery need a read grant."""

    @dataclass
    class Config:
        access: Any = None
        """The broker's AccessHolder."""

    async def topic_filtering(
        self,
        *,
        session: Session | None = None,
        topic: str | None = None,
        action: Action | None = None,
    ) -> bool:
        table: AccessTable = self.config.access.table
        granted = table.grants_of(session.username if session else None)
        if granted is None or not topic:
            return False
        filters = granted.write if action == Action.PUBLISH else granted.read
        # amqtt's own matcher: a requested topic or filter lies within an allowed filter.
        return any(TopicAccessControlListPlugin.topic_ac(topic, allowed) for allowed in filters)
