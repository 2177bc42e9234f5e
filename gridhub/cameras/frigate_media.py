"""Frigate's snapshot and clip of a tracked object, fetched from its HTTP API and streamed on.

Frigate serves them by event id (``GET /api/events/{event_id}/snapshot.jpg`` and
``…/clip.mp4``, ``frigate/api/media.py``). The hub asks its internal API (port 5000, no
login) or a proxy in front of it; a user and password in ``api_url`` go as HTTP Basic auth
and nowhere else: what fails is told without Frigate's address or answer.
"""

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote, unquote

import httpx

from gridhub.config.cameras import FrigateConfig

log = logging.getLogger(__name__)

SNAPSHOT = "snapshot.jpg"
CLIP = "clip.mp4"
MEDIA_TYPES = {SNAPSHOT: "image/jpeg", CLIP: "video/mp4"}
WHAT = {SNAPSHOT: "snapshot", CLIP: "clip"}
PASSED_ON = ("content-length", "last-modified", "etag")
"""Frigate's answer headers the client gets (the body is passed on as sent: identity)."""


class FrigateError(Exception):
    """Frigate failed to give a medium; ``str`` is safe to show (no address, no answer)."""


class FrigateTimeout(FrigateError):
    """Frigate was silent for longer than ``api_timeout_s``."""


class FrigateGone(FrigateError):
    """Frigate answered 404: it no longer keeps it (its retention ran out, or deleted)."""


@dataclass(frozen=True, slots=True)
class Medium:
    """A medium Frigate is sending: its type, headers to pass on, and its body as it comes."""

    media_type: str
    headers: dict[str, str]
    body: AsyncIterator[bytes]


class FrigateClient:
    """One pooled HTTP client to Frigate's API, opened and closed with the API."""

    def __init__(self, config: FrigateConfig, transport: httpx.AsyncBaseTransport | None = None):
        if config.api_url is None:
            raise ValueError("cameras.frigate.api_url is not set")
        url = httpx.URL(str(config.api_url))
        auth = (
            httpx.BasicAuth(unquote(url.username), unquote(url.password))
            if url.username or url.password
            else None
        )
        self.client = httpx.AsyncClient(
            base_url=url.copy_with(username=None, password=None),
            auth=auth,
            timeout=config.api_timeout_s,
            trust_env=False,  # a proxy from the environment is not Frigate's
            transport=transport,
        )
        self.timeout_s = config.api_timeout_s

    async def open(self, event_id: str, file: str) -> Medium:
        """Frigate's ``file`` (SNAPSHOT or CLIP) of ``event_id``, its body not yet read."""
        what = f"the {WHAT[file]} of Frigate event {event_id}"
        path = f"api/events/{quote(event_id, safe='')}/{file}"
        request = self.client.build_request("GET", path, headers={"Accept-Encoding": "identity"})
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            raise FrigateTimeout(f"Frigate did not answer within {self.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise FrigateError(f"Frigate could not be reached ({type(exc).__name__})") from None
        if response.status_code != httpx.codes.OK:
            await response.aclose()
            if response.status_code == httpx.codes.NOT_FOUND:
                raise FrigateGone(f"Frigate no longer keeps {what}")
            raise FrigateError(f"Frigate answered {response.status_code} for {what}")
        headers = {name: response.headers[name] for name in PASSED_ON if name in response.headers}
        return Medium(MEDIA_TYPES[file], headers, self._body(response, what))

    async def _body(self, response: httpx.Response, what: str) -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            # The answer has begun: the client sees it cut short (shorter than its length).
            log.warning("%s broke off: %s", what, type(exc).__name__)
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()
