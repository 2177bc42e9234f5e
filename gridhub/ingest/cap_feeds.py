"""CAP feeds: Atom or RSS feeds whose entries link to CAP 1.2 messages, polled with
conditional GET (ETag, Last-Modified) and a doubling backoff after failures. Each new message
goes the way of a posted one (``take_cap``); a refused one is logged with its reasons."""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
from lxml import etree
from sqlalchemy.orm import Session, sessionmaker

from gridhub.config.warnings import WarningsConfig
from gridhub.db import transaction, utcnow
from gridhub.events import EventSink
from gridhub.ingest.cap import STRICT, CapError, parse_cap
from gridhub.ingest.pipeline import Locator
from gridhub.ingest.warnings import take_cap

log = logging.getLogger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
MAX_SEEN = 10_000
"""Links remembered per feed: a feed lists its recent messages, not years of them."""


@dataclass
class FeedState:
    """What the hub knows of one feed: validators for the next conditional GET, the links it
    has taken, failures in a row and when to ask again (monotonic seconds)."""

    url: str
    etag: str | None = None
    modified: str | None = None
    seen: set[str] = field(default_factory=set)
    failures: int = 0
    next_at: float = 0.0


def links(feed: bytes) -> list[str]:
    """The entries' links of an Atom or RSS feed, in the feed's order."""
    root = etree.fromstring(feed, STRICT)
    found = [
        link.get("href", "")
        for entry in root.iter(f"{ATOM}entry")
        for link in entry.iter(f"{ATOM}link")
        if link.get("rel", "alternate") in ("alternate", "enclosure")
    ]
    found += [(item.findtext("link") or "").strip() for item in root.iter("item")]
    return [url for url in found if url]


def poll(
    client: httpx.Client, state: FeedState, config: WarningsConfig, clock: float
) -> list[tuple[str, bytes]]:
    """Ask the feed (conditionally) and fetch the messages it links that are new; returns
    (url, CAP bytes) pairs. A failure doubles the wait before the next try."""
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.modified:
        headers["If-Modified-Since"] = state.modified
    try:
        response = client.get(state.url, headers=headers)
        if response.status_code == httpx.codes.NOT_MODIFIED:
            return _done(state, config, clock, [])
        response.raise_for_status()
        entries = [str(response.url.join(link)) for link in links(response.content)]
        found = []
        for url in entries:
            if url in state.seen:
                continue
            message = client.get(url)
            message.raise_for_status()
            found.append((url, message.content))
    except (httpx.HTTPError, etree.XMLSyntaxError) as exc:
        state.failures += 1
        wait = min(config.poll_every_s * 2**state.failures, config.max_backoff_s)
        state.next_at = clock + wait
        log.warning("CAP feed %s failed (%s); next try in %.0f s", state.url, exc, wait)
        return []
    state.etag = response.headers.get("ETag")
    state.modified = response.headers.get("Last-Modified")
    return _done(state, config, clock, found)


def _done(
    state: FeedState, config: WarningsConfig, clock: float, found: list[tuple[str, bytes]]
) -> list[tuple[str, bytes]]:
    state.failures, state.next_at = 0, clock + config.poll_every_s
    if len(state.seen) > MAX_SEEN:
        state.seen.clear()
    return found


def take(
    sessions: sessionmaker[Session],
    locator: Locator,
    sinks: Sequence[EventSink],
    state: FeedState,
    messages: list[tuple[str, bytes]],
) -> int:
    """Store each message as ``POST /api/v1/warnings/cap`` would; returns how many were taken.
    A refused message is logged with every reason and not asked for again."""
    taken = 0
    for url, xml in messages:
        state.seen.add(url)
        try:
            warning = parse_cap(xml)
            with transaction(sessions) as session:
                events = take_cap(session, locator, warning, utcnow())
                for sink in sinks:
                    sink(session, events)
        except CapError as exc:
            log.warning("CAP message %s refused: %s", url, "; ".join(exc.reasons))
            continue
        taken += 1
    return taken


class CapFeedService:
    """``hub.services`` entry ``cap_feeds``: one thread asking each feed when it is due."""

    name = "cap_feeds"

    def __init__(
        self,
        config: WarningsConfig,
        sessions: sessionmaker[Session],
        locator: Locator,
        sinks: Sequence[EventSink],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config, self.sessions, self.locator, self.sinks = config, sessions, locator, sinks
        self.clock = clock
        self.feeds = [FeedState(str(url)) for url in config.feeds]
        self.taken = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, client: httpx.Client) -> int:
        """Poll every feed that is due; returns how many messages were taken."""
        taken = 0
        for state in self.feeds:
            if self.clock() >= state.next_at:
                found = poll(client, state, self.config, self.clock())
                taken += take(self.sessions, self.locator, self.sinks, state, found)
        self.taken += taken
        return taken

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="cap-feeds", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.config.timeout_s + 5)

    def health(self) -> dict[str, object]:
        failing = [state.url for state in self.feeds if state.failures]
        return {"ok": not failing, "feeds": len(self.feeds), "taken": self.taken,
                "failing": failing}  # fmt: skip

    def _run(self) -> None:
        with httpx.Client(timeout=self.config.timeout_s, follow_redirects=True) as client:
            while not self._stop.is_set():
                try:
                    self.run_once(client)
                except Exception:
                    log.exception("CAP feeds round failed; trying again")
                self._stop.wait(1.0)
