"""The warnings section: CAP 1.2 feeds (Atom or RSS) of the weather and water authorities."""

from pydantic import Field, HttpUrl

from gridhub.config.sections import Section


class WarningsConfig(Section):
    feeds: tuple[HttpUrl, ...] = Field(
        (), description="Atom or RSS feeds whose entries link to CAP 1.2 messages."
    )
    poll_every_s: float = Field(60.0, ge=1.0, description="How often each feed is asked.")
    max_backoff_s: float = Field(
        900.0, ge=1.0, description="Longest wait after failures (doubling from poll_every_s)."
    )
    timeout_s: float = Field(10.0, gt=0, description="Time allowed for one HTTP request.")
