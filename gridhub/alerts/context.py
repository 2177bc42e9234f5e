"""What the alerts machinery needs from the hub, built once and passed in."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.orm import Session

from gridhub.alerts.routing import Locator, PathCache
from gridhub.config.alerts import AlertsConfig
from gridhub.events import EventSink
from gridhub.i18n import DEFAULT_LANGUAGE
from gridhub.mqtt.topics import Kind, Topics
from gridhub.secrets import SecretBox

_WAKE = "gridhub.alerts.wake"
_LISTENING = "gridhub.alerts.listening"


@dataclass
class AlertContext:
    """Config, spatial index, topics and the dispatcher's wake-up call.

    Without a locator, points and areas are located by a spatial query on the store.
    """

    config: AlertsConfig = field(default_factory=AlertsConfig)
    timezone: str = "Asia/Shanghai"
    language: str = DEFAULT_LANGUAGE
    """What members without a language of their own read, and the stored title's."""
    locator: Locator | None = None
    topics: Topics = field(default_factory=Topics)
    wake: Callable[[], None] | None = None
    listeners: list[EventSink] = field(default_factory=list)
    """Told of every alert change (``AlertChanged``) in its transaction: the reports area
    follows its work orders so."""
    box: SecretBox | None = None
    """Seals notification and webhook URLs (policies' and delivery rows'), opens members';
    needed only where there are such URLs."""
    _paths: PathCache = field(default_factory=PathCache, init=False, repr=False, compare=False)

    def grid_paths(self, session: Session, codes: Iterable[str]) -> dict[str, str]:
        """Region paths of ``codes`` (those known), kept while the locator's grids hold."""
        revision = self.locator.revision if self.locator is not None else None
        return self._paths.paths(session, codes, revision)

    def secrets(self) -> SecretBox:
        if self.box is None:
            raise RuntimeError("notification URLs need the hub's secret box (AlertContext.box)")
        return self.box

    def seal(self, url: str) -> str:
        return self.secrets().seal(url)

    def member_topic(self, member_code: str) -> str:
        return self.topics.build(Kind.MEMBER_ALERTS, member_code)

    def ack_topic(self, member_code: str) -> str:
        return self.topics.build(Kind.MEMBER_ACK, member_code)

    @property
    def integration_topic(self) -> str:
        return f"{self.topics.prefix}/{self.config.integration_topic.strip('/')}"

    def wake_after_commit(self, session: Session) -> None:
        """Wake the dispatcher as soon as ``session``'s transaction commits (not before:
        the deliveries must be visible to it)."""
        if self.wake is None:
            return
        session.info[_WAKE] = self.wake
        if not session.info.get(_LISTENING):
            session.info[_LISTENING] = True
            event.listen(session, "after_commit", _fire)
            event.listen(session, "after_rollback", _forget)


def _fire(session: Session) -> None:
    wake = session.info.pop(_WAKE, None)
    if wake is not None:
        wake()


def _forget(session: Session) -> None:
    session.info.pop(_WAKE, None)
